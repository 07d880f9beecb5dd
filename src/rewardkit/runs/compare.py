"""Compare runs: overlay their curves and tabulate steps-to-target and final values.

Numbers mean what they mean elsewhere: "final" is the run summary's final value (the final
evaluation of ``summary.json`` for an ``eval/`` metric, else the mean of the last 10 logged
steps), and steps-to-target is the first step whose trailing 3-point mean reaches the target,
the smoothing the benchmarks use (one lucky evaluation is not a milestone).

>>> import tempfile, json, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "metrics.jsonl").write_text(json.dumps({"step": 0, "reward/mean": 0.2}) + "\\n")
>>> compare_table([d], "reward/mean", 0.1)[0]["steps_to_target"]
0
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.config import read_utf8
from rewardkit.errors import InputError, did_you_mean, require
from rewardkit.runs.summary import head_mean, series, tail_mean

DEFAULT_CURVES = ("reward/mean", "eval/greedy/success", "reward/zero_std_frac")
SMOOTH_WIDTH = 3


def smoothed(values: Sequence[float], width: int = SMOOTH_WIDTH) -> list[float]:
    """Trailing moving average over ``width`` points (fewer at the start).

    >>> smoothed([0.0, 1.0, 0.5, 0.0])
    [0.0, 0.5, 0.5, 0.5]
    """
    out = []
    for i in range(len(values)):
        window = values[max(0, i - width + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def smoothed_steps_to_target(
    rows: Sequence[Mapping[str, Any]], key: str, target: float, width: int = SMOOTH_WIDTH
) -> int | None:
    """The first step whose smoothed ``key`` reaches ``target`` (None: never); the lone 0.9
    below smooths to 0.45 and does not count.

    >>> rows = [{"step": s, "m": v} for s, v in [(0, 0.0), (10, 0.9), (20, 0.3), (30, 0.6)]]
    >>> smoothed_steps_to_target(rows, "m", 0.5)
    30
    """
    steps, values = series(rows, key)
    for step, value in zip(steps, smoothed(values, width), strict=True):
        if value >= target:
            return step
    return None


def run_label(run: Path) -> str:
    """The run's ``name`` (``--name`` or ``name:`` in its config), else its folder's name."""
    config = _json(run / "config.json")
    name = config.get("name")
    return str(name) if name else run.name


def read_metrics(run: Path) -> list[dict[str, Any]]:
    """The rows of a run's ``metrics.jsonl`` (InputError naming the file and line when damaged).

    A last line cut short by a crash is dropped, as the trainer itself drops it on resume.
    """
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        raise InputError(f"{str(run)!r} has no metrics.jsonl; is it a run folder?")
    lines = read_utf8(path, "metrics file").splitlines()
    rows = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if lineno == len(lines):
                break
            raise InputError(f"{path}:{lineno}: not a JSON line") from None
        if not isinstance(row, dict) or not isinstance(row.get("step"), int):
            raise InputError(f"{path}:{lineno}: each line needs an integer 'step'")
        rows.append(row)
    if not rows:
        raise InputError(f"{path} is empty: the run logged no step")
    return rows


def compare_table(runs: Sequence[Path], metric: str, target: float) -> list[dict[str, Any]]:
    """One row per run: steps logged, first step with smoothed ``metric >= target``, finals."""
    logged = [read_metrics(Path(run)) for run in runs]
    known = {k for rows in logged for row in rows for k in row if k != "step"}
    if metric not in known:
        hint = did_you_mean(metric, known)
        raise InputError(
            f"--metric {metric!r} is not logged by these runs"
            + (f" (did you mean {hint}?)" if hint else "")
            + f"; they log e.g. {', '.join(repr(k) for k in sorted(known)[:8])}"
        )
    out = []
    for run, rows in zip(runs, logged, strict=True):
        summary = _json(Path(run) / "summary.json")
        out.append(
            {
                "run": run_label(Path(run)),
                "steps": len(rows),
                "steps_to_target": smoothed_steps_to_target(rows, metric, target),
                f"final {metric}": final_value(rows, summary, metric),
                "final reward/mean": final_value(rows, summary, "reward/mean"),
                "zero_std_frac@first50": head_mean(rows, "reward/zero_std_frac"),
            }
        )
    return out


def final_value(
    rows: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], key: str
) -> float | None:
    """The run summary's final value of ``key``.

    An ``eval/`` metric: the final evaluation after the last step (None when the run stopped
    before it); any other metric: the mean of its last 10 logged steps.
    """
    if key.startswith("eval/"):
        value = summary.get("final_eval", {}).get(key)
        return float(value) if isinstance(value, (int, float)) else None
    return tail_mean(rows, key)


def _json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def plot_compare(runs: Sequence[Path], path: Path, curves: Sequence[str] = DEFAULT_CURVES) -> Path:
    """Overlay each curve of every run, one panel per curve, in one PNG (runs by their label)."""
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(curves), 1, figsize=(7, 2.8 * len(curves)), dpi=100, squeeze=False)
    for ax, key in zip(axes[:, 0], curves, strict=True):
        for run in runs:
            steps, values = series(read_metrics(Path(run)), key)
            if steps:
                ax.plot(steps, values, label=run_label(Path(run)), linewidth=1.3)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
