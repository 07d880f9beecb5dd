"""The monitor in the built-in trainer: alerts in events.jsonl, ``stop`` checkpoints and resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from rewardkit.monitor import DETECTORS, Detector, DetectorParams, Finding, History, detector
from rewardkit.runs.report import build_report
from rewardkit.runs.runlog import read_jsonl
from rewardkit.train import TrainConfig
from rewardkit.train.checkpoint import read_state
from rewardkit.train.loop import train

TRAIN_TESTS = Path(__file__).parents[1] / "train"
SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
def fires_at_one() -> Iterator[None]:
    """A detector that fires at step 1 of any run (the built-in ones need 20 warm-up steps)."""

    @detector("fires_at_one")
    class FiresAtOne(Detector):
        class Params(DetectorParams):
            pass

        def watched(self) -> Sequence[str]:
            return ("reward/mean",)

        def check(self, step: int, history: History) -> Finding | None:
            return Finding("step one", {"step": float(step)}) if step == 1 else None

    yield
    DETECTORS.pop("fires_at_one")


def options(tmp_path: Path, name: str, on_alert: str) -> dict[str, Any]:
    return {
        "task": "countdown",
        "steps": 4,
        "prompts_per_step": 2,
        "group_size": 2,
        "max_new_tokens": 8,
        "eval_every": 0,
        "checkpoint_every": 0,
        "plots": False,
        "tiny": {"layers": 1, "hidden": 32, "heads": 2, "mlp": 64},
        "warm_start": {"steps": 2, "batch": 4, "cache_dir": str(tmp_path / "warm")},
        "out_dir": str(tmp_path / "runs"),
        "run_name": name,
        "monitor": {
            "on_alert": on_alert,
            "only": ["fires_at_one", "proxy_divergence"],
            "detectors": {"fires_at_one": {"warmup": 0}},
        },
    }


def _alerts(run: Path) -> list[tuple[int, str, str]]:
    return [
        (e["step"], e["kind"], e["source"])
        for e in read_jsonl(run / "events.jsonl")
        if e["kind"] in ("alert", "stop")
    ]


def _metrics(run: Path) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if not k.startswith("time/")}
        for r in read_jsonl(run / "metrics.jsonl")
    ]


def test_stop_checkpoints_then_the_run_resumes(tmp_path: Path, fires_at_one: None) -> None:
    warned = train(TrainConfig(**options(tmp_path, "warned", "warn"))).run_dir
    assert _alerts(warned) == [(1, "alert", "fires_at_one")]
    assert "monitor/unverified_share" in _metrics(warned)[0]
    page = build_report(warned).read_text()
    assert "Reward-hacking monitor" in page and "Step 1: fires_at_one" in page

    stopped = train(TrainConfig(**options(tmp_path, "stopped", "stop"))).run_dir
    assert [r["step"] for r in _metrics(stopped)] == [0, 1]
    assert _alerts(stopped) == [(1, "alert", "fires_at_one"), (1, "stop", "monitor")]
    state = read_state(stopped / "checkpoints" / "step-000002")
    assert state.next_step == 2
    assert state.extra["monitor"]["last_alert"] == {"fires_at_one": 1}

    train(resume=stopped)
    # resumed: the same steps, metrics and alerts as the run that only warned (plus the stop).
    assert _metrics(stopped) == _metrics(warned)
    assert _alerts(stopped) == [(1, "alert", "fires_at_one"), (1, "stop", "monitor")]


@pytest.mark.process
def test_a_run_killed_and_resumed_gives_the_same_alerts(tmp_path: Path) -> None:
    # degeneration with max_identical 0 fires whenever its 3-step window is full: steps 2, 4, 6
    # (cooldown 2). The kill lands after step 4, the resume starts from the checkpoint at 3.
    monitor = {
        "only": ["degeneration"],
        "detectors": {
            "degeneration": {"warmup": 0, "window": 3, "cooldown": 2, "max_identical": 0.0}
        },
    }
    base = {**options(tmp_path, "whole", "warn"), "steps": 7, "checkpoint_every": 3}
    base["monitor"] = monitor
    whole = train(TrainConfig(**base)).run_dir
    assert [a[0] for a in _alerts(whole)] == [2, 4, 6]
    killed = {**base, "run_name": "killed"}
    env = {**os.environ, "PYTHONPATH": str(SRC), "KILL_AT": "4"}
    proc = subprocess.run(
        [sys.executable, str(TRAIN_TESTS / "resume_worker.py"), json.dumps(killed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    run = tmp_path / "runs" / "killed"
    train(resume=run)
    assert _alerts(run) == _alerts(whole)
    assert _metrics(run) == _metrics(whole)
