"""Golden cases for box parsing, reference reading and IoU (rewards/boxes.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.boxes import Box, iou_of, parse_boxes, reference_boxes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[10, 20, 50, 60]", [(10, 20, 50, 60)]),
        ("[10.5,20.25,50,60]", [(10.5, 20.25, 50, 60)]),
        ("[10 20 50 60]", [(10, 20, 50, 60)]),  # spaces instead of commas
        ("[50, 60, 10, 20]", [(10, 20, 50, 60)]),  # corners swapped: normalised
        ("(10, 20), (50, 60)", [(10, 20, 50, 60)]),
        ("(10,20)(50,60)", [(10, 20, 50, 60)]),
        ("<box>10 20 50 60</box>", [(10, 20, 50, 60)]),
        ("<box>(10,20),(50,60)</box>", [(10, 20, 50, 60)]),
        ("<box>[10, 20, 50, 60]</box>", [(10, 20, 50, 60)]),  # counted once, not twice
        ("<BOX>1 2 3 4</BOX>", [(1, 2, 3, 4)]),
        ("<box>1 2 3</box>", []),  # three numbers are not a box
        ("first [0,0,1,1] then (2,2),(3,3)", [(0, 0, 1, 1), (2, 2, 3, 3)]),
        ("[[1, 2, 3, 4], [5, 6, 7, 8]]", [(1, 2, 3, 4), (5, 6, 7, 8)]),
        ("[-5, -5, 5, 5]", [(-5, -5, 5, 5)]),
        ("[1, 2, 3]", []),
        ("[1, 2, 3, 4, 5]", []),
        ("no box here", []),
        ("[1, 2, 3, " + "9" * 400 + "]", []),  # overflows to inf: skipped
        ("框 [1, 2, 3, 4] 框", [(1, 2, 3, 4)]),
    ],
)
def test_parse_boxes_golden(text: str, expected: list[Box]) -> None:
    assert parse_boxes(text) == [tuple(float(v) for v in box) for box in expected]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ([0, 0, 1, 1], [(0, 0, 1, 1)]),
        ([0.5, 0.5, 0.1, 0.1], [(0.1, 0.1, 0.5, 0.5)]),
        ([[0, 0, 1, 1], [2, 2, 3, 3]], [(0, 0, 1, 1), (2, 2, 3, 3)]),
        ({"box": [0, 0, 1, 1]}, [(0, 0, 1, 1)]),
        ({"boxes": [[0, 0, 1, 1]]}, [(0, 0, 1, 1)]),
        ({"boxes": []}, []),
        ([], []),
        ("[0, 0, 1, 1]", [(0, 0, 1, 1)]),
    ],
)
def test_reference_boxes_golden(reference: Any, expected: list[Box]) -> None:
    assert reference_boxes(reference) == [tuple(float(v) for v in box) for box in expected]


@pytest.mark.parametrize(
    "reference",
    [
        None,
        [0, 0, 1],
        [0, 0, 1, "1"],
        [True, 0, 1, 1],  # a bool is not a coordinate
        [0, 0, 1, math.nan],
        {"box": [0, 0, 1]},
        {"boxes": [0, 0, 1, 1]},  # a single box under "boxes" is ambiguous
        {"bbox": [0, 0, 1, 1]},
        "no box",
        [[0, 0, 1, 1], [0, 0]],
    ],
)
def test_malformed_reference_raises(reference: Any) -> None:
    with pytest.raises(UnjudgeableReference, match="box reference"):
        reference_boxes(reference)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 2, 2), (0, 0, 2, 2), 1.0),  # identical
        ((0, 0, 2, 2), (1, 0, 3, 2), 1 / 3),  # inter 2, union 6
        ((0, 0, 1, 1), (1, 0, 2, 1), 0.0),  # touching edges: no shared area
        ((0, 0, 1, 1), (5, 5, 6, 6), 0.0),  # disjoint
        ((0, 0, 4, 4), (1, 1, 3, 3), 0.25),  # nested: inner area 4 / outer 16
        ((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7),  # corner overlap: inter 1, union 7
        ((1, 1, 1, 1), (1, 1, 1, 1), 1.0),  # same point: defined as 1.0
        ((1, 1, 1, 1), (2, 2, 2, 2), 0.0),  # different points
        ((0, 0, 0, 5), (0, 0, 0, 5), 1.0),  # same zero-width line
        ((1, 1, 1, 1), (0, 0, 2, 2), 0.0),  # a point inside a box has no area
        ((0, 0, 0.5, 0.5), (0.25, 0.25, 0.75, 0.75), 1 / 7),  # normalised coordinates
    ],
)
def test_iou_golden(a: Box, b: Box, expected: float) -> None:
    assert iou_of(a, b) == pytest.approx(expected)
    assert iou_of(b, a) == pytest.approx(expected)  # symmetric


@pytest.mark.parametrize(
    "text", ["[1" + " " * 20_000 + "x", "(1,2)" + " " * 20_000 + "x", "<box>" * 500 + "1"]
)
def test_parse_boxes_long_whitespace_runs_are_linear(text: str) -> None:
    # These took seconds with a separator that could split a whitespace run many ways.
    assert parse_boxes(text) == []


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_boxes_never_crashes(text: str) -> None:
    for x1, y1, x2, y2 in parse_boxes(text):
        assert x1 <= x2 and y1 <= y2


_box_text = st.lists(
    st.sampled_from(["[", "]", "(", ")", ",", " ", "<box>", "</box>", "1", ".5", "-"])
)


@settings(max_examples=200, deadline=None)
@given(_box_text.map("".join))
def test_parse_boxes_never_crashes_on_box_like_text(text: str) -> None:
    parse_boxes(text)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.tuples(finite, finite, finite, finite), st.tuples(finite, finite, finite, finite))
def test_iou_is_in_unit_interval(a: tuple[float, ...], b: tuple[float, ...]) -> None:
    box_a = reference_boxes(list(a))[0]
    box_b = reference_boxes(list(b))[0]
    assert 0.0 <= iou_of(box_a, box_b) <= 1.0 + 1e-12
