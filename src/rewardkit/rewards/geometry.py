"""Visual grounding rewards (the MedLoc-R1 setting): IoU, IoU hit, multi-box IoU, distance tiers.

The predicted box is read from the extracted answer (``extract: answer_tag`` reads the last
``<answer>...</answer>``) with ``parse_boxes``; the reference with ``reference_boxes``. Boxes use
continuous coordinates (area ``(x2 - x1) * (y2 - y1)``, see ``rewards/boxes.py``). A completion
without a box scores 0.0 (the model's fault); a reference without a readable box raises
``UnjudgeableReference`` (a data problem, counted and handled by the program's policy).

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="[0, 0, 2, 2]", reference=[1, 0, 3, 2])
>>> round(iou(s, IouParams()).value, 4)
0.3333
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.boxes import (
    Box,
    centre,
    diagonal,
    iou_of,
    one_box,
    parse_boxes,
    reference_boxes,
)
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.types import Sample, Score


class IouParams(ExtractParams):
    """Parameters of ``iou``: only the shared ``extract`` option."""


class IouHitParams(ExtractParams):
    """Parameters of ``iou_hit``: the IoU a prediction needs to count as a hit."""

    threshold: float = Field(0.5, ge=0.0, le=1.0)


class MultiBoxParams(ExtractParams):
    """Parameters of ``multi_box_iou``: only the shared ``extract`` option."""


Tiers = tuple[tuple[float, float], ...]


class DistanceTiersParams(ExtractParams):
    """Parameters of ``distance_tiers``: ``(max_distance, reward)`` pairs by increasing distance.

    Distances are centre-to-centre, divided by the reference box's diagonal.
    """

    tiers: Tiers = ((0.1, 1.0), (0.25, 0.5), (0.5, 0.25))

    @field_validator("tiers")
    @classmethod
    def _check_tiers(cls, tiers: Tiers) -> Tiers:
        if not tiers:
            raise ValueError("give at least one [max_distance, reward] tier")
        distances = [d for d, _ in tiers]
        if any(d < 0 or not math.isfinite(d) for d in distances):
            raise ValueError(f"tier distances must be finite and >= 0, got {distances}")
        if any(b <= a for a, b in itertools.pairwise(distances)):
            raise ValueError(f"tier distances must strictly increase, got {distances}")
        return tiers


def predicted_box(sample: Sample, p: ExtractParams) -> Box | None:
    """The box of the extracted answer when the whole answer is one box (``boxes.one_box``).

    >>> s = Sample(id="0", group="g", prompt="", completion="<answer>[1,1,2,2]</answer>")
    >>> predicted_box(s, ExtractParams(extract="answer_tag"))
    (1.0, 1.0, 2.0, 2.0)
    """
    answer = extract_answer(sample.model_text, p)
    return None if answer is None else one_box(answer)


def predicted_boxes(sample: Sample, p: ExtractParams) -> list[Box]:
    """The boxes in the extracted answer of ``sample`` (empty when there is none).

    >>> s = Sample(id="0", group="g", prompt="", completion="<answer>[1,1,2,2]</answer>")
    >>> predicted_boxes(s, ExtractParams(extract="answer_tag"))
    [(1.0, 1.0, 2.0, 2.0)]
    """
    answer = extract_answer(sample.model_text, p)
    return [] if answer is None else parse_boxes(answer)


def _single_reference(sample: Sample, component: str) -> list[Box]:
    boxes = reference_boxes(sample.reference)
    if not boxes:
        raise UnjudgeableReference(
            f"{component} needs at least one reference box, got an empty list; "
            "use multi_box_iou for images with nothing to find"
        )
    return boxes


def _best_iou(
    sample: Sample, p: ExtractParams, component: str
) -> tuple[float | None, dict[str, Any]]:
    """IoU of the answer's box with the reference box it overlaps most (None: not one box)."""
    refs = _single_reference(sample, component)
    box = predicted_box(sample, p)
    if box is None:
        return None, {"reason": "the answer is not one box"}
    return max(iou_of(box, ref) for ref in refs), {"box": list(box)}


@reward("iou", params=IouParams)
def iou(sample: Sample, p: IouParams) -> Score:
    """IoU of the answer's box with the reference box (0.0 when the answer is not one box).

    With several reference boxes the best-overlapping one counts.

    >>> s = Sample(id="0", group="g", prompt="", completion="(0,0),(2,2)",
    ...            reference={"box": [0, 0, 2, 1]})
    >>> iou(s, IouParams()).value
    0.5
    """
    value, info = _best_iou(sample, p, "iou")
    value = value or 0.0
    return Score(value, info={**info, "iou": value})


