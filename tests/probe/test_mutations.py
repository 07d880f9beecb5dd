"""Each built-in mutation on hand-written completions, and the registry users extend."""

from __future__ import annotations

import pytest

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.probe import MUTATIONS, Answer, get_mutations, locate_answer, mutation
from rewardkit.probe.mutations import FILLER, OPENER, format_skeleton
from rewardkit.types import Sample

TAGGED = Sample("s", "g", "What is 12*7?", "<think>12*7 = 84</think>\n<answer>84</answer>", "84")
BARE = Sample("s", "g", "7 +5\n", "7+5=12\n=12", 12)


def mutate(name: str, sample: Sample) -> str | None:
    return MUTATIONS[name].fn(locate_answer(sample))


def test_the_builtins_in_order() -> None:
    assert list(MUTATIONS)[:15] == [
        "empty",
        "format_only",
        "punctuation",
        "reasoning_opener",
        "repeated_answer",
        "two_answers",
        "answer_in_think",
        "prompt_copy",
        "long_padding",
        "wrong_answer",
        # probe/lookalikes.py (tested in test_lookalikes.py)
        "hedge_words",
        "disown",
        "prompt_expression",
        "box_hedge",
        "fraction_parts",
    ]
    assert all(m.doc for m in MUTATIONS.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty", ""),
        ("format_only", "<think></think><answer></answer>"),
        ("punctuation", "."),
        ("reasoning_opener", OPENER),
        (
            "repeated_answer",
            "<think>12*7 = 84</think>\n<answer>" + "\n".join(["84"] * 20) + "</answer>",
        ),
        ("two_answers", "<think>12*7 = 84</think>\n<answer>84 or 85</answer>"),
        ("answer_in_think", "<think>12*7 = 84 The answer is 84.</think>\n<answer></answer>"),
        ("prompt_copy", "<think>12*7 = 84</think>\n<answer>What is 12*7?</answer>"),
        ("long_padding", f"<think>12*7 = 84</think>\n<answer>{FILLER}84</answer>"),
        ("wrong_answer", "<think>12*7 = 84</think>\n<answer>85</answer>"),
    ],
)
def test_mutations_of_a_tagged_completion(name: str, expected: str) -> None:
    assert mutate(name, TAGGED) == expected


def test_mutations_of_a_bare_completion() -> None:
    # no tags and no \boxed{}: nothing to empty, no wrapper to move the answer out of
    assert mutate("format_only", BARE) is None
    assert mutate("answer_in_think", BARE) is None
    assert mutate("wrong_answer", BARE) == "7+5=12\n=13"
    assert mutate("two_answers", BARE) == "7+5=12\n=12 or 13"
    assert mutate("prompt_copy", BARE) == "7+5=12\n=7 +5"


def test_answer_in_think_without_a_think_block_adds_one() -> None:
    boxed = Sample("s", "g", "p", "so \\boxed{84}", "84")
    assert mutate("answer_in_think", boxed) == "<think>The answer is 84.</think>\nso \\boxed{}"
    assert mutate("format_only", boxed) == "\\boxed{}"


def test_format_skeleton_keeps_nested_wrappers() -> None:
    assert format_skeleton("<answer>x \\boxed{a{b}} y</answer>") == "<answer>\\boxed{}</answer>"
    assert format_skeleton("no tags at all") == ""


def test_a_user_mutation_is_registered_and_selected() -> None:
    @mutation("test_upper")
    def upper(answer: Answer) -> str:
        """The answer in capitals."""
        return answer.with_answer(answer.text.upper())

    try:
        (m,) = get_mutations(["test_upper"])
        assert m.doc == "The answer in capitals."
        capital = Sample("s", "g", "p", "<answer>paris</answer>", "Paris")
        assert m.fn(locate_answer(capital)) == "<answer>PARIS</answer>"
    finally:
        MUTATIONS.pop("test_upper")


def test_a_name_taken_by_another_function_is_an_error() -> None:
    with pytest.raises(ConfigError, match="'empty' is already registered"):

        @mutation("empty")
        def other(answer: Answer) -> str:
            return ""


def test_unknown_mutation_suggests_the_close_names() -> None:
    with pytest.raises(
        UnknownNameError, match=r"unknown mutation 'wrong_anwser' \(did you mean 'wrong_answer'"
    ):
        get_mutations(["empty", "wrong_anwser"])
