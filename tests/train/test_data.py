"""The prompt stream: positions, curricula choosing categories, outcomes observed, state."""

from __future__ import annotations

import numpy as np

from rewardkit.curriculum import build_curriculum
from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task
from rewardkit.train.data import PromptSource
from rewardkit.types import Sample


def test_position_and_state_round_trip() -> None:
    source = PromptSource(make_task("chain"), 0, {})
    first = source.next_problems(3)
    state = source.state_dict()
    again = PromptSource(make_task("chain"), 0, {})
    again.load_state_dict(state)
    assert [p.id for p in first] == [f"chain/train/0/{i}" for i in range(3)]
    assert again.next_problems(1)[0].id == "chain/train/0/3"


def test_difficulty_ladder_picks_the_category_and_moves() -> None:
    ladder = build_curriculum(
        "gym",
        {
            "difficulty_ladder": {
                "sources": {"boxes": {"category": ["large", "medium", "small"]}},
                "last_k": 2,
            }
        },
    )
    source = PromptSource(make_task("boxes"), 0, {"gym": ladder})
    assert {p.category for p in source.next_problems(4)} == {"large"}
    samples = [Sample(str(i), "g", "", "", meta={"category": "large"}) for i in range(2)]
    scored = RewardProgram.from_dict({"reward": {"fn": "regex", "pattern": ""}}).score(samples)
    events = source.observe(0, scored, np.zeros(2), [True, True])
    assert [e.kind for e in events] == ["raise"]
    assert {p.category for p in source.next_problems(2)} == {"medium"}


def test_arm_sampler_draws_categories() -> None:
    bandit = build_curriculum("sec", {"bandit": {"arms": ["easy", "hard"]}})
    source = PromptSource(make_task("countdown"), 0, {"sec": bandit})
    assert {p.category for p in source.next_problems(20)} <= {"easy", "hard"}
    assert any(k.startswith("curriculum/sec/") for k in source.metrics())


def test_balanced_filter_drops_groups_without_signal() -> None:
    odf = build_curriculum("odf", {"balanced_filter": {}})
    source = PromptSource(make_task("boxes"), 0, {"odf": odf})
    samples = [Sample(str(i), g, "", "") for i, g in enumerate("aabb")]
    scored = RewardProgram.from_dict({"reward": {"fn": "regex", "pattern": ""}}).score(samples)
    keep = source.kept(scored, np.zeros(4), [True, False, True, True])
    assert keep.tolist() == [True, True, False, False]  # group b is all right: no signal
    assert PromptSource(make_task("boxes"), 0, {}).kept(scored, np.zeros(4), [True] * 4).all()
