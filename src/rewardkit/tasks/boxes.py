"""``boxes``: visual grounding in text form (the MedLoc-R1 setting on synthetic grids).

A grid of ``.`` cells holds a few rectangular objects drawn with letters; the model answers the
bounding box of the asked letter as ``[x1,y1,x2,y2]`` in cell units, ``x2``/``y2`` exclusive, so
a box's area is ``(x2-x1)*(y2-y1)`` cells. Small objects are the hard ones: one cell off costs
most of the IoU. Prompts have a fixed length, so a cell's row and column are fixed positions.

>>> p = Boxes(size=6).make(np.random.default_rng(0), "large")
>>> p.prompt.count("\\n") == 6 and p.answer.startswith("[")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.boxes import iou_of, parse_boxes, reference_boxes
from rewardkit.tasks.base import Problem

LETTERS = "ABCDEFGH"
BOX_PATTERN = r"\[\d+,\d+,\d+,\d+\]"
# Side lengths (min, max) of the asked object per category; distractors use any size.
SIDES = {"small": (1, 2), "medium": (2, 3), "large": (3, 5)}


@dataclass(frozen=True)
class Boxes:
    """Grids of ``size`` x ``size`` cells with 1 to ``max_objects`` rectangles.

    >>> Boxes().categories
    ('small', 'medium', 'large')
    """

    size: int = 8
    max_objects: int = 3
    strict_iou: float = 0.8
    name: str = "boxes"
    categories: tuple[str, ...] = ("small", "medium", "large")
    sides: dict[str, list[int]] | None = None
    """Side lengths ``[min, max]`` of the asked object per category, replacing ``SIDES`` for the
    categories given: with objects of side 5 or more, a box one cell off still has IoU >= 0.8."""

    def __post_init__(self) -> None:
        for category, pair in (self.sides or {}).items():
            if category not in SIDES:
                raise ValueError(f"sides: unknown category {category!r}; one of {', '.join(SIDES)}")
            if len(pair) != 2 or not 1 <= pair[0] <= pair[1] <= self.size:
                raise ValueError(
                    f"sides.{category} is {pair}; give [min, max] with 1 <= min <= max <= size "
                    f"({self.size})"
                )

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """One grid; the asked object's sides follow ``category`` (drawn when None)."""
        category = category or str(rng.choice(self.categories))
        lo, hi = (self.sides or {}).get(category, SIDES[category])
        hi = min(hi, self.size)
        grid = np.full((self.size, self.size), ".", dtype="<U1")
        letters = rng.permutation(list(LETTERS))
        count = int(rng.integers(1, self.max_objects + 1))
        target = _place(grid, rng, str(letters[0]), lo, hi)
        assert target is not None  # an empty grid always has room
        placed = 1
        for letter in letters[1:count]:
            placed += _place(grid, rng, str(letter), 1, max(1, self.size // 3)) is not None
        x1, y1, x2, y2 = target
        rows = "\n".join("".join(row) for row in grid)
        return Problem(
            id="",
            prompt=f"{rows}\nfind {letters[0]}:",
            reference=[x1, y1, x2, y2],
            answer=f"[{x1},{y1},{x2},{y2}]",
            difficulty={
                "area": (x2 - x1) * (y2 - y1),
                "objects": placed,
                "grid": self.size,
            },
            category=category,
        )

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """IoU of the answer and ``success`` (IoU >= ``strict_iou``, the ladder's last rung).

        >>> Boxes().judge([0, 0, 2, 2], "[0,0,2,2]")
        {'iou': 1.0, 'success': 1.0}
        """
        refs = reference_boxes(reference)  # first: an unreadable reference is not a 0
        if not refs:
            raise UnjudgeableReference("boxes: the reference has no box; give [x1, y1, x2, y2]")
        boxes = parse_boxes(completion)
        value = max(iou_of(boxes[-1], ref) for ref in refs) if boxes else 0.0
        return {"iou": value, "success": float(value >= self.strict_iou)}

    def reward_config(self) -> dict[str, Any]:
        """Format, then a hit at a scheduled IoU threshold, then IoU quality; a threshold ladder."""
        return boxes_reward_config()


def boxes_reward_config(
    ladder: tuple[float, ...] = (0.3, 0.45, 0.55, 0.65, 0.75, 0.8),
    window: int = 10,
    mean_at_least: float | tuple[float, ...] = (0.6, 0.5, 0.45, 0.4, 0.35),
) -> dict[str, Any]:
    """The MedLoc-R1 shaped program: tiers format -> hit(threshold) -> iou, with a ladder schedule.

    The threshold rises one rung when the hit rate over the last ``window`` steps averages at
    least ``mean_at_least`` (one number, or one per rung below the top) with a std of at most 0.35.
    The default table is calibrated to the tiny model: it starts near a 0.5 hit rate at IoU 0.3,
    and its hit rate plateaus near 0.6 / 0.42 / 0.42 / 0.37 / 0.22 at the successive rungs
    (default run, seed 0), so a constant 0.6 would hold it at the first rung.

    >>> boxes_reward_config()["schedules"]["iou_threshold"]["ladder"][0]
    0.3
    """
    table = list(mean_at_least) if isinstance(mean_at_least, tuple) else mean_at_least
    return {
        "reward": {
            "tiers": [
                {"name": "format", "fn": "regex", "pattern": BOX_PATTERN},
                {"name": "hit", "fn": "iou_hit", "threshold": "${iou_threshold}"},
                {"name": "quality", "fn": "iou"},
            ]
        },
        "schedules": {
            "iou_threshold": {
                "ladder": list(ladder),
                "watch": "reward/hit/mean",
                "window": window,
                "raise_when": {"mean_at_least": table, "std_at_most": 0.35},
                "refresh": "half",
            }
        },
        "advantage": {"estimator": "grpo"},
    }


def _place(
    grid: np.ndarray, rng: np.random.Generator, letter: str, lo: int, hi: int
) -> tuple[int, int, int, int] | None:
    """Draw a rectangle on free cells (with a one-cell gap); its box, or None when none fits."""
    size = grid.shape[0]
    for _ in range(200):
        w, h = (int(v) for v in rng.integers(lo, hi + 1, size=2))
        x1, y1 = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        area = grid[max(0, y1 - 1) : y1 + h + 1, max(0, x1 - 1) : x1 + w + 1]
        if (area == ".").all():
            grid[y1 : y1 + h, x1 : x1 + w] = letter
            return x1, y1, x1 + w, y1 + h
    return None
