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
    assert "eval/greedy/success" in steps[0] and "iou_threshold=" in steps[0]
    text = log.read_text()
    assert "Warning" not in text and "deprecated" not in text.lower()
    assert "\r" not in text and "\x1b[" not in text  # no bar redraws, no colour codes
