"""Golden cases and a fuzz test for reading one number out of an answer."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.numbers import parse_number, read_number


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2049425731", Fraction(2049425731)),
        ("12,345,678,901,234,567,891", Fraction(12345678901234567891)),  # past float precision
        ("0.1", Fraction(1, 10)),  # exact, not 0.1000000000000000055...
        ("1/3", Fraction(1, 3)),
        ("\\frac{2}{6}", Fraction(1, 3)),
        ("12.5%", Fraction(1, 8)),
        ("-1.5e2", Fraction(-150)),
        ("1e1000", Fraction(10**1000)),
    ],
)
def test_read_number_is_exact(text: str, expected: Fraction) -> None:
    assert read_number(text) == expected


def test_read_number_tells_big_integers_apart() -> None:
    # As floats these are the same number; read exactly they are not.
    assert float(12345678901234567891) == float(12345678901234567890)
    assert read_number("12345678901234567891") != read_number("12345678901234567890")


@pytest.mark.parametrize("text", ["1e1001", "1e" + "9" * 5000, "1e100001000", "1" * 5000, "1/0"])
def test_read_number_refuses_what_it_cannot_hold(text: str) -> None:
    # A huge exponent would build an integer of a billion digits; refuse it at once.
    assert read_number(text) is None


def test_parse_number_is_none_beyond_floats() -> None:
    assert parse_number("1e999") is None
