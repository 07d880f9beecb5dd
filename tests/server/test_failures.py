"""Per-sample failure semantics of the server: every sample ends scored, not applicable,
unjudgeable, verifier-failed (timeout, crash) or error; a hung or crashing sample fails alone,
never its batch; failures are counted per node and cause, slow samples are named in the log,
and the workers are counted truly after the forkserver dies."""

from __future__ import annotations

import logging
import multiprocessing.forkserver as forkserver
import os
import signal
import time
from typing import Any

import httpx
import pytest
from rk_servers import Running, thread_server

from rewardkit.server import recovery
from rewardkit.server.pool import ScoringPool, _pid_alive
from rewardkit.types import Sample

pytestmark = [pytest.mark.server, pytest.mark.process]

VERIFY = {"reward": {"weighted": [{"name": "verify", "fn": "rk_failure_components:hang_or_die"}]}}
"""One per-sample component at ``reward/verify``; on_error: raise (the default)."""
BATCHED = {"reward": {"weighted": [{"name": "bulk", "fn": "rk_failure_components:batch_sleep"}]}}
"""One batched component at ``reward/bulk``: a single call for the whole batch."""


def sample(sid: str, group: str = "g", **meta: Any) -> dict[str, Any]:
    return {"id": sid, "group": group, "completion": "c", "meta": meta}


def score(s: Running, samples: list[dict[str, Any]], **body: Any) -> list[dict[str, Any]]:
    r = httpx.post(
        f"{s.url}/v1/score", json={"samples": samples, **body}, headers=s.headers, timeout=120
    )
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def metrics(s: Running) -> str:
    return httpx.get(f"{s.url}/metrics", headers=s.headers).text


def test_a_hung_sample_fails_alone_and_is_left_out_of_the_group_baseline() -> None:
    with thread_server(VERIFY, workers=1, timeout_s=2) as s:
        batch = [sample("a", v=1), sample("b", v=0), sample("c", sleep=60), sample("d", v=1)]
        rows = score(s, batch, group_size=4)
        assert [r["status"] for r in rows] == ["scored", "scored", "verifier_failed", "scored"]
        hung = rows[2]
        assert hung["reward"] is None and hung["cause"] == "timeout"
        assert hung["advantage"] == 0.0  # no verdict, no push either way
        (error,) = hung["errors"]
        assert error["path"] == "reward/verify" and error["type"] == "VerifierFailed"
        assert "'reward/verify'" in error["message"] and "within 2 s" in error["message"]
        # the baseline is a, b, d only: rewards 1, 0, 1, advantages summing to 0
        assert [rows[i]["reward"] for i in (0, 1, 3)] == [1.0, 0.0, 1.0]
        assert abs(sum(rows[i]["advantage"] for i in (0, 1, 3))) < 1e-9
        assert rows[0]["advantage"] > 0 > rows[1]["advantage"]
        assert s.service.pool is not None and s.service.pool.replaced == 1
        text = metrics(s)
    assert 'rewardkit_verifier_failures_total{cause="timeout",path="reward/verify"} 1.0' in text
    assert 'rewardkit_sample_status_total{status="scored"} 3.0' in text
    assert 'rewardkit_sample_status_total{status="verifier_failed"} 1.0' in text
    assert 'rewardkit_component_seconds_count{path="reward/verify"} 4.0' in text


def test_several_hung_samples_in_one_batch_still_end_in_bounded_time() -> None:
    with thread_server(VERIFY, workers=1, timeout_s=2) as s:
        batch = [sample(str(i), v=i % 2, **({"sleep": 60} if i % 2 else {})) for i in range(6)]
        start = time.monotonic()
        rows = score(s, batch)
        assert time.monotonic() - start < 100  # 3 kills of 2 s each, with generous room
        assert [r["status"] for r in rows] == ["scored", "verifier_failed"] * 3
        assert [r["reward"] for r in rows] == [0.0, None] * 3
        assert s.service.pool is not None and s.service.pool.replaced == 3
        assert score(s, [sample("next", v=0.5)])[0]["reward"] == 0.5  # serving goes on


def test_a_hung_batched_call_fails_only_its_group() -> None:
    with thread_server(BATCHED, workers=1, timeout_s=2) as s:
        batch = [
            sample("a1", "A", v=0.25),
            sample("h1", "H", sleep=60),
            sample("a2", "A", v=0.75),
            sample("h2", "H"),
            sample("b1", "B"),
        ]
        rows = score(s, batch)
    by_id = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == ["a1", "h1", "a2", "h2", "b1"]  # input order
    for sid in ("h1", "h2"):  # a batched call cannot name one sample: its group fails whole
        assert by_id[sid]["status"] == "verifier_failed" and by_id[sid]["cause"] == "timeout"
        assert "a batched call on its group" in by_id[sid]["errors"][0]["message"]
    assert [by_id[sid]["reward"] for sid in ("a1", "a2", "b1")] == [0.25, 0.75, 1.0]


