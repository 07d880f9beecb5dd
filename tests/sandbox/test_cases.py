"""Test formats: parsing references, comparing outputs, judging runs, running suites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from rewardkit.sandbox.cases import (
    ResultCache,
    TestCase,
    TestResult,
    judge,
    normalize_output,
    parse_reference,
    run_suite,
    run_suites,
)
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import SKIPPED_DETAIL, ExecResult, RunRequest, TimeoutGroups

pytestmark = pytest.mark.process

STDIO = {"tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "2 2\n", "output": "4\n"}]}


@pytest.mark.parametrize(
    ("reference", "kinds", "problem_id"),
    [
        (STDIO, ["stdio", "stdio"], None),
        ('{"tests": [{"input": "", "output": "1"}], "id": "p7"}', ["stdio"], "p7"),  # JSON text
        ({"inputs": ["a"], "outputs": ["b"], "problem_id": 3}, ["stdio"], "3"),
        ({"asserts": ["assert f(2) == 4"]}, ["value"], None),  # judged outside the sandbox
        ({"asserts": ["assert f(2) == [1, (2,)]"]}, ["value"], None),
        ({"asserts": ["assert f(2) == g(2)"]}, ["assert"], None),  # not a literal
        ({"asserts": ["assert f(2) != 4"]}, ["assert"], None),
        ({"asserts": ["assert f(2) == 4 == 4"]}, ["assert"], None),  # chained
        ({"asserts": ["x = f(2)\nassert x == 4"]}, ["assert"], None),  # two statements
    ],
)
def test_parse_reference(reference: Any, kinds: list[str], problem_id: str | None) -> None:
    suite = parse_reference(reference)
    assert [c.kind for c in suite.cases] == kinds
    if problem_id is None:
        assert suite.problem_id.startswith("sha1:")  # a stable hash of the tests
    else:
        assert suite.problem_id == problem_id


def test_problems_without_id_are_named_by_their_tests() -> None:
    assert parse_reference(STDIO).problem_id == parse_reference(dict(STDIO)).problem_id
    other = {"tests": [{"input": "1 2\n", "output": "4\n"}]}
    assert parse_reference(other).problem_id != parse_reference(STDIO).problem_id


def test_value_case_keeps_the_expression_and_literal() -> None:
    (case,) = parse_reference(
        {"asserts": ["assert add(1, 2) == (3, 'x')"], "entry": "add", "setup": "import math"}
    ).cases
    assert (case.expression, case.expected) == ("add(1, 2)", (3, "x"))


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ([1, 2], "must be a dict"),
        ("not json", "must be JSON"),
        ({}, "exactly one of"),
        ({"tests": [], "asserts": []}, "exactly one of"),
        ({"tests": []}, "non-empty list"),
        ({"tests": [{"input": "1"}]}, "'input' and 'output'"),
        ({"tests": [{"input": 1, "output": "1"}]}, "must be strings"),
        ({"inputs": ["a"], "outputs": []}, "non-empty"),
        ({"inputs": ["a", "b"], "outputs": ["c"]}, "has 2 items"),
        ({"asserts": [3]}, "must be a string"),
        ({"asserts": ["assert f(2) =="]}, "not valid Python"),
        ({"asserts": ["assert f()"], "setup": 1}, "'setup' must be"),
        ({"tests": [{"input": "", "output": ""}], "entry": "f"}, "apply to 'asserts'"),
    ],
)
def test_malformed_references_raise_with_a_fix(reference: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reference(reference)


@pytest.mark.parametrize(
    ("got", "wanted", "same"),
    [
        ("3\n", "3", True),
        ("3  \n\n\n", "3", True),
        ("1 2 \n3\n", "1 2\n3", True),
        (" 3\n", "3", False),  # leading space counts
        ("3\n4\n", "3\n\n4", False),  # blank lines inside count
        ("", "", True),
        ("3.0\n", "3", False),
    ],
)
def test_normalize_output(got: str, wanted: str, same: bool) -> None:
    assert (normalize_output(got) == normalize_output(wanted)) is same


STDIO_CASE = TestCase(kind="stdio", output="3\n")
VALUE_CASE = TestCase(kind="value", expression="f(2)", expected=4)
ASSERT_CASE = TestCase(kind="assert", statement="assert f(2) == g(2)")


@pytest.mark.parametrize(
    ("case", "result", "passed", "error"),
    [
        (STDIO_CASE, ExecResult("ok", stdout="3"), True, None),
        (STDIO_CASE, ExecResult("ok", stdout="4\n"), False, "wrong_answer"),
        (VALUE_CASE, ExecResult("ok", value=4), True, None),
        (VALUE_CASE, ExecResult("ok", value=4.0), True, None),  # Python's == : 4 == 4.0
        (VALUE_CASE, ExecResult("ok", value="4"), False, "wrong_answer"),
        (ASSERT_CASE, ExecResult("ok"), True, None),
        (ASSERT_CASE, ExecResult("wrong_answer"), False, "wrong_answer"),
        (STDIO_CASE, ExecResult("timeout", stdout="3"), False, "timeout"),  # output too late
        (STDIO_CASE, ExecResult("memory"), False, "memory"),
        (STDIO_CASE, ExecResult("syntax_error"), False, "syntax_error"),
        (STDIO_CASE, ExecResult("sandbox_error"), False, "sandbox_error"),
    ],
)
def test_judge(case: TestCase, result: ExecResult, passed: bool, error: str | None) -> None:
    outcome = judge(case, result)
    assert (outcome.passed, outcome.error) == (passed, error)


class Recorder:
    """A backend that answers every run with the same stdout and records the requests."""

    def __init__(self, stdout: str):
        self.stdout = stdout
        self.requests: list[RunRequest] = []

    def run_many(self, requests: Sequence[RunRequest]) -> list[ExecResult]:
        self.requests.extend(requests)
        return [ExecResult("ok", stdout=self.stdout) for _ in requests]


def test_run_suite_sends_one_run_per_test() -> None:
    backend = Recorder("3\n")
    results = run_suite(backend, "print(3)", parse_reference(STDIO), Limits(time_limit_s=1))
    assert [r.outcome for r in results] == ["passed", "wrong_answer"]
    assert [r.stdin for r in backend.requests] == ["1 2\n", "2 2\n"]
    assert {r.limits.time_limit_s for r in backend.requests} == {1}


def test_asserts_run_in_the_sandbox(pool: SandboxPool) -> None:
    reference = {
        "asserts": [
            "assert add(1, 2) == 3",
            "assert add(2, 2) == 5",
            "assert add(0, 0) == add(0, 0)",
            "assert add('a', 'b') == 'ab'",
        ],
        "setup": "import operator",
        "entry": "add",
    }
    code = "def add(a, b):\n    return operator.add(a, b)"
    results = run_suite(pool, code, parse_reference(reference), Limits(time_limit_s=2))
    assert [r.outcome for r in results] == ["passed", "wrong_answer", "passed", "passed"]
    missing = run_suite(pool, "x = 1", parse_reference(reference), Limits(time_limit_s=2))
    assert {r.outcome for r in missing} == {"runtime_error"}


def test_result_cache_keeps_recent_results_and_never_sandbox_failures() -> None:
    suite = parse_reference(STDIO)
    cache = ResultCache(size=2)
    keys = [cache.key(("local", 1.0), f"print({i})", suite) for i in range(3)]
    assert len(set(keys)) == 3 and cache.key(("local", 2.0), "print(0)", suite) != keys[0]
    for key in keys:
        cache.put(key, (TestResult(True),))
    assert cache.get(keys[0]) is None  # the oldest went first
    assert cache.get(keys[2]) == (TestResult(True),)
    failed = cache.key(("local",), "x", suite)
    cache.put(failed, (TestResult(False, "sandbox_error"),))
    assert cache.get(failed) is None


def test_a_reference_may_carry_its_solution() -> None:
    assert parse_reference(STDIO).solution is None
    assert parse_reference({**STDIO, "solution": "print(3)"}).solution == "print(3)"
    for bad in (3, "  "):
        with pytest.raises(ValueError, match="'solution' must be"):
            parse_reference({**STDIO, "solution": bad})


def test_run_suites_makes_each_job_a_stop_group_with_its_own_limits() -> None:
    backend = Recorder("3\n")
    suite = parse_reference(STDIO)
    slow, fast = Limits(time_limit_s=3), Limits(time_limit_s=0.5)
    run_suites(backend, [("print(3)", suite), ("print(4)", suite)], [slow, fast])
    assert [r.stop_group for r in backend.requests] == ["0", "0", "1", "1"]
    assert [r.limits.time_limit_s for r in backend.requests] == [3, 3, 0.5, 0.5]
    with pytest.raises(ValueError, match="2 jobs but 1 limits"):
        run_suites(backend, [("a", suite), ("b", suite)], [slow])


def test_a_skipped_run_is_a_skipped_timeout() -> None:
    result = judge(parse_reference(STDIO).cases[0], TimeoutGroups.skipped_result())
    assert (result.outcome, result.skipped, result.detail) == ("timeout", True, SKIPPED_DETAIL)


def test_a_suite_stops_at_its_first_timeout() -> None:
    reference = {"tests": [{"input": f"{n}\n", "output": f"{n}\n"} for n in (1, 2, 3)]}
    code = "n = int(input())\nwhile n == 1:\n    pass\nprint(n)"
    with SandboxPool(workers=1) as one:  # one worker: the tests run in order
        results = run_suite(one, code, parse_reference(reference), Limits(time_limit_s=1))
    assert [(r.outcome, r.skipped) for r in results] == [
        ("timeout", False),
        ("timeout", True),
        ("timeout", True),
    ]
