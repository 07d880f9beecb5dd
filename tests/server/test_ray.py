"""``rewardkit serve --ray --replicas 2`` on a local CPU Ray: one state actor, two replicas; after
an observe, both replicas answer with the new variables; an observe missing the watched metric is
422, as on the single-process server; /metrics adds up every replica; a replica killed mid-run
loses no request of a client that retries."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from rk_servers import LADDER, SLOW, cli_server

from rewardkit.client import Retry, RewardClient
from rewardkit.server.metrics import ServerMetrics
from rewardkit.server.ray_serve import families, merged_metrics

pytest.importorskip("ray.serve", reason="pip install 'rewardkit[ray]'")


def test_metrics_of_replicas_add_up_and_a_stale_queue_depth_is_left_out() -> None:
    def replica(version: int, depth: int, samples: int) -> Any:
        live = {"state_version": version, "queue_depth": depth, "variables": {"w": 0.5 * version}}
        metrics = ServerMetrics(lambda: defaultdict(int, live))  # other gauges: 0
        metrics.samples.inc(samples)
        metrics.requests.labels("/v1/score", "200").inc(samples)
        return families(metrics.registry)

    own, other, gone = replica(2, 1, 3), replica(1, 4, 5), replica(1, 7, 11)
    text = merged_metrics(own, [(0.0, own), (0.2, other), (3600.0, gone)]).decode()
    lines = set(text.splitlines())
    assert "rewardkit_samples_total 19.0" in lines  # 3 + 5 + 11: a gone replica's counts stay
    assert 'rewardkit_requests_total{code="200",endpoint="/v1/score"} 19.0' in lines
    assert "rewardkit_queue_depth 5.0" in lines  # 1 + 4: the replica gone an hour is left out
    assert "rewardkit_state_version 2.0" in lines  # as the answering replica sees it
    assert 'rewardkit_variable{name="w"} 1.0' in lines


@pytest.mark.server
@pytest.mark.process
@pytest.mark.ray
def test_both_replicas_score_with_the_variables_of_the_last_observe(tmp_path: Path) -> None:
    token = "ray-token-0123456789abcdef"
    headers = {"Authorization": f"Bearer {token}"}
    server = cli_server(
        tmp_path,
        LADDER,
        "--ray",
        "--replicas",
        "2",
        "--state",
        str(tmp_path / "state.db"),
        env={"REWARDKIT_TOKEN": token, "RAY_AUTH_MODE": "disabled"},
    )
    try:
        url = server.url
        assert httpx.post(f"{url}/v1/state", headers=headers).status_code == 405
        assert httpx.get(f"{url}/v1/state").status_code == 401  # the token holds on Ray too
        typo = httpx.post(  # the actor refuses it; the replica answers as the server does
            f"{url}/v1/observe",
            headers=headers,
            json={"step": 0, "metrics": {"reward/exakt/mean": 1.0}},
        )
        assert typo.status_code == 422 and "Traceback" not in typo.text
        assert "did you mean 'reward/exakt/mean'?" in typo.json()["problems"][0]["message"]
        for step in (0, 1):  # two steps at mean 1.0: w 0.5 -> 1.0
            r = httpx.post(
                f"{url}/v1/observe",
                headers=headers,
                json={"step": step, "metrics": {"reward/exact/mean": 1.0}},
            )
            assert r.status_code == 200
        assert r.json()["variables"] == {"w": 1.0} and r.json()["state_version"] == 2
        sample = {"id": "a", "prompt": "q", "completion": "4", "reference": "4"}
        seen: dict[str, set[tuple[int, float]]] = {}
        for _ in range(40):  # Serve spreads requests over the replicas
            r = httpx.post(f"{url}/v1/score", headers=headers, json={"samples": [sample]})
            body = r.json()
            seen.setdefault(r.headers["x-rewardkit-replica"], set()).add(
                (body["state_version"], body["results"][0]["reward"])
            )
            if len(seen) == 2:
                break
        assert len(seen) == 2  # two distinct replica processes answered
        assert all(answers == {(2, 1.0)} for answers in seen.values())  # both at w = 1.0
    finally:
        assert server.stop(timeout=60) == 0


SLEEP = {"sleep": 0.2, "v": 0.25}
"""Each sample of the killed-replica test takes 0.2 s: requests are in flight when it dies."""


def scrape(url: str, headers: dict[str, str], name: str) -> float:
    text = httpx.get(f"{url}/metrics", headers=headers, timeout=30).text
    return next(float(x.split()[1]) for x in text.splitlines() if x.startswith(name + " "))


@pytest.mark.server
@pytest.mark.process
@pytest.mark.ray
@pytest.mark.slow
def test_metrics_sum_the_replicas_and_a_killed_replica_loses_no_retried_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rewardkit.client")
    token = "ray-token-0123456789abcdef"
    headers = {"Authorization": f"Bearer {token}"}
    env = {"REWARDKIT_TOKEN": token, "RAY_AUTH_MODE": "disabled"}
    state = str(tmp_path / "state.db")
    server = cli_server(tmp_path, SLOW, "--ray", "--replicas", "2", "--state", state, env=env)
    try:
        url = server.url
        pids: set[str] = set()
        sent = 0
        while len(pids) < 2 or sent < 10:  # Serve spreads requests over both replicas
            sample = {"id": str(sent), "completion": "c"}
            r = httpx.post(f"{url}/v1/score", headers=headers, json={"samples": [sample]})
            assert r.status_code == 200
            pids.add(r.headers["x-rewardkit-replica"])
            sent += 1
            assert sent < 200
        deadline = time.monotonic() + 60  # each replica pushes its counts within a second
        while scrape(url, headers, "rewardkit_samples_total") < sent:
            assert time.monotonic() < deadline, "the replicas' counts never added up"
            time.sleep(0.2)
        assert scrape(url, headers, "rewardkit_samples_total") == sent  # both, each once

        answers: dict[str, list[Any]] = {}

        def trainer(name: str) -> None:
            retry = Retry(backoff_s=0.1, max_wait_s=2.0, deadline_s=240.0)
            with RewardClient(url, token=token, retry=retry) as client:
                for i in range(15):
                    batch = [{"id": f"{name}-{i}-{j}", "completion": "c", "meta": SLEEP}
                             for j in range(2)]  # fmt: skip
                    answers.setdefault(name, []).append(client.score(batch)["results"])

        threads = [threading.Thread(target=trainer, args=(f"t{k}",)) for k in range(4)]
        for t in threads:
            t.start()
        while sum(map(len, answers.values())) < 4:  # the trainers are running
            time.sleep(0.05)
        os.kill(int(sorted(pids)[0]), signal.SIGKILL)  # one replica dies mid-run
        for t in threads:
            t.join(300)
        retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
        assert retried  # the requests in flight on the killed replica failed, and were retried
        for name in ("t0", "t1", "t2", "t3"):  # every request answered, every sample once
            got = [row["id"] for results in answers[name] for row in results]
            assert got == [f"{name}-{i}-{j}" for i in range(15) for j in range(2)]
            assert all(row["reward"] == 0.25 for results in answers[name] for row in results)
    finally:
        assert server.stop(timeout=60) == 0
