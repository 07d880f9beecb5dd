"""Golden cases and a fuzz test for reading one number out of an answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.numbers import parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        ("  -42 ", -42.0),
        ("+3", 3.0),
        ("\u22123", -3.0),  # Unicode minus
        ("1,234", 1234.0),
        ("1,234,567.89", 1234567.89),
        ("3.14", 3.14),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e-3", 0.001),
        ("3/4", 0.75),
        ("3 / 4", 0.75),
        ("-3/4", -0.75),
        ("\\frac{3}{4}", 0.75),
        ("-\\dfrac{1}{4}", -0.25),
        ("50%", 0.5),
        ("50 \\%", 0.5),
        ("12.5 percent", 0.125),
        ("$5", 5.0),
        ("\\$5", 5.0),  # LaTeX-escaped dollar
        ("-$5", -5.0),
        ("$-5", -5.0),
        ("€1,000", 1000.0),
        ("$5$", 5.0),  # inline math
        ("12 cm", 12.0),
        ("20°C", 20.0),
        ("5\\text{ kg}", 5.0),
        ("9.8 m/s", 9.8),
        ("3x", 3.0),  # a one-letter suffix reads as a unit (documented)
    ],
)
def test_parse_number_golden(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "abc",
        "3 + 4",
        "1,23",  # not a thousands group
        "12,34,567",
        "1 2",
        "3\\pi",  # a LaTeX command is not a unit
        "5 m^2",  # a unit with digits
        "1/0",
        "-$-5",  # two signs
        "(3)",
        "x = 3",
    ],
)
def test_parse_number_unparseable(text: str) -> None:
    assert parse_number(text) is None


def test_percent_as_number() -> None:
    assert parse_number("50%", percent="number") == 50.0
    assert parse_number("12.5 percent", percent="number") == 12.5


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789,./%$-+eE \\frac{}cm")) | st.characters()))
def test_parse_number_never_crashes(text: str) -> None:
    result = parse_number(text)
    assert result is None or isinstance(result, float)


def test_long_runs_do_not_backtrack() -> None:
    # Would take minutes if the whitespace runs backtracked quadratically.
    assert parse_number("-" + " " * 50_000 + "x") is None
    assert parse_number("1" + " " * 50_000 + "/x") is None
