"""Adaptive time limits: the reference solution's time x a factor, in [min_s, max_s], measured
once per problem."""

from __future__ import annotations

import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.sandbox.cases import parse_reference
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.time_limits import ReferenceTimeLimit, ReferenceTimes, reference_limits

pytestmark = pytest.mark.process

BASE = Limits(time_limit_s=2.0, memory_mb=256)
POLICY = ReferenceTimeLimit(factor=4, min_s=1.0, max_s=5.0)
TESTS = [{"input": f"{n} {n}\n", "output": f"{2 * n}\n"} for n in (1, 2, 3)]
SOLUTION = "a, b = map(int, input().split())\nprint(a + b)"
SOLVED = {"tests": TESTS, "solution": SOLUTION}


@pytest.mark.parametrize(
    ("reference_s", "limit"),
    [(0.01, 1.0), (0.25, 1.0), (0.3, 1.2), (1.0, 4.0), (2.0, 5.0), (60.0, 5.0)],
)
def test_limit_is_the_factor_times_the_reference_between_floor_and_cap(
    reference_s: float, limit: float
) -> None:
    assert POLICY.limit_for(reference_s) == limit


@pytest.mark.parametrize(
    "options", [{"factor": 0}, {"min_s": 0}, {"min_s": 3, "max_s": 2}, {"max_s": -1}]
)
def test_bad_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="min_s <= max_s"):
        ReferenceTimeLimit(**options)


def test_a_fast_reference_gets_the_floor_and_is_measured_once(pool: SandboxPool) -> None:
    cache = ReferenceTimes()
    policy = ReferenceTimeLimit(factor=2, min_s=1.0, max_s=5.0)
    suites = [parse_reference(SOLVED), parse_reference(SOLVED)]  # one problem, two samples
    first = reference_limits(pool, suites, policy, BASE, cache=cache)
    # a + b in a forked interpreter takes milliseconds: 2 x that stays under the 1 s floor
    # unless a test waited half a second for a core
    assert first == [Limits(time_limit_s=1.0, memory_mb=256)] * 2
    assert cache.measured == 1
    assert reference_limits(pool, suites, policy, BASE, cache=cache) == first
    assert cache.measured == 1  # reused, not run again


def test_a_slow_reference_scales_its_limit(pool: SandboxPool) -> None:
    slow = {**SOLVED, "solution": "import time\ntime.sleep(0.4)\n" + SOLUTION}
    (limits,) = reference_limits(
        pool, [parse_reference(slow)], POLICY, BASE, cache=ReferenceTimes()
    )
    assert isinstance(limits, Limits)
    assert 1.6 <= limits.time_limit_s <= 5.0  # 4 x (0.4 s and the run's own time)


def test_a_problem_without_solution_keeps_the_fixed_limit(pool: SandboxPool) -> None:
    cache = ReferenceTimes()
    suites = [parse_reference({"tests": TESTS})]
    assert reference_limits(pool, suites, POLICY, BASE, cache=cache) == [BASE]
    assert cache.measured == 0


def test_a_reference_that_fails_its_tests_makes_the_problem_unjudgeable(
    pool: SandboxPool,
) -> None:
    wrong = {**SOLVED, "id": "p9", "solution": "print(0)"}
    spins = {**SOLVED, "id": "p10", "solution": "while True:\n    pass"}
    policy = ReferenceTimeLimit(factor=4, min_s=0.5, max_s=0.5)
    cache = ReferenceTimes()
    got = reference_limits(
        pool, [parse_reference(wrong), parse_reference(spins)], policy, BASE, cache=cache
    )
    assert all(isinstance(g, UnjudgeableReference) for g in got)
    assert "'p9' fails 3 of its 3 tests (test 0: wrong_answer)" in str(got[0])
    assert "'p10' fails 3 of its 3 tests (test 0: timeout" in str(got[1])
    again = reference_limits(pool, [parse_reference(wrong)], policy, BASE, cache=cache)
    assert again == [got[0]] and cache.measured == 2  # the verdict is kept too


def test_the_cache_forgets_the_oldest_problem_first() -> None:
    cache = ReferenceTimes(size=2)
    keys = [cache.key((), parse_reference({**SOLVED, "solution": f"print({n})"})) for n in range(3)]
    for n, key in enumerate(keys):
        cache.put(key, float(n))
    assert cache.get(keys[0]) is None and cache.get(keys[2]) == 2.0


def test_rounding_never_goes_below_the_floor() -> None:
    assert ReferenceTimeLimit(factor=1, min_s=0.0001, max_s=1).limit_for(0.00001) == 0.0001
    assert ReferenceTimeLimit(factor=3, min_s=0.1, max_s=1).limit_for(0.1234) == 0.37
