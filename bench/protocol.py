"""The learning-benchmark protocol shared by the v2 benchmarks (issue 15): what is measured per run
and per arm, and how the goals are judged. Not part of the library.

Per run (one arm, one seed), from its run folder:

- ``steps_to_target``: the first evaluation step whose smoothed held-out accuracy reaches the
  target (the rule of ``rewardkit compare``); None when it never does;
- ``auc``: the area under the held-out accuracy curve, divided by the steps (the mean accuracy
  over the run, with the final evaluation as the last point);
- ``final`` with its 95% Wilson interval on the eval-set size;
- the mechanism over time, in ``BINS`` equal bins of steps: the zero-variance group fraction of
  the training reward (1 minus it: the informative groups) and the mean absolute advantage.

Per arm: how many seeds reached the target and the median steps of those that did (the others
are listed as not reached, never averaged in as the budget), mean AUC and its spread, the final
accuracy pooled over seeds with its Wilson interval, and the mechanism curves averaged over seeds.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import eval_curve, first_reaching, plot_arms

from rewardkit.runs.runlog import read_jsonl
from rewardkit.runs.summary import read_summary, wilson_interval

BINS = 10


EVAL_SEED = 12345
"""The seed of the one held-out set every arm and seed of a v2 benchmark is evaluated on."""


def run_options(
    name: str, out: Path, arm_options: dict[str, Any], args: Any, max_new_tokens: int
) -> dict[str, Any]:
    """The TrainConfig options of one protocol run: ``arm_options`` (task, program, seed, lr...)
    over what every run shares (``args``: steps, eval_every, eval_size, warm_steps, cache)."""
    return {
        "steps": args.steps,
        "max_new_tokens": max_new_tokens,
        "eval_every": args.eval_every,
        "eval_size": args.eval_size,
        "eval_seed": EVAL_SEED,
        "checkpoint_every": 0,
        "plots": False,
        "device": "cpu",
        "warm_start": {"steps": args.warm_steps, "cache_dir": args.cache},
        "out_dir": str(out),
        "run_name": name,
        **arm_options,
    }


def run_stats(run: Path, metric: str, target: float, eval_size: int) -> dict[str, Any]:
    """The protocol's numbers for one run folder (module doc)."""
    steps, values = eval_curve(run, metric)
    summary = read_summary(run)
    area = 0.0
    for i in range(1, len(steps)):
        area += (steps[i] - steps[i - 1]) * (values[i] + values[i - 1]) / 2
    last = values[-1] if values else float("nan")
    lo, hi = wilson_interval(last * eval_size, eval_size)
    rows = read_jsonl(run / "metrics.jsonl")
    return {
        "start": values[0] if values else None,
        "steps_to_target": first_reaching(steps, values, target),
        "auc": area / max(1, steps[-1] - steps[0]) if len(steps) > 1 else None,
        "final": last,
        "final_ci95": [lo, hi],
        "zero_std_frac_bins": binned(rows, "reward/zero_std_frac"),
        "abs_advantage_bins": binned(rows, "advantage/abs_mean"),
        "seconds_per_step": summary.get("seconds_per_step"),
    }


