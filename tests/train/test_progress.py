"""Off a terminal, ``rewardkit train`` prints plain lines: the run folder first, the warm start,
then progress every N steps or seconds; and no dependency warning reaches the user."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardkit.train.progress import PlainProgress


def test_a_line_every_n_steps_or_seconds() -> None:
    lines: list[str] = []
    now = [0.0]
    p = PlainProgress(
        total=100, every_steps=10, every_s=5.0, write=lines.append, clock=lambda: now[0]
    )
    for step in range(25):
        now[0] = 0.1 * step if step < 12 else 0.1 * 11 + 6.0 * (step - 11)  # slow after step 11
        p.step(step, {"reward/mean": 0.5})
    # step 9 (10 steps in), then every step from 12 on is 6 s after the one before
    shown = [int(line.split()[2].split("/")[0]) for line in lines]
    assert shown[:3] == [10, 13, 14] and shown[-1] == 25 and len(lines) == 14
    p.step(99, {"reward/mean": 0.5})
    assert lines[-1].startswith("[rewardkit] step 100/100  reward 0.500")


@pytest.mark.process
def test_train_to_a_log_file(tiny: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    warm = {"steps": 50, "batch": 2, "cache_dir": str(tmp_path / "warm")}  # not cached yet
    config.write_text(yaml.safe_dump(tiny(steps=3, eval_every=2, warm_start=warm)))
    log = tmp_path / "train.log"
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "default"}
    with log.open("w") as out:
        subprocess.run(
            [sys.executable, "-m", "rewardkit.cli.main", "train", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            check=True,
            timeout=120,
        )
    lines = log.read_text().splitlines()
    assert lines[0].startswith("[rewardkit] run folder: ") and str(tmp_path) in lines[0]
    assert lines[1].startswith("[rewardkit] warm start: building the tiny model")
    assert lines[2].startswith("[rewardkit] warm start 50/50 (loss ")
    steps = [line for line in lines if line.startswith("[rewardkit] step ")]
    assert [s.split()[2] for s in steps] == ["1/3", "2/3", "3/3"]  # every step: 3 // 10 -> 1
    assert "left)" in steps[0] and steps[-1].endswith(" s)")  # the time left, none at the end
    assert any(line.startswith("[rewardkit] evaluating 4 problems at step 0") for line in lines)
    assert "eval/greedy/success" in steps[0] and "iou_threshold=" in steps[0]
    text = log.read_text()
    assert "Warning" not in text and "deprecated" not in text.lower()
    assert "\r" not in text and "\x1b[" not in text  # no bar redraws, no colour codes


def test_a_long_run_in_a_log_is_a_line_a_minute_at_most_and_never_silent_longer() -> None:
    lines: list[str] = []
    times: list[float] = []
    now = [0.0]

    def write(line: str) -> None:
        lines.append(line)
        times.append(now[0])

    p = PlainProgress(total=20_000, write=write, clock=lambda: now[0])
    for step in range(20_000):  # 5.5 h of 1 s steps, a 10-minute evaluation every 5000
        now[0] += 1.0 + (600.0 if step % 5000 == 0 else 0.0)
        for _ in range(10):  # activity (an evaluation's, the warm start's), several a second
            p.activity("evaluating 256 problems at step 0: 50% (5 min, about 5 min left)")
        p.step(step, {"reward/mean": 0.5})
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    # A line a minute; longer only across the 4 jumps of this clock (the evaluations).
    assert sorted(gaps)[-5] <= 60 and max(gaps) <= 60 + 601
    assert len(lines) <= now[0] / 60 + 12  # about one a minute, not one a step
    steps = [line for line in lines if line.startswith("[rewardkit] step ")]
    assert "about 4 h 26 min left)" in steps[1], steps[1]
    assert steps[-1].startswith("[rewardkit] step 20000/20000") and "left" not in steps[-1]


def test_activity_is_a_line_when_a_minute_has_passed() -> None:
    lines: list[str] = []
    now = [0.0]
    p = PlainProgress(total=10, write=lines.append, clock=lambda: now[0])
    for second in range(600):
        now[0] = float(second)
        p.activity(f"warm start {second}/600")
    assert [line.split()[3] for line in lines] == [f"{s}/600" for s in range(60, 600, 60)]