def test_a_sample_that_kills_its_worker_twice_is_a_crash_the_rest_is_scored() -> None:
    with thread_server(VERIFY, workers=1, timeout_s=30) as s:
        rows = score(s, [sample("a", v=0.5), sample("b", die=True), sample("c", v=0.25)])
        assert s.service.pool is not None and s.service.pool.replaced == 2  # died, retried, died
        text = metrics(s)
    assert [r["status"] for r in rows] == ["scored", "verifier_failed", "scored"]
    assert rows[1]["cause"] == "crash" and "died twice" in rows[1]["errors"][0]["message"]
    assert [rows[0]["reward"], rows[2]["reward"]] == [0.5, 0.25]
    assert 'rewardkit_verifier_failures_total{cause="crash",path="reward/verify"} 1.0' in text


def test_every_status_in_the_rows_in_process() -> None:
    crash_fails = {**VERIFY, "on_error": "score", "error_value": None}
    with thread_server(crash_fails) as s:
        rows = score(s, [sample("ok"), sample("na", none=True), sample("boom", boom=True)])
        assert [r["status"] for r in rows] == ["scored", "not_applicable", "verifier_failed"]
        assert rows[2]["cause"] == "crash" and rows[2]["reward"] is None
        assert "cause" not in rows[0] and "cause" not in rows[1]
        text = metrics(s)
        assert 'rewardkit_verifier_failures_total{cause="crash",path="reward/verify"} 1.0' in text
        assert 'rewardkit_component_seconds_count{path="reward/verify"} 3.0' in text
    with thread_server({**VERIFY, "on_error": "score"}) as s:  # error_value 0.0, as declared
        (row,) = score(s, [sample("boom", boom=True)])
        assert (row["status"], row["cause"], row["reward"]) == ("error", "crash", 0.0)
    with thread_server({"reward": {"fn": "numeric"}}) as s:
        (row,) = score(s, [{"id": "u", "completion": "42", "reference": "forty-two"}])
        assert row["status"] == "unjudgeable" and row["reward"] is None


def test_a_slow_batch_names_its_slowest_samples_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="rewardkit.server")
    with thread_server(VERIFY, slow_batch_s=0.0) as s:
        score(s, [sample("quick"), sample("slowest", sleep=0.3), sample("quick2")])
    (line,) = [r.getMessage() for r in caplog.records if "slow batch" in r.getMessage()]
    assert line.startswith("slow batch: 3 samples in ")
    assert line.split("slowest: ")[1].startswith("'slowest' ")  # the slowest first, by id
    assert "(reward/verify " in line


def test_the_pool_gives_up_on_a_batch_after_its_limit_of_kills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recovery, "MAX_FAILED_ATTEMPTS", 2)
    samples = [
        Sample(id=sid, group="g", prompt="", completion="c", meta=meta)
        for sid, meta in [("h1", {"sleep": 60}), ("h2", {"sleep": 60}), ("h3", {}), ("ok", {})]
    ]
    with ScoringPool(VERIFY, workers=1, timeout_s=2) as pool:
        scored = pool.score(samples)
        assert pool.replaced == 2
    causes = {f.sample_id: f.message.split(")")[0] for f in scored.failures}
    assert causes == {
        "h1": "verifier failed (timeout",
        "h2": "verifier failed (timeout",
        "h3": "verifier failed (retries_exhausted",
        "ok": "verifier failed (retries_exhausted",
    }
    assert scored.reward_list() == [None] * 4 and scored.metrics["verifier_failed/total"] == 4


def test_workers_are_counted_and_killed_truly_after_the_forkserver_dies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="rewardkit.server")
    with thread_server(VERIFY, workers=2, timeout_s=2) as s:
        health = httpx.get(f"{s.url}/healthz").json()
        assert (health["workers"], health["workers_expected"]) == (2, 2)
        server_pid = forkserver._forkserver._forkserver_pid
        assert server_pid is not None
        os.kill(server_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _pid_alive(server_pid):  # a zombie until multiprocessing reaps it: not reaped here
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert httpx.get(f"{s.url}/healthz").json()["workers"] == 2  # multiprocessing says 0
        assert s.service.pool is not None
        before = s.service.pool.pids()
        rows = score(s, [sample("h", sleep=60), sample("ok", v=0.5)])
        assert [r["status"] for r in rows] == ["verifier_failed", "scored"]
        assert [pid for pid in before if not _pid_alive(pid)]  # the hung worker is really dead
        assert httpx.get(f"{s.url}/healthz").json()["workers"] == 2
        assert "rewardkit_workers 2.0" in metrics(s)
    replaced = [r.getMessage() for r in caplog.records if "replaced by worker" in r.getMessage()]
    assert len(replaced) == 1 and "'reward/verify'" in replaced[0]
