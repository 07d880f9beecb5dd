"""``rewardkit check`` and ``rewardkit components``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rewardkit import registry
from rewardkit.cli.inputs import fail
from rewardkit.cli.programs import load_program, program_source
from rewardkit.compose.describe import describe
from rewardkit.errors import ConfigError, RewardKitError
from rewardkit.program import RewardProgram

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def check(
    config: Path = typer.Argument(
        ..., help="program config or train config (YAML), or a training run folder"
    ),
    samples: Path | None = typer.Option(
        None,
        "--data",
        "--samples",
        "-s",
        help="also score this JSONL (a dry run with on_error=raise): every reference a "
        "component cannot read is listed, per component (exit 2 when there is one)",
    ),
) -> None:
    """Validate a config: list every problem with its path (exit 2), else print the tree.

    CONFIG is a program config (it has a `reward` tree), a train config (`rewardkit train
    CONFIG`: its options and its program, or its task's default program) or a run folder (its
    config.json). Also prints each variable, its initial value and what its schedule watches. With --data,
    scores the samples and reports component errors and unreadable references (exit 2).
    """
    try:
        program = load_checked(config)
    except ConfigError as exc:
        err.print(f"{config}: {len(exc.problems)} problem(s)", style="red", markup=False)
        for path, message in exc.problems:
            err.print(f"  {path or '<root>'}: {message}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except RewardKitError as exc:
        fail(str(exc))
    out.print("\n".join(describe(program.tree)), markup=False, highlight=False)
    _print_variables(program)
    if samples is not None:
        from rewardkit.cli.rollouts import read_samples
        from rewardkit.cli.score_summary import ScoreSummary

        try:
            batch, bad = read_samples(samples, strict=True)
            if bad:
                raise ConfigError([(f"{samples}:{bad[0][0]}", bad[0][1])])
            scored = program.score(batch)
        except RewardKitError as exc:
            fail(str(exc))
        out.print(f"scored {len(batch)} samples, mean reward {scored.metrics['reward/mean']:.4f}")
        summary = ScoreSummary()
        summary.add(scored)
        lines = summary.unjudgeable_lines(program.config.on_unjudgeable)
        if lines:
            for line in lines:
                err.print(line, markup=False, highlight=False, style="red")
            err.print("fix these references, or drop the samples from the data set", markup=False)
            raise typer.Exit(2)
    out.print("[green]ok[/green]")


def load_checked(config: Path) -> RewardProgram:
    """The program a config builds (``cli/programs.py``), with every problem of the file in one
    ConfigError; a train config or run folder says what it is first."""
    _, what = program_source(config)
    if what != "program config":
        out.print(what, markup=False, highlight=False)
    return load_program(config, {"on_error": "raise"})


def _print_variables(program: RewardProgram) -> None:
    variables = program.variables
    if not variables:
        return
    table = Table(title="variables")
    for col in ("name", "initial", "source", "watches", "used by"):
        table.add_column(col)
    for name, value in variables.items():
        schedule = program.schedules.get(name)
        source = "constant" if schedule is None else type(schedule).__name__
        watches = ", ".join(getattr(schedule, "watches", ())) or "-"
        used = ", ".join(sorted(program.references.get(name, ()))) or "(unused)"
        table.add_row(escape(name), f"{value:g}", source, escape(watches), escape(used))
    out.print(table)


def components() -> None:
    """List every registered reward component with its parameters and what it does."""
    from rewardkit.cli.defaults import yaml_value

    table = Table(title="reward components", show_lines=False)
    for col in ("name", "parameters (default)", "what it does"):
        table.add_column(col, overflow="fold")
    for name in registry.names():
        comp = registry.get(name)
        params = ", ".join(
            f"{key}: {'required' if f.is_required() else yaml_value(f.get_default(call_default_factory=True))}"
            for key, f in comp.params.model_fields.items()
        )
        table.add_row(
            escape(name), escape(params or "-"), escape(first_sentence(comp.fn, comp.doc))
        )
    # a terminal wraps at its width; a pipe or a log gets whole sentences (wide enough to grep)
    (out if out.is_terminal else Console(soft_wrap=True, width=240)).print(table)


_RST = re.compile(r":(?:func|class|meth|mod|attr|data|obj):`~?([^`]+)`|``([^`]+)``")


def first_sentence(fn: object, fallback: str = "") -> str:
    """The first sentence of ``fn``'s docstring, its lines joined, RST markup as plain text.

    >>> def f():
    ...     "1.0 when ``<answer>`` holds the answer\\n    (see :func:`rewardkit.extract`). More."
    >>> first_sentence(f)
    '1.0 when `<answer>` holds the answer (see extract).'
    """
    doc = inspect.getdoc(fn) or fallback
    paragraph = " ".join(doc.split("\n\n", 1)[0].split())
    end = re.search(r"(?<=[.!?])\s(?=[A-Z(`])", paragraph)
    sentence = paragraph[: end.start()] if end else paragraph
    return _RST.sub(
        lambda m: m.group(1).rsplit(".", 1)[-1] if m.group(1) else f"`{m.group(2)}`", sentence
    )
