"""Shared helpers of the benchmarks: run many training configs (optionally in parallel) and
read their curves back. Not part of the library; run the bench scripts from the repo root.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rewardkit.runs.compare import smoothed, smoothed_steps_to_target
from rewardkit.runs.runlog import read_jsonl
from rewardkit.runs.summary import read_summary, series


def parse_with_smoke(
    p: argparse.ArgumentParser, smoke: dict[str, Any], argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """Parse a bench's command line, adding ``--smoke``: the same code path at tiny sizes.

    With ``--smoke``, ``smoke`` replaces the parser's defaults (options given on the command line
    still win) and ``--out`` defaults to a fresh temporary folder, never ``bench/results``. The
    full run's defaults are untouched. A test runs every bench this way, so one that breaks fails
    CI (tests/bench/test_training_smoke.py).

    >>> def steps(*argv: str) -> int:
    ...     p = argparse.ArgumentParser()
    ...     _ = p.add_argument("--steps", type=int, default=500)
    ...     _ = p.add_argument("--out", default="bench/out/x")
    ...     return parse_with_smoke(p, {"steps": 4}, argv).steps
    >>> steps("--smoke", "--out", "o"), steps("--smoke", "--steps", "6", "--out", "o"), steps()
    (4, 6, 500)
    """
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, a few seconds: checks the bench runs, measures nothing; --out defaults "
        "to a temporary folder",
    )
    args = p.parse_args(argv)
    if not args.smoke:
        return args
    full_out = p.get_default("out")
    p.set_defaults(**smoke)
    args = p.parse_args(argv)
    # --out not given: a temporary folder, so a smoke run never lands in bench/ (a bench whose
    # --out defaults to None only prints its report)
    if full_out is not None and args.out == full_out:
        args.out = str(Path(tempfile.mkdtemp(prefix="rewardkit-smoke-")) / Path(full_out).name)
    return args


def run_one(job: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Train one config (in a worker process); returns its name and summary."""
    from rewardkit.train import TrainConfig, train

    name, options = job
    result = train(TrainConfig(**options))
    wanted = options.get("run_name")
    if wanted and result.run_dir.name != wanted:  # the curves are read from out_dir/run_name
        raise RuntimeError(
            f"{wanted!r} was written to {result.run_dir} because the folder was taken while it "
            "ran (another bench still running?); remove it and run again"
        )
    return name, result.summary


def run_all(
    jobs: Sequence[tuple[str, dict[str, Any]]], workers: int, reuse: bool = False
) -> dict[str, dict[str, Any]]:
    """Run every job, ``workers`` at a time (1: in this process, in order); the summaries by name.

    A job's run folder left by an earlier run is removed first: the trainer would otherwise
    write to ``<name>-2`` and the curves would be read from the stale folder. With ``reuse``, a
    folder holding a finished run (its ``summary.json``) is kept instead, and not run again.
    """
    out: dict[str, dict[str, Any]] = {}
    todo = []
    for name, options in jobs:
        if options.get("run_name"):
            folder = Path(options["out_dir"]) / options["run_name"]
            if reuse and (folder / "summary.json").exists():
                out[name] = read_summary(folder)
                continue
            shutil.rmtree(folder, ignore_errors=True)
        todo.append((name, options))
    jobs = todo
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


def warm_starts(
    task: str,
    seeds: Sequence[int],
    cache_dir: str | None,
    steps: int | None,
    options: dict[str, Any] | None = None,
    tiny: dict[str, Any] | None = None,
) -> None:
    """Build the warm starts of every seed first, so parallel runs do not race to build them.
    ``tiny``: the model's shape (TrainConfig's ``tiny``), the default shape when None."""
    import torch

    from rewardkit.tasks import make_task
    from rewardkit.tasks.models import TinyModelSpec
    from rewardkit.tasks.warmstart import WarmStartSpec, warm_start

    torch.set_num_threads(1)  # tiny models: one thread is fastest, and the machine is shared
    for seed in seeds:
        spec = WarmStartSpec(seed=seed) if steps is None else WarmStartSpec(seed=seed, steps=steps)
        shape = TinyModelSpec(**(tiny or {}))
        warm_start(
            make_task(task, options), shape, spec, cache_dir, warm_start_progress(spec.steps)
        )


