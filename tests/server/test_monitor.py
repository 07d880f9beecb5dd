"""The reward-hacking monitor in the server: fed by POST /v1/observe, alerts in the answer and in
/metrics, its state in the SQLite file next to the program's.

The stream: ``reward/mean`` (the proxy) rises by 0.1 a step while ``reward/exact/mean`` (the
verifier) stays at 0.3. ``proxy_divergence`` with warm-up 5 and window 5 sees a gain of 0.4 with
a perfect fit over steps 1-5 and fires at step 5; with cooldown 3 again at 8 and 11.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rk_servers import LADDER, ROOT, cli_server, thread_server

from rewardkit.errors import ConfigError
from rewardkit.monitor import Monitor
from rewardkit.program import RewardProgram
from rewardkit.server.state import ProgramState, StateStore

pytestmark = [pytest.mark.server, pytest.mark.process]

MONITOR: dict[str, Any] = {
    "verifier": "reward/exact/mean",
    "only": ["proxy_divergence"],
    "detectors": {"proxy_divergence": {"warmup": 5, "window": 5, "cooldown": 3}},
}
STEPS = 12


def metrics(step: int) -> dict[str, float]:
    return {"reward/mean": round(0.1 * step, 3), "reward/exact/mean": 0.3}


def uninterrupted() -> list[list[dict[str, Any]]]:
    """The alerts of each step from a Monitor fed the stream in this process."""
    mon = Monitor(MONITOR)
    return [
        [{"step": a.step, **a.as_dict()} for a in mon.observe(step, metrics(step))]
        for step in range(STEPS)
    ]


def observe(url: str, headers: dict[str, str], step: int, **extra: Any) -> dict[str, Any]:
    body = {"step": step, "metrics": metrics(step), **extra}
    r = httpx.post(f"{url}/v1/observe", headers=headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def alert_count(url: str, headers: dict[str, str]) -> str:
    text = httpx.get(f"{url}/metrics", headers=headers).text
    lines = [x for x in text.splitlines() if x.startswith("rewardkit_monitor_alerts_total{")]
    return "\n".join(lines)


def test_an_alert_comes_back_from_observe_and_is_counted_in_metrics() -> None:
    samples = {
        "completions": ["4", "4", "x", "y"],
        "groups": ["a", "a", "b", "b"],
        "rewards": [1.0, 1.0, 1.0, None],
        "correct": [True, True, False, False],
    }
    with thread_server(monitor={**MONITOR, "on_alert": "stop"}) as s:
        answers = [observe(s.url, s.headers, step, samples=samples) for step in range(6)]
        assert [a["alerts"] for a in answers[:5]] == [[]] * 5
        alert = answers[5]["alerts"][0]
        assert (alert["step"], alert["kind"], alert["source"]) == (5, "alert", "proxy_divergence")
        assert alert["stats"]["proxy_gain"] == pytest.approx(0.4)
        assert alert["stats"]["verifier_gain"] == 0.0
        # The best-paid completion the verifier rejects comes first among the examples.
        assert alert["examples"][0] == {"completion": "x", "reward": 1.0, "correct": False}
        assert answers[5]["stop"] is True and not any(a["stop"] for a in answers[:5])
        count = 'rewardkit_monitor_alerts_total{detector="proxy_divergence"} 1.0'
        assert alert_count(s.url, s.headers) == count
        retry = observe(s.url, s.headers, 5, samples=samples)  # a trainer's retry of step 5
        assert retry["replayed"] and retry["alerts"] == answers[5]["alerts"]
        assert alert_count(s.url, s.headers) == count  # a replay is not a new alert


def test_restart_mid_stream_gives_the_alerts_of_an_uninterrupted_run(tmp_path: Path) -> None:
    expected = uninterrupted()
    assert [[a["step"] for a in step] for step in expected if step] == [[5], [8], [11]]
    state = str(tmp_path / "state.db")
    section = tmp_path / "monitor.yaml"
    section.write_text(yaml.safe_dump(MONITOR), encoding="utf-8")
    args = ("--workers", "0", "--state", state, "--monitor", str(section))
    token = {"REWARDKIT_TOKEN": "monitor-token-0123456789"}
    headers = {"Authorization": "Bearer monitor-token-0123456789"}
    first = cli_server(tmp_path, LADDER, *args, env=token)
    try:  # stopped at step 4, inside the warm-up: a monitor started afresh would not fire at 5
        got = [observe(first.url, headers, step)["alerts"] for step in range(5)]
    finally:
        first.stop()
    second = cli_server(tmp_path, LADDER, *args, env=token)
    try:
        got += [observe(second.url, headers, step)["alerts"] for step in range(5, STEPS)]
        count = alert_count(second.url, headers)
    finally:
        second.stop()
    assert got == expected
    assert count == 'rewardkit_monitor_alerts_total{detector="proxy_divergence"} 3.0'


def test_a_state_file_of_another_monitor_config_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    first = ProgramState(RewardProgram.from_dict(LADDER), StateStore(state), Monitor(MONITOR))
    first.observe(0, metrics(0))
    first.store.close()
    other = Monitor({**MONITOR, "on_alert": "stop"})
    with pytest.raises(ConfigError, match="another monitor config"):
        ProgramState(RewardProgram.from_dict(LADDER), StateStore(state), other)
    # The same file served without a monitor, or with the same one, starts.
    ProgramState(RewardProgram.from_dict(LADDER), StateStore(state)).store.close()
    again = ProgramState(RewardProgram.from_dict(LADDER), StateStore(state), Monitor(MONITOR))
    assert again.monitor is not None and again.monitor.seen == 1


def test_samples_of_uneven_length_are_422() -> None:
    with thread_server(monitor=MONITOR) as s:
        body = {
            "step": 0,
            "metrics": metrics(0),
            "samples": {"completions": ["a", "b"], "groups": ["g"], "rewards": [1.0, 0.0]},
        }
        r = httpx.post(f"{s.url}/v1/observe", headers=s.headers, json=body)
        assert r.status_code == 422
        assert "2 completions, but groups has 1" in r.text


def test_a_bad_monitor_file_stops_serve_at_start(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(LADDER), encoding="utf-8")
    section = tmp_path / "monitor.yaml"
    section.write_text("on_alert: halt\n", encoding="utf-8")
    serve = [sys.executable, "-m", "rewardkit.cli.main", "serve", str(config), "--port", "0"]
    done = subprocess.run(
        [
            *serve,
            "--insecure-no-auth",
            "--state",
            str(tmp_path / "s.db"),
            "--monitor",
            str(section),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 2
    assert "monitor.on_alert" in done.stderr and "'warn' or 'stop'" in done.stderr
