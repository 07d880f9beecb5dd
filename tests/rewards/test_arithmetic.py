"""Golden cases for the arithmetic step verifier (rewards/arithmetic.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.arithmetic import check_equations, equation_is_right


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 2 = 4", (1, 1)),
        ("2 + 2 = 5", (0, 1)),
        ("12+30=42", (1, 1)),
        ("10 - 3 = 7 and 6 * 7 = 42", (2, 2)),
        ("10 - 3 = 7 and 6 * 7 = 41", (1, 2)),
        ("8 / 2 = 4", (1, 1)),
        ("3 × 4 = 12, 12 ÷ 4 = 3", (2, 2)),
        ("0.1 + 0.2 = 0.3", (1, 1)),  # exact fractions: no float error
        ("1 / 3 = 0.33", (1, 1)),  # rounded to the decimals written
        ("2 / 3 = 0.66", (0, 1)),  # truncated, not rounded
        ("10 / 4 = 2", (0, 1)),  # an integer result must be exact
        ("5 / 0 = 0", (0, 1)),  # division by zero is never right
        ("-5 + 3 = -2", (1, 1)),
        ("10 - -2 = 12", (1, 1)),
        ("- 3 - 1 = 2", (1, 1)),  # a leading "- " bullet is not a minus sign
        ("2 * 3 + 4 = 10", (0, 0)),  # part of a longer expression: not checked
        ("(2 + 3) = 5", (0, 0)),
        ("2 + 3 = 5 * 2", (0, 0)),
        ("x1 + 2 = 3", (0, 0)),  # a variable, not a number
        ("1,000 + 1 = 1,001", (0, 0)),  # thousands separators are not read
        ("2 + 2 = 4.", (1, 1)),  # a full stop ends the sentence
        ("2 + 2 = 4cm", (0, 0)),
        ("no equation here", (0, 0)),
        ("x = 2 + 3 = 5", (1, 1)),
        ("2 + 2 == 4", (0, 0)),
    ],
)
def test_check_equations_golden(text: str, expected: tuple[int, int]) -> None:
    assert check_equations(text) == expected


@pytest.mark.parametrize(
    ("a", "op", "b", "c", "expected"),
    [
        ("7", "*", "6", "42", True),
        ("7", "*", "6", "42.0", True),
        ("1", "/", "8", "0.125", True),
        ("1", "/", "8", "0.13", True),  # 0.125 rounds to 0.13 within half a unit (0.005)
        ("1", "/", "8", "0.12", True),  # ...and 0.12 too: the error is exactly 0.005
        ("1", "/", "8", "0.11", False),
    ],
)
def test_equation_is_right(a: str, op: str, b: str, c: str, expected: bool) -> None:
    assert equation_is_right(a, op, b, c) is expected


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_check_equations_never_crashes(text: str) -> None:
    right, total = check_equations(text)
    assert 0 <= right <= total


@settings(max_examples=200, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_true_sums_and_products_are_right(a: int, b: int) -> None:
    assert check_equations(f"{a} + {b} = {a + b}") == (1, 1)
    assert check_equations(f"so {a} * {b} = {a * b}.") == (1, 1)
