"""Golden cases and a fuzz test for finding the multiple-choice letter of a completion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.choices import find_choice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # tier 2: the whole text is the letter
        ("B", ("B",)),
        ("(B)", ("B",)),
        ("B.", ("B",)),
        ("**C**", ("C",)),
        ("d", ("D",)),
        ("[A]", ("A",)),
        ("A or C", ("A", "C")),
        ("A, B and D", ("A", "B", "D")),
        ("A and A", ("A",)),
        # tier 1: the answer tag replaces the text
        ("I like A.<answer>B</answer>", ("B",)),
        ("<answer>(e)</answer>", ("E",)),
        ("<answer></answer> B", ()),  # an empty tag is the answer
        # tier 3: the last box
        ("so \\boxed{C}", ("C",)),
        ("\\boxed{\\text{D}}", ("D",)),
        # tier 4: the last answer statement
        ("The answer is (B).", ("B",)),
        ("Answer: d", ("D",)),
        ("**Answer:** C", ("C",)),
        ("**Answer**: (D)", ("D",)),
        ("The correct answer is: **E**", ("E",)),
        ("The answer is option B", ("B",)),
        ("The answer would be A.", ("A",)),
        ("The answer is A. Wait, the answer is B.", ("B",)),
        ("I considered (A), but the answer is C because A fails.", ("C",)),
        ("Answer: A, C", ("A", "C")),
        # tier 5: the last line
        ("Reasoning...\nB) Paris", ("B",)),
        ("Reasoning...\n(C)", ("C",)),
        # nothing
        ("the answer is a trick question", ()),  # lowercase 'a' before a word is an article
        ("Answer: d because", ()),  # likewise any lowercase letter before a word
        ("Option A is wrong.", ()),
        ("Answers: B", ()),  # 'answers' is not 'answer'
        ("The answer is F", ()),  # F is not allowed
        ("", ()),
    ],
)
def test_find_choice_golden(text: str, expected: tuple[str, ...]) -> None:
    assert find_choice(text) == expected


def test_allowed_letters() -> None:
    assert find_choice("The answer is F", letters="ABCDEF") == ("F",)
    assert find_choice("The answer is J", letters="ABCDEFGHIJ") == ("J",)
    assert find_choice("The answer is E", letters="ABCD") == ()


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("ABCDEabcde()*[]{}.:,\n answerisor<>/\\boxed"))
        | st.characters()
    )
)
def test_find_choice_never_crashes(text: str) -> None:
    found = find_choice(text)
    assert all(letter in "ABCDE" for letter in found)
    assert len(set(found)) == len(found)


@pytest.mark.parametrize(
    "text",
    [
        "B" + " " * 50_000 + "x",
        "answer" + " " * 50_000 + "x",
        "answer" + "*" * 50_000 + "x",
        "A, " * 20_000 + "x",
        "(" * 50_000,
    ],
)
def test_long_runs_do_not_backtrack(text: str) -> None:
    # Each would take minutes if a pattern backtracked quadratically.
    assert find_choice(text) in ((), ("A",), ("B",))
