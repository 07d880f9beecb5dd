"""The ``rewardkit`` command line. Commands translate to the library; they decide nothing."""

from __future__ import annotations

import typer

from rewardkit.cli.check import check, components
from rewardkit.cli.probe import probe
from rewardkit.cli.score import score
from rewardkit.cli.serve import serve
from rewardkit.cli.simulate import simulate
from rewardkit.cli.train import compare, report, train

app = typer.Typer(
    name="rewardkit",
    help="Reward signals, composition, schedules and advantages for GRPO-style RL.\n\n"
    "Start with `rewardkit train` (a GRPO run on a built-in task with a tiny local model), "
    "`rewardkit components` (what signals exist), `rewardkit check CONFIG` (validate a config "
    "and see its tree) and `rewardkit score` (score a JSONL of rollouts).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(train)
app.command()(score)
app.command()(check)
app.command()(probe)
app.command()(components)
app.command()(simulate)
app.command()(report)
app.command()(compare)
app.command()(serve)


def main() -> None:
    """Entry point of the ``rewardkit`` script."""
    app()


if __name__ == "__main__":
    main()
