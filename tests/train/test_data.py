"""The prompt stream: positions, curricula choosing categories, outcomes observed, state."""

from __future__ import annotations

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
    ladder_config = {
        "difficulty_ladder": {
            "sources": {"boxes": {"category": ["large", "medium", "small"]}},
            "last_k": 2,
        }
    }
    program = _program({"gym": ladder_config})
    source = PromptSource(make_task("boxes"), 0, program.curricula)
    assert {p.category for p in source.next_problems(4)} == {"large"}
    samples = [
        Sample(str(i), "g", "", "", meta={"task": "boxes", "category": "large"}) for i in range(2)
    ]
    scored = program.score(samples)
    events = program.observe(0, scored.metrics, program.outcomes(scored, correct=[True, True]))
    assert [e.kind for e in events] == ["raise"]
    assert {p.category for p in source.next_problems(2)} == {"medium"}


def test_arm_sampler_draws_categories() -> None:
    program = _program({"sec": {"bandit": {"arms": ["easy", "hard"]}}})
    source = PromptSource(make_task("countdown"), 0, program.curricula)
    assert {p.category for p in source.next_problems(20)} <= {"easy", "hard"}
    assert any(k.startswith("curriculum/sec/") for k in program.curriculum_metrics())


def test_balanced_filter_drops_groups_without_signal() -> None:
    program = _program({"odf": {"balanced_filter": {}}})
    source = PromptSource(make_task("boxes"), 0, program.curricula)
    samples = [Sample(str(i), g, "", "", meta={"task": "boxes"}) for i, g in enumerate("aabb")]
    scored = program.score(samples)
    keep = source.kept(program.outcomes(scored, correct=[True, False, True, True]))
    assert keep.tolist() == [True, True, False, False]  # group b is all right: no signal
    everything = program.outcomes(scored, correct=[True] * 4)
    assert PromptSource(make_task("boxes"), 0, {}).kept(everything).all()


def _program(curricula: dict[str, object]) -> RewardProgram:
    """A program with these curricula (the trainer's prompt source gets them from its program)."""
    return RewardProgram.from_dict(
        {"reward": {"fn": "regex", "pattern": ""}, "curricula": curricula}
    )
