"""``rewardkit score``: score a JSONL file of rollouts with a config.

Input lines: ``{"id", "group", "prompt", "completion", "reference", "meta"}`` (only
``completion`` is required; ``group`` defaults to the prompt). Output lines: ``id``, ``reward``
(null when nothing applies), ``components`` (path -> value or null), ``advantage``, ``errors``
``unjudgeable`` (the components that could not read the sample's reference, and why) and
``why_zero`` (per component that scored 0: ``wrong``, ``timeout``, ``crash`` or ``unjudgeable``,
with the component's words). The file is streamed: memory does not grow with its length.
An existing output file is kept unless ``--force``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from rewardkit.cli import programs
from rewardkit.cli.inputs import check_output_file, cores, fail
from rewardkit.cli.programs import program_source
from rewardkit.cli.rollouts import index_rollouts, read_samples  # noqa: F401  (probe, check)
from rewardkit.cli.scoring import score_into
from rewardkit.errors import ConfigError, InputError, OutputError, RewardKitError, did_you_mean
from rewardkit.program import RewardProgram

err = Console(stderr=True, soft_wrap=True)


def score(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="program config (YAML); with --run it defaults to the run's"
    ),
    input: Path = typer.Option(..., "--input", "-i", help="JSONL rollouts, one sample per line"),
    output: Path = typer.Option(..., "--output", "-o", help="where to write scored JSONL"),
    strict: bool = typer.Option(
        False, "--strict", help="stop at the first bad input line (exit 2)"
    ),
    workers: int = typer.Option(
        0, help="scoring processes, whole groups each (0: in this process; -1: one per core)"
    ),
    force: bool = typer.Option(False, "--force", help="overwrite OUTPUT when it exists"),
    fixed: list[str] = typer.Option(
        [],
        "--fix",
        help="NAME=VALUE: score with variable NAME held at VALUE, a scheduled one too "
        "(e.g. --fix iou_threshold=0.8); repeat for more",
    ),
    state: Path | None = typer.Option(
        None,
        "--run",
        help="a training run folder: score at its newest checkpoint's schedule state, with its "
        "program unless --config is given",
    ),
) -> None:
    """Score a JSONL file of rollouts: rewards, every node's value, advantages, errors.

    Bad input lines are reported with their line number and skipped unless --strict. Output
    lines are written as each group is scored (a group's lines together, groups in the order
    they first appear), so a run stopped half-way keeps what it scored.
    """
    try:
        if output.is_file() and not force and not _same_path(output, input):
            raise OutputError(f"{output} exists; add --force to overwrite it, or choose another -o")
        program = load_program(config, state, fixed)
        rollouts = index_rollouts(input, strict)
        check_output_file(output, [input])
    except RewardKitError as exc:
        fail(str(exc))
    bad = rollouts.bad
    for lineno, problem in bad:
        err.print(f"{input}:{lineno}: skipped: {problem}", style="yellow", markup=False)
    if bad and strict:
        raise typer.Exit(2)
    if not len(rollouts):
        why = f"all {len(bad)} lines are bad" if bad else "it is empty"
        fail(f"{input} holds no sample to score ({why}); give a JSONL file, one sample per line")
    summary = score_into(program, rollouts, output, cores() if workers < 0 else workers)
    # a log file gets the whole table (rich would cut it to 80 columns); a terminal folds names
    wide = Console(stderr=True, soft_wrap=True, width=None if err.is_terminal else summary.width())
    wide.print(summary.table())
    for line in summary.zero_lines():
        err.print(line, markup=False, highlight=False)
    for line in summary.unjudgeable_lines(program.config.on_unjudgeable):
        err.print(line, markup=False, highlight=False, style="yellow")
    err.print(
        f"wrote {len(rollouts)} scored samples to {output}"
        + (f" ({len(bad)} bad lines skipped)" if bad else ""),
        markup=False,
        highlight=False,
    )


def _same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def load_program(config: Path | None, run: Path | None, fixed: Sequence[str]) -> RewardProgram:
    """The program of ``config`` (or of the run folder ``run``), at ``run``'s saved schedule
    state when given, with the ``NAME=VALUE`` variables of ``fixed`` held constant."""
    if config is None and run is None:
        raise InputError("give the program: --config CONFIG.yaml, or --run RUN_DIR for a run's")
    saved: dict[str, Any] = {}
    if run is not None:
        from rewardkit.train.checkpoint import latest_checkpoint, read_state

        saved = read_state(latest_checkpoint(run)).program
    source = config if config is not None else run
    assert source is not None
    data, what = program_source(source)
    if what != "program config":  # a train config or a run: say which program scores
        err.print(f"{source}: {what}", markup=False, highlight=False)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a program config is a mapping with a 'reward' tree")
    values = _assignments(fixed, data)
    overrides: dict[str, Any] = {}
    if values:
        overrides = {
            "variables": {**data.get("variables", {}), **values},
            "schedules": {k: v for k, v in data.get("schedules", {}).items() if k not in values},
        }
        schedules = saved.get("schedules", {})
        saved = {**saved, "schedules": {k: v for k, v in schedules.items() if k not in values}}
    try:
        return programs.load_program(source, overrides, saved)
    except (ValueError, KeyError, TypeError) as exc:
        if run is None or (isinstance(exc, ConfigError) and not _is_state_problem(exc)):
            raise
        raise state_mismatch(config, run, data, exc) from None


def _is_state_problem(exc: ConfigError) -> bool:
    return all(path.startswith("state.") for path, _ in exc.problems)


def state_mismatch(
    config: Path | None, run: Path, data: Mapping[str, Any], exc: Exception
) -> ConfigError:
    """Why a run's saved schedule state does not load into the program of ``config``, and the fix.

    The state fits only the program the run was trained with: a config whose schedule has another
    window (or a margin the run did not watch) cannot take it.
    """
    from rewardkit.train.setup import saved_config

    trained = saved_config(run).get("program") or {}
    diffs = schedule_differences(data.get("schedules", {}), trained.get("schedules", {}))
    names = [*data.get("variables", {}), *data.get("schedules", {})]
    fix = f"--fix {names[0]}=VALUE to hold it at a value" if names else "--fix NAME=VALUE"
    where = str(config) if config is not None else "its program"
    why = f"; {'; '.join(diffs)}" if diffs else f" ({exc})"
    return ConfigError(
        [
            (
                "--run",
                f"the saved schedule state of {run} does not fit {where}: the run was trained "
                f"with another program{why}. Score at the run's state with the run's own "
                f"program: drop --config (rewardkit score --run {run} -i IN -o OUT), or give "
                f"{fix} instead of --run",
            )
        ]
    )


def schedule_differences(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """One phrase per schedule option that differs between two programs' ``schedules``.

    >>> schedule_differences({"t": {"window": 30}}, {"t": {"window": 10}})
    ["schedule 't': window is 30 here, 10 in the run"]
    """
    out = []
    for name in sorted({*mine, *theirs}):
        if name not in theirs or name not in mine:
            out.append(f"schedule {name!r} is {'not ' if name not in theirs else ''}in the run")
            continue
        a, b = mine[name], theirs[name]
        for key in sorted({*a, *b}):
            if a.get(key) != b.get(key):
                shown = [json.dumps(x.get(key)) if key in x else "unset" for x in (a, b)]
                out.append(f"schedule {name!r}: {key} is {shown[0]} here, {shown[1]} in the run")
    return out


def _assignments(fixed: Sequence[str], data: Mapping[str, Any]) -> dict[str, float]:
    known = [*data.get("variables", {}), *data.get("schedules", {})]
    out = {}
    for item in fixed:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--fix {item!r}: write NAME=VALUE, e.g. --fix iou_threshold=0.8")
        if name not in known:
            hint = did_you_mean(name, known)
            raise InputError(
                f"--fix {item!r}: the config has no variable {name!r}"
                + (f" (did you mean {hint}?)" if hint else "")
                + f"; its variables: {', '.join(known) or 'none'}"
            )
        try:
            out[name] = float(raw)
        except ValueError:
            raise InputError(f"--fix {item!r}: {raw!r} is not a number") from None
    return out
