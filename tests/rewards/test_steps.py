"""Step segmentation (function mode) and step spans on tokens, on hand-made completions."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.advantage.tokens import token_step_index as advantage_token_step_index
from rewardkit.errors import ConfigError
from rewardkit.registry import get
from rewardkit.rewards.steps import (
    StepParams,
    char_spans_to_token_spans,
    sample_steps,
    sample_token_offsets,
    split_steps,
    step_sums,
    token_offsets,
    token_step_index,
)
from rewardkit.types import Sample, Span

HERE = __name__  # the test module as imported, so "module:function" refs resolve here

# "Step 1: café ✓\nStep 2: 🙂日本": é, ✓, 🙂, 日, 本 are one character (code point) each, 2-4 bytes.
TEXT = "Step 1: café ✓\nStep 2: 🙂日本"
PIECES = ["Step", "caf", "é ✓", "🙂日", "本"]
# tokens by hand:  Step   ' '     1       :       ' '     caf      'é ✓'     \n
HAND_OFFSETS = [(0, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 11), (11, 14), (14, 15)]
#                Step      ' '       2         :         ' '       🙂日      本
HAND_OFFSETS += [(15, 19), (19, 20), (20, 21), (21, 22), (22, 23), (23, 25), (25, 26)]


def halves(text: str) -> list[tuple[int, int]]:
    """A split function for these tests: the first and the second half of the text."""
    mid = len(text) // 2
    return [(0, mid), (mid, len(text))] if mid else []


def overlapping(text: str) -> list[tuple[int, int]]:
    return [(0, 2), (1, 3)]


def out_of_range(text: str) -> list[tuple[int, int]]:
    return [(0, len(text) + 1)]


def not_pairs(text: str) -> list[Any]:
    return ["0-3"]


# ---------------------------------------------------------------- function split mode


def test_function_split_mode_returns_the_functions_spans() -> None:
    assert split_steps("abcdef", "function", fn=f"{HERE}:halves") == [(0, 3), (3, 6)]
    p = StepParams(split="function", split_fn=f"{HERE}:halves")
    sample = Sample(id="0", group="g", prompt="", completion="abcd")
    assert sample_steps(sample, p) == [(0, 2), (2, 4)]
    # the sample's own steps still win
    given_steps = Sample(id="1", group="g", prompt="", completion="abcd", steps=((1, 2),))
    assert sample_steps(given_steps, p) == [(1, 2)]


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        ("overlapping", "in order, without overlaps"),
        ("out_of_range", "length 4"),
        ("not_pairs", "integer pairs"),
    ],
)
def test_function_split_mode_rejects_bad_spans(fn: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_steps("abcd", "function", fn=f"{HERE}:{fn}")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"split": "function"}, "needs 'split_fn'"),
        ({"split_fn": f"{HERE}:halves"}, "needs split: function"),
        ({"split": "function", "split_fn": "no_such_module:f"}, "cannot import"),
    ],
)
def test_function_split_params_are_checked(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get("step_check").build_params(params)


def test_step_check_with_a_function_split() -> None:
    component = get("step_check")
    params = component.build_params({"split": "function", "split_fn": f"{HERE}:halves"})
    sample = Sample(id="0", group="g", prompt="", completion="1+1=2 2+2=5")
    score = component.fn(sample, params)
    assert score.steps == (1.0, 0.0)  # "1+1=2" | " 2+2=5"
    assert score.info["spans"] == [(0, 5), (5, 11)]


# ---------------------------------------------------------------- tokens of a hand-made vocabulary


def test_offsets_are_character_positions_with_multibyte_pieces(make_piece_tokenizer: Any) -> None:
    tok = make_piece_tokenizer(PIECES)
    assert token_offsets(tok, TEXT) == HAND_OFFSETS
    assert "".join(TEXT[a:b] for a, b in HAND_OFFSETS) == TEXT


def test_line_steps_map_to_the_tokens_of_each_line(make_piece_tokenizer: Any) -> None:
    offsets = token_offsets(make_piece_tokenizer(PIECES), TEXT)
    steps = split_steps(TEXT, "line")
    assert steps == [(0, 14), (15, 26)]
    # the newline token (index 7) belongs to no step
    assert token_step_index(offsets, steps).tolist() == [0] * 7 + [-1] + [1] * 7
    assert char_spans_to_token_spans(offsets, steps) == [(0, 7), (8, 15)]


def test_steps_that_cross_token_boundaries(make_piece_tokenizer: Any) -> None:
    offsets = token_offsets(make_piece_tokenizer(PIECES), TEXT)
    # step 0 "Step 1: café" ends inside the token "é ✓" (11, 14): 1 char in step 0, 2 in step 1,
    # so the token goes to step 1. Step 2 "日本" starts inside "🙂日" (23, 25): 1 char each side,
    # a tie, so the token goes to the earlier step 1; step 2 keeps only "本".
    steps = [(0, 12), (12, 24), (24, 26)]
    assert [TEXT[a:b] for a, b in steps] == ["Step 1: café", " ✓\nStep 2: 🙂", "日本"]
    assert char_spans_to_token_spans(offsets, steps) == [(0, 6), (6, 14), (14, 15)]
    values = [float(2**i) for i in range(len(offsets))]  # token t carries 2^t: sums identify tokens
    assert step_sums(values, offsets, steps) == (63.0, 16320.0, 16384.0)


def test_a_step_inside_one_token_of_its_neighbour_gets_no_tokens(make_piece_tokenizer: Any) -> None:
    offsets = token_offsets(make_piece_tokenizer(PIECES), TEXT)
    # (12, 13) is the space inside "é ✓"; the token ties 1:1 with step 0 and goes there
    steps = [(0, 12), (12, 13)]
    assert char_spans_to_token_spans(offsets, steps) == [(0, 7), (7, 7)]
    sums = step_sums([1.0] * len(offsets), offsets, steps)
    assert sums[0] == 7.0 and math.isnan(sums[1])


def test_empty_inputs() -> None:
    assert char_spans_to_token_spans([], [(0, 3)]) == [(0, 0)]
    assert char_spans_to_token_spans([(0, 1)], []) == []
    assert token_step_index([], [(0, 1)]).tolist() == []


# ---------------------------------------------------------------- a tiny byte-level BPE


CORPUS = ["Step 1: café ✓ done", "Step 2: 日本語 🙂 ok", "abab abab"] * 5
BPE_TEXT = "Step 1: café ✓\nStep 2: 🙂日本語"


def test_byte_bpe_offsets_cover_every_character(make_bpe_tokenizer: Any) -> None:
    tok = make_bpe_tokenizer(CORPUS)
    offsets = token_offsets(tok, BPE_TEXT)
    assert tok.decode(tok(BPE_TEXT, add_special_tokens=False)["input_ids"]) == BPE_TEXT
    covered = {i for a, b in offsets for i in range(a, b)}
    assert covered == set(range(len(BPE_TEXT)))
    # byte tokens of the CJK run overlap: one character's bytes are spread over several tokens
    cjk = [(a, b) for a, b in offsets if a >= BPE_TEXT.index("日")]
    assert any(x[1] > y[0] for x, y in pairwise(cjk))


def test_byte_bpe_steps_follow_the_largest_overlap(make_bpe_tokenizer: Any) -> None:
    offsets = token_offsets(make_bpe_tokenizer(CORPUS), BPE_TEXT)
    cut = BPE_TEXT.index("語")
    steps = [*split_steps(BPE_TEXT[:cut], "line"), (cut, len(BPE_TEXT))]
    which = token_step_index(offsets, steps)
    for t, (a, b) in enumerate(offsets):
        overlaps = [min(b, e) - max(a, s) for s, e in steps]
        best = max(overlaps)
        assert which[t] == (overlaps.index(best) if best > 0 else -1)
    spans = char_spans_to_token_spans(offsets, steps)
    assert [b - a for a, b in spans] == [int((which == k).sum()) for k in range(len(steps))]
    assert spans[-1][1] == len(offsets)  # "語" is the last character: its last byte token is last


# ---------------------------------------------------------------- sample offsets and consistency


def test_sample_token_offsets(make_piece_tokenizer: Any) -> None:
    own = Sample(id="0", group="g", prompt="", completion="ab", token_offsets=((0, 1), (1, 2)))
    assert sample_token_offsets(own) == [(0, 1), (1, 2)]
    bare = Sample(id="1", group="g", prompt="", completion=TEXT)
    assert sample_token_offsets(bare, make_piece_tokenizer(PIECES)) == HAND_OFFSETS
    with pytest.raises(ValueError, match="no token_offsets"):
        sample_token_offsets(bare)


def test_a_slow_tokenizer_is_refused() -> None:
    class Slow:
        is_fast = False

    with pytest.raises(ValueError, match="not a fast tokenizer"):
        token_offsets(Slow(), "abc")


@st.composite
def tokens_and_steps(draw: Any) -> tuple[list[Span], list[Span]]:
    cuts = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=12)))
    tokens = list(zip([0, *cuts[:-1]], cuts, strict=True))
    bounds = sorted(draw(st.sets(st.integers(0, cuts[-1]), min_size=0, max_size=10)))
    steps = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=False) if a < b]
    return tokens, steps


@settings(max_examples=200, deadline=None)
@given(tokens_and_steps())
def test_same_rule_as_the_per_token_advantages(case: tuple[list[Span], list[Span]]) -> None:
    tokens, steps = case
    which = token_step_index(tokens, steps)
    assert which.tolist() == advantage_token_step_index(tokens, steps).tolist()
    for k, (a, b) in enumerate(char_spans_to_token_spans(tokens, steps)):
        assert np.all(which[a:b] == k)  # on ordered tokens a step's tokens are contiguous
        assert int((which == k).sum()) == b - a
