"""The report's curves as a person reads them: one scale and a labelled y-axis per panel,
sensible limits, smoothed lines with the raw values faint, no line hidden under another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rewardkit.runs.plots import PANELS, panel_keys, y_limits

matplotlib = pytest.importorskip("matplotlib")


def test_quantities_of_different_units_never_share_a_panel() -> None:
    row = {k: 0.0 for k in ("train/loss", "train/grad_norm", "train/clip_frac", "train/success")}
    holders = [[p.name for p in PANELS if p.test(k)] for k in row]
    assert [len(h) for h in holders] == [1, 1, 1, 1]
    assert len({h[0] for h in holders}) == 4
    assert all(p.ylabel for p in PANELS)
    assert panel_keys([{"step": 0, "eval/greedy/success": 0.1, "eval/greedy/iou": 0.2}], PANELS[0])


def test_limits_do_not_magnify_noise_and_shares_span_zero_to_one() -> None:
    lo, hi = y_limits([9.9, 10.0, 10.1])
    assert hi - lo > 2.5  # at least a quarter of 10, not the 0.2 the data spans
    assert y_limits([0.31, 0.33], share=True) == (-0.03, 1.03)
    lo, hi = y_limits([0.0, 0.001])
    assert lo < 0 < 0.001 < hi and lo > -0.01
    lo, hi = y_limits([-1.0, 4.0])  # a wide range stays the data's, padded 5%
    assert (round(lo, 2), round(hi, 2)) == (-1.25, 4.25)


def _drawn(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Any:
    import matplotlib.pyplot as plt

    from rewardkit.runs import plots

    made: list[Any] = []
    real = plt.subplots

    def capture(*args: Any, **kw: Any) -> Any:
        fig, ax = real(*args, **kw)
        made.append(ax)
        return fig, ax

    monkeypatch.setattr(plt, "subplots", capture)
    monkeypatch.setattr(plt, "close", lambda fig: None)
    rows = [
        {"step": s, "reward/mean": 0.5, "reward/hit/mean": 0.5 + 0.01 * (s % 2)} for s in range(30)
    ]
    plots.plot_panel(
        rows, ["reward/hit/mean", "reward/mean"], "rewards", kwargs.pop("path"), **kwargs
    )
    return made[0]


def test_smoothed_with_the_raw_faint_and_overlapping_lines_distinct(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ax = _drawn(monkeypatch, path=tmp_path / "r.png", smooth=True, ylabel="reward")
    lines = ax.get_lines()
    assert len(lines) == 4  # two smoothed, two raw
    faint = [line for line in lines if (line.get_alpha() or 1.0) < 0.5]
    assert len(faint) == 2
    bold = [line for line in lines if line not in faint]
    # the two series nearly coincide: different dash patterns keep both visible
    assert bold[0].get_linestyle() != bold[1].get_linestyle()
    assert ax.get_ylabel() == "reward"
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
