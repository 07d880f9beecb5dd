"""report.html is one self-contained file with the plots embedded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from rewardkit.train.report import build_report


def _fake_run(path: Path) -> Path:
    path.mkdir()
    rows = [
        {
            "step": s,
            "reward/mean": 0.1 * s,
            "reward/hit/mean": 0.1 * s,
            "reward/zero_std_frac": 0.5,
            "schedule/iou_threshold": 0.3 if s < 2 else 0.45,
            "eval/greedy/success": 0.2,
            "train/loss": 0.0,
            "time/step": 0.1,
        }
        for s in range(4)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    event = {"step": 1, "source": "iou_threshold", "kind": "raise", "old": 0.3, "new": 0.45}
    (path / "events.jsonl").write_text(json.dumps(event) + "\n")
    (path / "config.json").write_text(json.dumps({"task": "boxes"}))
    return path


def test_plots_and_self_contained_html(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run")
    report = build_report(run)
    text = report.read_text()
    for name in ("rewards", "zero_variance", "schedule", "eval", "timing"):
        assert (run / "plots" / f"{name}.png").exists()
    assert text.count("data:image/png;base64,") >= 5
    assert "iou_threshold" in text and "raise" in text
    assert "src='plots/" not in text  # nothing outside the file is referenced
