"""Shared helpers of the benchmarks: run many training configs (optionally in parallel) and
read their curves back. Not part of the library; run the bench scripts from the repo root.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rewardkit.train.runlog import read_jsonl
from rewardkit.train.summary import series


def run_one(job: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Train one config (in a worker process); returns its name and summary."""
    from rewardkit.train import TrainConfig, train

    name, options = job
    result = train(TrainConfig(**options))
    return name, result.summary


def run_all(jobs: Sequence[tuple[str, dict[str, Any]]], workers: int) -> dict[str, dict[str, Any]]:
    """Run every job, ``workers`` at a time (1: in this process, in order)."""
    out: dict[str, dict[str, Any]] = {}
    if workers <= 1:
        for job in jobs:
            name, summary = run_one(job)
            out[name] = summary
            print(f"[bench] done {name}", file=sys.stderr, flush=True)
        return out
    with mp.get_context("spawn").Pool(workers) as pool:
        for name, summary in pool.imap_unordered(run_one, jobs):
            out[name] = summary
            print(f"[bench] done {name}", file=sys.stderr, flush=True)
    return out


def warm_starts(task: str, seeds: Sequence[int], cache_dir: str | None, steps: int | None) -> None:
    """Build the warm starts of every seed first, so parallel runs do not race to build them."""
    import torch

    from rewardkit.tasks import make_task
    from rewardkit.tasks.models import TinyModelSpec
    from rewardkit.tasks.warmstart import WarmStartSpec, warm_start

    torch.set_num_threads(1)  # tiny models: one thread is fastest, and the machine is shared
    for seed in seeds:
        spec = WarmStartSpec(seed=seed) if steps is None else WarmStartSpec(seed=seed, steps=steps)
        warm_start(make_task(task), TinyModelSpec(), spec, cache_dir)


def smoothed(values: Sequence[float], width: int = 3) -> list[float]:
    """Trailing moving average (evaluations are noisy; one lucky eval is not a milestone)."""
    out = []
    for i in range(len(values)):
        window = values[max(0, i - width + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def curve(run_dir: Path, key: str) -> tuple[list[int], list[float]]:
    """Steps and values of ``key`` in a run folder's metrics."""
    return series(read_jsonl(run_dir / "metrics.jsonl"), key)


def first_reaching(steps: Sequence[int], values: Sequence[float], target: float) -> int | None:
    """The first step whose smoothed value reaches ``target`` (None: never)."""
    for step, value in zip(steps, smoothed(values), strict=True):
        if value >= target:
            return step
    return None


def dump(data: Any, path: Path) -> None:
    """Print JSON and save it next to the plot."""
    text = json.dumps(data, indent=1)
    print(text)
    path.write_text(text)