@reward("iou_hit", params=IouHitParams)
def iou_hit(sample: Sample, p: IouHitParams) -> Score:
    """1.0 when the IoU of the answer's box with the reference is >= threshold, else 0.0.

    >>> s = Sample(id="0", group="g", prompt="", completion="[0,0,2,2]", reference=[0,0,2,1])
    >>> iou_hit(s, IouHitParams(threshold=0.5)).value
    1.0
    """
    value, info = _best_iou(sample, p, "iou_hit")
    # No box is never a hit, not even at threshold 0.
    hit = 1.0 if value is not None and value >= p.threshold else 0.0
    return Score(hit, info={**info, "iou": value or 0.0, "threshold": p.threshold})


def match_boxes(preds: list[Box], refs: list[Box]) -> list[tuple[int, int, float]]:
    """Optimal one-to-one matching by IoU: ``(pred_index, ref_index, iou)`` per matched pair.

    >>> match_boxes([(5, 5, 6, 6), (0, 0, 1, 1)], [(0, 0, 1, 1)])
    [(1, 0, 1.0)]
    """
    if not preds or not refs:
        return []
    from scipy.optimize import linear_sum_assignment  # scipy import is slow; only when needed

    table = np.array([[iou_of(a, b) for b in refs] for a in preds])
    rows, cols = linear_sum_assignment(table, maximize=True)
    return [(int(i), int(j), float(table[i, j])) for i, j in zip(rows, cols, strict=True)]


@reward("multi_box_iou", params=MultiBoxParams)
def multi_box_iou(sample: Sample, p: MultiBoxParams) -> Score:
    """Sum of IoUs of optimally matched boxes / max(#predicted, #reference); unmatched count 0.

    No reference box and no predicted box scores 1.0 (nothing to find, nothing claimed); but a
    completion where ``extract`` finds no answer at all (no ``<answer>`` tag) claims nothing
    either way and scores 0.0, so that skipping the format never pays on an empty image.

    >>> s = Sample(id="0", group="g", prompt="", completion="[0,0,1,1] [7,7,8,8]",
    ...            reference={"boxes": [[0, 0, 1, 1]]})
    >>> multi_box_iou(s, MultiBoxParams()).value
    0.5
    """
    refs = reference_boxes(sample.reference)
    if extract_answer(sample.model_text, p) is None:
        return Score(0.0, info={"reason": "no answer", "num_reference": len(refs)})
    preds = predicted_boxes(sample, p)
    matches = match_boxes(preds, refs)
    denominator = max(len(preds), len(refs))
    value = 1.0 if denominator == 0 else sum(m[2] for m in matches) / denominator
    info = {"matches": matches, "num_predicted": len(preds), "num_reference": len(refs)}
    return Score(value, info=info)


def normalised_distance(box: Box, ref: Box) -> float:
    """Centre-to-centre distance divided by the reference diagonal.

    A zero-size reference (a point) gives 0.0 when the centres coincide and inf otherwise.

    >>> normalised_distance((3, 4, 3, 4), (0, 0, 0, 0))
    inf
    >>> normalised_distance((3, 4, 9, 12), (0, 0, 6, 8))  # centres (6, 8), (3, 4); diagonal 10
    0.5
    """
    (ax, ay), (bx, by) = centre(box), centre(ref)
    distance = math.hypot(ax - bx, ay - by)
    scale = diagonal(ref)
    if scale == 0.0:
        return 0.0 if distance == 0.0 else math.inf
    return distance / scale


@reward("distance_tiers", params=DistanceTiersParams)
def distance_tiers(sample: Sample, p: DistanceTiersParams) -> Score:
    """Tiered reward by centre distance / reference diagonal; beyond the last tier 0.0.

    The first tier whose ``max_distance`` is >= the distance gives the reward; with several
    reference boxes the nearest one counts.

    >>> s = Sample(id="0", group="g", prompt="", completion="[1, 0, 11, 10]",
    ...            reference=[0, 0, 10, 10])
    >>> distance_tiers(s, DistanceTiersParams()).value  # distance 1 / diagonal 14.1 = 0.07
    1.0
    """
    refs = _single_reference(sample, "distance_tiers")
    box = predicted_box(sample, p)
    if box is None:
        return Score(0.0, info={"reason": "the answer is not one box"})
    distance = min(normalised_distance(box, ref) for ref in refs)
    value = next((r for d, r in p.tiers if distance <= d), 0.0)
    return Score(float(value), info={"distance": distance})
