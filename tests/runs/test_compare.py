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


def test_the_default_target_is_one_every_run_reaches(tmp_path: Path) -> None:
    fast = _run(tmp_path / "fast", [0.1, 0.6, 0.7, 0.8])
    slow = _run(tmp_path / "slow", [0.1, 0.2, 0.3, 0.4])
    # mean start 0.1; best smoothed: fast 0.7, slow (0.2+0.3+0.4)/3 = 0.3 -> 0.1 + 0.1 = 0.2
    rows = compare_table([fast, slow], "eval/greedy/success")
    # fast smoothed 0.1, 0.35 -> step 10; slow 0.1, 0.15, 0.2 -> step 20: both reach it
    assert [r["steps_to_target"] for r in rows] == [10, 20]
    # the old fixed 0.5 is out of the slow run's reach
    assert compare_table([fast, slow], "eval/greedy/success", 0.5)[1]["steps_to_target"] is None


def test_start_end_delta_and_its_interval_per_run(tmp_path: Path) -> None:
    summary = {"final_eval": {"eval/greedy/success": 0.6}}
    run = _run(tmp_path / "r", [0.2, 0.3], summary=summary, config={"eval_size": 100})
    row = compare_table([run], "eval/greedy/success", 0.5)[0]
    assert (row["start"], row["end"]) == (0.2, 0.6)  # the end is the final evaluation
    assert row["delta"] == pytest.approx(0.4)
    # 1.96 * sqrt(0.2 * 0.8 / 100 + 0.6 * 0.4 / 100) = 0.124
    assert row["95% CI of delta"] == "+0.276 to +0.524"


def test_the_plot_has_bands_a_target_line_and_the_final_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    made: list[object] = []
    real = plt.subplots

    def capture(*args: object, **kw: object) -> object:
        fig, axes = real(*args, **kw)  # type: ignore[arg-type]
        made.append(axes)
        return fig, axes

    monkeypatch.setattr(plt, "subplots", capture)
    monkeypatch.setattr(plt, "close", lambda fig: None)
    summary = {"final_eval": {"eval/greedy/success": 0.6}}
    run = _run(tmp_path / "r", [0.2, 0.3], summary=summary, config={"eval_size": 100})
    metric = "eval/greedy/success"
    plot_compare([run], tmp_path / "c.png", [metric], target=(metric, 0.25))
    ax = made[0][0, 0]  # type: ignore[index]
    lines = ax.get_lines()
    stars = [line for line in lines if line.get_marker() == "*"]
    assert stars and list(stars[0].get_xdata()) == [2] and list(stars[0].get_ydata()) == [0.6]
    assert any(list(line.get_ydata()) == [0.25, 0.25] for line in lines)  # the target line
    assert ax.collections  # the Wilson band
    assert ax.get_ylabel() == "share of held-out problems (0-1)" and ax.get_ylim()[1] > 1.0
