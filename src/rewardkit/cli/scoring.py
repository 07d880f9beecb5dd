"""Score a file's samples chunk by chunk (whole groups), writing each chunk's lines at once.

A run stopped half-way keeps every line it scored: a component that raises on the sample at
line 700 leaves the groups before it in the output. A terminal shows a progress bar; a log
file (CI, SLURM) gets the output path first and a plain line every EVERY samples or SECONDS.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from rewardkit.advantage import Advantages
from rewardkit.cli.inputs import fail, write_failed
from rewardkit.errors import RewardKitError
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch

err = Console(stderr=True, soft_wrap=True)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)


def output_rows(scored: ScoredBatch, adv: Advantages) -> Iterator[dict[str, object]]:
    """One output record per sample."""
    errors, unjudgeable = scored.records_by_sample()
    for i, sample in enumerate(scored.samples):
        yield {
            "id": sample.id,
            "reward": _num(scored.rewards[i]),
            "components": {p: _num(col[i]) for p, col in scored.values.items() if p != scored.root},
            "advantage": _num(adv.per_sample[i]),
            "errors": errors.get(sample.id, []),
            "unjudgeable": unjudgeable.get(sample.id, []),
        }


def chunks(samples: list[Sample], estimator: str, workers: int) -> list[list[int]]:
    """Indices to score together: whole groups, about CHUNK samples at a time.

    Estimators that normalise over the whole batch (batch_std, gdpo) and the worker pool score
    the file as one batch, as before: their numbers depend on every sample.
    """
    if workers > 0 or estimator in ("batch_std", "gdpo"):
        return [list(range(len(samples)))]
    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.group, []).append(i)
    chunks: list[list[int]] = [[]]
    for rows in groups.values():
        if len(chunks[-1]) >= CHUNK:
            chunks.append([])
        chunks[-1].extend(rows)
    return chunks


CHUNK = 64
"""Samples per scoring call: big enough for batched components, small enough to stream."""


def score_into(
    program: RewardProgram, samples: list[Sample], output: Path, workers: int
) -> ScoredBatch:
    """Score chunk by chunk, writing each chunk's lines as soon as it is scored."""
    parts_of = chunks(samples, program.config.advantage.estimator, workers)
    parts: list[ScoredBatch] = []
    order: list[int] = []
    try:
        with output.open("w", encoding="utf-8") as f, ScoreProgress(len(samples), output) as shown:
            for chunk in parts_of:
                part = [samples[i] for i in chunk]
                try:
                    scored = _score(program, part, workers)
                except RewardKitError as exc:
                    written = _salvage(program, part, f) + len(order)
                    fail(f"{exc}\n({written} scored samples before it are in {output})")
                adv = program.advantages(scored)
                for row in output_rows(scored, adv):
                    f.write(json.dumps(row) + "\n")
                f.flush()
                parts.append(scored)
                order += chunk
                shown.advance(len(chunk))
    except OSError as exc:
        fail(str(write_failed(output, exc)))
    from rewardkit.diagnostics import merge_scored

    return merge_scored(parts, order) if len(parts) > 1 else parts[0]


def _salvage(program: RewardProgram, part: list[Sample], f: Any) -> int:
    """Write the groups of a failed chunk that score on their own; the samples written."""
    groups: dict[str, list[Sample]] = {}
    for sample in part:
        groups.setdefault(sample.group, []).append(sample)
    written = 0
    for group in groups.values():
        try:
            scored = program.score(group)
        except RewardKitError:
            break
        for row in output_rows(scored, program.advantages(scored)):
            f.write(json.dumps(row) + "\n")
        written += len(group)
    f.flush()
    return written


class ScoreProgress:
    """A progress bar on a terminal; off one (a log file, CI), the output path at the start and
    a plain line every EVERY samples or SECONDS seconds."""

    EVERY = 1000
    SECONDS = 10.0

    def __init__(self, total: int, output: Path):
        self.total, self.output, self.done = total, output, 0
        self.bar: Progress | None = None
        self.last_line = (0, time.monotonic())

    def __enter__(self) -> ScoreProgress:
        if err.is_terminal:
            self.bar = Progress(console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("scoring", total=self.total)
        else:
            err.print(
                f"scoring {self.total} samples into {self.output}", markup=False, highlight=False
            )
        return self

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
            return
        count, at = self.last_line
        now = time.monotonic()
        if self.done < self.total and (self.done - count >= self.EVERY or now - at >= self.SECONDS):
            err.print(f"scored {self.done}/{self.total} samples", highlight=False)
            self.last_line = (self.done, now)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _score(program: RewardProgram, samples: list[Sample], workers: int) -> ScoredBatch:
    if workers <= 0:
        return program.score(samples)
    from rewardkit.server.pool import ScoringPool  # the server's pool: processes, no FastAPI

    with ScoringPool(program.to_dict(), workers) as pool:
        return pool.score_many(samples, 0, program.state_dict())
