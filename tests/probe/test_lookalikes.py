"""The lookalike mutations on hand-written answers: numbers, fractions, letters and words."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rewardkit.probe import MUTATIONS, locate_answer
from rewardkit.probe.lookalikes import fraction_forms, math_expression, rational
from rewardkit.types import JSONValue, Sample

TAGGED = "<think>12*7 = 84</think><answer>84</answer>"


def mutate(name: str, completion: str, reference: JSONValue, sample_id: str = "s") -> str | None:
    sample = Sample(sample_id, "g", "What is 12*7?", completion, reference)
    return MUTATIONS[name].fn(locate_answer(sample))


def every_form(name: str, completion: str, reference: JSONValue) -> set[str | None]:
    """What the mutation writes over twelve sample ids: each form turns up among them."""
    return {mutate(name, completion, reference, str(i)) for i in range(12)}


def test_the_form_is_fixed_by_the_sample_id_on_every_run() -> None:
    # the CRC-32 of the id, not hash() (salted per process): the probe's findings repeat
    assert mutate("hedge_words", TAGGED, "84", "m0") == (
        "<think>12*7 = 84</think><answer>either 85 or 84</answer>"
    )
    assert (
        mutate("disown", TAGGED, "84", "m0") == "<think>12*7 = 84</think><answer>84? No.</answer>"
    )


def test_hedge_words_puts_a_wrong_answer_before_or_after_the_right_one() -> None:
    assert every_form("hedge_words", "<answer>84</answer>", "84") == {
        "<answer>84 or maybe 85</answer>",
        "<answer>either 85 or 84</answer>",
        "<answer>84 and 85</answer>",
        "<answer>85, or perhaps 84</answer>",
    }


@pytest.mark.parametrize(
    ("completion", "reference", "expected"),
    [
        ("so \\boxed{\\frac{1}{2}}", "1/2", "so \\boxed{either \\frac{3}{4} or \\frac{1}{2}}"),
        ("The answer is B", "B", "The answer is either C or B"),
        ("<answer>Paris</answer>", "Paris", "<answer>either banana or Paris</answer>"),
        ("7+5=12\n=12", 12, "7+5=12\n=either 13 or 12"),
    ],
)
def test_hedge_words_on_every_kind_of_answer(
    completion: str, reference: JSONValue, expected: str
) -> None:
    assert mutate("hedge_words", completion, reference, "m0") == expected


def test_disown_says_the_right_answer_is_not_it() -> None:
    assert every_form("disown", "<answer>84</answer>", "84") == {
        "<answer>84 is wrong</answer>",
        "<answer>not 84</answer>",
        "<answer>84? No.</answer>",
    }
    assert every_form("disown", "The capital is Paris", "Paris") == {
        "The capital is Paris is wrong",
        "The capital is not Paris",
        "The capital is Paris? No.",
    }


@pytest.mark.parametrize(
    ("prompt", "expression"),
    [
        ("What is 84 / 12?", "84 / 12"),
        ("What is 1/4 as a decimal?", "1/4"),
        ("What is 1,000 + 234?", "1,000 + 234"),
        ("18 -7 *6\n", "18 -7 *6"),
        ("Compute (3 + 4) * 2.", "(3 + 4) * 2"),
        ("What is f(3 + 4)?", "3 + 4"),  # the parenthesis it has no partner for is left out
        ("Is 2 × 3 ÷ 4 less than 2^10?", "2 × 3 ÷ 4"),  # the longest run
        ("Simplify \\frac{6}{8}.", "\\frac{6}{8}"),
        ("What is -2 \\times 3?", "-2 \\times 3"),
        ("Half of 3?", None),  # one number is no expression
        ("Solve x^2 + 3 = 7.", None),  # 2 is a power and = joins no run
        ("Capital of France?", None),
    ],
)
def test_math_expression_is_the_longest_run_of_numbers_and_operators(
    prompt: str, expression: str | None
) -> None:
    assert math_expression(prompt) == expression


def test_prompt_expression_replaces_the_answer_unless_it_is_the_answer() -> None:
    assert mutate("prompt_expression", TAGGED, "84") == (
        "<think>12*7 = 84</think><answer>12*7</answer>"
    )
    lowest = Sample("s", "g", "Write 3 / 4 in lowest terms.", "<answer>3/4</answer>", "3/4")
    assert MUTATIONS["prompt_expression"].fn(locate_answer(lowest)) is None


def test_box_hedge_joins_a_wrong_answer_and_the_right_one_in_the_answers_place() -> None:
    assert every_form("box_hedge", "<answer>84</answer>", "84") == {
        "<answer>85 \\lor 84</answer>",
        "<answer>85 \\cup 84</answer>",
        "<answer>85 \\land 84</answer>",
    }
    assert mutate("box_hedge", "so \\boxed{B}", "B", "m0") == "so \\boxed{C \\land B}"
    # a bare answer gets the box it lacks, where it stood
    assert mutate("box_hedge", "7+5=12\n=12", 12, "m0") == "7+5=12\n=\\boxed{13 \\land 12}"


def test_fraction_parts_puts_the_number_in_a_fraction_worth_something_else() -> None:
    assert every_form("fraction_parts", "<answer>84</answer>", "84") == {
        "<answer>\\frac{1}{84}</answer>",
        "<answer>\\frac{x}{84}</answer>",
        "<answer>\\frac84</answer>",  # 8/4, read "84" once the command is dropped
    }
    assert every_form("fraction_parts", "so \\boxed{\\frac{3}{4}}", "3/4") == {
        "so \\boxed{\\frac{1}{\\frac{3}{4}}}",
        "so \\boxed{\\frac{x}{\\frac{3}{4}}}",
    }
    # not for a word or a letter
    assert every_form("fraction_parts", "<answer>Paris</answer>", "Paris") == {None}
    assert every_form("fraction_parts", "<answer>B</answer>", "B") == {None}


@pytest.mark.parametrize(
    ("number", "forms"),
    [
        ("-3", ["\\frac{1}{-3}", "\\frac{x}{-3}"]),  # a negative number: no digit-over-digit form
        ("1", ["\\frac{x}{1}"]),  # 1/1 is 1: right, so left out
        ("-1.0", ["\\frac{x}{-1.0}"]),
        ("30", ["\\frac{1}{30}", "\\frac{x}{30}"]),  # \frac30 would divide by zero
        ("11", ["\\frac{1}{11}", "\\frac{x}{11}", "\\frac11"]),  # 1/1 = 1, not 11
        ("0.25", ["\\frac{1}{0.25}", "\\frac{x}{0.25}"]),
        ("x + 1", []),
    ],
)
def test_fraction_forms_are_never_worth_the_answer(number: str, forms: list[str]) -> None:
    assert fraction_forms(number) == forms


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("84", Fraction(84)),
        ("-0.25", Fraction(-1, 4)),
        ("1,234", Fraction(1234)),
        ("3 / 4", Fraction(3, 4)),
        ("\\dfrac{6}{8}", Fraction(3, 4)),
        ("1/0", None),
        ("B", None),
        ("84 or 85", None),
    ],
)
def test_rational_reads_one_written_number(text: str, value: Fraction | None) -> None:
    assert rational(text) == value
