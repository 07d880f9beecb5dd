"""A run's summary and the numbers runs are compared by (steps to a target, final values).

>>> rows = [{"step": 0, "eval/greedy/success": 0.1}, {"step": 10, "eval/greedy/success": 0.6}]
>>> steps_to_target(rows, "eval/greedy/success", 0.5)
10
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.train.runlog import read_jsonl

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
