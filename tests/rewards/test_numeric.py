"""Golden cases for ``numeric``: the grammar through the component, tolerances, references."""

from __future__ import annotations

from typing import Any

import pytest
from tests.rewards.calls import run, value

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import JSONValue

# ---------------------------------------------------------------- numeric


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        (
            "The total is 1,234.",
            1234,
            {"extract": "last_number"},
            1.0,
        ),  # last number, thousands separator
        ("It costs $12.50", "12.5", {"extract": "last_number"}, 1.0),
        ("3 apples and then 4 apples", 4, {"extract": "last_number"}, 1.0),
        ("3 apples and then 4 apples", 4, {}, 0.0),  # extract: text: the whole span
        ("3 apples and then 4 apples", 3, {}, 0.0),
        ("about 3/4 of it", 0.75, {"extract": "last_number"}, 1.0),
        ("50%", 0.5, {}, 1.0),  # percent as a fraction by default
        ("50%", "50%", {}, 1.0),
        ("50%", 50, {"percent": "number"}, 1.0),
        ("50%", 50, {}, 0.0),  # 0.5 is not 50
        ("x = 3.14", "3.14159", {}, 0.0),
        ("x = 3.14", "3.14159", {"abs_tol": 0.01}, 1.0),  # |3.14 - 3.14159| = 0.0016
        ("100", 101, {"rel_tol": 0.01}, 1.0),  # 1 <= 0.01 * 101
        ("100", 102, {"rel_tol": 0.01}, 0.0),  # 2 > 0.01 * 102
        ("0.30000000000000004", 0.3, {}, 1.0),  # float noise is absorbed for decimals
        ("2049425731", 2049425730, {}, 0.0),  # integers exactly: 1.0 before (rel_tol 1e-9)
        ("2049425730", 2049425730, {}, 1.0),
        ("2,049,425,730", "2049425730", {}, 1.0),
        ("12345678901234567891", 12345678901234567890, {}, 0.0),  # past float precision
        ("12345678901234567890", "12345678901234567890", {}, 1.0),
        ("12.0000000001", 12, {}, 0.0),  # an integer reference wants the integer
        ("12.0", 12, {}, 1.0),
        ("1e3", 1000, {"extract": "text"}, 1.0),
        ("0.1", "1/10", {}, 1.0),  # exact decimals: 0.1 is 1/10
        ("2049425731", 2049425730, {"rel_tol": 1e-9}, 1.0),  # an explicit tolerance applies
        ("2049425731", 2049425730, {"abs_tol": 1}, 1.0),
        ("2049425732", 2049425730, {"abs_tol": 1}, 0.0),
        ("The answer is \\frac{3}{4}", 4, {}, 0.0),  # the denominator alone paid 1.0
        ("The answer is \\frac{3}{4}", 0.75, {"extract": "last_number"}, 1.0),
        ("The answer is \\frac{3}{4}", 0.75, {}, 0.0),  # extract: text: the whole span,
        ("The answer is 2^{10}", 10, {}, 0.0),  # the exponent alone paid 1.0
        ("The answer is \\sqrt{2}", 2, {}, 0.0),
        ("So x = \u221212.", -12, {"extract": "last_number"}, 1.0),
        ("x = \u221212.", -12, {}, 1.0),  # a U+2212 minus was dropped: 0.0
        ("So x = \u221212.", 12, {}, 0.0),
        ("no numbers here", 3, {}, 0.0),
        ("<answer>12 cm</answer>", 12, {"extract": "answer_tag"}, 0.0),  # a unit not named
        ("<answer>12 cm</answer>", 12, {"extract": "answer_tag", "units": ["cm"]}, 1.0),
        ("<answer>twelve</answer>", 12, {"extract": "answer_tag"}, 0.0),  # not a number
        ("\\boxed{\\frac{3}{4}}", "0.75", {"extract": "boxed"}, 1.0),
        ("-7", -7, {}, 1.0),
        ("7", [6, 7], {}, 1.0),  # any acceptable number
    ],
)
def test_numeric_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("numeric", completion, reference, **params) == expected


@pytest.mark.parametrize(
    "reference", ["forty-two", "N/A", "unknown", "3 + 4", "1/0", ["a", "b"], float("inf")]
)
def test_numeric_unparseable_reference_is_unjudgeable(reference: JSONValue) -> None:
    # None before: under tiers it passed, and 41 against "forty-two" earned 1.0.
    with pytest.raises(UnjudgeableReference, match=r"numeric: reference .* is not one number"):
        run("numeric", "41", reference)
    with pytest.raises(UnjudgeableReference):  # whatever the answer
        run("numeric", "no answer here", reference)


def test_numeric_uses_the_numbers_of_a_mixed_reference() -> None:
    assert value("numeric", "42", ["42", "forty-two"]) == 1.0
    assert value("numeric", "41", ["42", "forty-two"]) == 0.0


@pytest.mark.parametrize("reference", [None, {"x": 1}, "", [True]])
def test_numeric_malformed_reference_is_unjudgeable(reference: JSONValue) -> None:
    with pytest.raises(UnjudgeableReference, match="numeric"):
        run("numeric", "3", reference)


def test_numeric_logs_big_integers_exactly() -> None:
    result = run("numeric", "12345678901234567891", 12345678901234567891)
    assert result is not None and result.value == 1.0
    assert result.info["answer"] == 12345678901234567891


@pytest.mark.parametrize(
    "params", [{"abs_tol": -1}, {"rel_tol": -0.1}, {"rel_tol": 1.5}, {"percent": "ratio"}]
)
def test_numeric_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("numeric").build_params(params)
