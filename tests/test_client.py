"""RewardClient and AsyncRewardClient against a real server on 127.0.0.1: answers, raised errors
(401, 413, 422, 409), retries with backoff on 503 and on connection errors; through a real
flaky proxy: 502/504 and Ray Serve's 404 retried, a lost answer retried and answered from the
server's record (scored once), up to the deadline; rewardkit's own errors, never httpx's."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")
sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
import uvicorn
from rk_servers import SLOW, TOKEN, thread_server

from rewardkit.client import (
    AsyncRewardClient,
    InvalidRequest,
    Retry,
    RewardClient,
    ServerError,
    ServerUnreachable,
    TooLarge,
    Unauthorized,
)
from rewardkit.types import Sample

pytestmark = pytest.mark.server


@dataclass
class Proxy:
    url: str
    keys: list[str | None] = field(default_factory=list)
    """The Idempotency-Key of each request the proxy received, in order."""


@contextlib.contextmanager
def flaky_proxy(target: str, plan: list[str]) -> Iterator[Proxy]:
    """A real HTTP proxy on 127.0.0.1 in front of ``target``. Request k follows ``plan[k]``:
    "502", "503", "504" or "404" answer that status itself (as a gateway, or Ray Serve's proxy
    while the app restarts, would), "lose" forwards and then answers 502 (the server did the
    work, the client never saw it); requests past the plan are forwarded."""
    proxy = Proxy("")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k != b"host"}
        proxy.keys.append(headers.get("idempotency-key"))
        step = plan[len(proxy.keys) - 1] if len(proxy.keys) <= len(plan) else "forward"
        status, out, body = (int(step), [], b"not here") if step.isdigit() else (0, [], b"")
        if step in ("forward", "lose"):
            async with httpx.AsyncClient(base_url=target, timeout=60) as client:
                query = scope["query_string"].decode()
                path = scope["path"] + (f"?{query}" if query else "")
                r = await client.request(
                    scope["method"], path, content=b"".join(chunks), headers=headers
                )
            status, body = (502, b"bad gateway") if step == "lose" else (r.status_code, r.content)
            if step == "forward":
                out = [(k.encode(), v.encode()) for k, v in r.headers.items()
                       if k not in ("content-length", "transfer-encoding")]  # fmt: skip
        out.append((b"retry-after", b"0"))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    proxy.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield proxy
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def samples_scored(s: Any) -> float:
    text = httpx.get(f"{s.url}/metrics", headers=s.headers).text
    line = next(x for x in text.splitlines() if x.startswith("rewardkit_samples_total "))
    return float(line.split()[1])


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
    retry = Retry(attempts=3, backoff_s=0.1, max_wait_s=0.3, jitter=0.0)
    url = f"http://user:{TOKEN}@127.0.0.1:{port}"
    with (
        RewardClient(url, token=TOKEN, retry=retry) as client,
        pytest.raises(ServerUnreachable) as unreachable,
    ):
        client.score(SAMPLES)
    assert waits == [0.1, 0.2, 0.3]  # 0.1 * 2**k, capped at 0.3; then the fourth try raises
    error = unreachable.value
    assert error.attempts == 4 and error.url == f"http://127.0.0.1:{port}/v1/score"
    assert isinstance(error, ConnectionError) and error.__cause__ is None
    assert "ConnectError" in str(error) and TOKEN not in str(error)  # no credentials shown
    assert str(pickle.loads(pickle.dumps(error))) == str(error)  # crosses a Ray task intact


def test_a_deadline_ends_the_retries_with_the_last_answer() -> None:
    with flaky_proxy("http://127.0.0.1:9", ["503"] * 1000) as proxy:
        retry = Retry(backoff_s=0.01, max_wait_s=0.05)
        with (
            RewardClient(proxy.url, token=TOKEN, retry=retry, deadline_s=0.5) as client,
            pytest.raises(ServerError) as busy,
        ):
            client.score(SAMPLES)
    assert busy.value.status == 503 and busy.value.attempts >= 2
    assert busy.value.attempts == len(proxy.keys)  # every attempt reached the proxy
    assert f"{proxy.url}/v1/score answered 503 (attempt {busy.value.attempts})" in str(busy.value)


def test_502_504_and_ray_serves_404_are_retried_with_one_idempotency_key() -> None:
    with thread_server() as s, flaky_proxy(s.url, ["502", "404", "504", "lose"]) as proxy:
        retry = Retry(backoff_s=0.01)
        with RewardClient(proxy.url, token=TOKEN, retry=retry) as client:
            body = client.score(SAMPLES)
            assert [r["reward"] for r in body["results"]] == [0.5, 0.0]
        assert len(proxy.keys) == 5 and len(set(proxy.keys)) == 1 and proxy.keys[0]
        # the "lost" answer was scored; its retry was answered from the record
        assert samples_scored(s) == 2.0
        with RewardClient(proxy.url, token=TOKEN, retry=retry) as client:
            client.score(SAMPLES)
            assert len(set(proxy.keys)) == 2  # a new call, a new key
            with pytest.raises(ServerError) as missing:  # rewardkit's own 404: not retried
                client.request("GET", "/v1/nothing-here")
        assert missing.value.status == 404 and missing.value.attempts == 1
        assert proxy.keys[-1] is None  # a GET carries no key


def test_the_async_client_retries_a_lost_answer_and_scores_once() -> None:
    async def run(url: str) -> dict[str, Any]:
        async with AsyncRewardClient(url, token=TOKEN, retry=Retry(backoff_s=0.01)) as client:
            return await client.score(SAMPLES, group_size=2)

    with thread_server() as s, flaky_proxy(s.url, ["lose", "503"]) as proxy:
        body = asyncio.run(run(proxy.url))
        assert [r["reward"] for r in body["results"]] == [0.5, 0.0]
        assert len(proxy.keys) == 3 and len(set(proxy.keys)) == 1
        assert samples_scored(s) == 2.0
