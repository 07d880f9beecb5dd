"""The boxes task: seeded grids, a correct answer, the judge, and the default program."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task, problem
from rewardkit.tasks.boxes import BOX_PATTERN, Boxes, boxes_reward_config
from rewardkit.types import Sample


def test_same_seed_same_problem_and_splits_differ() -> None:
    a = problem(Boxes(), 3, "train", 7)
    assert a == problem(Boxes(), 3, "train", 7)
    assert a.prompt != problem(Boxes(), 3, "eval", 7).prompt


@pytest.mark.parametrize("category", ["small", "medium", "large"])
def test_answer_is_the_box_of_the_asked_letter(category: str) -> None:
    p = Boxes().make(np.random.default_rng(1), category)
    rows = p.prompt.splitlines()[:-1]
    letter = p.prompt.splitlines()[-1].split()[1].rstrip(":")
    cells = [(x, y) for y, row in enumerate(rows) for x, ch in enumerate(row) if ch == letter]
    xs, ys = [c[0] for c in cells], [c[1] for c in cells]
    assert p.reference == [min(xs), min(ys), max(xs) + 1, max(ys) + 1]  # x2, y2 exclusive
    assert p.category == category
    assert p.difficulty["area"] == len(cells)  # rectangles: every cell inside the box is marked


def test_prompts_have_a_fixed_length() -> None:
    lengths = {len(problem(Boxes(), 0, "train", i).prompt) for i in range(20)}
    assert lengths == {8 * 9 + len("find A:")}  # 8 rows of 8 cells and a newline, then the question


@pytest.mark.parametrize(
    ("completion", "iou", "success"),
    [
        ("[0,0,2,2]", 1.0, 1.0),
        ("[0,0,2,1]", 0.5, 0.0),  # half the reference box
        ("[4,4,5,5]", 0.0, 0.0),  # no overlap
        ("no box", 0.0, 0.0),
    ],
)
def test_judge(completion: str, iou: float, success: float) -> None:
    assert Boxes().judge([0, 0, 2, 2], completion) == {"iou": iou, "success": success}


@pytest.mark.parametrize("reference", [[], {"boxes": []}, "no box"])
def test_judge_with_no_reference_box_is_unjudgeable(reference: object) -> None:
    """Before, an empty reference raised IndexError, and only when the answer had a box."""
    with pytest.raises(UnjudgeableReference, match="box"):
        Boxes().judge(reference, "no box either")


def test_default_program_rewards_the_answer_fully() -> None:
    p = problem(Boxes(), 0, "train", 0)
    program = RewardProgram.from_dict(Boxes().reward_config())
    samples = [
        Sample(id=str(i), group="g", prompt=p.prompt, completion=c, reference=p.reference)
        for i, c in enumerate([p.answer, "[9,9"])
    ]
    assert program.score(samples).reward_list() == [1.0, 0.0]
    assert program.variables == {"iou_threshold": 0.3}


def test_box_pattern_and_config_knobs() -> None:
    import re

    assert re.fullmatch(BOX_PATTERN, "[1,2,3,4]") and not re.fullmatch(BOX_PATTERN, "[1,2,3]")
    cfg = boxes_reward_config(ladder=(0.5, 0.9), window=5)
    assert cfg["schedules"]["iou_threshold"]["ladder"] == [0.5, 0.9]
    assert (
        make_task("boxes", {"size": 6}).make(np.random.default_rng(0), None).prompt.count("\n") == 6
    )


def test_sides_option_sets_object_sizes_per_category() -> None:
    from rewardkit.errors import ConfigError

    task = make_task("boxes", {"size": 12, "sides": {"small": [5, 6]}})
    rng = np.random.default_rng(0)
    for _ in range(20):
        x1, y1, x2, y2 = task.make(rng, "small").reference
        assert 5 <= x2 - x1 <= 6 and 5 <= y2 - y1 <= 6
    # one cell off on one side of a 5x5 box: IoU 20/25 = 0.8, still a strict hit
    assert task.judge([0, 0, 5, 5], "[0,0,5,4]") == {"iou": 0.8, "success": 1.0}
    for bad, said in [({"tiny": [1, 2]}, "unknown category"), ({"small": [3, 13]}, "<= size")]:
        with pytest.raises(ConfigError, match=said):
            make_task("boxes", {"size": 12, "sides": bad})
