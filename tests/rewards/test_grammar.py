"""The answer grammar: golden accepted and refused forms (docs/answers.md), worked by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.grammar import last_number, read_value, unwrap

F = Fraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", F(42)),
        ("  -42 ", F(-42)),
        ("+3", F(3)),
        ("\u22123", F(-3)),  # Unicode minus
        ("\u20137", F(-7)),  # en dash: a minus, not dropped (was 7)
        ("\u20127", F(-7)),  # figure dash
        ("\uff0d7", F(-7)),  # fullwidth hyphen-minus
        ("1,234", F(1234)),
        ("1{,}234", F(1234)),  # LaTeX thousands separator
        ("1\\,234", F(1234)),
        ("1\u2009234", F(1234)),  # thin space
        ("1,234,567.89", F(123456789, 100)),
        ("3.14", F(314, 100)),
        (".5", F(1, 2)),
        ("5.", F(5)),
        ("1e-3", F(1, 1000)),
        ("1.5 \\times 10^{3}", F(1500)),
        ("1.5\\cdot10^3", F(1500)),
        ("1.5 × 10^{-2}", F(15, 1000)),
        ("3/4", F(3, 4)),
        ("3 / 4", F(3, 4)),
        ("-3/4", F(-3, 4)),
        ("\\frac{3}{4}", F(3, 4)),
        ("\\frac {3}{4}", F(3, 4)),  # was 4
        ("\\cfrac{3}{4}", F(3, 4)),  # was 4
        ("\\frac{-3}{4}", F(-3, 4)),  # was 4
        ("\\frac34", F(3, 4)),  # was 34
        ("-\\dfrac{1}{4}", F(-1, 4)),
        ("\\tfrac{1}{8}", F(1, 8)),
        ("2 1/2", F(5, 2)),  # mixed numbers (was 1/2)
        ("2 \\frac{1}{2}", F(5, 2)),
        ("-2\\frac12", F(-5, 2)),
        ("50%", F(1, 2)),
        ("50 \\%", F(1, 2)),
        ("12.5 percent", F(1, 8)),
        ("$5", F(5)),
        ("\\$5", F(5)),
        ("-$5", F(-5)),
        ("$-5", F(-5)),
        ("€1,000", F(1000)),
        # wrappers around the whole span, and one x = prefix
        ("$5$", F(5)),
        ("\\boxed{42}", F(42)),
        ("**42**", F(42)),
        ("\\(42\\)", F(42)),
        ("$\\boxed{42}$.", F(42)),
        ("x = 42", F(42)),
        ("\\boxed{x = -\\frac{3}{4}}", F(-3, 4)),
        ("\\theta = 0.5", F(1, 2)),
        ("\\text{42}", F(42)),
    ],
)
def test_one_value_is_read_exactly(text: str, expected: Fraction) -> None:
    assert read_value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "abc",
        "3 + 4",
        "84 / 12 + 1",
        "1,23",  # not a thousands group
        "12,34,567",
        "1 2",
        "3\\pi",
        "(3)",
        "1/0",
        "-$-5",  # two signs
        "--5",
        "x = y = 3",  # one prefix only
        # words after the number are not units unless configured
        "84 is wrong",
        "84 or eighty-five",
        "84 or 85",
        "3 million",
        "5 squared",
        "12 cm",
        "20°C",
        "3x",
        "2 1/2 cups",
        # hedges and expressions
        "41 \\lor 42",
        "\\boxed{41 \\lor 42}",
        "41, 42",
        "\\pm 2",
        "\\frac{x}{4}",  # was 4
        "\\log_2 8",  # was 8
        "2^{10}",
        "\\sqrt{4}",
        "2 3/2",  # a mixed number's fraction is proper
        "<answer>42</answer>",  # a tag is extraction's job, not a wrapper
        "\u20147",  # an em dash is punctuation, not a minus
    ],
)
def test_not_one_value_is_refused(text: str) -> None:
    assert read_value(text) is None


def test_units_only_when_named() -> None:
    units = {"cm": 1, "million": 1_000_000, "cups": 1, "°": 1}
    assert read_value("12 cm", units=units) == 12
    assert read_value("3 million", units=units) == 3_000_000
    assert read_value("3 Million", units=units) == 3_000_000  # case of the word ignored
    assert read_value("2 1/2 cups", units=units) == F(5, 2)
    assert read_value("5\\text{ cm}", units=units) == 5
    assert read_value("90^\\circ", units=units) == 90
    assert read_value("12 km", units=units) is None  # not named
    assert read_value("12 cm cm", units=units) is None
    assert read_value("50% cm", units=units) is None  # a percent and a unit: not one value


def test_percent_as_number() -> None:
    assert read_value("50%", percent="number") == 50
    assert read_value("12.5 percent", percent="number") == F(25, 2)


def test_unwrap_strips_only_whole_wrappers() -> None:
    assert unwrap(" **\\boxed{x = 42}**. ") == "42"
    assert unwrap("$5 and $6") == "$5 and $6"  # two amounts, not an inline math pair
    assert unwrap("\\boxed{4}2") == "\\boxed{4}2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it is 1,234.5 or 7", "7"),
        ("total: 1,234.5", "1,234.5"),
        ("ratio -3/4", "-3/4"),
        ("grew 50%", "50%"),
        ("about .5", ".5"),
        ("so it is \u22125.", "-5"),
        ("so it is \u20135.", "-5"),
        ("x = \\frac{3}{4}", "\\frac{3}{4}"),
        ("x = -\\dfrac{1}{4}", "-\\frac{1}{4}"),
        ("so \\frac34", "\\frac34"),
        ("about 1.5e3 m", "1.5e3"),
        ("2^{10} = 1024", "1024"),
        ("x_1 = 5", "5"),
        ("the answer is **42**.", "42"),
        ("36-4=32\n=32", "32"),
        ("she needs 2 1/2 cups", "2 1/2"),
        ("so 2 \\frac{1}{2}", "2 \\frac{1}{2}"),
        ("is -5", "-5"),
    ],
)
def test_last_number_golden(text: str, expected: str) -> None:
    assert last_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no digits",
        "it is 2^{10}",
        "it is 2^10",
        "it is \\sqrt{2}",
        "it is \\sqrt[3]{8}",
        "x_{12}",
        "it is \\log_2 8",  # a function's argument (was 8)
        "\\frac{x}{4}",  # a fraction's part (was 4)
        "\\frac{-3}{x}",
        "3x",
        "so 5\\pi",
        "10 - 3",
        "10-3",
        "3\u20137",  # a range or a subtraction, not -7
        "f(5)",
        "5 + x",
        "v1.2.3",
        "1,23",
    ],
)
def test_last_number_refuses_part_of_an_expression(text: str) -> None:
    assert last_number(text) is None


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("0123456789,./%$-+eE \\frac{}cmx=^_")) | st.characters())
)
def test_never_crashes(text: str) -> None:
    value = read_value(text)
    assert value is None or isinstance(value, Fraction)
    token = last_number(text)
    assert token is None or isinstance(token, str)


def test_long_runs_do_not_backtrack() -> None:
    # Would take minutes if the whitespace runs backtracked quadratically.
    assert read_value("-" + " " * 50_000 + "x") is None
    assert read_value("1" + " " * 50_000 + "/x") is None
    assert last_number("1" + " " * 50_000 + "/x") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2049425731", F(2049425731)),
        ("12,345,678,901,234,567,891", F(12345678901234567891)),  # past float precision
        ("0.1", F(1, 10)),  # exact, not 0.1000000000000000055...
        ("\\frac{2}{6}", F(1, 3)),
        ("12.5%", F(1, 8)),
        ("-1.5e2", F(-150)),
        ("1e1000", F(10**1000)),
    ],
)
def test_read_value_is_exact(text: str, expected: Fraction) -> None:
    assert read_value(text) == expected


@pytest.mark.parametrize("text", ["1e1001", "1e" + "9" * 5000, "1e100001000", "1" * 5000, "1/0"])
def test_refuses_what_it_cannot_hold(text: str) -> None:
    # A huge exponent would build an integer of a billion digits; refuse it at once.
    assert read_value(text) is None
