"""``rewardkit report`` and ``rewardkit compare``: read run folders back."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rewardkit.cli.inputs import check_output_dir, check_output_file, fail
from rewardkit.errors import RewardKitError

err = Console(stderr=True, soft_wrap=True)


def report(run_dir: Path = typer.Argument(..., help="a run folder")) -> None:
    """Rebuild a run folder's PNG plots and its self-contained report.html."""
    from rewardkit.runs.compare import read_metrics
    from rewardkit.runs.report import build_report

    try:
        read_metrics(run_dir)  # a run folder whose metrics can be read, before any work
        check_output_dir(run_dir / "plots", "report folder")
    except RewardKitError as exc:
        fail(str(exc))
    path = build_report(run_dir)
    err.print(f"wrote {path} and {run_dir / 'plots'}", markup=False, highlight=False)


def compare(
    runs: list[Path] = typer.Argument(..., help="run folders to compare"),
    metric: str = typer.Option(
        "eval/greedy/success", help="metric compared: start, end, delta and steps-to-target"
    ),
    target: float | None = typer.Option(
        None,
        help="the value of METRIC that counts as reached (default: chosen from the data, "
        "halfway from the runs' mean start to the lowest of their best smoothed values)",
    ),
    plot: Path = typer.Option(Path("compare.png"), help="where to write the overlaid curves"),
) -> None:
    """Overlay runs' curves (PNG) and print, per run, the metric's start, end, delta with its
    95% interval, the steps to reach the target, and final values."""
    from rewardkit.runs.compare import DEFAULT_CURVES, choose_target, compare_table, plot_compare

    try:
        check_output_file(plot, what="--plot")
        compare_table(runs, metric)  # a metric the runs log, in readable folders, before work
        chosen = target if target is not None else choose_target(runs, metric)
        rows = compare_table(runs, metric, chosen)
    except RewardKitError as exc:
        fail(str(exc))
    how = "" if target is not None else " (chosen from the data; --target to set it)"
    table = Table(
        title=escape(f"{metric}: start, end, and steps until it reaches {chosen:.3g}{how}")
    )
    for column in rows[0]:
        table.add_column(escape(column), overflow="fold")
    for row in rows:
        table.add_row(
            *(
                "-" if v is None else f"{v:.4g}" if isinstance(v, float) else escape(str(v))
                for v in row.values()
            )
        )
    Console(soft_wrap=True, width=None if err.is_terminal else 160).print(table)
    err.print(
        "start: first value (per-step metrics: mean of the first 10); end: the final evaluation "
        "(per-step metrics: mean of the last 10); steps_to_target: first step whose trailing "
        "mean of 3 reaches the target",
        markup=False,
        highlight=False,
    )
    if metric.startswith("eval/") and any(r[f"final {metric}"] is None for r in rows):
        err.print("-: no final evaluation (the run stopped before its last step)")
    curves = list(dict.fromkeys([metric, *DEFAULT_CURVES]))
    plot_compare(runs, plot, curves, target=(metric, chosen))
    err.print(f"wrote {plot}", markup=False, highlight=False)
