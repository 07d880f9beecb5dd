"""Golden cases for the grounding rewards: iou, iou_hit, multi_box_iou, distance_tiers."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import Sample, Score


def run(name: str, completion: str, reference: Any, **params: Any) -> Score:
    """Component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert isinstance(result, Score)
    return result


# ---------------------------------------------------------------- iou


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("[0, 0, 2, 2]", [0, 0, 2, 2], {}, 1.0),
        ("[0, 0, 2, 2]", [1, 0, 3, 2], {}, 1 / 3),  # inter 2, union 6
        ("(0,0),(2,2)", {"box": [0, 0, 2, 1]}, {}, 0.5),  # nested: 2 / 4
        ("<box>0 0 1 1</box>", [1, 0, 2, 1], {}, 0.0),  # touching
        ("first [9,9,10,10] final [0,0,2,2]", [0, 0, 2, 2], {}, 0.0),  # two boxes: not one answer
        ("**[0,0,2,2]**", [0, 0, 2, 2], {}, 1.0),
        ("[0,0,2e0,2e0]", [0, 0, 2, 2], {}, 1.0),  # refused before
        ("no box", [0, 0, 2, 2], {}, 0.0),
        ("", [0, 0, 2, 2], {}, 0.0),
        # answer_tag: the box outside the tag is ignored
        ("[0,0,2,2] <answer>[1,0,3,2]</answer>", [0, 0, 2, 2], {"extract": "answer_tag"}, 1 / 3),
        ("[0,0,2,2] and no tag", [0, 0, 2, 2], {"extract": "answer_tag"}, 0.0),
        ("[2,2,0,0]", [0, 0, 2, 2], {}, 1.0),  # swapped corners are normalised
        ("[0,0,2,2]", [[10, 10, 11, 11], [0, 0, 2, 1]], {}, 0.5),  # best reference counts
        ("[5,5,5,5]", [5, 5, 5, 5], {}, 1.0),  # same zero-area point
    ],
)
def test_iou_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    result = run("iou", completion, reference, **params)
    assert result.value == pytest.approx(expected)
    assert result.info["iou"] == pytest.approx(expected)


@pytest.mark.parametrize("name", ["iou", "iou_hit", "distance_tiers"])
@pytest.mark.parametrize("reference", [[0, 0, 1], {"boxes": []}, None, "nothing"])
def test_unreadable_or_empty_reference_is_unjudgeable(name: str, reference: Any) -> None:
    """A data problem, not the model's fault: raised for the program's policy, wrong value 0."""
    with pytest.raises(UnjudgeableReference, match="reference") as info:
        run(name, "[0,0,1,1]", reference)
    assert info.value.wrong_value == 0.0


# ---------------------------------------------------------------- iou_hit


@pytest.mark.parametrize(
    ("completion", "reference", "threshold", "expected"),
    [
        ("[0,0,2,2]", [0, 0, 2, 1], 0.5, 1.0),  # IoU exactly 0.5 is a hit
        ("[0,0,2,2]", [0, 0, 2, 1], 0.51, 0.0),
        ("[0,0,2,2]", [1, 0, 3, 2], 0.3, 1.0),  # IoU 1/3
        ("[0,0,2,2]", [1, 0, 3, 2], 0.5, 0.0),
        ("[0,0,2,2]", [5, 5, 6, 6], 0.0, 1.0),  # threshold 0: any box hits, even disjoint
        ("no box", [0, 0, 2, 2], 0.0, 0.0),  # ...but no box never does
        ("[0,0,2,2]", [0, 0, 2, 2], 1.0, 1.0),
        ("[0,0,4,4]", [1, 1, 3, 3], 0.25, 1.0),  # nested: 4 / 16
    ],
)
def test_iou_hit_golden(completion: str, reference: Any, threshold: float, expected: float) -> None:
    result = run("iou_hit", completion, reference, threshold=threshold)
    assert result.value == expected
    assert "iou" in result.info


@pytest.mark.parametrize("params", [{"threshold": 1.5}, {"threshold": -0.1}, {"thresh": 0.5}])
def test_iou_hit_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("iou_hit").build_params(params)


# ---------------------------------------------------------------- multi_box_iou


