"""Worker processes behind the server: a killed worker, a hung component, a full queue, drain."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rk_servers import SLOW, Running, cli_server, thread_server

from rewardkit.server.batches import split_by_group
from rewardkit.server.pool import ScoringPool
from rewardkit.types import Sample

pytestmark = [pytest.mark.server, pytest.mark.process]


def slow_sample(sid: str, sleep: float, v: float = 1.0) -> dict[str, Any]:
    return {"id": sid, "completion": "c", "meta": {"sleep": sleep, "v": v}}


def post_in_thread(s: Running, samples: list[dict[str, Any]]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []

    def call() -> None:
        answers.append(
            httpx.post(
                f"{s.url}/v1/score", json={"samples": samples}, headers=s.headers, timeout=60
            )
        )

    thread = threading.Thread(target=call)
    thread.start()
    return thread, answers


def wait_until(condition: Any, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_kill_9_of_a_worker_mid_request_is_answered_and_serving_goes_on() -> None:
    with thread_server(SLOW, workers=1, timeout_s=30) as s:
        pool = s.service.pool
        assert pool is not None
        (pid,) = pool.pids()
        thread, answers = post_in_thread(s, [slow_sample("a", 1.0, v=0.25)])
        wait_until(lambda: s.service.pending == 1)
        time.sleep(0.2)  # the worker is inside the component's sleep
        os.kill(pid, signal.SIGKILL)
        thread.join(60)
        (answer,) = answers
        # retried once on the replacement worker: the right reward, not an error
        assert answer.status_code == 200 and answer.json()["results"][0]["reward"] == 0.25
        assert pool.replaced == 1 and pool.pids() != [pid] and len(pool.pids()) == 1
        again = httpx.post(
            f"{s.url}/v1/score", json={"samples": [slow_sample("b", 0.0)]}, headers=s.headers
        )
        assert again.json()["results"][0]["reward"] == 1.0


TWO = {
    "reward": {
        "weighted": [
            {"name": "quick", "fn": "rk_server_components:explode"},
            {"name": "hung", "fn": "rk_server_components:slow"},
        ]
    },
    "on_error": "score",
}
"""A quick component, then one that sleeps for ``meta["sleep"]`` seconds."""


def test_a_hung_component_is_a_verifier_failure_not_a_hung_request() -> None:
    with thread_server(TWO, workers=1, timeout_s=0.5) as s:
        r = httpx.post(
            f"{s.url}/v1/score",
            json={"samples": [slow_sample("h", 60.0)]},
            headers=s.headers,
            timeout=30,
        )
        assert r.status_code == 200
        (row,) = r.json()["results"]
        # no verdict: no reward (never error_value), with the hung component named
        assert row["reward"] is None and row["status"] == "verifier_failed"
        assert row["cause"] == "timeout" and row["errors"][0]["path"] == "reward/hung"
        assert "within 0.5 s" in row["errors"][0]["message"]
        text = httpx.get(f"{s.url}/metrics", headers=s.headers).text
        counted = 'rewardkit_verifier_failures_total{cause="timeout",path="reward/hung"} 1.0'
        assert counted in text
        assert "rewardkit_workers_replaced 1.0" in text
        ok = httpx.post(
            f"{s.url}/v1/score", json={"samples": [slow_sample("q", 0.0, 0.5)]}, headers=s.headers
        )
        assert ok.json()["results"][0]["components"] == {"reward/quick": 1.0, "reward/hung": 0.5}


def test_a_full_queue_answers_503_with_retry_after() -> None:
    with thread_server(SLOW, workers=1, queue_limit=1) as s:
        thread, answers = post_in_thread(s, [slow_sample("a", 1.0)])
        wait_until(lambda: s.service.pending == 1)
        r = httpx.post(
            f"{s.url}/v1/score", json={"samples": [slow_sample("b", 0.0)]}, headers=s.headers
        )
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        thread.join(60)
        assert answers[0].status_code == 200
        text = httpx.get(f"{s.url}/metrics", headers=s.headers).text
        assert "rewardkit_rejected_total 1.0" in text


def test_sigterm_to_the_process_group_drains_the_request_in_flight(tmp_path: Path) -> None:
    server = cli_server(
        tmp_path,
        SLOW,
        "--workers",
        "1",
        "--state",
        str(tmp_path / "s.db"),
        env={"REWARDKIT_TOKEN": "drain-token-0123456789"},
    )
    running = Running(server.url, None, {"Authorization": "Bearer drain-token-0123456789"})  # type: ignore[arg-type]
    thread, answers = post_in_thread(running, [slow_sample("a", 1.5, v=0.75)])
    metrics = f"{server.url}/metrics"
    wait_until(
        lambda: "rewardkit_queue_depth 1.0" in httpx.get(metrics, headers=running.headers).text
    )
    # to the whole process group, workers included (systemd's stop): they leave it to the server
    assert server.stop(signal.SIGTERM, group=True) in (0, -signal.SIGTERM)  # uvicorn re-raises
    thread.join(30)
    assert answers[0].status_code == 200 and answers[0].json()["results"][0]["reward"] == 0.75


def test_score_many_keeps_groups_whole_and_the_input_order() -> None:
    samples = [
        Sample(id=str(i), group=f"g{i % 3}", prompt="", completion=str(i % 2), reference="1")
        for i in range(9)
    ]
    assert split_by_group(samples, 2) == [[0, 2, 3, 5, 6, 8], [1, 4, 7]]  # g0+g2, g1
    # 96 samples in 3 interleaved groups: two chunks of whole groups, one per worker
    many = [
        Sample(id=str(i), group=f"g{i % 3}", prompt="", completion=str(i % 2), reference="1")
        for i in range(96)
    ]
    assert [len(c) for c in split_by_group(many, 2)] == [64, 32]
    with ScoringPool({"reward": {"fn": "exact_match"}}, workers=2) as pool:
        merged = pool.score_many(many)
    assert [s.id for s in merged.samples] == [str(i) for i in range(96)]
    assert merged.reward_list() == [float(i % 2) for i in range(96)]
    assert merged.metrics["reward/mean"] == 0.5  # recomputed over the whole batch
    # g0 holds ids 0, 3, 6...: 16 right answers of 32 in each group, so no zero-variance group
    assert merged.metrics["reward/zero_std_frac"] == 0.0
