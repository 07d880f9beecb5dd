"""Golden cases and a fuzz test for finding the multiple-choice letter of a completion."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.registry import get
from rewardkit.rewards.choices import find_choice
from rewardkit.types import Sample


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
        ("I considered (A), but the answer is C.", ("C",)),  # letters before it do not count
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # another letter after the final answer: a retraction or a second answer
        ("The answer is A. Actually, it is C.", ("A", "C")),
        ("The answer is A. Actually C", ("A", "C")),
        ("The answer is A, or maybe C.", ("A", "C")),
        ("The answer is A (or C).", ("A", "C")),
        ("Answer: A, then B", ("A", "B")),
        ("The answer is B. Actually, A is correct.", ("B", "A")),  # 'A is': not the article
        ("The answer is (B) because option (C) is too small.", ("B", "C")),
        ("The answer is C. A is correct too.", ("C", "A")),
        ("Answer: C\nA) 3\nB) 4\nC) 5", ("C", "A", "B")),  # the options copied after it
        ("\\boxed{A}\nThe answer is C", ("A", "C")),
        ("<answer>The answer is A. No wait, D.</answer>", ("A", "D")),
        # ... but not a negated letter, an article, a pronoun or an abbreviation
        ("The answer is B, not A.", ("B",)),
        ("The answer is B (not A).", ("B",)),
        ("The answer is B rather than A.", ("B",)),
        ("Answer: C. Not A, not B.", ("C",)),
        ("I considered (A), but the answer is C because A fails.", ("C",)),
        ("The answer is D, since A, B, and C are all incorrect.", ("D",)),
        ("The answer is B. (A) isn't correct and D can be ruled out.", ("B",)),
        ("The answer is C. A quick check confirms it.", ("C",)),
        ("The answer is B. This is a classic.", ("B",)),  # lowercase 'a' before a word
        ("The answer is B, e.g. because 4 > 3.", ("B",)),
        ("The answer is D. Q.E.D.", ("D",)),
        ("The answer is C. P(A) = 0.3", ("C",)),  # a function's argument
        ("Answer: C - a B-tree is used", ("C",)),
        ("The answer is B.\n\n**Answer: B**", ("B",)),  # the same letter again
        # calling the final letter wrong takes it back
        ("The answer is C. Wait, C is wrong.", ()),
        ("The answer is C. No, C is wrong; it is A.", ()),
        # an answer joined to an earlier one by a hedge word (after it, or opening its sentence)
        ("The answer is A or the answer is C.", ("A", "C")),
        ("The answer is A. Or maybe the answer is C.", ("A", "C")),
        ("\\boxed{A} or \\boxed{C}", ("A", "C")),
        ("\\boxed{A}. Perhaps \\boxed{C}.", ("A", "C")),
        ("\\boxed{A}/\\boxed{C}", ("A", "C")),
        # ... and without one the later answer corrects the earlier
        ("The answer is A. Wait, no: the answer is B.", ("B",)),
        ("\\boxed{A}. Hmm, that fails. \\boxed{C}", ("C",)),
        ("If the answer is A then x = 3, which fails, so the answer is C.", ("C",)),
        ("The answer is A. Let me check whether 6 or 7 fits, so the answer is C", ("C",)),
        # hedges that give no single statement find nothing
        ("The answer is either A or C", ()),
        ("The answer is not A, it's B", ()),
        ("The answer is E or F.", ()),  # F is no option of A-E, but it is a second answer
        ("Answer: E/F", ()),
        ("\\boxed{E \\text{ or } F}", ()),
        ("The answer is B, I think.", ("B",)),  # a comma does not join the pronoun
        # a question is no answer, nor is an empty final box
        ("The answer is (B? No.).", ()),
        ("Is the answer B? Yes: the answer is B.", ("B",)),
        ("<think>The answer is D.</think> So the answer is \\boxed{}", ()),
        # a list of options is no answer
        ("A) 3\nB) 4\nC) 5\nD) 6", ()),
        ("A) 3 B) 4 C) 5 D) 6", ()),
        ("(A) 3 (B) 4 (C) 5 (D) 6", ()),
        ("A\nB\nC\nD", ()),
        ("(A)\n(B)\n(C)\n(D)", ()),
        ("Reasoning...\nB) Paris or C) Rome", ()),
        ("A) 3\nB) 4\nC) 5\nD) 6\nAnswer: C", ("C",)),  # an answer after the list is one
        ("Reasoning...\nB) Paris, not A", ("B",)),
    ],
)
def test_find_choice_pays_one_final_letter_only(text: str, expected: tuple[str, ...]) -> None:
    assert find_choice(text) == expected


def test_pronoun_i_and_option_i() -> None:
    ten = "ABCDEFGHIJ"
    assert find_choice("The answer is B. I think so.", letters=ten) == ("B",)
    assert find_choice("The answer is B. I'm sure.", letters=ten) == ("B",)
    assert find_choice("The answer is B. I is correct.", letters=ten) == ("B", "I")
    assert find_choice("The answer is B. I is wrong.", letters=ten) == ("B",)
    assert find_choice("The answer is I.", letters=ten) == ("I",)


# Each takes two distinct letters x and y and gives both, or lists them: never one answer.
HEDGES = [
    "The answer is {x}. Actually, it is {y}.",
    "The answer is {x}. Actually {y}",
    "The answer is {x}, or maybe {y}.",
    "The answer is {x} (or {y}).",
    "The answer is {x} or {y}.",
    "Answer: {x}/{y}",
    "{x} or {y}",
    "{x}, {y}",
    "The answer is {x} or the answer is {y}.",
    "\\boxed{{{x}}} or \\boxed{{{y}}}",
    "\\boxed{{{x}}}. Maybe \\boxed{{{y}}}.",
    "Answer: {x}\nHmm, {y}.",
    "The answer is {x}. On second thought, {y} is correct.",
    "Answer: {x}, then {y}.",
    "The answer is {x}. Final answer: either {y} or {x}",
    "<answer>The answer is {x}. No wait, {y}.</answer>",
    "The answer is either {x} or {y}",
    "The answer is {x}. Wait, {x} is wrong.",
    "The answer is {x}. No, {x} is incorrect; {y} is right.",
    "The answer is {x}. {x} fails, so {y}.",
    "{y}) 3\n{x}) 4",
    "{y}) 3 {x}) 4",
    "({y}) 3\n({x}) 4",
    "{y}\n{x}",
    "Options:\n{y}. 3\n{x}. 4",
]
# Each gives x once, with y negated, corrected or only in the reasoning: exactly (x,).
RIGHT = [
    "The answer is {x}.",
    "The answer is {x}, not {y}.",
    "The answer is {x} (not {y}).",
    "I first thought {y}, but the answer is {x}.",
    "The answer is {y}. Wait, no: the answer is {x}.",
    "Reasoning...\n{x}) the option's text",
    "\\boxed{{{x}}}",
    "{y}) 3\n{x}) 4\nAnswer: {x}",
    "The answer is {x}. A quick check confirms it.",
    "The answer is {x}. {y} is wrong.",
    "The answer is {x}, since {y} fails.",
    "<answer>{x}</answer>",
]
FORMS = ["{}", "({})", "**{}**", "[{}]"]


def _dressed(template: str, x: str, y: str, form: str) -> str:
    """The template with x and y in one dress; letters starting an option line stay bare."""
    form = "{}" if ")" in template else form
    return template.format(x=form.format(x), y=form.format(y))


def test_generated_hedges_are_never_paid() -> None:
    choice = get("choice")
    params = choice.build_params({})
    variants = paid = right = 0
    for form, (x, y) in itertools.product(FORMS, itertools.permutations("ABCDE", 2)):
        for template in HEDGES:
            text = _dressed(template, x, y, form)
            assert len(find_choice(text)) != 1, text
            for reference in (x, y):
                sample = Sample(id="0", group="g", prompt="", completion=text, reference=reference)
                variants += 1
                paid += choice.fn(sample, params).value != 0.0
        right += sum(find_choice(_dressed(t, x, y, form)) == (x,) for t in RIGHT)
    # 4 dresses x 20 ordered pairs of letters x 25 hedges x 2 references
    assert (variants, paid) == (4 * 20 * len(HEDGES) * 2, 0) == (4000, 0)
    assert right == 4 * 20 * len(RIGHT) == 960


def test_generated_hedges_with_a_letter_that_is_no_option_are_never_paid() -> None:
    templates = [
        "The answer is {x} or {y}.",
        "Answer: {x}/{y}",
        "{x} and {y}",
        "\\boxed{{{x} or {y}}}",
    ]
    found = [find_choice(t.format(x=x, y=y)) for x in "ABCDE" for y in "FGZ" for t in templates]
    assert (len(found), sum(f != () for f in found)) == (5 * 3 * 4, 0)


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
        "The answer is A. " + "B, " * 20_000,
        "The answer is A. " + "(B) " * 20_000,
        "The answer is A. " + "not " * 20_000 + "B",
        "\\boxed{" * 20_000,
        "\\boxed{A}" * 10_000,
    ],
)
def test_long_runs_do_not_backtrack(text: str) -> None:
    # Each would take minutes if a pattern backtracked quadratically.
    assert find_choice(text) in ((), ("A",), ("B",), ("A", "B"))
