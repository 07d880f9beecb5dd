"""Comparing runs: steps to target (smoothed as the benchmarks do), final values, labels, plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.errors import InputError
from rewardkit.runs.compare import compare_table, plot_compare, smoothed


def _run(path: Path, values: list[float], **files: object) -> Path:
    path.mkdir()
    rows = [
        {"step": i * 10, "eval/greedy/success": v, "reward/mean": v} for i, v in enumerate(values)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name, body in files.items():
        (path / f"{name}.json").write_text(json.dumps(body))
    return path


def test_smoothing_is_a_trailing_mean_of_three() -> None:
    assert smoothed([0.1, 0.6, 0.7, 0.8]) == pytest.approx([0.1, 0.35, 0.4666667, 0.7])


def test_table_and_plot(tmp_path: Path) -> None:
    summary = {"final_eval": {"eval/greedy/success": 0.75}}
    fast = _run(tmp_path / "fast", [0.1, 0.6, 0.7, 0.8], summary=summary)
    slow = _run(tmp_path / "slow", [0.1, 0.9, 0.2, 0.3], config={"name": "lucky once"})
    rows = compare_table([fast, slow], "eval/greedy/success", 0.5)
    # fast: smoothed 0.1, 0.35, 0.467, 0.7 -> step 30; slow: (0.1 + 0.9) / 2 = 0.5 at step 10
    assert [(r["run"], r["steps_to_target"]) for r in rows] == [("fast", 30), ("lucky once", 10)]
    # final eval = summary.json's final evaluation; none when the run never finished
    assert rows[0]["final eval/greedy/success"] == 0.75
    assert rows[1]["final eval/greedy/success"] is None
    # final reward/mean = mean of the last 10 steps, as in the run summary
    assert rows[0]["final reward/mean"] == pytest.approx((0.1 + 0.6 + 0.7 + 0.8) / 4)
    pytest.importorskip("matplotlib")
    assert plot_compare([fast, slow], tmp_path / "c.png").exists()


def test_unknown_metric_suggests_the_close_one(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", [0.1])
    with pytest.raises(InputError, match=r"did you mean 'eval/greedy/success'"):
        compare_table([run], "eval/greedy/sucess", 0.5)


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run folder"):
        compare_table([tmp_path], "reward/mean", 0.5)
