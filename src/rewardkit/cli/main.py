"""The ``rewardkit`` command line. Commands translate to the library; they decide nothing."""

from __future__ import annotations

import typer

from rewardkit.cli.check import check, components
from rewardkit.cli.probe import probe
from rewardkit.cli.score import score
from rewardkit.cli.serve import serve
from rewardkit.cli.simulate import simulate
from rewardkit.cli.train import compare, report, train, train_options_epilog

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


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"rewardkit {version('rewardkit')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Reward signals, composition, schedules and advantages for GRPO-style RL."""


app.command(epilog=train_options_epilog())(train)
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
