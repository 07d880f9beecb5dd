"""The code rewards' time limits: a program's first timeout fails its remaining tests at once,
and ``time_limit_from_reference`` sets each problem's limit from its reference solution (real
sandbox runs through the process-wide pool)."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.code import CodeParams, unit_tests
from rewardkit.sandbox.pool import available_cores
from rewardkit.types import Sample, Score

pytestmark = pytest.mark.process

READ = "a, b = map(int, input().split())\n"
SOLUTION = READ + "print(a + b)"
TESTS = [{"input": f"{n} 1\n", "output": f"{n + 1}\n"} for n in range(12)]
ADAPTIVE = CodeParams(
    time_limit=1.0,
    memory_limit_mb=256,
    time_limit_from_reference={"factor": 2, "min_s": 2.0, "max_s": 5},
)


def sample(completion: str, reference: Any) -> Sample:
    return Sample(id="s", group="g", prompt="p", completion=completion, reference=reference)


def test_a_program_that_times_out_fails_its_remaining_tests_at_once() -> None:
    (score,) = unit_tests([sample("while True:\n    pass", {"tests": TESTS})], ADAPTIVE)
    assert isinstance(score, Score) and score.value == 0.0
    assert score.info["tests"] == ["timeout"] * 12
    # the tests are split over the workers: each worker's first test runs, its others do not
    assert score.info["skipped_after_timeout"] >= 12 - 2 * available_cores()
    assert "time_limit" not in score.info  # no solution in the reference: the fixed limit


def test_the_time_limit_comes_from_the_reference_solution() -> None:
    reference = {"tests": TESTS[:3], "solution": SOLUTION, "id": "add-one"}
    right = sample(SOLUTION, reference)
    slow = sample("import time\ntime.sleep(1.2)\n" + SOLUTION, reference)
    scores = unit_tests([right, slow], ADAPTIVE)
    assert all(isinstance(s, Score) for s in scores)
    assert [s.info["time_limit"] for s in scores] == [2.0, 2.0]  # 2 x a few ms -> the floor
    # 1.2 s per test: within the limit from the reference (2 s), over the fixed one (1 s)
    assert [s.value for s in scores] == [1.0, 1.0]
    (fixed,) = unit_tests([slow], ADAPTIVE.model_copy(update={"time_limit_from_reference": None}))
    assert isinstance(fixed, Score) and fixed.info["tests"] == ["timeout"] * 3


def test_a_reference_that_fails_its_own_tests_is_unjudgeable() -> None:
    reference = {"tests": TESTS[:3], "solution": "print(0)", "id": "broken"}
    (result,) = unit_tests([sample(SOLUTION, reference)], ADAPTIVE)
    assert isinstance(result, UnjudgeableReference)
    assert "'broken' fails 3 of its 3 tests (test 0: wrong_answer)" in str(result)
