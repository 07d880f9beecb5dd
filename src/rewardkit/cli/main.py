"""The ``rewardkit`` command line. Commands translate to the library; they decide nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from rewardkit.cli.check import check, components
from rewardkit.cli.init import init
from rewardkit.cli.probe import probe
from rewardkit.cli.rescore import rescore
from rewardkit.cli.runs import compare, report
from rewardkit.cli.schema import schema
from rewardkit.cli.score import score
from rewardkit.cli.serve import serve
from rewardkit.cli.simulate import simulate
from rewardkit.cli.train import train, train_options_epilog

app = typer.Typer(
    name="rewardkit",
    help="Reward signals, composition, schedules and advantages for GRPO-style RL.\n\n"
    "Start with `rewardkit train` (a GRPO run on a built-in task with a tiny local model), "
    "`rewardkit components` (what signals exist), `rewardkit check CONFIG` (validate a config "
    "and see its tree) and `rewardkit score` (score a JSONL of rollouts).",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    pretty_exceptions_enable=False,
)


def _flags_show_no_type() -> None:
    """A flag takes no value: its help line shows none (typer prints ``<bool>``, and users read
    ``-q <bool>`` as ``-q true``, which then lands in CONFIG)."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "_rewardkit", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich._rewardkit = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()


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
app.command()(rescore)
app.command()(check)
app.command()(probe)
app.command()(components)
app.command()(simulate)
app.command()(report)
app.command()(compare)
app.command()(serve)
app.command()(init)
app.command()(schema)


def main() -> None:
    """Entry point of the ``rewardkit`` script (and of ``python -m rewardkit``).

    A user's module that does not compile (a ``fn: my_rewards:f`` file, a ``--module``) is a
    mistake in the user's file, not in rewardkit: one message with its file, line and caret.
    """
    try:
        app()
    except SyntaxError as exc:
        if not _in_user_code(exc):
            raise
        from rewardkit.cli.inputs import err

        err.print("[red]error:[/red] " + escape(syntax_error_message(exc)), highlight=False)
        raise SystemExit(2) from None


def _in_user_code(exc: SyntaxError) -> bool:
    package = Path(__file__).resolve().parents[1]
    return bool(exc.filename) and package not in Path(str(exc.filename)).resolve().parents


def syntax_error_message(exc: SyntaxError) -> str:
    """``file:line: syntax error: what``, the line and a caret under the column.

    >>> try:
    ...     compile("def f(x:\\n", "my_rewards.py", "exec")
    ... except SyntaxError as exc:
    ...     print(syntax_error_message(exc).splitlines()[0])
    my_rewards.py:1: syntax error: '(' was never closed; fix the file and run again
    """
    head = f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}; fix the file and run again"
    text = (exc.text or "").rstrip("\n")
    if not text.strip():
        return head
    indent = len(text) - len(text.lstrip())
    caret = " " * (4 + max(0, (exc.offset or 1) - 1 - indent)) + "^"
    return f"{head}\n    {text.strip()}\n{caret}"


if __name__ == "__main__":
    main()
