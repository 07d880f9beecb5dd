"""report.html: one self-contained file with a headline, defined metrics, curves and answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from rewardkit.runs.report import build_report


def fake_run(path: Path, samples: bool = False, finished: bool = True) -> Path:
    """A 4-step run folder: evals at steps 0 (0.2) and 2 (0.3) on 50 problems; final eval 0.6."""
    path.mkdir()
    rows: list[dict[str, Any]] = [
        {
            "step": s,
            "reward/mean": 0.1 * s,
            "reward/hit/mean": 0.1 * s,
            "reward/zero_std_frac": 0.5,
            "schedule/iou_threshold": 0.3 if s < 2 else 0.45,
            "train/loss": 0.0,
            "train/kl": 0.01 * s,
            "train/entropy_proxy": 1.0 - 0.1 * s,
            "train/completion_tokens": 9.0 + s,
            "time/step": 0.1,
        }
        for s in range(4)
    ]
    rows[0]["eval/greedy/success"], rows[2]["eval/greedy/success"] = 0.2, 0.3
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    event = {"step": 1, "source": "iou_threshold", "kind": "raise", "old": 0.3, "new": 0.45}
    (path / "events.jsonl").write_text(json.dumps(event) + "\n")
    (path / "config.json").write_text(json.dumps({"task": "boxes", "eval_size": 50, "steps": 10}))
    if finished:
        summary = {"steps": 4, "reward/mean": 0.15, "final_eval": {"eval/greedy/success": 0.6}}
        (path / "summary.json").write_text(json.dumps(summary))
    if samples:
        record = {
            "step": 0,
            "mode": "greedy",
            "problem": 0,
            "prompt": "..B.\nfind B:",
            "reference": [2, 0, 3, 1],
            "completion": "[2,0,3,1]<x>",
            "judge": {"iou": 1.0, "success": 1.0},
            "reward": 1.25,
            "nodes": {"reward": 1.25, "reward/format": 1.0, "reward/hit": 0.25},
            "error": None,
        }
        lines = [record, {**record, "step": 4, "completion": "[0,0,1,1]", "reward": 0.0}]
        (path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def test_plots_and_self_contained_html(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    text = build_report(run).read_text()
    for name in ("rewards", "zero_variance", "schedule", "eval", "timing", "kl", "entropy"):
        assert (run / "plots" / f"{name}.png").exists()
        assert (run / "plots" / f"{name}-smooth.png").exists()  # the smoothing toggle's twin
    assert (run / "plots" / "length.png").exists()
    assert text.count("data:image/png;base64,") == 2 * 9
    assert "iou_threshold" in text and "raise" in text
    assert "src='plots/" not in text  # nothing outside the file is referenced
    assert "id='smooth' checked" in text and "classList.toggle('smooth'" in text
    assert "<body class='smooth'>" in text  # smoothed curves by default
    # the events table in words, not a Python dict
    assert "iou_threshold raised from 0.3 to 0.45" in text and "{&#x27;" not in text
    # a schedule's steps are not smoothed into ramps: its twin is the same picture
    schedule = run / "plots" / "schedule.png"
    assert schedule.read_bytes() == (run / "plots" / "schedule-smooth.png").read_bytes()
    assert (run / "plots" / "rewards.png").read_bytes() != (
        run / "plots" / "rewards-smooth.png"
    ).read_bytes()


def test_headline_with_intervals_and_a_verdict(tmp_path: Path) -> None:
    # 10/50 -> 30/50 (the final evaluation at step 4). Wilson 95% of 10/50: 11.2%-33.0%;
    # of 30/50: 46.2%-72.4%. Pooled z = 0.4 / sqrt(0.4 * 0.6 * 2/50) = 4.08.
    text = build_report(fake_run(tmp_path / "run")).read_text()
    line = re.search(r"<p id='headline'>(.*?)</p>", text)
    assert line is not None
    assert "from 20.0% (95% CI 11.2%–33.0%) at step 0" in line[1]
    assert "to 60.0% (46.2%–72.4%) at step 4" in line[1]
    assert "+40.0 points" in line[1] and "z = 4.08" in line[1]
    assert "larger than the noise" in line[1] and "got better" in line[1]


def test_every_metric_on_the_page_is_defined(tmp_path: Path) -> None:
    text = build_report(fake_run(tmp_path / "run")).read_text()
    definitions = text.split("id='definitions'")[1]
    for key in ("reward/zero_std_frac", "train/kl", "train/entropy_proxy", "time/step"):
        assert f"<code>{key}</code>" in definitions
    assert "no learning signal" in definitions  # zero_std_frac says what it means
    assert "logged by the trainer or a component" not in text  # nothing left undefined


def test_final_evaluation_is_on_the_curve(tmp_path: Path) -> None:
    from rewardkit.runs import plots

    drawn: list[tuple[list[int], list[float]]] = []
    original = plots.series

    def spy(rows: Any, key: str) -> tuple[list[int], list[float]]:
        out = original(rows, key)
        if key == "eval/greedy/success":
            drawn.append(out)
        return out

    plots.series = spy  # type: ignore[assignment]
    try:
        run = fake_run(tmp_path / "run")
        final = {"step": 4, "eval/greedy/success": 0.6}
        keys = ["eval/greedy/success"]
        rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        plots.plot_panel(rows, keys, "eval", tmp_path / "e.png", final=final, eval_size=50)
    finally:
        plots.series = original  # type: ignore[assignment]
    assert drawn == [([0, 2], [0.2, 0.3])] and (tmp_path / "e.png").stat().st_size > 5000


def test_answers_with_reward_per_node(tmp_path: Path) -> None:
    text = build_report(fake_run(tmp_path / "run", samples=True)).read_text()
    section = text.split("Answers at each evaluation")[1]
    assert "<summary>step 0</summary>" in section and "<summary>step 4</summary>" in section
    assert "<th>reward/hit</th>" in section and "<td>0.25</td>" in section
    assert "&#x27;[2,0,3,1]&lt;x&gt;&#x27;" in section  # the completion, escaped


def test_interrupted_run_has_a_filled_summary(tmp_path: Path) -> None:
    text = build_report(fake_run(tmp_path / "run", finished=False)).read_text()
    summary = text.split("<h2>Summary</h2>")[1].split("<h2>")[0]
    assert "interrupted after 4 of 10 steps" in summary
    assert "<th>steps</th><td>4</td>" in summary and "<th>last_eval_step</th><td>2</td>" in summary
    assert "last_eval.eval/greedy/success" in summary
    assert "to 30.0%" in text and "at step 2" in text  # the headline uses the last evaluation
