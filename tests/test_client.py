"""RewardClient and AsyncRewardClient against a real server on 127.0.0.1: answers, raised errors
(401, 413, 422, 409), retries with backoff on 503 and on connection errors."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
from rk_servers import SLOW, TOKEN, thread_server

from rewardkit.client import (
    AsyncRewardClient,
    InvalidRequest,
    Retry,
    RewardClient,
    ServerError,
    TooLarge,
    Unauthorized,
)
from rewardkit.types import Sample

pytestmark = pytest.mark.server

SAMPLES = [
    Sample(id="a", group="q", prompt="2+2?", completion="4", reference="4"),
    Sample(id="b", group="q", prompt="2+2?", completion="5", reference="4"),
]


def test_sync_client_scores_observes_and_moves_state() -> None:
    with thread_server(max_samples=4) as s, RewardClient(s.url, token=TOKEN) as client:
        assert client.health()["ok"] is True
        body = client.score(SAMPLES, group_size=2)
        assert [r["reward"] for r in body["results"]] == [0.5, 0.0]
        assert [round(r["advantage"], 3) for r in body["results"]] == [0.707, -0.707]
        client.observe(0, {"reward/exact/mean": 1.0})
        moved = client.observe(1, {"reward/exact/mean": 1.0})
        assert moved["variables"] == {"w": 1.0} and moved["state_version"] == 2
        state = client.state()
        assert client.put_state(state["state"], if_version=2)["state_version"] == 3
        with pytest.raises(ServerError) as stale:
            client.put_state(state["state"], if_version=2)
        assert stale.value.status == 409
        with pytest.raises(TooLarge):
            client.score([{"id": str(i), "completion": "4"} for i in range(5)])
        with pytest.raises(InvalidRequest) as bad:
            client.score([{"id": "x", "completion": 4}])
        assert bad.value.problems[0]["path"] == "samples.0.completion"
        assert isinstance(bad.value, ValueError)  # an InputError, as the error tree promises
    with (
        thread_server() as s,
        RewardClient(s.url, token="wrong-token") as client,
        pytest.raises(Unauthorized, match="401"),
    ):
        client.score(SAMPLES)


def test_observe_sends_nan_as_null_and_a_misspelt_metric_raises() -> None:
    with thread_server() as s, RewardClient(s.url, token=TOKEN) as client:
        with pytest.raises(InvalidRequest, match=r"did you mean 'reward/exakt/mean'\?"):
            client.observe(0, {"reward/exakt/mean": 1.0})
        done = client.observe(0, {"reward/exact/mean": float("nan"), "reward/std": None})
        assert done["state_version"] == 1 and done["events"] == []


def test_async_client_scores_and_raises() -> None:
    async def run(url: str) -> None:
        async with AsyncRewardClient(url, token=TOKEN) as client:
            body = await client.score(SAMPLES)
            assert [r["reward"] for r in body["results"]] == [0.5, 0.0]
            reward = await client.get_reward(["2+2?4"], ["2+2?"], ["4"])
            assert reward["rewards"] == [0.5]
            assert (await client.observe(0, {"reward/exact/mean": 0.0}))["state_version"] == 1
        async with AsyncRewardClient(url) as anonymous:
            with pytest.raises(Unauthorized):
                await anonymous.state()

    with thread_server() as s:
        asyncio.run(run(s.url))


def test_503_is_retried_after_retry_after_then_succeeds() -> None:
    with thread_server(SLOW, workers=1, queue_limit=1) as s:
        slow = [{"id": "s", "completion": "c", "meta": {"sleep": 1.0}}]
        blocker = threading.Thread(
            target=lambda: httpx.post(
                f"{s.url}/v1/score", json={"samples": slow}, headers=s.headers, timeout=60
            )
        )
        blocker.start()
        while s.service.pending == 0:
            time.sleep(0.01)
        fast = [{"id": "f", "completion": "c", "meta": {"v": 0.5}}]
        with RewardClient(s.url, token=TOKEN, retry=Retry(attempts=0)) as once:
            with pytest.raises(ServerError) as busy:
                once.score(fast)
            assert busy.value.status == 503
        with RewardClient(s.url, token=TOKEN, retry=Retry(attempts=5)) as patient:
            assert patient.score(fast)["results"][0]["reward"] == 0.5
        blocker.join(60)


def test_connection_errors_are_retried_with_backoff_then_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    retry = Retry(attempts=3, backoff_s=0.1, max_wait_s=0.3)
    with (
        RewardClient(f"http://127.0.0.1:{port}", token=TOKEN, retry=retry) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.score(SAMPLES)
    assert waits == [0.1, 0.2, 0.3]  # 0.1 * 2**k, capped at 0.3; then the fourth try raises