def warm_start_progress(total: int, every: int = 50) -> Callable[[int, float], None]:
    """``warm_start``'s ``progress``: a line every ``every`` steps (not minutes of silence)."""

    def say(step: int, loss: float) -> None:
        if (step + 1) % every == 0 or step + 1 == total:
            line = f"[bench] warm start step {step + 1}/{total}, loss {loss:.4f}"
            print(line, file=sys.stderr, flush=True)

    return say


def tiny_shape(layers: int, hidden: int) -> dict[str, int]:
    """A tiny model's shape (TrainConfig's ``tiny``), the MLP 3x the hidden size as in the default."""
    return {"layers": layers, "hidden": hidden, "mlp": 3 * hidden}


def curve(run_dir: Path, key: str) -> tuple[list[int], list[float]]:
    """Steps and values of ``key`` in a run folder's metrics."""
    return series(read_jsonl(run_dir / "metrics.jsonl"), key)


def eval_curve(run_dir: Path, key: str) -> tuple[list[int], list[float]]:
    """``curve`` of an evaluation metric, the run's final evaluation (``summary.json``, after the
    last step) as its last point."""
    steps, values = curve(run_dir, key)
    summary = read_summary(run_dir)
    final = (summary.get("final_eval") or {}).get(key)
    if final is not None:
        total = int(summary.get("steps", steps[-1] if steps else 0))
        steps, values = [*steps, total], [*values, float(final)]
    return steps, values


def first_reaching(steps: Sequence[int], values: Sequence[float], target: float) -> int | None:
    """The first step whose smoothed value reaches ``target`` (None: never): the rule of
    ``rewardkit compare``."""
    rows = [{"step": s, "value": v} for s, v in zip(steps, values, strict=True)]
    return smoothed_steps_to_target(rows, "value", target)


def dump(data: Any, path: Path) -> None:
    """Print JSON and save it next to the plot."""
    text = json.dumps(data, indent=1)
    print(text)
    path.write_text(text)


def arm_means(per_run: dict[str, dict[str, Any]], arm: str, steps: int) -> dict[str, float | int]:
    """Means over an arm's seeds. A run that never reaches the target counts as reaching it at the
    last step (a bound), and ``reached`` says how many really did."""
    runs = [v for k, v in per_run.items() if k.startswith(arm + "-")]
    reached = [r["steps_to_target"] if r["steps_to_target"] is not None else steps for r in runs]
    out: dict[str, float | int] = {
        "steps_to_target_mean": statistics.mean(reached),
        "reached": sum(r["steps_to_target"] is not None for r in runs),
        "final_mean": statistics.mean(r["final"] for r in runs),
    }
    if all("zero_std_frac@first50" in r for r in runs):
        out["zero_std_frac@first50_mean"] = statistics.mean(
            r["zero_std_frac@first50"] for r in runs
        )
    return out


def plot_curves(
    out: Path, colours: dict[str, str], seeds: Sequence[int], metric: str, target: float, title: str
) -> None:
    """``metric`` against the step: a thin line per arm and seed, a bold one for the arm's mean over
    seeds (smoothed as ``first_reaching`` smooths), the target dashed; a PNG beside ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8), dpi=100)
    plot_arms(ax, out, colours, seeds, metric, target, smooth=True)
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out.parent / f"{out.name}.png")
    plt.close(fig)


def plot_arms(
    ax: Any,
    out: Path,
    colours: dict[str, str],
    seeds: Sequence[int],
    metric: str,
    target: float,
    smooth: bool,
) -> None:
    """On ``ax``: ``metric`` of every run ``<arm>-s<seed>`` under ``out`` (thin; the final
    evaluation included), each arm's mean over seeds (bold; smoothed as ``first_reaching``
    smooths when ``smooth``), the target dashed."""
    for arm, colour in colours.items():
        runs = [eval_curve(out / f"{arm}-s{seed}", metric) for seed in seeds]
        for steps, values in runs:
            ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.8)
        width = min(len(v) for _, v in runs)
        if width:
            mean = [statistics.mean(v[i] for _, v in runs) for i in range(width)]
            shown = smoothed(mean) if smooth else mean
            ax.plot(runs[0][0][:width], shown, color=colour, linewidth=2.2, label=arm)
    ax.axhline(target, color="grey", linestyle="--", linewidth=0.8, label=f"target {target:g}")
