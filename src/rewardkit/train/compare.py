"""Compare runs: overlay their curves and tabulate steps-to-target and final values.

>>> import tempfile, json, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "metrics.jsonl").write_text(json.dumps({"step": 0, "reward/mean": 0.2}) + "\\n")
>>> compare_table([d], "reward/mean", 0.1)[0]["steps_to_target"]
0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.errors import InputError, require
from rewardkit.train.runlog import read_jsonl
from rewardkit.train.summary import head_mean, series, steps_to_target, tail_mean

DEFAULT_CURVES = ("reward/mean", "eval/greedy/success", "reward/zero_std_frac")


def compare_table(runs: Sequence[Path], metric: str, target: float) -> list[dict[str, Any]]:
    """One row per run: steps logged, first step with ``metric >= target``, final values."""
    out = []
    for run in runs:
        rows = read_jsonl(Path(run) / "metrics.jsonl")
        if not rows:
            raise InputError(f"{str(run)!r} has no metrics.jsonl rows; is it a run folder?")
        out.append(
            {
                "run": Path(run).name,
                "steps": len(rows),
                "steps_to_target": steps_to_target(rows, metric, target),
                f"final {metric}": tail_mean(rows, metric, 3),
                "final reward/mean": tail_mean(rows, "reward/mean"),
                "zero_std_frac@first50": head_mean(rows, "reward/zero_std_frac"),
            }
        )
    return out


def plot_compare(runs: Sequence[Path], path: Path, curves: Sequence[str] = DEFAULT_CURVES) -> Path:
    """Overlay each curve of every run, one panel per curve, in one PNG."""
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(curves), 1, figsize=(7, 2.8 * len(curves)), dpi=100, squeeze=False)
    for ax, key in zip(axes[:, 0], curves, strict=True):
        for run in runs:
            steps, values = series(read_jsonl(Path(run) / "metrics.jsonl"), key)
            if steps:
                ax.plot(steps, values, label=Path(run).name, linewidth=1.3)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
