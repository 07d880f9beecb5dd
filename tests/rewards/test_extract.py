"""Golden cases and a fuzz test for the shared ``extract`` option."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rewardkit.rewards.extract import ExtractParams, extract_answer, last_boxed


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        ("  the whole thing \n", {}, "the whole thing"),
        ("", {}, ""),
        ("<answer> 4 </answer>", {"extract": "answer_tag"}, "4"),
        ("<answer>1</answer> then <answer>2</answer>", {"extract": "answer_tag"}, None),  # two
        ("<answer>2</answer> so <answer> 2 </answer>", {"extract": "answer_tag"}, "2"),  # one
        ("<ANSWER>x</ANSWER>", {"extract": "answer_tag"}, "x"),  # case-insensitive
        ("<answer>a\nb</answer>", {"extract": "answer_tag"}, "a\nb"),  # spans lines
        ("<answer>4", {"extract": "answer_tag"}, None),  # unclosed
        ("no tags", {"extract": "answer_tag"}, None),
        ("\\boxed{\\frac{1}{2}}", {"extract": "boxed"}, "\\frac{1}{2}"),  # nested braces
        ("\\boxed{1} and \\boxed{2}", {"extract": "boxed"}, None),  # two answers
        ("\\boxed{2} so \\boxed{2}", {"extract": "boxed"}, "2"),
        ("\\boxed{\\boxed{2}}", {"extract": "boxed"}, "\\boxed{2}"),  # a box in a box: one
        ("\\fbox{3}", {"extract": "boxed"}, "3"),
        ("\\boxed{1", {"extract": "boxed"}, None),  # unbalanced
        ("no box", {"extract": "boxed"}, None),
        ("it is 1,234.5 or 7", {"extract": "last_number"}, "7"),
        ("total: 1,234.5", {"extract": "last_number"}, "1,234.5"),
        ("ratio -3/4", {"extract": "last_number"}, "-3/4"),
        ("grew 50%", {"extract": "last_number"}, "50%"),
        ("about .5", {"extract": "last_number"}, ".5"),
        ("no digits", {"extract": "last_number"}, None),
        ("so it is \u22125.", {"extract": "last_number"}, "-5"),  # was 5: the sign dropped
        ("x = \\frac{3}{4}", {"extract": "last_number"}, "\\frac{3}{4}"),  # was the 4
        ("x = -\\dfrac{1}{4}", {"extract": "last_number"}, "-\\frac{1}{4}"),  # one spelling
        ("about 1.5e3 m", {"extract": "last_number"}, "1.5e3"),  # was the 3
        ("it is 2^{10}", {"extract": "last_number"}, None),  # an exponent, not the answer
        ("it is 2^10", {"extract": "last_number"}, None),
        ("it is \\sqrt{2}", {"extract": "last_number"}, None),
        ("it is \\sqrt[3]{8}", {"extract": "last_number"}, None),
        ("x_{12}", {"extract": "last_number"}, None),
        ("2^{10} = 1024", {"extract": "last_number"}, "1024"),
        ("x_1 = 5", {"extract": "last_number"}, "5"),
        ("id=7; id=8", {"extract": "regex", "pattern": r"id=(\d)"}, "8"),  # last match
        ("k: v", {"extract": "regex", "pattern": r"(\w+): (\w+)", "group": 2}, "v"),
        ("abc", {"extract": "regex", "pattern": r"b", "group": 0}, "b"),  # group 0: whole match
        ("a1 b22", {"extract": "regex", "pattern": r"\d+"}, "22"),  # no groups: whole last match
        ("abc", {"extract": "regex", "pattern": r"(x)?c"}, None),  # group did not take part
        ("abc", {"extract": "regex", "pattern": r"z(.)"}, None),
    ],
)
def test_extract_golden(text: str, params: dict[str, Any], expected: str | None) -> None:
    assert extract_answer(text, ExtractParams(**params)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"extract": "regex"},  # no pattern
        {"extract": "regex", "pattern": "(a"},  # invalid regex
        {"extract": "regex", "pattern": "(a)", "group": 2},  # no such group
        {"extract": "boxed", "pattern": "a"},  # a pattern without regex mode
        {"extract": "json"},
        {"extra": 1},
    ],
)
def test_extract_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ExtractParams(**params)


def test_last_boxed_strips() -> None:
    assert last_boxed("\\boxed{ 7 }") == "7"


MODES = [
    ExtractParams(),
    ExtractParams(extract="answer_tag"),
    ExtractParams(extract="boxed"),
    ExtractParams(extract="last_number"),
    ExtractParams(extract="regex", pattern=r"answer: (\S+)"),
    ExtractParams(extract="regex", pattern=r"\d+", group=0),
]
ALPHABET = st.sampled_from(list("<answer>/\\boxed{}fbox0123456789,.-%: \n")) | st.characters()


@pytest.mark.parametrize("params", MODES, ids=lambda p: f"{p.extract}:{p.pattern}")
@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=200))
def test_extract_never_crashes(params: ExtractParams, text: str) -> None:
    result = extract_answer(text, params)
    assert result is None or (isinstance(result, str) and result == result.strip())
