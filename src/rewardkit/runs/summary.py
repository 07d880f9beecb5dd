"""A run's summary and the numbers runs are compared by (steps to a target, final values).

>>> rows = [{"step": 0, "eval/greedy/success": 0.1}, {"step": 10, "eval/greedy/success": 0.6}]
>>> steps_to_target(rows, "eval/greedy/success", 0.5)
10
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.runs.runlog import read_jsonl

ZERO_STD_WINDOW = 50  # the early-training window where sparse rewards stall GRPO


def series(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """Steps and values of ``key`` over the rows that have it (nulls skipped)."""
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)):
            steps.append(int(row["step"]))
            values.append(float(value))
    return steps, values


def steps_to_target(rows: Sequence[Mapping[str, Any]], key: str, target: float) -> int | None:
    """The first step at which ``key`` reaches ``target`` (None: never)."""
    for step, value in zip(*series(rows, key), strict=True):
        if value >= target:
            return step
    return None


def tail_mean(rows: Sequence[Mapping[str, Any]], key: str, n: int = 10) -> float | None:
    """The mean of ``key`` over the last ``n`` rows that have it."""
    values = series(rows, key)[1][-n:]
    return sum(values) / len(values) if values else None


def head_mean(
    rows: Sequence[Mapping[str, Any]], key: str, n: int = ZERO_STD_WINDOW
) -> float | None:
    """The mean of ``key`` over steps ``0..n-1``."""
    values = [v for s, v in zip(*series(rows, key), strict=True) if s < n]
    return sum(values) / len(values) if values else None


def summarise_run(
    run_dir: str | Path, final_eval: Mapping[str, float], wall_s: float
) -> dict[str, Any]:
    """The short summary printed at the end of a run and saved as ``summary.json``."""
    rows = read_jsonl(Path(run_dir) / "metrics.jsonl")
    events = read_jsonl(Path(run_dir) / "events.jsonl")
    last = rows[-1] if rows else {}
    schedule = {k.split("/", 1)[1]: v for k, v in last.items() if k.startswith("next/")}
    step_times = series(rows, "time/step")[1]
    return {
        "run_dir": str(run_dir),
        "steps": len(rows),
        "wall_s": round(wall_s, 2),
        "seconds_per_step": sum(step_times) / len(step_times) if step_times else None,
        "reward/mean": tail_mean(rows, "reward/mean"),
        "reward/zero_std_frac@first50": head_mean(rows, "reward/zero_std_frac"),
        "train/success": tail_mean(rows, "train/success"),
        "schedule": schedule,
        "events": dict(Counter(f"{e.get('source', 'error')}:{e.get('kind')}" for e in events)),
        "final_eval": dict(final_eval),
    }


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """``summary.json``, or for a run that stopped before its end, one built from its logs.

    An interrupted run has no final evaluation: its summary says ``status: interrupted`` and
    carries the last evaluation it logged (``last_eval``, at ``last_eval_step``); its wall time
    is the sum of the logged step and evaluation times.
    """
    run = Path(run_dir)
    path = run / "summary.json"
    if path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return {"status": "finished", **loaded}
    rows = read_jsonl(run / "metrics.jsonl")
    wall = sum(sum(series(rows, key)[1]) for key in ("time/step", "time/eval"))
    summary = summarise_run(run, {}, wall)
    evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
    last = evals[-1] if evals else {}
    planned = read_json(run / "config.json").get("steps")
    done = f"{len(rows)} of {planned}" if planned else str(len(rows))
    summary["status"] = f"interrupted after {done} steps (no final evaluation)"
    summary["last_eval_step"] = last.get("step")
    summary["last_eval"] = {k: v for k, v in last.items() if k.startswith("eval/")}
    return summary


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ``{}`` when it is missing, unreadable or not an object."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def wilson_interval(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% with the default ``z``).

    >>> [round(x, 3) for x in wilson_interval(30, 128)]
    [0.169, 0.315]
    """
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_test(p1: float, p2: float, n1: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z statistic of ``p2 - p1`` and its two-sided p-value.

    On the same problems evaluated twice the two proportions are positively correlated, so this
    test (which assumes independent samples) errs on the side of calling a change noise.

    >>> z, p = two_proportion_test(30 / 128, 19 / 128, 128, 128)
    >>> round(z, 2), round(p, 3)
    (-1.75, 0.081)
    """
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0)
    z = (p2 - p1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))
