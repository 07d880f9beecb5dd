"""Per-token advantages on hand-made completions."""

from __future__ import annotations

import numpy as np

from rewardkit.advantage import (
    Groups,
    step_advantages,
    step_values_path,
    token_advantages,
    token_step_index,
)
from rewardkit.types import Sample


def test_token_step_index_uses_the_largest_overlap() -> None:
    # tokens: "ab" "c|d" (crosses the boundary at 3, more of it in step 1) "ef" and "gh" past the steps
    tokens = [(0, 2), (2, 5), (5, 7), (9, 11)]
    steps = [(0, 3), (3, 8)]
    assert token_step_index(tokens, steps).tolist() == [0, 1, 1, -1]


def test_tie_goes_to_the_earlier_step() -> None:
    assert token_step_index([(2, 4)], [(0, 3), (3, 6)]).tolist() == [0]


def test_step_advantages_group_and_index_baselines() -> None:
    g = Groups.from_ids(["a", "a"])
    values = [(1.0, 0.0), (1.0, 1.0)]
    # group: pooled [1, 0, 1, 1] mean .75 std(ddof=1) .5 -> [.5, -1.5], [.5, .5]
    grp = step_advantages(values, g, "group", eps=0.0)
    assert [a.tolist() for a in grp] == [[0.5, -1.5], [0.5, 0.5]]
    # index: step 0 all equal -> 0; step 1 [0, 1] -> -.7071, +.7071
    idx = step_advantages(values, g, "index", eps=0.0)
    assert [a.round(4).tolist() for a in idx] == [[0.0, -0.7071], [0.0, 0.7071]]


def test_token_advantages_add_outcome_and_weighted_step() -> None:
    text = "1+1=2\n2+2=5"
    offsets = ((0, 2), (2, 5), (5, 6), (6, 9), (9, 11))
    s = Sample(
        id="x",
        group="g",
        prompt="",
        completion=text,
        token_ids=(1, 2, 3, 4, 5),
        token_offsets=offsets,
    )
    out = token_advantages(
        [s], np.array([0.5]), [np.array([1.0, -1.0])], [[(0, 6), (6, 11)]], step_weight=0.5
    )
    assert out[0] is not None
    assert out[0].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_multibyte_characters_are_counted_as_characters() -> None:
    text = "é=1 ✓\nnext"  # offsets are character offsets, not bytes
    s = Sample(
        id="x",
        group="g",
        prompt="",
        completion=text,
        token_ids=(1, 2, 3),
        token_offsets=((0, 3), (3, 6), (6, 10)),
    )
    out = token_advantages(
        [s], np.array([0.0]), [np.array([2.0, -2.0])], [[(0, 6), (6, 10)]], step_weight=1.0
    )
    assert out[0] is not None and out[0].tolist() == [2.0, 2.0, -2.0]


def test_sample_without_offsets_gets_none() -> None:
    s = Sample(id="x", group="g", prompt="", completion="abc")
    assert token_advantages([s], np.array([1.0]), [None], [None], 1.0) == [None]


def test_unjudged_steps_are_left_out() -> None:
    g = Groups.from_ids(["a", "a"])
    nan = float("nan")
    # judged steps pooled: [1, 0, 1] mean 2/3, std .57735; the NaN step gets no step advantage
    out = step_advantages([(1.0, nan), (0.0, 1.0)], g, "group", eps=0.0)
    assert [a.round(4).tolist() for a in out] == [[0.5774, 0.0], [-1.1547, 0.5774]]
    idx = step_advantages([(1.0, nan), (0.0, 1.0)], g, "index", eps=0.0)
    assert [a.round(4).tolist() for a in idx] == [[0.7071, 0.0], [-0.7071, 0.0]]


def test_step_values_path_is_steps_from_or_the_last_stepped_node() -> None:
    assert step_values_path(["reward/a", "reward/b"], None) == "reward/b"
    assert step_values_path(["reward/a", "reward/b"], "reward/a") == "reward/a"
    # a named node that gave no steps this batch feeds nothing, not another node's steps
    assert step_values_path(["reward/a"], "reward/b") is None
    assert step_values_path([], None) is None