def binned(rows: Sequence[dict[str, Any]], key: str, bins: int = BINS) -> list[float | None]:
    """The mean of ``key`` over each of ``bins`` equal slices of the steps."""
    values = [float(r[key]) for r in rows if isinstance(r.get(key), int | float)]
    if not values:
        return [None] * bins
    size = max(1, len(values) // bins)
    slices = [values[i * size : (i + 1) * size] for i in range(bins - 1)]
    slices.append(values[(bins - 1) * size :])
    return [statistics.mean(s) if s else None for s in slices]


def arm_stats(per_run: dict[str, dict[str, Any]], arm: str, eval_size: int) -> dict[str, Any]:
    """An arm's summary over its seeds (module doc); runs are named ``<arm>-s<seed>``."""
    runs = {k: v for k, v in per_run.items() if k.rsplit("-s", 1)[0] == arm}
    reached = {k: v["steps_to_target"] for k, v in runs.items() if v["steps_to_target"] is not None}
    aucs = [v["auc"] for v in runs.values() if v["auc"] is not None]
    finals = [v["final"] for v in runs.values()]
    pooled = statistics.mean(finals)
    lo, hi = wilson_interval(pooled * eval_size * len(finals), eval_size * len(finals))
    return {
        "seeds": len(runs),
        "reached": len(reached),
        "not_reached": sorted(set(runs) - set(reached)),
        "steps_to_target_median": statistics.median(reached.values()) if reached else None,
        "steps_to_target": dict(sorted(reached.items())),
        "auc_mean": statistics.mean(aucs) if aucs else None,
        "auc_sd": statistics.stdev(aucs) if len(aucs) > 1 else None,
        "final_mean": pooled,
        "final_ci95": [lo, hi],
        "start_mean": statistics.mean(v["start"] for v in runs.values()),
        "zero_std_frac_bins": _mean_bins([v["zero_std_frac_bins"] for v in runs.values()]),
        "abs_advantage_bins": _mean_bins([v["abs_advantage_bins"] for v in runs.values()]),
    }


def _mean_bins(series: list[list[float | None]]) -> list[float | None]:
    out: list[float | None] = []
    for column in zip(*series, strict=True):
        known = [v for v in column if v is not None]
        out.append(statistics.mean(known) if known else None)
    return out


def speedup(per_arm: dict[str, Any], slow: str, fast: str, steps: int) -> dict[str, Any]:
    """How much sooner ``fast`` reaches the target than ``slow``: the ratio of their median steps
    over all seeds, a seed that never reached counting as "after the budget".

    When the median seed of ``slow`` never reached, the ratio is a lower bound (the budget over
    ``fast``'s median); when the median seed of ``fast`` never reached, there is no ratio.
    """
    a, b = _median_steps(per_arm[slow], steps), _median_steps(per_arm[fast], steps)
    if b is None:
        return {"ratio": None, "note": f"the median seed of {fast} never reached the target"}
    if a is None:
        return {
            "ratio_at_least": steps / max(1.0, b),
            "note": f"the median seed of {slow} never reached the target in {steps} steps; the "
            "budget stands in for it, so this is a lower bound",
        }
    return {"ratio": a / max(1.0, b), "note": "both medians measured"}


def _median_steps(arm: dict[str, Any], steps: int) -> float | None:
    """The median over all seeds of the steps to target (None: the median seed never reached)."""
    values = sorted(
        [float(v) for v in arm["steps_to_target"].values()]
        + [float("inf")] * (arm["seeds"] - arm["reached"])
    )
    if not values:
        return None
    median = statistics.median(values)
    return None if median == float("inf") else median


def plot_protocol(
    out: Path,
    arms: dict[str, str],
    seeds: Sequence[int],
    metric: str,
    target: float,
    title: str,
    per_arm: dict[str, Any],
    steps: int,
) -> None:
    """Three panels: held-out accuracy (seeds thin, mean bold, target dashed), the zero-variance
    group fraction over time, and the mean absolute advantage over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc, zero, adv) = plt.subplots(3, 1, figsize=(7.5, 9), dpi=100)
    centres = [(i + 0.5) * steps / BINS for i in range(BINS)]
    plot_arms(acc, out, arms, seeds, metric, target, smooth=False)
    for arm, colour in arms.items():
        zero.plot(centres, per_arm[arm]["zero_std_frac_bins"], color=colour, marker="o", label=arm)
        adv.plot(centres, per_arm[arm]["abs_advantage_bins"], color=colour, marker="o", label=arm)
    acc.set_title(title)
    zero.set_title("zero-variance group fraction of the training reward (1 - informative groups)")
    adv.set_title("mean |advantage| per token row")
    acc.set_ylabel(f"{metric} (held-out)")
    zero.set_ylabel("fraction of groups")
    adv.set_ylabel("mean |advantage|")
    for ax in (acc, zero, adv):
        ax.grid(alpha=0.3)
        ax.set_xlabel("step")
    acc.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.parent / f"{out.name}.png")
    plt.close(fig)


SWEEP_SEED = 100
"""The seed of the learning-rate sweeps: apart from the measured seeds, so a sweep cannot pick the
lr that happened to suit them."""


def sweep_name(arm: str, lr: float) -> str:
    """The run name of ``arm`` at ``lr`` in a sweep (``sweep_summary`` reads it back)."""
    return f"{arm}@{lr:g}-s{SWEEP_SEED}"


def sweep_summary(per_run: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The best lr of each arm of a sweep by area under the curve (run names ``arm@lr-s<seed>``),
    with every lr's AUC and final accuracy beside it."""
    arms: dict[str, dict[str, Any]] = {}
    for name, stats in per_run.items():
        arm, lr = name.split("-s")[0].split("@")
        arms.setdefault(arm, {})[lr] = {"auc": stats["auc"], "final": stats["final"]}
    return {
        arm: {"best_lr": max(lrs, key=lambda lr: lrs[lr]["auc"]), "by_lr": lrs}
        for arm, lrs in arms.items()
    }
