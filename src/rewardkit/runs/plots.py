"""The report's PNG curves, each drawn twice: raw, and smoothed by a trailing mean.

Held-out success is drawn with its 95% Wilson interval (from the eval-set size) and the final
evaluation, which runs after the last step, as the curve's last point.

>>> trailing_mean([0.0, 1.0, 0.0, 1.0], 2)
[0.0, 0.5, 0.5, 0.5]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import require
from rewardkit.runs.summary import series, wilson_interval

Rows = Sequence[Mapping[str, Any]]

_NODE_MEAN = re.compile(r"^reward(/[^/]+)*/mean$")
_NODE_ZERO = re.compile(r"^reward(/[^/]+)*/zero_std_frac$")


@dataclass(frozen=True)
class Panel:
    """One figure: the metrics it draws on one scale, the y-axis label with its unit, whether the
    axis is a 0-1 share, whether schedule moves are marked on it, and whether smoothing applies
    (a schedule's steps would read as ramps)."""

    name: str
    title: str
    test: Callable[[str], bool]
    ylabel: str
    share: bool = False
    marks_events: bool = False
    smooths: bool = True


PANELS: list[Panel] = [
    Panel(
        "eval",
        "held-out evaluation",
        lambda k: k.startswith("eval/") and k.rsplit("/", 1)[-1] in ("success", "iou", "parses"),
        "share of held-out problems (0-1)",
        share=True,
        marks_events=True,
    ),
    Panel(
        "rewards",
        "reward per node (batch mean)",
        lambda k: bool(_NODE_MEAN.match(k)),
        "reward (mean over the step's rollouts)",
        marks_events=True,
    ),
    Panel(
        "zero_variance",
        "zero-variance group fraction (no GRPO signal)",
        lambda k: bool(_NODE_ZERO.match(k)) or k == "advantage/zero_frac",
        "fraction of groups (0-1)",
        share=True,
    ),
    Panel(
        "schedule",
        "schedule values",
        lambda k: k.startswith("schedule/"),
        "value of the variable",
        marks_events=True,
        smooths=False,
    ),
    Panel(
        "success",
        "training success",
        lambda k: k == "train/success",
        "fraction of rollouts (0-1)",
        share=True,
    ),
    Panel(
        "kl",
        "KL divergence from the starting model",
        lambda k: k == "train/kl",
        "KL (nats per token)",
    ),
    Panel(
        "entropy",
        "policy entropy (estimate)",
        lambda k: k == "train/entropy_proxy",
        "nats per token",
    ),
    Panel(
        "length",
        "completion length",
        lambda k: k == "train/completion_tokens",
        "tokens per completion",
    ),
    Panel("loss", "policy loss", lambda k: k == "train/loss", "loss (per token)"),
    Panel(
        "grad_norm", "gradient norm before clipping", lambda k: k == "train/grad_norm", "L2 norm"
    ),
    Panel(
        "clip_frac",
        "PPO clip fraction",
        lambda k: k == "train/clip_frac",
        "fraction of tokens (0-1)",
        share=True,
    ),
    Panel("timing", "seconds per phase", lambda k: k.startswith("time/"), "seconds"),
]
"""One scale per panel: quantities with different units (loss, gradient norm, clip fraction,
success) each get their own."""

STYLES = ("-", "--", "-.", ":")
"""Line styles cycled over a panel's series, so one drawn over another stays visible."""


def trailing_mean(values: Sequence[float], width: int) -> list[float]:
    """The mean of each value and the ``width - 1`` before it (fewer at the start)."""
    out = []
    for i in range(len(values)):
        window = values[max(0, i - width + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def smoothing_width(points: int) -> int:
    """About a fifteenth of the curve, at least 2 points (3 evaluations of 15 -> width 2)."""
    return max(2, round(points / 15))


def y_limits(values: Sequence[float], share: bool = False) -> tuple[float, float]:
    """The y-axis range: 0-1 for a share; else the data's range, widened to at least a quarter
    of its magnitude, so that 9.9 to 10.1 tokens does not fill the axis with noise.

    >>> [round(x, 2) for x in y_limits([9.9, 10.1])]
    [8.61, 11.39]
    >>> y_limits([0.2, 0.4], share=True)
    (-0.03, 1.03)
    """
    if share:
        return (-0.03, 1.03)
    finite = [v for v in values if v == v]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)
    least = max(abs(lo), abs(hi)) * 0.25 or 1.0
    if hi - lo < least:
        centre = (hi + lo) / 2
        lo, hi = centre - least / 2, centre + least / 2
        if min(finite) >= 0 > lo:  # a quantity that is never negative keeps its axis at 0
            lo, hi = 0.0, max(hi - lo, max(finite))
    pad = 0.05 * (hi - lo)
    return (lo - pad, hi + pad)


def panel_keys(rows: Rows, panel: Panel) -> list[str]:
    """The metric names in ``rows`` that ``panel`` draws, sorted."""
    return sorted({key for row in rows for key in row if panel.test(key)})


def plot_panel(
    rows: Rows,
    keys: Sequence[str],
    title: str,
    path: Path,
    events: Rows = (),
    smooth: bool = False,
    final: Mapping[str, Any] | None = None,
    eval_size: int | None = None,
    ylabel: str = "",
    share: bool = False,
) -> None:
    """One PNG with every key's series against the step (schedule moves as vertical lines).

    ``smooth``: each series as its trailing mean, with the raw values faint behind it.
    ``final`` (``{"step": s, key: value, ...}``) appends the final evaluation to its keys'
    curves (a star); with ``eval_size``, each ``success`` curve gets its 95% Wilson band.
    """
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8.4, 3.6), dpi=100)
    drawn: list[float] = []
    for i, key in enumerate(keys):
        steps, values = series(rows, key)
        if final is not None and isinstance(final.get(key), int | float):
            steps, values = [*steps, int(final["step"])], [*values, float(final[key])]
        if not steps:
            continue
        shown = trailing_mean(values, smoothing_width(len(values))) if smooth else values
        style = STYLES[i % len(STYLES)]
        marker = "." if len(steps) < 40 else None
        (line,) = ax.plot(steps, shown, label=key, linewidth=1.6, linestyle=style, marker=marker)
        if smooth:
            ax.plot(steps, values, color=line.get_color(), linewidth=0.8, alpha=0.25)
        drawn += values
        if eval_size and key.endswith("/success"):
            bands = [wilson_interval(v * eval_size, eval_size) for v in values]
            low, high = [b[0] for b in bands], [b[1] for b in bands]
            ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.12, linewidth=0)
        if final is not None and key in final:
            ax.plot(steps[-1], values[-1], marker="*", markersize=11, color=line.get_color())
    for event in events:
        ax.axvline(int(event["step"]), color="grey", linestyle=":", linewidth=0.8)
    ax.set_ylim(*y_limits(drawn, share))
    ax.set_title(title + (" (smoothed; raw values faint)" if smooth else ""))
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    if keys:  # beside the axes, never over a line
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
