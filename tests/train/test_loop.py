"""End to end: a 2-step run of every task, and a run killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.train import TrainConfig
from rewardkit.train.loop import train
from rewardkit.train.runlog import read_jsonl

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


@pytest.mark.parametrize("task", ["boxes", "countdown", "chain", "workflow"])
def test_two_steps_of_every_task(task: str, tiny: Callable[..., dict[str, Any]]) -> None:
    result = train(TrainConfig(**tiny(task=task, max_new_tokens=12 if task != "workflow" else 24)))
    run = result.run_dir
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1]
    assert "reward/mean" in rows[0] and "reward/zero_std_frac" in rows[0]
    assert "eval/greedy/success" in rows[0] and "time/step" in rows[0]
    assert (run / "config.json").exists() and (run / "summary.json").exists()
    assert (run / "checkpoints" / "step-000002" / "model" / "config.json").exists()
    assert result.summary["steps"] == 2


def _ladder_program() -> dict[str, Any]:
    # Raises whenever its 2-step window is full, so schedule events happen within a short run.
    return {
        "reward": {"fn": "iou_hit", "threshold": "${t}"},
        "schedules": {
            "t": {
                "ladder": [0.0, 0.1, 0.2, 0.3],
                "watch": "reward/mean",
                "window": 2,
                "raise_when": {"mean_at_least": 0.0},
                "refresh": "full",
            }
        },
    }


def _comparable(run: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [
        {k: v for k, v in r.items() if not k.startswith("time/")}
        for r in read_jsonl(run / "metrics.jsonl")
    ]
    return rows, read_jsonl(run / "events.jsonl")


def test_sigkill_then_resume_matches_an_uninterrupted_run(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    options = tiny(steps=7, checkpoint_every=3, eval_every=2, program=_ladder_program())
    whole = train(TrainConfig(**{**options, "run_name": "whole"})).run_dir

    killed = {**options, "run_name": "killed"}
    env = {**os.environ, "PYTHONPATH": str(SRC), "KILL_AT": "4"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "resume_worker.py"), json.dumps(killed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    run = Path(options["out_dir"]) / "killed"
    assert [r["step"] for r in read_jsonl(run / "metrics.jsonl")] == [0, 1, 2, 3, 4]

    resumed = train(resume=run)
    assert resumed.run_dir == run
    rows, events = _comparable(run)
    whole_rows, whole_events = _comparable(whole)
    assert [r["step"] for r in rows] == list(range(7))
    assert events and events == whole_events
    assert rows == whole_rows
    assert (
        resumed.summary["final_eval"]
        == json.loads((whole / "summary.json").read_text())["final_eval"]
    )
