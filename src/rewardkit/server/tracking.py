"""What a scorer is running and how long each sample took in each component.

``ComponentClock.install(program)`` wraps every leaf of a program. While a batch is scored it
records, per component path, the seconds spent on each row of the batch:

- a per-sample component (a plain function of one sample): measured per sample, around the
  component's own call;
- a batched or stateful component (one call for the whole batch): the call's time divided by the
  number of samples in it (the only cheap figure; it is a batch mean, not the sample's own).

In a worker process the clock also writes, in shared memory, the component it is in, the row it
is on (-1: a batched call, no single row) and since when, so the pool can kill a worker stuck on
one sample and name both (``pool.py``).

>>> from rewardkit.program import RewardProgram
>>> from rewardkit.types import Sample
>>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
>>> clock = ComponentClock()
>>> clock.install(program)
>>> samples = [Sample(id="a", group="g", prompt="", completion="4", reference="4")]
>>> with clock.batch(samples) as seconds:
...     _ = program.score(samples)
>>> list(seconds), len(seconds["reward"])
(['reward'], 1)
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from rewardkit.types import Sample

Seconds = dict[str, np.ndarray]
"""Component path -> seconds spent on each row of a batch."""

PATH_BYTES = 256


class Progress:
    """Shared memory a worker writes and the pool reads: component, row, start time."""

    def __init__(self, ctx: Any):
        self.path = ctx.Array("c", PATH_BYTES, lock=False)
        self.row = ctx.Value("i", -1, lock=False)
        self.since = ctx.Value("d", 0.0, lock=False)

    def mark(self, path: str | None, row: int) -> None:
        if path is not None:
            self.path.value = path.encode()[: PATH_BYTES - 1]
        self.row.value = row
        self.since.value = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process

    def where(self) -> tuple[str, int]:
        """(component path, row; -1 for a batched call) the worker is on."""
        return self.path.value.decode(errors="replace") or "reward", int(self.row.value)

    def idle_for(self) -> float:
        """Seconds since the worker last started a component or a sample."""
        return time.monotonic() - float(self.since.value)


class ComponentClock:
    """Per-row seconds per component of the batches scored on this thread (see module doc)."""

    def __init__(self, progress: Progress | None = None):
        self.progress = progress
        self._local = threading.local()

    def install(self, program: Any) -> None:
        """Wrap every leaf of ``program`` (a ``RewardProgram``) once."""
        for leaf in program.leaves():
            scorer = leaf.scorer
            if scorer is None or getattr(scorer, "_clocked", False):
                continue
            per_sample = scorer.instance is None and not scorer.component.batched
            scorer.run = self._run(scorer.run, per_sample)
            if per_sample:
                fn = self._fn(scorer.component.fn, leaf.path)
                scorer.component = dataclasses.replace(scorer.component, fn=fn)
            scorer._clocked = True

    @contextmanager
    def batch(self, samples: Sequence[Sample]) -> Iterator[Seconds]:
        """Record the scoring of ``samples`` (this thread) into the yielded dict, filled when
        the block ends."""
        seconds: Seconds = {}
        current = _Batch({id(s): i for i, s in enumerate(samples)}, len(samples))
        self._local.batch = current
        try:
            yield seconds
        finally:
            self._local.batch = None
            seconds.update({p: np.array(c) for p, c in current.seconds.items()})

    def _current(self) -> _Batch | None:
        return getattr(self._local, "batch", None)

    def _run(self, run: Any, per_sample: bool) -> Any:
        def run_clocked(path: str, ctx: Any) -> None:
            if self.progress is not None:
                self.progress.mark(path, -1)
            start = time.perf_counter()
            run(path, ctx)
            if per_sample or not ctx.samples:
                return
            current = self._current()
            if current is not None:
                share = (time.perf_counter() - start) / len(ctx.samples)
                for sample in ctx.samples:
                    current.add(path, current.rows.get(id(sample), -1), share)

        return run_clocked

    def _fn(self, fn: Any, path: str) -> Any:
        def fn_clocked(sample: Sample, params: Any) -> Any:
            current = self._current()
            row = -1 if current is None else current.rows.get(id(sample), -1)
            if self.progress is not None:
                self.progress.mark(None, row)
            start = time.perf_counter()
            try:
                return fn(sample, params)
            finally:
                if current is not None:
                    current.add(path, row, time.perf_counter() - start)

        return fn_clocked


class _Batch:
    """The batch a thread is scoring: each sample's row, and seconds per path as lists."""

    __slots__ = ("n", "rows", "seconds")

    def __init__(self, rows: dict[int, int], n: int):
        self.rows, self.n = rows, n
        self.seconds: dict[str, list[float]] = {}

    def add(self, path: str, row: int, elapsed: float) -> None:
        if row < 0:
            return
        column = self.seconds.get(path)
        if column is None:
            column = self.seconds[path] = [0.0] * self.n
        column[row] += elapsed
