"""Golden cases for the text-overlap rewards: bleu, chrf, rouge_l."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.rewards.text import lcs_length
from rewardkit.types import Sample, Score


def value(name: str, completion: str, reference: Any, **params: Any) -> float:
    """The value of component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert isinstance(result, Score)
    return result.value


# ---------------------------------------------------------------- bleu

# "the cat sat on the mat" vs "the cat sat on a mat" (13a tokens, same length, so BP = 1):
# clipped n-gram precisions 5/6, 3/5, 2/4, 1/3; their product is 1/12, so BLEU = 12 ** -0.25.
PARTIAL_BLEU = 12**-0.25


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("the cat sat on the mat", "the cat sat on the mat", {}, 1.0),
        ("a b c d", "x y z w", {}, 0.0),  # disjoint
        ("the cat sat on the mat", "the cat sat on a mat", {}, PARTIAL_BLEU),
        # a disjoint extra reference changes neither clipping nor the closest length
        ("the cat sat on the mat", ["x y z w", "the cat sat on a mat"], {}, PARTIAL_BLEU),
        # all n-grams of "the cat" match; brevity penalty exp(1 - 6/2) = e^-2
        ("the cat", "the cat sat on a mat", {}, math.exp(-2)),
        ("", "the cat", {}, 0.0),
        ("The Cat", "the cat", {}, 0.0),  # BLEU is case-sensitive by default...
        ("The Cat", "the cat", {"lowercase": True}, 1.0),  # ...unless asked
        ("猫坐在垫子上", "猫坐在垫子上", {"tokenize": "zh"}, 1.0),
        ("<answer>the cat</answer> noise", "the cat", {"extract": "answer_tag"}, 1.0),
        ("no tag here", "the cat", {"extract": "answer_tag"}, 0.0),
    ],
)
def test_bleu_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    assert value("bleu", completion, reference, **params) == pytest.approx(expected)


# ---------------------------------------------------------------- chrf


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("héllo wörld", "héllo wörld", {}, 1.0),
        ("abcd", "wxyz", {}, 0.0),
        # characters only (order 1): P = 2/2, R = 2/4; F2 = 5PR / (4P + R) = 2.5 / 4.5
        ("ab", "abcd", {"char_order": 1}, 5 / 9),
        ("a b", "ab", {}, 1.0),  # whitespace is removed before counting
        ("", "abcd", {}, 0.0),
        ("ab", ["zzzz", "abcd"], {"char_order": 1}, 5 / 9),  # the best reference counts
        ("<answer>ab</answer>", "ab", {"extract": "answer_tag"}, 1.0),
    ],
)
def test_chrf_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    assert value("chrf", completion, reference, **params) == pytest.approx(expected)


# ---------------------------------------------------------------- rouge_l


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("the cat sat", "the cat sat", {}, 1.0),
        ("the cat", "the cat sat down", {}, 2 / 3),  # LCS 2: P 1, R 1/2
        ("cat the", "the cat", {}, 0.5),  # order matters: LCS 1
        ("a b c d", "a c x d", {}, 0.75),  # LCS "a c d": P = R = 3/4
        ("x y", "a b", {}, 0.0),
        ("the cat", "the cat sat down", {"beta": 2.0}, 5 / 9),  # 5 * 1 * 0.5 / (0.5 + 4)
        ("THE CAT", "the cat", {}, 1.0),  # lowercased by default
        ("THE CAT", "the cat", {"lowercase": False}, 0.0),
        ("Ünïcödé wörds", "ünïcödé wörds", {}, 1.0),
        ("the the the", "the", {}, 0.5),  # P 1/3, R 1: 2 * (1/3) / (4/3)
        ("the cat", ["x y", "the cat"], {}, 1.0),  # the best reference counts
        ("", "the cat", {}, 0.0),
        ("猫坐", "猫坐在垫子上", {}, 0.0),  # whitespace tokens: two different single tokens
        ("<answer>the cat</answer>", "the cat", {"extract": "answer_tag"}, 1.0),
    ],
)
def test_rouge_l_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    assert value("rouge_l", completion, reference, **params) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["bleu", "chrf", "rouge_l"])
@pytest.mark.parametrize("reference", [None, [], ["a", 1], 42, {"text": "a"}])
def test_malformed_reference_raises(name: str, reference: Any) -> None:
    with pytest.raises(UnjudgeableReference, match="reference"):
        value(name, "a b", reference)


@pytest.mark.parametrize("name", ["bleu", "chrf", "rouge_l"])
@pytest.mark.parametrize("reference", ["", "   ", ["a b", " "]])
def test_blank_reference_is_unjudgeable(name: str, reference: Any) -> None:
    """A blank reference would score every answer 0.0 (BLEU, chrF): a data problem, not a 0."""
    with pytest.raises(UnjudgeableReference, match="blank"):
        value(name, "a b", reference)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("bleu", {"smooth_method": "linear"}),
        ("bleu", {"tokenize": "spacy"}),
        ("chrf", {"char_order": 0}),
        ("chrf", {"beta": 0}),
        ("rouge_l", {"beta": 0}),
        ("rouge_l", {"beta": -1}),
        ("rouge_l", {"lower": True}),
    ],
)
def test_bad_params(name: str, params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get(name).build_params(params)


def lcs_by_table(a: list[str], b: list[str]) -> int:
    """The textbook quadratic LCS, to check the bit-parallel one against."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[-1][-1]


tokens = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(tokens, tokens)
def test_lcs_matches_the_textbook_table(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == lcs_by_table(a, b)
