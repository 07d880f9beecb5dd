"""Score a rollout file chunk by chunk (whole groups), writing each chunk's lines at once.

Memory stays bounded: the file is read back a chunk at a time (``cli/rollouts.py``) and the
summary is a running sum (``cli/score_summary.py``). A run stopped half-way keeps every line it
scored: a component that raises on the sample at line 700 leaves the groups before it in the
output. A terminal shows a progress bar; a log file (CI, SLURM) gets the output path first and
at most ``ScoreProgress.LINES`` plain lines, each with the rate and the time left.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from rewardkit.advantage import Advantages
from rewardkit.cli.inputs import fail, write_failed
from rewardkit.cli.rollouts import Rollouts
from rewardkit.cli.score_summary import ScoreSummary, zero_reasons
from rewardkit.errors import RewardKitError
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch

err = Console(stderr=True, soft_wrap=True)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)


def output_rows(scored: ScoredBatch, adv: Advantages) -> Iterator[dict[str, object]]:
    """One output record per sample."""
    errors, unjudgeable = scored.records_by_sample()
    why = zero_reasons(scored)
    for i, sample in enumerate(scored.samples):
        yield {
            "id": sample.id,
            "reward": _num(scored.rewards[i]),
            "components": {p: _num(col[i]) for p, col in scored.values.items() if p != scored.root},
            "advantage": _num(adv.per_sample[i]),
            "errors": errors.get(sample.id, []),
            "unjudgeable": unjudgeable.get(sample.id, []),
            "why_zero": why[i],
        }


def chunk_size(estimator: str, workers: int) -> int:
    """Samples per scoring call (whole groups); 0: the file as one batch.

    Estimators that normalise over the whole batch (batch_std, gdpo) need every sample at once;
    a worker pool gets a chunk big enough to keep each of its workers busy.
    """
    if estimator in ("batch_std", "gdpo"):
        return 0
    return CHUNK * 4 * workers if workers > 0 else CHUNK


CHUNK = 64
"""Samples per scoring call in this process: big enough for batched components, small enough
to stream."""


def score_into(
    program: RewardProgram, rollouts: Rollouts, output: Path, workers: int
) -> ScoreSummary:
    """Score chunk by chunk, writing each chunk's lines as soon as it is scored."""
    size = chunk_size(program.config.advantage.estimator, workers)
    summary = ScoreSummary()
    written = 0
    try:
        with ExitStack() as stack:
            f = stack.enter_context(output.open("w", encoding="utf-8"))
            shown = stack.enter_context(ScoreProgress(len(rollouts), output))
            read = stack.enter_context(rollouts.reader())
            pool = _pool(program, workers, stack)
            for rows in rollouts.chunks(size):
                part = read(rows)
                try:
                    scored = _score(program, part, pool)
                except RewardKitError as exc:
                    written += _salvage(program, part, f)
                    fail(f"{exc}\n({written} scored samples before it are in {output})")
                for row in output_rows(scored, program.advantages(scored)):
                    f.write(json.dumps(row) + "\n")
                f.flush()
                summary.add(scored)
                written += len(part)
                shown.advance(len(part))
    except OSError as exc:
        fail(str(write_failed(output, exc)))
    return summary


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
    a plain line each time another ``1/LINES`` of the samples is done: at most LINES lines,
    whatever the file's size, each with the rate and the time left."""

    LINES = 10

    def __init__(self, total: int, output: Path):
        self.total, self.output, self.done = total, output, 0
        self.bar: Progress | None = None
        self.started = time.monotonic()
        self.k = 1  # the next line is printed when k/LINES of the samples are done

    def _mark(self, k: int) -> int:
        return math.ceil(self.total * k / self.LINES)

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
        if self.done < self._mark(self.k) or self.done >= self.total:
            return
        while self._mark(self.k) <= self.done:
            self.k += 1
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else float("inf")
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        err.print(
            f"scored {self.done}/{self.total} samples ({100 * self.done / self.total:.0f}%), "
            f"{rate:.0f}/s, about {_duration(left)} left",
            markup=False,
            highlight=False,
        )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _pool(program: RewardProgram, workers: int, stack: ExitStack) -> Any:
    """The server's process pool (no FastAPI), started once for the whole file; None: here."""
    if workers <= 0:
        return None
    from rewardkit.server.pool import ScoringPool

    return stack.enter_context(ScoringPool(program.to_dict(), workers))


def _score(program: RewardProgram, samples: list[Sample], pool: Any) -> ScoredBatch:
    if pool is None:
        return program.score(samples)
    return pool.score_many(samples, 0, program.state_dict())