@pytest.mark.parametrize(
    ("completion", "reference", "expected"),
    [
        ("[0,0,1,1] [2,2,3,3]", [[2, 2, 3, 3], [0, 0, 1, 1]], 1.0),  # order does not matter
        ("[0,0,1,1]", {"boxes": [[0, 0, 1, 1], [2, 2, 3, 3]]}, 0.5),  # one missed: 1 / 2
        ("[0,0,1,1] [7,7,8,8]", {"boxes": [[0, 0, 1, 1]]}, 0.5),  # one extra: 1 / 2
        ("[0,0,2,2] [0,0,2,2]", [[0, 0, 2, 2]], 0.5),  # a duplicate counts once
        ("", {"boxes": []}, 1.0),  # nothing to find, nothing claimed
        ("[0,0,1,1]", {"boxes": []}, 0.0),
        ("no boxes", [[0, 0, 1, 1]], 0.0),
        ("[0,0,2,2] [1,0,3,2]", [[0, 0, 2, 2]], 0.5),  # one matched fully, one extra
    ],
)
def test_multi_box_iou_golden(completion: str, reference: Any, expected: float) -> None:
    result = run("multi_box_iou", completion, reference)
    assert result.value == pytest.approx(expected)


def test_multi_box_iou_matching_is_optimal_not_greedy() -> None:
    # Boxes of height 1, so IoU is interval overlap / interval union along x.
    # P0=[0,16], P1=[0,5]; R0=[0,10], R1=[10,16].
    # P0-R0 = 10/16 = 0.625 (the single best pair), P0-R1 = 6/16 = 0.375,
    # P1-R0 = 5/10 = 0.5, P1-R1 = 0 (disjoint).
    # Greedy takes P0-R0 and is left with P1-R1: 0.625 / 2. Optimal: P0-R1 + P1-R0 = 0.875 / 2.
    result = run("multi_box_iou", "[0,0,16,1] [0,0,5,1]", [[0, 0, 10, 1], [10, 0, 16, 1]])
    assert result.value == pytest.approx(0.4375)
    assert sorted((i, j) for i, j, _ in result.info["matches"]) == [(0, 1), (1, 0)]


def test_multi_box_iou_without_an_answer_is_not_a_true_negative() -> None:
    """Nothing to find: an answer with no box is right (1.0), no answer at all is not (0.0)."""
    tag = {"extract": "answer_tag"}
    assert run("multi_box_iou", "<answer>none</answer>", {"boxes": []}, **tag).value == 1.0
    missing = run("multi_box_iou", "I will not answer", {"boxes": []}, **tag)
    assert missing.value == 0.0 and missing.info["reason"] == "no answer"


def test_multi_box_iou_malformed_reference_raises() -> None:
    with pytest.raises(UnjudgeableReference, match="give"):
        run("multi_box_iou", "[0,0,1,1]", {"boxes": "x"})


# ---------------------------------------------------------------- distance_tiers


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        # reference (0,0,6,8): centre (3,4), diagonal 10
        ("[0,0,6,8]", [0, 0, 6, 8], {}, 1.0),  # distance 0
        ("[1,0,7,8]", [0, 0, 6, 8], {}, 1.0),  # centre moved 1 -> 0.1 (tier bound inclusive)
        ("[2,0,8,8]", [0, 0, 6, 8], {}, 0.5),  # 2 -> 0.2
        ("[3,4,9,12]", [0, 0, 6, 8], {}, 0.25),  # (6,8): distance 5 -> 0.5
        ("[4,4,10,12]", [0, 0, 6, 8], {}, 0.0),  # (7,8): sqrt(32)/10 = 0.566 > 0.5
        ("[100,100,101,101]", [0, 0, 6, 8], {}, 0.0),
        ("no box", [0, 0, 6, 8], {}, 0.0),
        ("[2,0,8,8]", [0, 0, 6, 8], {"tiers": [[0.3, 0.9]]}, 0.9),
        ("[5,5,5,5]", [5, 5, 5, 5], {}, 1.0),  # point reference, same centre
        ("[5,5,6,6]", [5, 5, 5, 5], {}, 0.0),  # point reference, any offset is inf
        # a predicted box of another size but the same centre is at distance 0
        ("[2,3,4,5]", [0, 0, 6, 8], {}, 1.0),
    ],
)
def test_distance_tiers_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    assert run("distance_tiers", completion, reference, **params).value == expected


@pytest.mark.parametrize(
    "params",
    [
        {"tiers": []},
        {"tiers": [[0.5, 1.0], [0.1, 0.5]]},  # not increasing
        {"tiers": [[0.1, 1.0], [0.1, 0.5]]},  # repeated distance
        {"tiers": [[-0.1, 1.0]]},
        {"tiers": [[0.1]]},
        {"tiers": [[0.1, 1.0]], "extract": "regex"},  # regex without a pattern
    ],
)
def test_distance_tiers_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("distance_tiers").build_params(params)
