"""Bounding boxes: parse them from model text and from references, and measure their overlap.

Boxes are ``(x1, y1, x2, y2)`` in **continuous** coordinates: a box covers the region
``[x1, x2] x [y1, y2]`` and its area is ``(x2 - x1) * (y2 - y1)``. There is no "+1" pixel
convention; a box whose corners are equal on one axis has zero area.

>>> parse_boxes("the lesion is at [10, 20, 50, 60]")
[(10.0, 20.0, 50.0, 60.0)]
>>> iou_of((0, 0, 2, 2), (1, 0, 3, 2))
0.3333333333333333
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.grammar import unwrap

Box = tuple[float, float, float, float]

_NUM = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
# Separators have one way to match a whitespace run, so long runs cannot backtrack quadratically.
_SEP = r"(?:\s*,\s*|\s+)"
_BOX_TAG = r"<box>(?P<tag>.*?)</box>"
_BRACKET = rf"\[\s*(?P<b1>{_NUM}){_SEP}(?P<b2>{_NUM}){_SEP}(?P<b3>{_NUM}){_SEP}(?P<b4>{_NUM})\s*\]"
_POINT_PAIR = (
    rf"\(\s*(?P<p1>{_NUM})\s*,\s*(?P<p2>{_NUM})\s*\)\s*(?:,\s*)?"
    rf"\(\s*(?P<p3>{_NUM})\s*,\s*(?P<p4>{_NUM})\s*\)"
)
# One alternation so that a <box> tag is consumed whole and its inner numbers are not found twice.
_ANY_BOX = re.compile(f"{_BOX_TAG}|{_BRACKET}|{_POINT_PAIR}", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(_NUM)


def normalise(x1: float, y1: float, x2: float, y2: float) -> Box:
    """The box with its corners ordered so that ``x1 <= x2`` and ``y1 <= y2``.

    >>> normalise(5, 6, 1, 2)
    (1.0, 2.0, 5.0, 6.0)
    """
    return (float(min(x1, x2)), float(min(y1, y2)), float(max(x1, x2)), float(max(y1, y2)))


def _box_from_strings(parts: Sequence[str]) -> Box | None:
    values = [float(v) for v in parts]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return None
    return normalise(*values)


def parse_boxes(text: str) -> list[Box]:
    """Every box written in ``text``, in order of appearance, normalised.

    Formats: ``[x1, y1, x2, y2]`` (commas or spaces), ``(x1, y1), (x2, y2)``, and
    ``<box>...</box>`` holding exactly four numbers in any layout (``x1 y1 x2 y2``,
    ``(x1,y1),(x2,y2)``...). Anything else, and boxes with non-finite numbers, are skipped.

    >>> parse_boxes("<box>(1,2),(3,4)</box> then (9, 9), (0, 0)")
    [(1.0, 2.0, 3.0, 4.0), (0.0, 0.0, 9.0, 9.0)]
    """
    boxes: list[Box] = []
    for match in _ANY_BOX.finditer(text):
        if match.group("tag") is not None:
            box = _box_from_strings(_NUMBER.findall(match.group("tag")))
        elif match.group("b1") is not None:
            box = _box_from_strings(match.group("b1", "b2", "b3", "b4"))
        else:
            box = _box_from_strings(match.group("p1", "p2", "p3", "p4"))
        if box is not None:
            boxes.append(box)
    return boxes


def one_box(span: str) -> Box | None:
    """The box when the whole answer span is one box (wrappers such as ``\\boxed{}`` and
    ``**..**`` aside), else None: a box among words (``not [1,2,3,4]``), two boxes, a hedge
    (``[..] \\lor [..]``) is not one answer (docs/answers.md).

    >>> one_box("\\\\boxed{[0, 0, 1e1, 1e1]}"), one_box("not [1, 2, 3, 4]")
    ((0.0, 0.0, 10.0, 10.0), None)
    """
    found = _ANY_BOX.fullmatch(unwrap(span, prefix=False))
    boxes = [] if found is None else parse_boxes(found.group(0))
    return boxes[0] if len(boxes) == 1 else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_box_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 4 and all(map(_is_number, value))


def reference_boxes(reference: Any) -> list[Box]:
    """The reference boxes of a sample; raises ``UnjudgeableReference`` when it is malformed.

    Accepted: one box ``[x1, y1, x2, y2]``, a list of boxes, ``{"box": [...]}``,
    ``{"boxes": [[...], ...]}``, or a string holding boxes in a format ``parse_boxes`` reads.
    A list of boxes may be empty (nothing to find).

    >>> reference_boxes({"boxes": [[0, 0, 1, 1], [4, 4, 2, 2]]})
    [(0.0, 0.0, 1.0, 1.0), (2.0, 2.0, 4.0, 4.0)]
    """
    if isinstance(reference, dict) and set(reference) & {"box", "boxes"}:
        if "box" in reference and _is_box_list(reference["box"]):
            return [normalise(*reference["box"])]
        boxes = reference.get("boxes")
        if isinstance(boxes, (list, tuple)) and all(map(_is_box_list, boxes)):
            return [normalise(*box) for box in boxes]
    elif isinstance(reference, str):
        boxes = parse_boxes(reference)
        if boxes:
            return boxes
    elif _is_box_list(reference):
        return [normalise(*reference)]
    elif isinstance(reference, (list, tuple)) and all(map(_is_box_list, reference)):
        return [normalise(*box) for box in reference]
    shown = json.dumps(reference, default=repr)[:200]
    raise UnjudgeableReference(
        f"reference {shown} is not a box reference; give [x1, y1, x2, y2], a list of such "
        'boxes, {"box": [...]} or {"boxes": [[...], ...]} with finite numbers'
    )


def area(box: Box) -> float:
    """Continuous area ``(x2 - x1) * (y2 - y1)`` of a normalised box.

    >>> area((0, 0, 2, 3))
    6
    """
    return (box[2] - box[0]) * (box[3] - box[1])


def iou_of(a: Box, b: Box) -> float:
    """Intersection over union of two normalised boxes, in [0, 1].

    Two zero-area boxes have no union to divide by: their IoU is 1.0 when they are the same box
    and 0.0 otherwise, so a box always has IoU 1.0 with itself.

    >>> iou_of((0, 0, 1, 1), (1, 0, 2, 1))  # touching edges share no area
    0.0
    >>> iou_of((3, 3, 3, 3), (3, 3, 3, 3))
    1.0
    """
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(width, 0.0) * max(height, 0.0)
    union = area(a) + area(b) - inter
    if union <= 0.0:
        return 1.0 if tuple(a) == tuple(b) else 0.0
    return inter / union


def centre(box: Box) -> tuple[float, float]:
    """Centre point of a box.

    >>> centre((0, 0, 4, 2))
    (2.0, 1.0)
    """
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def diagonal(box: Box) -> float:
    """Length of a box's diagonal.

    >>> diagonal((0, 0, 3, 4))
    5.0
    """
    return math.hypot(box[2] - box[0], box[3] - box[1])
