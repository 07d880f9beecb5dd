"""What a training run leaves in its run folder: samples.jsonl and report.html, also when stopped.

The report itself is tested on hand-made run folders in ``tests/runs/test_report.py``; these
tests train the tiny model and read what the trainer wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from rewardkit.runs.report import build_report


def test_a_tiny_run_saves_answers_and_reports_them(tiny: Any) -> None:
    from rewardkit.runs.runlog import read_jsonl
    from rewardkit.train import TrainConfig
    from rewardkit.train.loop import train

    run = train(TrainConfig(**tiny(plots=True, eval_size=3))).run_dir
    records = read_jsonl(run / "samples.jsonl")
    # evaluations at steps 0 and 1, and the final one after step 1; greedy and sampled, 3 each
    assert sorted({(r["step"], r["mode"]) for r in records}) == [
        (s, m) for s in (0, 1, 2) for m in ("greedy", "sampled")
    ]
    assert len(records) == 18
    first = records[0]
    assert {"reward", "reward/format", "reward/hit", "reward/quality"} <= set(first["nodes"])
    assert first["reward"] == first["nodes"]["reward"] and set(first["judge"]) == {"iou", "success"}
    text = (run / "report.html").read_text()
    assert "Held-out greedy success went from" in text and "at step 2</b>" in text
    assert "<summary>step 2</summary>" in text


def test_report_of_a_run_stopped_mid_way(tiny: Any) -> None:
    """A run stopped after its 2nd of 4 steps (as by Ctrl-C) has no summary.json; its report's
    summary is built from the logs, and the KL panel says why it is empty (kl_beta 0)."""
    from rewardkit.train import TrainConfig
    from rewardkit.train.loop import train

    def stop(step: int, metrics: dict[str, float]) -> None:
        if step == 1:
            raise KeyboardInterrupt

    config = TrainConfig(**tiny(steps=4, eval_every=1, eval_size=3))
    with pytest.raises(KeyboardInterrupt):
        train(config, on_step=stop)
    (run,) = (Path(config.out_dir)).iterdir()
    assert not (run / "summary.json").exists()
    text = build_report(run).read_text()
    summary = text.split("<h2>Summary</h2>")[1].split("<h2>")[0]
    assert "interrupted after 2 of 4 steps (no final evaluation)" in summary
    assert "<th>steps</th><td>2</td>" in summary and "<th>last_eval_step</th><td>1</td>" in summary
    assert "at step 1</b>" in text  # the headline ends at the last evaluation logged
    assert "not measured in this run" in text
