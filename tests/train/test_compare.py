"""Comparing runs: steps to target, final values, and the overlay plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.errors import InputError
from rewardkit.train.compare import compare_table, plot_compare


def _run(path: Path, values: list[float]) -> Path:
    path.mkdir()
    rows = [
        {"step": i * 10, "eval/greedy/success": v, "reward/mean": v} for i, v in enumerate(values)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_table_and_plot(tmp_path: Path) -> None:
    fast = _run(tmp_path / "fast", [0.1, 0.6, 0.7])
    slow = _run(tmp_path / "slow", [0.1, 0.2, 0.3])
    rows = compare_table([fast, slow], "eval/greedy/success", 0.5)
    assert [(r["run"], r["steps_to_target"]) for r in rows] == [("fast", 10), ("slow", None)]
    assert rows[0]["final eval/greedy/success"] == pytest.approx(0.4666666)  # mean of the last 3
    pytest.importorskip("matplotlib")
    assert plot_compare([fast, slow], tmp_path / "c.png").exists()


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run folder"):
        compare_table([tmp_path], "reward/mean", 0.5)
