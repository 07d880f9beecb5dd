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
import math
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


def choose_target(runs: Sequence[Path], metric: str) -> float:
    """A target every run reaches: halfway from the runs' mean first value to the lowest of their
    best smoothed values (so steps-to-target compares how fast, not whether).

    >>> import tempfile, json, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rows = [{"step": s, "m": v} for s, v in enumerate([0.1, 0.3, 0.5, 0.7])]
    >>> _ = (d / "metrics.jsonl").write_text("".join(json.dumps(r) + "\\n" for r in rows))
    >>> round(choose_target([d], "m"), 3)  # best smoothed 0.5, start 0.1
    0.3
    """
    starts, bests = [], []
    for run in runs:
        values = series(read_metrics(Path(run)), metric)[1]
        if values:
            starts.append(values[0])
            bests.append(max(smoothed(values)))
    if not starts:
        return 0.5
    start = sum(starts) / len(starts)
    return start + 0.5 * (min(bests) - start)


def change_row(
    rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    metric: str,
    eval_size: int | None,
) -> dict[str, Any]:
    """Start, end, their difference and its 95% interval, for one run.

    The end of an ``eval/`` metric is the final evaluation (else the last one logged); a share
    measured on ``eval_size`` problems gets the normal interval of a difference of proportions.
    Any other metric compares its first and last 10 logged values (mean +- 1.96 standard errors).
    """
    values = series(rows, metric)[1]
    end = final_value(rows, summary, metric)
    if metric.startswith("eval/") and end is None and values:
        end = values[-1]
    if not values or end is None:
        return {"start": None, "end": None, "delta": None, "95% CI of delta": None}
    start = values[0]
    if metric.startswith("eval/") and eval_size and 0 <= start <= 1 and 0 <= end <= 1:
        var = start * (1 - start) / eval_size + end * (1 - end) / eval_size
    else:
        head, tail = values[:10], values[-10:]
        start = sum(head) / len(head)
        var = _sem2(head) + _sem2(tail)
    delta = end - start
    half = 1.96 * math.sqrt(var)
    return {
        "start": start,
        "end": end,
        "delta": delta,
        "95% CI of delta": f"{delta - half:+.3f} to {delta + half:+.3f}",
    }


def _sem2(values: Sequence[float]) -> float:
    """The squared standard error of a mean (0 for a single value)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1) / n


def compare_table(
    runs: Sequence[Path], metric: str, target: float | None = None
) -> list[dict[str, Any]]:
    """One row per run: steps logged, start, end, delta and its interval, the first step with
    smoothed ``metric >= target`` (``target`` None: ``choose_target``), finals."""
    logged = [read_metrics(Path(run)) for run in runs]
    known = {k for rows in logged for row in rows for k in row if k != "step"}
    if metric not in known:
        hint = did_you_mean(metric, known)
        raise InputError(
            f"--metric {metric!r} is not logged by these runs"
            + (f" (did you mean {hint}?)" if hint else "")
            + f"; they log e.g. {', '.join(repr(k) for k in sorted(known)[:8])}"
        )
    if target is None:
        target = choose_target(runs, metric)
    out = []
    for run, rows in zip(runs, logged, strict=True):
        summary = _json(Path(run) / "summary.json")
        size = _json(Path(run) / "config.json").get("eval_size")
        out.append(
            {
                "run": run_label(Path(run)),
                "steps": len(rows),
                **change_row(rows, summary, metric, size if isinstance(size, int) else None),
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


def plot_compare(
    runs: Sequence[Path],
    path: Path,
    curves: Sequence[str] = DEFAULT_CURVES,
    target: tuple[str, float] | None = None,
) -> Path:
    """Overlay each curve of every run, one panel per curve, in one PNG (runs by their label).

    Each run: its smoothed curve over its raw values (faint), the final evaluation as a star at
    the end of an ``eval/`` curve, a 95% Wilson band around a held-out share; ``target``
    (metric, value): a dashed line on that metric's panel.
    """
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from rewardkit.runs.plots import STYLES, smoothing_width, trailing_mean, y_limits
    from rewardkit.runs.summary import wilson_interval

    fig, axes = plt.subplots(
        len(curves), 1, figsize=(8.4, 3.0 * len(curves)), dpi=100, squeeze=False
    )
    for ax, key in zip(axes[:, 0], curves, strict=True):
        drawn: list[float] = []
        for i, run in enumerate(runs):
            steps, values = series(read_metrics(Path(run)), key)
            final = _json(Path(run) / "summary.json").get("final_eval", {}).get(key)
            if key.startswith("eval/") and isinstance(final, int | float):
                steps = [*steps, len(read_metrics(Path(run)))]
                values = [*values, float(final)]
            if not steps:
                continue
            shown = trailing_mean(values, smoothing_width(len(values)))
            style = STYLES[i % len(STYLES)]
            (line,) = ax.plot(
                steps, shown, label=run_label(Path(run)), linewidth=1.5, linestyle=style
            )
            ax.plot(steps, values, color=line.get_color(), linewidth=0.8, alpha=0.25)
            size = _json(Path(run) / "config.json").get("eval_size")
            if key.startswith("eval/") and key.endswith("/success") and isinstance(size, int):
                band = [wilson_interval(v * size, size) for v in values]
                ax.fill_between(steps, [b[0] for b in band], [b[1] for b in band],
                                color=line.get_color(), alpha=0.12, linewidth=0)  # fmt: skip
            if key.startswith("eval/") and isinstance(final, int | float):
                ax.plot(steps[-1], values[-1], marker="*", markersize=11, color=line.get_color())
            drawn += values
        if target is not None and target[0] == key:
            ax.axhline(
                target[1],
                color="black",
                linestyle="--",
                linewidth=0.9,
                label=f"target {target[1]:.3g}",
            )
            drawn.append(target[1])
        share = key.endswith(("/success", "zero_std_frac", "/parses"))
        ax.set_ylim(*y_limits(drawn, share))
        ax.set_title(
            f"{key} (smoothed; raw values faint"
            + ("; star: final evaluation)" if key.startswith("eval/") else ")")
        )
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
        ax.set_ylabel(_unit(key), fontsize=8)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _unit(key: str) -> str:
    """The y-axis label of a compared metric."""
    if key.startswith("eval/"):
        return "share of held-out problems (0-1)"
    if key.endswith("zero_std_frac"):
        return "fraction of groups (0-1)"
    if key.startswith("reward"):
        return "reward (batch mean)"
    if key.startswith("time/"):
        return "seconds"
    return key.rsplit("/", 1)[-1]
