"""``rewardkit score``: score a JSONL file of rollouts with a config.

Input lines: ``{"id", "group", "prompt", "completion", "reference", "meta"}`` (only
``completion`` is required; ``group`` defaults to the prompt). Output lines: ``id``, ``reward``
(null when nothing applies), ``components`` (path -> value or null), ``advantage``, ``errors``
and ``unjudgeable`` (the components that could not read the sample's reference, and why).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from rewardkit.errors import InputError, RewardkitError
from rewardkit.program import Advantages, RewardProgram
from rewardkit.types import Sample, ScoredBatch

err = Console(stderr=True, soft_wrap=True)


def read_samples(path: Path, strict: bool) -> tuple[list[Sample], list[tuple[int, str]]]:
    """Samples of a JSONL file, and (line number, problem) for every bad line."""
    if not path.is_file():
        raise InputError(f"input file {str(path)!r} does not exist")
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
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                yield lineno, line


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)


def output_rows(scored: ScoredBatch, adv: Advantages) -> Iterator[dict[str, object]]:
    """One output record per sample."""
    errors: dict[str, list[dict[str, str]]] = {}
    for f in scored.failures:
        errors.setdefault(f.sample_id, []).append(
            {"path": f.path, "type": f.error_type, "message": f.message}
        )
    unjudgeable: dict[str, list[dict[str, str]]] = {}
    for u in scored.unjudgeable:
        unjudgeable.setdefault(u.sample_id, []).append({"path": u.path, "message": u.message})
    for i, sample in enumerate(scored.samples):
        yield {
            "id": sample.id,
            "reward": _num(scored.rewards[i]),
            "components": {p: _num(col[i]) for p, col in scored.values.items() if p != scored.root},
            "advantage": _num(adv.per_sample[i]),
            "errors": errors.get(sample.id, []),
            "unjudgeable": unjudgeable.get(sample.id, []),
        }


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
            path,
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
    config: Path = typer.Option(..., "--config", "-c", help="program config (YAML)"),
    input: Path = typer.Option(..., "--input", "-i", help="JSONL rollouts, one sample per line"),
    output: Path = typer.Option(..., "--output", "-o", help="where to write scored JSONL"),
    strict: bool = typer.Option(False, help="stop at the first bad input line (exit 2)"),
    workers: int = typer.Option(0, help="score in N processes, whole groups each (0: here)"),
) -> None:
    """Score a JSONL file of rollouts: rewards, every node's value, advantages, errors.

    Bad input lines are reported with their line number and skipped unless --strict.
    """
    try:
        program = RewardProgram.from_yaml(config)
        samples, bad = read_samples(input, strict)
    except RewardkitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    for lineno, problem in bad:
        err.print(f"[yellow]{input}:{lineno}:[/yellow] skipped: {problem}")
    if bad and strict:
        raise typer.Exit(2)
    try:
        scored = _score(program, samples, workers)
    except RewardkitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    adv = program.advantages(scored)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as f:
        for row in output_rows(scored, adv):
            f.write(json.dumps(row) + "\n")
    err.print(summary_table(scored))
    for line in unjudgeable_lines(scored, program.config.on_unjudgeable):
        err.print(line, markup=False, highlight=False, style="yellow")
    err.print(
        f"wrote {len(samples)} scored samples to {output}"
        + (f" ({len(bad)} bad lines skipped)" if bad else "")
    )


def _score(program: RewardProgram, samples: list[Sample], workers: int) -> ScoredBatch:
    if workers <= 0:
        return program.score(samples)
    from rewardkit.server.pool import ScoringPool  # the server's pool: processes, no FastAPI

    with ScoringPool(program.to_dict(), workers) as pool:
        return pool.score_many(samples, 0, program.state_dict())
