"""Golden cases for the answer signals: exact_match, choice, ternary, set_f1."""

from __future__ import annotations

from typing import Any

import pytest
from tests.rewards.calls import run, value

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import JSONValue

# ---------------------------------------------------------------- exact_match


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("Paris", "Paris", {}, 1.0),
        ("  PARIS ", "paris", {}, 1.0),  # case and outer whitespace ignored by default
        ("PARIS", "paris", {"case": False}, 0.0),
        ("New   York", "new york", {}, 1.0),  # inner whitespace collapsed
        ("New   York", "New York", {"whitespace": False}, 0.0),
        ("Paris.", "Paris", {}, 0.0),  # punctuation kept by default
        ("Paris.", "Paris", {"punctuation": True}, 1.0),
        ("The Eiffel Tower", "eiffel tower", {}, 0.0),
        ("The Eiffel Tower", "eiffel tower", {"articles": True}, 1.0),
        ("Theodore", "odore", {"articles": True}, 0.0),  # only whole words are articles
        ("paris", ["London", "Paris"], {}, 1.0),  # any acceptable answer
        ("Rome", ["London", "Paris"], {}, 0.0),
        ("3", 3.0, {}, 1.0),  # numbers compare in shortest form
        ("0.5", 0.5, {}, 1.0),
        ("3.0", 3, {}, 0.0),  # a string match; `numeric` is for tolerance
        ("<answer>Oslo</answer>", "oslo", {"extract": "answer_tag"}, 1.0),
        ("no tags: Oslo", "oslo", {"extract": "answer_tag"}, 0.0),  # no answer: model's fault
        ("I say \\boxed{Oslo}", "oslo", {"extract": "boxed"}, 1.0),
        ("don’t", "don't", {}, 1.0),  # curly apostrophe
    ],
)
def test_exact_match_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("exact_match", completion, reference, **params) == expected


@pytest.mark.parametrize("reference", [None, [], {"a": 1}, True, [1, None], "", "  ", ["a", ""]])
def test_exact_match_malformed_reference_is_unjudgeable(reference: JSONValue) -> None:
    with pytest.raises(UnjudgeableReference, match="exact_match"):
        run("exact_match", "x", reference)
    with pytest.raises(UnjudgeableReference):  # also when the completion has no answer
        run("exact_match", "x", reference, extract="answer_tag")


def test_exact_match_empty_reference_does_not_pay_an_empty_answer() -> None:
    # An empty reference string matched the empty completion: 1.0 for saying nothing.
    with pytest.raises(UnjudgeableReference, match="empty answer"):
        run("exact_match", "", "")


@pytest.mark.parametrize(
    "params",
    [{"case": "maybe"}, {"extract": "last"}, {"extract": "regex", "pattern": "(a"}, {"mode": "x"}],
)
def test_exact_match_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("exact_match").build_params(params)


# ---------------------------------------------------------------- choice


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("The answer is (B).", "B", {}, 1.0),
        ("B.", "B", {}, 1.0),
        ("**C**", "C", {}, 1.0),
        ("Answer: d", "D", {}, 1.0),  # lowercase before the end of the line
        ("<answer>B</answer>", "B", {}, 1.0),
        ("I first thought (A), but the answer is C", "C", {}, 1.0),  # the statement wins
        ("The answer is A. Wait, no: the answer is B.", "B", {}, 1.0),  # the last statement
        ("Reasoning...\nB) Paris", "B", {}, 1.0),  # last line starts with the option
        ("The answer is B", "C", {}, 0.0),  # wrong letter
        ("The answer is A or B", "A", {}, 0.0),  # ambiguous
        ("the answer is a trick question", "A", {}, 0.0),  # 'a' is an article here
        ("The answer is F", "A", {}, 0.0),  # F is not an allowed letter
        ("The answer is F", "F", {"letters": "ABCDEF"}, 1.0),
        ("\\boxed{\\text{E}}", "E", {}, 1.0),
        ("<answer>the second one</answer>", "B", {}, 0.0),  # no letter
        ("Answer: B", "b", {}, 1.0),  # reference case does not matter
        ("Answer: B", "(B)", {}, 1.0),
        ("Answer: <b>", "B", {"extract": "regex", "pattern": "<(.)>"}, 1.0),
    ],
)
def test_choice_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("choice", completion, reference, **params) == expected


def test_choice_ambiguous_info() -> None:
    result = run("choice", "Answer: A, C", "A")
    assert result is not None and result.value == 0.0
    assert result.info["letters"] == ("A", "C")
    assert "ambiguous" in result.info["reason"]


@pytest.mark.parametrize("reference", [None, 2, "F", "AB", "B) Paris", "Paris", ""])
def test_choice_malformed_reference_is_unjudgeable(reference: JSONValue) -> None:
    with pytest.raises(UnjudgeableReference, match="choice"):
        run("choice", "B", reference)


