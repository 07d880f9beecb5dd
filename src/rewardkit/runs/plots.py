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
    """One figure: the metrics it draws, whether schedule moves are marked on it, and whether
    smoothing applies (a schedule's steps would read as ramps)."""

    name: str
    title: str
    test: Callable[[str], bool]
    marks_events: bool = False
    smooths: bool = True


PANELS: list[Panel] = [
    Panel("eval", "held-out evaluation", lambda k: k.startswith("eval/"), True),
    Panel("rewards", "reward per node (batch mean)", lambda k: bool(_NODE_MEAN.match(k)), True),
    Panel(
        "zero_variance",
        "zero-variance group fraction (no GRPO signal)",
        lambda k: bool(_NODE_ZERO.match(k)) or k == "advantage/zero_frac",
    ),
    Panel("schedule", "schedule values", lambda k: k.startswith("schedule/"), True, False),
    Panel("kl", "KL divergence from the starting model", lambda k: k == "train/kl"),
    Panel("entropy", "policy entropy (estimate)", lambda k: k == "train/entropy_proxy"),
    Panel("length", "completion length (tokens)", lambda k: k == "train/completion_tokens"),
    Panel(
        "training",
        "policy loss and training signals",
        lambda k: k in ("train/loss", "train/grad_norm", "train/clip_frac", "train/success"),
    ),
    Panel("timing", "seconds per phase", lambda k: k.startswith("time/")),
]


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
) -> None:
    """One PNG with every key's series against the step (schedule moves as vertical lines).

    ``final`` (``{"step": s, key: value, ...}``) appends the final evaluation to its keys'
    curves; with ``eval_size``, each ``success`` curve gets its 95% Wilson band.
    """
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    for key in keys:
        steps, values = series(rows, key)
        if final is not None and isinstance(final.get(key), int | float):
            steps, values = [*steps, int(final["step"])], [*values, float(final[key])]
        if not steps:
            continue
        shown = trailing_mean(values, smoothing_width(len(values))) if smooth else values
        (line,) = ax.plot(
            steps, shown, label=key, linewidth=1.4, marker="." if len(steps) < 40 else None
        )
        if eval_size and key.endswith("/success") and not smooth:
            bands = [wilson_interval(v * eval_size, eval_size) for v in values]
            low, high = [b[0] for b in bands], [b[1] for b in bands]
            ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
        if final is not None and key in final:
            ax.plot(steps[-1], shown[-1], marker="*", markersize=11, color=line.get_color())
    for event in events:
        ax.axvline(int(event["step"]), color="grey", linestyle=":", linewidth=0.8)
    ax.set_title(title + (" (smoothed)" if smooth else ""))
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if keys:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
