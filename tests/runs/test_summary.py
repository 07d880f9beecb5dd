"""Steps to a target, tail and head means, and the run summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rewardkit.runs.summary import head_mean, series, steps_to_target, summarise_run, tail_mean

ROWS: list[dict[str, Any]] = [
    {"step": 0, "m": 0.1, "z": 1.0},
    {"step": 1, "z": 0.5},
    {"step": 2, "m": 0.6, "z": None},
    {"step": 3, "m": 0.4, "z": 0.0},
]


def test_series_skips_missing_and_null() -> None:
    assert series(ROWS, "m") == ([0, 2, 3], [0.1, 0.6, 0.4])
    assert series(ROWS, "z") == ([0, 1, 3], [1.0, 0.5, 0.0])


def test_steps_to_target_and_means() -> None:
    assert steps_to_target(ROWS, "m", 0.5) == 2
    assert steps_to_target(ROWS, "m", 0.9) is None
    assert tail_mean(ROWS, "m", 2) == 0.5  # (0.6 + 0.4) / 2
    assert head_mean(ROWS, "z", 2) == 0.75  # steps 0 and 1


def test_summary_of_a_run_folder(tmp_path: Path) -> None:
    lines = [
        {
            "step": 0,
            "reward/mean": 0.2,
            "time/step": 0.5,
            "next/t": 0.3,
            "reward/zero_std_frac": 1.0,
        },
        {
            "step": 1,
            "reward/mean": 0.4,
            "time/step": 0.3,
            "next/t": 0.45,
            "reward/zero_std_frac": 0.0,
        },
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "events.jsonl").write_text(
        json.dumps({"step": 1, "source": "t", "kind": "raise"}) + "\n"
    )
    summary = summarise_run(tmp_path, {"eval/greedy/success": 0.5}, 2.0)
    assert summary["steps"] == 2 and summary["reward/mean"] == 0.30000000000000004
    assert summary["seconds_per_step"] == 0.4
    assert summary["schedule"] == {"t": 0.45} and summary["events"] == {"t:raise": 1}
    assert summary["reward/zero_std_frac@first50"] == 0.5


def test_read_summary_of_an_interrupted_run(tmp_path: Path) -> None:
    from rewardkit.runs.summary import read_summary

    lines = [
        {"step": 0, "time/step": 0.5, "time/eval": 0.25, "eval/greedy/success": 0.5},
        {"step": 1, "time/step": 0.75},
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "config.json").write_text(json.dumps({"steps": 5}))
    summary = read_summary(tmp_path)
    assert summary["status"] == "interrupted after 2 of 5 steps (no final evaluation)"
    assert summary["wall_s"] == 1.5 and summary["steps"] == 2  # 0.5 + 0.25 + 0.75
    assert summary["last_eval_step"] == 0
    assert summary["last_eval"] == {"eval/greedy/success": 0.5}
    (tmp_path / "summary.json").write_text(json.dumps({"steps": 5}))
    assert read_summary(tmp_path) == {"status": "finished", "steps": 5}


def test_intervals_and_the_difference_test() -> None:
    from rewardkit.runs.summary import two_proportion_test, wilson_interval

    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    low, high = wilson_interval(5, 10)  # symmetric around 0.5: 0.237 .. 0.763
    assert round(low, 3) == 0.237 and round(high, 3) == 0.763
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert two_proportion_test(0.5, 0.5, 10, 10) == (0.0, 1.0)
    assert two_proportion_test(0.0, 0.0, 10, 10) == (0.0, 1.0)  # no variance: no evidence
