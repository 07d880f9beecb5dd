"""Adaptive time limits: a problem's limit is its reference solution's measured time times a
factor, between a floor and a cap.

A fixed limit is too loose for fast problems (an accidental O(n^2) that takes 30 times the
reference's time still passes 2 s) and too tight for slow ones (a reference that needs 1.5 s
leaves a correct solution no margin). Measuring the reference solution once per problem and
scaling it fixes both, as judges do (Codeforces sets limits from the authors' solutions).

The reference solution (``"solution"`` in the reference, see ``cases``) runs against every test
of its problem, in the same sandbox and limits as the model's programs, with the cap as its time
limit. Its time is the slowest test's wall time. It is measured once per problem and kept in a
process-wide cache keyed by a hash of the solution, the tests and the settings, so each later
batch reuses it. A reference that fails its own tests makes the problem unjudgeable (the tests
or the solution are wrong: scoring against them would reward the wrong programs).

>>> ReferenceTimeLimit(factor=5, min_s=0.5, max_s=10).limit_for(0.04)
0.5
>>> ReferenceTimeLimit(factor=5, min_s=0.5, max_s=10).limit_for(0.3)
1.5
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rewardkit.errors import UnjudgeableReference
from rewardkit.sandbox.cases import TestResult, TestSuite, run_suites
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import Backend


@dataclass(frozen=True)
class ReferenceTimeLimit:
    """How a problem's time limit follows from its reference solution's time.

    Attributes:
        factor: limit = factor x the reference's slowest test (wall clock).
        min_s: the floor: process start-up jitter on a loaded machine must not fail a program.
        max_s: the cap, and the limit the reference itself runs under.
    """

    factor: float = 5.0
    min_s: float = 0.5
    max_s: float = 10.0

    def __post_init__(self) -> None:
        if self.factor <= 0 or not 0 < self.min_s <= self.max_s:
            raise ValueError(
                f"need factor > 0 and 0 < min_s <= max_s, got factor={self.factor}, "
                f"min_s={self.min_s}, max_s={self.max_s}"
            )

    def limit_for(self, reference_s: float) -> float:
        """The time limit for a problem whose reference took ``reference_s`` seconds."""
        limit = min(self.max_s, max(self.min_s, self.factor * reference_s))
        return max(self.min_s, round(limit, 3))  # rounded: stable in logs and cache keys


class ReferenceTimes:
    """Measured reference times (seconds), or why a reference could not be timed, per problem.

    A sandbox failure is never kept: the next batch measures again.
    """

    def __init__(self, size: int = 1 << 16):
        self.size = size
        self.measured = 0
        """How many references were run (cache misses), for tests and logs."""
        self._items: OrderedDict[str, float | UnjudgeableReference] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(settings: tuple[Any, ...], suite: TestSuite) -> str:
        text = repr((settings, suite.solution, suite.cases, suite.setup, suite.entry))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> float | UnjudgeableReference | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, value: float | UnjudgeableReference) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


REFERENCE_TIMES = ReferenceTimes()


def reference_limits(
    backend: Backend,
    suites: Sequence[TestSuite],
    policy: ReferenceTimeLimit,
    base: Limits,
    settings: tuple[Any, ...] = (),
    cache: ReferenceTimes = REFERENCE_TIMES,
) -> list[Limits | BaseException]:
    """Per suite: ``base`` with the time limit from its reference solution (``base`` itself when
    the suite has no solution); ``UnjudgeableReference`` when the reference fails its own tests;
    ``RuntimeError`` when the sandbox failed while timing it.

    References not in ``cache`` run in one concurrent batch (each distinct problem once).
    """
    measure_limits = replace(base, time_limit_s=policy.max_s)
    keys = [cache.key((settings, measure_limits), s) if s.solution else None for s in suites]
    found: dict[str, float | BaseException] = {}
    todo: dict[str, TestSuite] = {}
    for key, suite in zip(keys, suites, strict=True):
        if key is None or key in found or key in todo:
            continue
        cached = cache.get(key)
        if cached is None:
            todo[key] = suite
        else:
            found[key] = cached
    if todo:
        jobs = [(str(suite.solution), suite) for suite in todo.values()]
        ran = run_suites(backend, jobs, measure_limits)
        for (key, suite), results in zip(todo.items(), ran, strict=True):
            outcome = _reference_time(suite, results)
            if not isinstance(outcome, RuntimeError):
                cache.put(key, outcome)
            found[key] = outcome
        cache.measured += len(todo)
    out: list[Limits | BaseException] = []
    for key in keys:
        value = base if key is None else found[key]
        if isinstance(value, float):
            value = replace(base, time_limit_s=policy.limit_for(value))
        out.append(value)
    return out


def _reference_time(
    suite: TestSuite, results: Sequence[TestResult]
) -> float | UnjudgeableReference | RuntimeError:
    """The slowest test's wall time, or why the reference cannot set a time limit."""
    lost = [r for r in results if r.error == "sandbox_error"]
    if lost:
        return RuntimeError(
            f"the sandbox failed while timing the reference solution of problem "
            f"{suite.problem_id!r} ({lost[0].detail}); not scored"
        )
    failed = [(j, r) for j, r in enumerate(results) if not r.passed]
    if failed:
        j, first = failed[0]
        return UnjudgeableReference(
            f"the reference solution of problem {suite.problem_id!r} fails {len(failed)} of its "
            f"{len(results)} tests (test {j}: {first.outcome}{': ' + first.detail if first.detail else ''}); "
            "fix the reference or its tests, or drop time_limit_from_reference"
        )
    return max(r.wall_s for r in results)
