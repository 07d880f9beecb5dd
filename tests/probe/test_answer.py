"""Where the answer sits in a correct completion, and the wrong answer derived from it."""

from __future__ import annotations

import pytest

from rewardkit.probe.answer import locate_answer, wrong_answer
from rewardkit.types import Sample


def sample(completion: str, reference: object = None, **meta: object) -> Sample:
    return Sample("s", "g", "What is 12*7?", completion, reference, meta=meta)


@pytest.mark.parametrize(
    ("completion", "reference", "text", "wrapped"),
    [
        # the last <answer> tag wins, its content stripped
        ("<answer>1</answer><think>x</think><answer> 84 </answer>", "84", "84", True),
        # a \boxed{} with nested braces
        ("so \\boxed{\\frac{1}{2}} done", "1/2", "\\frac{1}{2}", True),
        # where the reference is written, as a whole number ("84" inside "845" does not count)
        ("7*12 is 84, not 845", 84, "84", False),
        ("12*7=84\n=84", 84.0, "84", False),
        # a list of numbers is one structured answer (a box): the last [...]
        ("[0,0,1,1] then [6,3,8,5]", [6, 3, 8, 5], "[6,3,8,5]", False),
        # else the last number, else the whole completion
        ("it is 85 or 86", "eighty-four", "86", False),
        ("  Paris  ", "Paris", "Paris", False),
        ("  London ", "Paris", "London", False),
    ],
)
def test_locate_answer(completion: str, reference: object, text: str, wrapped: bool) -> None:
    answer = locate_answer(sample(completion, reference))
    assert (answer.text, answer.wrapped) == (text, wrapped)
    assert answer.with_answer(answer.text) == completion


def test_a_list_of_strings_is_a_list_of_acceptable_answers() -> None:
    answer = locate_answer(sample("the capital is Paris", ["paris, france", "Paris"]))
    assert answer.text == "Paris" and answer.wrong == "banana"


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("84", "85"),
        ("-3", "-4"),  # the digits move by one: -3 -> -4
        ("0.25", "1.25"),
        ("1,234", "1235"),
        # several numbers all move by their spread + 1, so a box never overlaps the right one
        ("[6,3,8,5]", "[12,9,14,11]"),
        ("3/4", "5/6"),
        ("B", "C"),
        ("e", "f"),
        ("Yes", "No"),
        ("false", "true"),
        ("Paris", "banana"),
        ("banana", "cherry"),
    ],
)
def test_wrong_answer_keeps_the_shape(answer: str, wrong: str) -> None:
    assert wrong_answer(answer) == wrong


def test_meta_wrong_answer_overrides_the_derived_one() -> None:
    answer = locate_answer(sample("<answer>84</answer>", "84", wrong_answer="eighty-five"))
    assert answer.wrong == "eighty-five"
