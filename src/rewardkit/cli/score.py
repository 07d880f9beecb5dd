"""``rewardkit score``: score a JSONL file of rollouts with a config.

Input lines: ``{"id", "group", "prompt", "completion", "reference", "meta"}`` (only
``completion`` is required; ``group`` defaults to the prompt). Output lines: ``id``, ``reward``
(null when nothing applies), ``components`` (path -> value or null), ``advantage``, ``errors``
and ``unjudgeable`` (the components that could not read the sample's reference, and why).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rewardkit.cli import programs
from rewardkit.cli.inputs import check_output_file, fail
from rewardkit.cli.programs import program_source
from rewardkit.cli.scoring import score_into
from rewardkit.config import read_utf8
from rewardkit.errors import ConfigError, InputError, RewardKitError, did_you_mean
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch

err = Console(stderr=True, soft_wrap=True)


def read_samples(path: Path, strict: bool) -> tuple[list[Sample], list[tuple[int, str]]]:
    """Samples of a JSONL file, and (line number, problem) for every bad line."""
    samples: list[Sample] = []
    bad: list[tuple[int, str]] = []
    seen: set[str] = set()
    for lineno, line in _lines(path):
        try:
            sample = Sample.from_dict(json.loads(line), default_id=str(lineno))
            if sample.id in seen:
                raise InputError(f"duplicate id {sample.id!r}")
            seen.add(sample.id)
            samples.append(sample)
        except (json.JSONDecodeError, InputError) as exc:
            bad.append((lineno, str(exc)))
            if strict:
                break
    return samples, bad


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their numbers; a file that is not UTF-8 is an InputError at its line."""
    for lineno, line in enumerate(read_utf8(path, "input file").split("\n"), 1):
        if line.strip():
            yield lineno, line


def summary_table(scored: ScoredBatch) -> Table:
    """Per-node mean, std, zero-variance fraction, sparsity, errors and unreadable references."""
    table = Table(title=f"{len(scored.samples)} samples")
    columns = ("node", "mean", "std", "zero-var groups", "zeros", "n/a", "errors", "unjudgeable")
    for col in columns:
        table.add_column(col, justify="left" if col == "node" else "right")
    m = scored.metrics
    for path in scored.values:
        cells = [
            m[f"{path}/{s}"] for s in ("mean", "std", "zero_std_frac", "sparsity", "none_frac")
        ]
        table.add_row(
            escape(path),
            *("-" if np.isnan(c) else f"{c:.3f}" for c in cells),
            f"{m[f'{path}/errors']:.0f}",
            f"{m[f'{path}/unjudgeable']:.0f}",
        )
    return table


def unjudgeable_lines(scored: ScoredBatch, policy: str, limit: int = 3) -> list[str]:
    """A plain-text report of unreadable references: the count per component, a few examples.

    Empty when every reference was read.
    """
    if not scored.unjudgeable:
        return []
    by_path: dict[str, list[tuple[str, str]]] = {}
    for u in scored.unjudgeable:
        by_path.setdefault(u.path, []).append((u.sample_id, u.message))
    samples = {u.sample_id for u in scored.unjudgeable}
    lines = [
        f"{len(samples)} sample(s) with a reference a component cannot read "
        f"(on_unjudgeable: {policy}):"
    ]
    for path, records in by_path.items():
        lines.append(f"  {path}: {len(records)} unjudgeable reference(s)")
        lines += [f"    sample {sid!r}: {msg}" for sid, msg in records[:limit]]
    return lines


def score(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="program config (YAML); with --run it defaults to the run's"
    ),
    input: Path = typer.Option(..., "--input", "-i", help="JSONL rollouts, one sample per line"),
    output: Path = typer.Option(..., "--output", "-o", help="where to write scored JSONL"),
    strict: bool = typer.Option(False, help="stop at the first bad input line (exit 2)"),
    workers: int = typer.Option(0, help="score in N processes, whole groups each (0: here)"),
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
        program = load_program(config, state, fixed)
        samples, bad = read_samples(input, strict)
        check_output_file(output, [input])
    except RewardKitError as exc:
        fail(str(exc))
    for lineno, problem in bad:
        err.print(f"{input}:{lineno}: skipped: {problem}", style="yellow", markup=False)
    if bad and strict:
        raise typer.Exit(2)
    if not samples:
        why = f"all {len(bad)} lines are bad" if bad else "it is empty"
        fail(f"{input} holds no sample to score ({why}); give a JSONL file, one sample per line")
    scored = score_into(program, samples, output, workers)
    err.print(summary_table(scored))
    for line in unjudgeable_lines(scored, program.config.on_unjudgeable):
        err.print(line, markup=False, highlight=False, style="yellow")
    err.print(
        f"wrote {len(samples)} scored samples to {output}"
        + (f" ({len(bad)} bad lines skipped)" if bad else ""),
        markup=False,
        highlight=False,
    )


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
