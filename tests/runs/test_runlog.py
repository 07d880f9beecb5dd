"""The run folder's logs: one line per step, events, truncation on resume, cut lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.runs.runlog import RunFolder, open_sink, read_jsonl
from rewardkit.schedule.base import Event


def test_steps_and_events_round_trip(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.log_step(0, {"reward/mean": 0.5, "bad": float("nan")})
    run.log_events(
        0, [Event(0, "iou_threshold", "raise", 0.3, 0.45), {"kind": "error", "path": "x"}]
    )
    rows = read_jsonl(run.metrics_path)
    assert rows == [{"step": 0, "bad": None, "reward/mean": 0.5}]  # NaN is written as null
    events = read_jsonl(run.events_path)
    assert [e["kind"] for e in events] == ["raise", "error"] and events[0]["new"] == 0.45


def test_truncate_keeps_steps_up_to_the_checkpoint(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    for step in range(4):
        run.log_step(step, {"x": float(step)})
        run.log_events(step, [{"kind": "raise"}])
    run.truncate(after_step=1)
    assert [r["step"] for r in read_jsonl(run.metrics_path)] == [0, 1]
    assert [e["step"] for e in read_jsonl(run.events_path)] == [0, 1]


def test_a_line_cut_by_a_crash_ends_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"step": 0}) + "\n" + '{"step": 1, "x"')
    assert read_jsonl(path) == [{"step": 0}]
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_missing_sink_names_its_extra(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    try:
        import wandb  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="wandb"):
            open_sink("wandb", tmp_path)


def test_samples_are_cut_back_on_resume_too(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.log_samples([{"step": 0, "completion": "a"}, {"step": 2, "completion": "b"}])
    run.truncate(after_step=1)
    assert read_jsonl(run.samples_path) == [{"step": 0, "completion": "a"}]