@pytest.mark.parametrize("params", [{"letters": ""}, {"letters": "AAB"}, {"letters": "A1"}])
def test_choice_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("choice").build_params(params)


def test_choice_letters_are_upper_cased() -> None:
    assert get("choice").build_params({"letters": "abcd"}).letters == "ABCD"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- ternary


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("Oslo", "oslo", {}, 1.0),
        ("Bergen", "Oslo", {}, -1.0),
        ("I don't know.", "Oslo", {}, 0.0),
        ("I DON’T KNOW", "Oslo", {}, 0.0),  # case and curly apostrophe
        ("The capital cannot be determined from this.", "Oslo", {}, 0.0),
        ("Oslo, but I'm not sure", "Oslo", {}, 0.0),  # not an exact match, abstains
        ("no idea", "Oslo", {}, -1.0),  # not in the default phrases
        ("no idea", "Oslo", {"abstain_phrases": ["no idea"]}, 0.0),
        ("Oslo", ["Oslo", "Christiania"], {}, 1.0),
        ("Bergen", "Oslo", {"correct": 2.0, "abstain": 0.5, "wrong": -3.0}, -3.0),
        ("I do not know", "Oslo", {"correct": 2.0, "abstain": 0.5, "wrong": -3.0}, 0.5),
        ("<answer>Oslo</answer>", "Oslo", {"extract": "answer_tag"}, 1.0),
        ("Oslo", "Oslo", {"extract": "answer_tag"}, -1.0),  # no answer tag: wrong
    ],
)
def test_ternary_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("ternary", completion, reference, **params) == expected


def test_ternary_info_names_outcome() -> None:
    outcomes = [run("ternary", c, "Oslo") for c in ("Oslo", "not sure", "Rome")]
    assert [r.info["outcome"] for r in outcomes if r] == ["correct", "abstained", "wrong"]


@pytest.mark.parametrize("completion", ["Oslo", "I don't know", "<answer>x</answer>"])
@pytest.mark.parametrize("reference", [None, {"a": 1}, ""])
def test_ternary_bad_reference_is_unjudgeable_with_its_wrong_value(
    completion: str, reference: JSONValue
) -> None:
    # "Score it as wrong" must give ternary's wrong value (-1 here), not 0.0.
    with pytest.raises(UnjudgeableReference, match="ternary") as raised:
        run("ternary", completion, reference, wrong=-1.0, extract="answer_tag")
    assert raised.value.wrong_value == -1.0


@pytest.mark.parametrize(
    "params",
    [
        {"abstain": 2.0},  # abstaining must not pay more than a correct answer
        {"abstain": -2.0},  # nor less than a wrong one
        {"correct": 0.0, "abstain": 0.0, "wrong": 0.0},
        {"abstain_phrases": []},
        {"abstain_phrases": ["  "]},
    ],
)
def test_ternary_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("ternary").build_params(params)


# ---------------------------------------------------------------- set_f1


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("a, b, c", ["a", "b", "c"], {}, 1.0),
        ("c; b\na", ["a", "b", "c"], {}, 1.0),  # order and separators do not matter
        ("a, b, c", ["a", "b", "d"], {}, 2 / 3),  # p = r = 2/3
        ("a, b", ["a", "b", "c", "d"], {}, 2 / 3),  # p = 1, r = 1/2: 2 * 0.5 / 1.5
        ("a, b", ["a", "b", "c", "d"], {"metric": "precision"}, 1.0),
        ("a, b", ["a", "b", "c", "d"], {"metric": "recall"}, 0.5),
        ("A, a,  a ", ["a"], {}, 1.0),  # normalised and deduplicated
        ("x, y", ["a", "b"], {}, 0.0),
        ("", [], {}, 1.0),  # both empty
        ("a", [], {}, 0.0),  # one empty
        ("", ["a"], {}, 0.0),
        ("a, b", "b, a", {}, 1.0),  # a separated reference string
        ("a and b", ["a", "b"], {"separator": r",|\band\b"}, 1.0),
        ("<answer>1, 2</answer>", [1, 2], {"extract": "answer_tag"}, 1.0),
        ("1, 2", [1, 2], {"extract": "answer_tag"}, 0.0),  # no answer tag
    ],
)
def test_set_f1_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("set_f1", completion, reference, **params) == pytest.approx(expected)


def test_set_f1_info_has_all_three() -> None:
    result = run("set_f1", "a, b", ["a", "b", "c", "d"])
    assert result is not None
    assert result.info == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3})


@pytest.mark.parametrize("reference", [None, {"a": 1}])
def test_set_f1_malformed_reference_is_unjudgeable(reference: JSONValue) -> None:
    with pytest.raises(UnjudgeableReference, match="set_f1"):
        run("set_f1", "a", reference)


@pytest.mark.parametrize(
    "params", [{"separator": "(,"}, {"separator": ",?"}, {"metric": "accuracy"}]
)
def test_set_f1_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("set_f1").build_params(params)
