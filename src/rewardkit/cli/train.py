"""``rewardkit train``, ``rewardkit report`` and ``rewardkit compare``: the built-in trainer's CLI.

``rewardkit train`` with no argument runs the embedded default (the ``boxes`` task, a tiny model
warm-started locally, the IoU-threshold ladder) and prints where its run folder is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rewardkit.errors import RewardkitError

err = Console(stderr=True, soft_wrap=True)


def _progress_line(metrics: dict[str, float]) -> str:
    reward = metrics.get("reward/mean", float("nan"))
    levels = " ".join(
        f"{k.split('/', 1)[1]}={v:.3g}" for k, v in metrics.items() if k.startswith("schedule/")
    )
    return f"reward {reward:.3f}" + (f"  {levels}" if levels else "")


def _run(config: Any, resume: Path | None, quiet: bool) -> Any:
    from rewardkit.train.loop import train as run_training

    total = config.steps if config is not None else None
    columns = (
        TextColumn("[bold]step"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=quiet) as progress:
        bar = progress.add_task("starting", total=total)

        def on_step(step: int, metrics: dict[str, float]) -> None:
            progress.update(bar, completed=step + 1, description=_progress_line(metrics))

        def status(message: str) -> None:
            progress.update(bar, description=message)

        if resume is not None:
            from rewardkit.train.setup import saved_config

            progress.update(bar, total=int(saved_config(resume)["steps"]))
        return run_training(config, resume=resume, on_step=on_step, status=status)


def _print_summary(summary: dict[str, Any], wall: float) -> None:
    table = Table(title="run summary", show_header=False)
    table.add_row("wall time", f"{wall:.1f} s ({summary['steps']} steps)")
    if summary.get("seconds_per_step") is not None:
        table.add_row("seconds per step", f"{summary['seconds_per_step']:.3f}")
    for key in ("reward/mean", "train/success", "reward/zero_std_frac@first50"):
        if summary.get(key) is not None:
            table.add_row(
                key + (" (last 10 steps)" if "first" not in key else ""), f"{summary[key]:.3f}"
            )
    for name, value in summary.get("schedule", {}).items():
        table.add_row(f"schedule {name}", f"{value:.4g}")
    for name, count in summary.get("events", {}).items():
        table.add_row(f"events {name}", str(count))
    for name, value in summary.get("final_eval", {}).items():
        table.add_row(f"final {name}", f"{value:.3f}")
    out = Console(soft_wrap=True)
    out.print(table)
    run = summary["run_dir"]
    out.print(f"run folder: {run}  (report: {run}/report.html)", highlight=False)


def train(
    config: Path | None = typer.Argument(
        None,
        help="train config YAML, e.g. examples/configs/train_chain.yaml (omit it to run the embedded boxes demo)",
    ),
    resume: Path | None = typer.Option(
        None, "--resume", help="continue this run folder from its newest checkpoint"
    ),
    steps: int | None = typer.Option(None, help="override the number of steps"),
    seed: int | None = typer.Option(None, help="override the seed"),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="parent folder of run folders"),
    device: str | None = typer.Option(None, help="auto | cpu | cuda | mps"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Train with GRPO on a built-in task; prints the run folder and a short summary.

    With no CONFIG: boxes, a tiny local model (warm-started once, cached) and the IoU ladder.
    """
    from rewardkit.train.config import load_train_config

    started = time.perf_counter()
    try:
        if resume is not None:
            if config is not None or steps is not None or seed is not None:
                err.print(
                    "[red]error:[/red] --resume continues a run as it was configured; "
                    "give no CONFIG, --steps or --seed with it"
                )
                raise typer.Exit(2)
            result = _run(None, resume, quiet)
        else:
            overrides: dict[str, Any] = {}
            for key, value in (("steps", steps), ("seed", seed), ("device", device)):
                if value is not None:
                    overrides[key] = value
            if out_dir is not None:
                overrides["out_dir"] = str(out_dir)
            result = _run(load_train_config(config, overrides), None, quiet)
    except RewardkitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    _print_summary(result.summary, time.perf_counter() - started)


def report(run_dir: Path = typer.Argument(..., help="a run folder")) -> None:
    """Rebuild a run folder's PNG plots and its self-contained report.html."""
    from rewardkit.train.report import build_report

    if not (run_dir / "metrics.jsonl").exists():
        err.print(f"[red]error:[/red] {str(run_dir)!r} has no metrics.jsonl; is it a run folder?")
        raise typer.Exit(2)
    path = build_report(run_dir)
    err.print(f"wrote {path} and {run_dir / 'plots'}")


def compare(
    runs: list[Path] = typer.Argument(..., help="run folders to compare"),
    metric: str = typer.Option("eval/greedy/success", help="metric for steps-to-target"),
    target: float = typer.Option(0.5, help="the value of METRIC that counts as reached"),
    plot: Path = typer.Option(Path("compare.png"), help="where to write the overlaid curves"),
) -> None:
    """Overlay runs' curves (PNG) and print steps-to-target and final values per run."""
    from rewardkit.train.compare import DEFAULT_CURVES, compare_table, plot_compare

    try:
        rows = compare_table(runs, metric, target)
    except RewardkitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    table = Table(title=f"steps until {metric} >= {target}")
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
                for v in row.values()
            )
        )
    Console().print(table)
    curves = list(dict.fromkeys([metric, *DEFAULT_CURVES]))
    plot_compare(runs, plot, curves)
    err.print(f"wrote {plot}")
