"""Golden cases for the code rewards (real sandbox runs through the process-wide pool)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import get
from rewardkit.rewards.code import (
    CodeParams,
    WeightedTests,
    WeightedTestsParams,
    extract_code,
    syntax_ok,
    unit_tests,
    unit_tests_all,
)
from rewardkit.types import Sample, Score

pytestmark = pytest.mark.process

P = CodeParams(time_limit=1.0, memory_limit_mb=256)
ADD = {
    "tests": [
        {"input": "1 2\n", "output": "3\n"},
        {"input": "5 5\n", "output": "10\n"},
        {"input": "0 0\n", "output": "0\n"},
        {"input": "2 3\n", "output": "5\n"},
    ]
}
ADD_ASSERTS = {
    "asserts": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(2, 2) == 4"],
    "entry": "add",
}
READ = "a, b = map(int, input().split())\n"


def sample(completion: str, reference: Any = ADD, meta: dict[str, Any] | None = None) -> Sample:
    return Sample(
        id="s", group="g", prompt="p", completion=completion, reference=reference, meta=meta or {}
    )


# (completion, reference, unit_tests, unit_tests_all, outcomes); 4 stdio tests or 3 asserts.
CASES = [
    (f"Here you go:\n```python\n{READ}print(a + b)\n```", ADD, 1.0, 1.0, ["passed"] * 4),
    (
        f"{READ}print(a * b)",
        ADD,
        0.25,
        0.0,  # only 0*0 == 0+0
        ["wrong_answer", "wrong_answer", "passed", "wrong_answer"],
    ),
    (
        f"{READ}print(a + b + (a == 5))",
        ADD,
        0.75,
        0.0,  # wrong only on "5 5"
        ["passed", "wrong_answer", "passed", "passed"],
    ),
    (
        f"{READ}print(a + b if a else 1 // a)",
        ADD,
        0.75,
        0.0,  # 1 // 0 on "0 0"
        ["passed", "passed", "runtime_error", "passed"],
    ),
    ("def solve(:\n    pass", ADD, 0.0, 0.0, ["syntax_error"] * 4),
    ("while True:\n    pass", ADD, 0.0, 0.0, ["timeout"] * 4),
    ("", ADD, 0.0, 0.0, ["syntax_error"] * 4),  # no program at all
    (
        f"```python\n{READ}print(a + b)\n```\nOutput:\n```text\n3\n```",
        ADD,
        1.0,
        1.0,
        ["passed"] * 4,
    ),
    ("```python\ndef add(a, b):\n    return a + b\n```", ADD_ASSERTS, 1.0, 1.0, ["passed"] * 3),
    (
        "def add(a, b):\n    return a * b",
        ADD_ASSERTS,
        1 / 3,
        0.0,  # only 2 * 2 == 2 + 2
        ["wrong_answer", "wrong_answer", "passed"],
    ),
    (
        "class Yes:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Yes()",
        ADD_ASSERTS,
        0.0,
        0.0,
        ["wrong_answer"] * 3,
    ),  # a forged __eq__ gains nothing
    ("def plus(a, b):\n    return a + b", ADD_ASSERTS, 0.0, 0.0, ["runtime_error"] * 3),  # no 'add'
]


def test_golden_cases() -> None:
    samples = [sample(c, ref) for c, ref, *_ in CASES]
    fractions, all_passed = unit_tests(samples, P), unit_tests_all(samples, P)
    for (completion, _, fraction, passed_all, outcomes), f, a in zip(
        CASES, fractions, all_passed, strict=True
    ):
        assert isinstance(f, Score) and isinstance(a, Score), completion
        assert f.value == pytest.approx(fraction), completion
        assert a.value == passed_all, completion
        assert f.info["tests"] == outcomes, completion
        assert f.info["passed"] == outcomes.count("passed") and f.info["total"] == len(outcomes)


def test_info_counts_error_classes() -> None:
    (score,) = unit_tests([sample(f"{READ}print(a + b if a else 1 // a)")], P)
    assert score.info["errors"] == {"runtime_error": 1}
    (empty,) = unit_tests([sample("")], P)
    assert empty.info["error"] == "no_code"


def test_no_reference_does_not_apply_and_a_malformed_one_raises() -> None:
    results = unit_tests(
        [
            sample("print(1)", None),
            sample("print(1)", {"tests": "oops"}),
            sample(f"{READ}print(a + b)"),
        ],
        P,
    )
    assert results[0] is None
    # a data problem, not the program's fault: counted by the on_unjudgeable policy
    assert isinstance(results[1], UnjudgeableReference) and "non-empty list" in str(results[1])
    assert results[1].wrong_value == 0.0
    assert isinstance(results[2], Score) and results[2].value == 1.0


@pytest.mark.parametrize(
    ("completion", "value"),
    [
        ("print(1)", 1.0),
        ("def f(:\n    pass", 0.0),
        ("", 0.0),
        ("```python\nx = (\n```", 0.0),
        ("while True:\n    pass", 1.0),  # compiles; never run
        ("Sure!\n```py\nimport os\nprint(os.getcwd())\n```", 1.0),
    ],
)
def test_syntax_ok(completion: str, value: float) -> None:
    (score,) = syntax_ok([sample(completion, None)], P)
    assert isinstance(score, Score) and score.value == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("print(1)", "print(1)"),
        ("```python\nprint(1)\n```", "print(1)"),
        ("```\nprint(1)\n```", "print(1)"),
        ("```python\nprint(1)\n```\n```python\nprint(2)\n```", "print(2)"),  # the last block
        ("```python\nprint(1)\n```\n```text\n1\n```", "print(1)"),  # Python preferred
        ("```python\nprint(1)\nprint(2)", "print(1)\nprint(2)"),  # an unclosed final fence
        ("   \n", None),
        ("```python\n\n```", None),
    ],
)
def test_extract_code(text: str, code: str | None) -> None:
    assert extract_code(text, CodeParams()) == code


def test_extract_option_is_shared() -> None:
    p = CodeParams(extract="answer_tag", time_limit=1.0)
    text = f"thinking... print(0)\n<answer>```python\n{READ}print(a + b)\n```</answer>"
    assert extract_code(text, p) == f"{READ}print(a + b)"
    (score,) = unit_tests([sample(text)], p)
    assert score.value == 1.0
    (missing,) = unit_tests([sample("no tags")], p)
    assert missing.value == 0.0


@pytest.mark.parametrize(
    "params",
    [
        {"backend": "fusion"},
        {"url": "http://x/run_code"},
        {"time_limit": 0},
        {"memory_limit_mb": 8},
        {"backend": "docker"},
        {"time_limit_from_reference": {"factor": 0}},
        {"time_limit_from_reference": {"min_s": 3, "max_s": 2}},
        {"time_limit_from_reference": {"max_s": 61}},
        {"time_limit_from_reference": {"from_reference": True}},
    ],
)
def test_bad_params_fail_at_build_time(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CodeParams(**params)


def test_components_are_registered() -> None:
    for name in ("unit_tests", "unit_tests_all", "syntax_ok", "weighted_tests"):
        assert get(name).doc
    assert get("weighted_tests").stateful


TWO = {
    "id": "p1",
    "tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}],
}
BOTH, FIRST, SECOND, NONE = (
    "print(sum(map(int, input().split())))",
    "print(3)",
    "print(10)",
    "print(0)",
)
WP = WeightedTestsParams(time_limit=1.0, memory_limit_mb=256)


def values(
    reward: WeightedTests, programs: list[str], params: WeightedTestsParams = WP
) -> list[float]:
    scores = reward.score_batch([sample(c, TWO) for c in programs], params)
    return [s.value for s in scores]


def test_weighted_tests_sequence() -> None:
    reward = WeightedTests()
    # Unseen problem: weights [0.5, 0.5]; one of two tests is dense 0.5, times lambda 0.5.
    assert values(reward, [BOTH, FIRST, FIRST, NONE]) == [1.0, 0.25, 0.25, 0.0]
    assert reward.state_dict() == {"problems": {"p1": {"attempts": [4, 4], "passes": [3, 1]}}}
    # Now p = (3+1)/(4+2) = 2/3 and (1+1)/6 = 1/3, so w = [1/3, 2/3]: the hard test pays double.
    got = values(reward, [FIRST, SECOND, BOTH])
    assert got == pytest.approx([0.5 * (1 / 3), 0.5 * (2 / 3), 1.0])
    assert reward.state_dict() == {"problems": {"p1": {"attempts": [7, 7], "passes": [5, 3]}}}


def test_weighted_tests_state_round_trip() -> None:
    state = {"problems": {"p1": {"attempts": [7, 7], "passes": [5, 3]}}}
    reward = WeightedTests()
    reward.load_state_dict(state)
    assert reward.state_dict() == state
    # w = [1 - 6/9, 1 - 4/9] = [1/3, 5/9]; SECOND gets (5/9) / (8/9) = 5/8 of the dense part.
    assert values(reward, [SECOND]) == pytest.approx([0.5 * 5 / 8])
    (score,) = WeightedTests().score_batch([sample(SECOND, TWO)], WP)
    assert score.info["weights"] == [0.5, 0.5] and score.info["dense"] == 0.5


@pytest.mark.parametrize(("partial_weight", "value"), [(0.0, 0.0), (1.0, 0.5), (0.2, 0.1)])
def test_partial_weight_is_lambda(partial_weight: float, value: float) -> None:
    params = WeightedTestsParams(time_limit=1.0, partial_weight=partial_weight)
    assert values(WeightedTests(), [FIRST], params) == pytest.approx([value])


def test_problem_key_falls_back_to_meta_then_to_the_tests() -> None:
    reward = WeightedTests()
    no_id = {"tests": TWO["tests"]}
    reward.score_batch([sample(FIRST, no_id, meta={"problem_id": "m1"}), sample(FIRST, no_id)], WP)
    first, second = sorted(reward.state_dict()["problems"])
    assert first == "m1" and second.startswith("sha1:")


def test_weighted_tests_rejects_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        WeightedTests().load_state_dict({"problems": {"p": {"attempts": [1], "passes": [2]}}})


def test_a_changed_test_count_starts_the_problem_over() -> None:
    reward = WeightedTests()
    reward.load_state_dict({"problems": {"p1": {"attempts": [9], "passes": [9]}}})
    values(reward, [FIRST])
    assert reward.state_dict()["problems"]["p1"] == {"attempts": [1, 1], "passes": [1, 0]}


def test_samples_without_reference_neither_score_nor_count() -> None:
    reward = WeightedTests()
    assert reward.score_batch([sample(FIRST, None)], WP) == [None]
    assert reward.state_dict() == {"problems": {}}


def test_a_lost_sandbox_is_a_verifier_failure_never_a_zero() -> None:
    """A test the sandbox could not run (its runner died) is not the program's fault: the sample
    is verifier-failed (cause ``sandbox_lost``), which the program leaves out of the baseline."""
    from rewardkit.errors import VerifierFailed
    from rewardkit.rewards.code import Evaluation, _checked
    from rewardkit.sandbox.cases import TestResult, TestSuite

    lost = TestResult(passed=False, error="sandbox_error", detail="runner died")
    evaluation = Evaluation("print(1)", TestSuite(cases=()), (TestResult(passed=True), lost))
    failed = _checked(evaluation)
    assert isinstance(failed, VerifierFailed) and failed.cause == "sandbox_lost"
    assert "1 of 2 tests" in str(failed)
    fine = Evaluation("print(1)", TestSuite(cases=()), (TestResult(passed=True),))
    assert _checked(fine) is fine
