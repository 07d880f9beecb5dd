"""A ladder per difficulty bucket (``per: <meta key>``): each bucket scored at its own level, its
own window and rule, its own metrics; state round-trips; missing keys and mixed keys are errors.
Every number below is worked by hand."""

from __future__ import annotations

import json

import pytest

from rewardkit.errors import ConfigError, InputError
from rewardkit.program import RewardProgram
from rewardkit.types import Sample

# hit = 1 when the number in the completion is at least the threshold ${t}
PROGRAM = {
    "reward": {"fn": "iou_hit", "threshold": "${t}"},
    "schedules": {
        "t": {
            "ladder": [0.3, 0.6, 0.9],
            "watch": "reward/mean",
            "window": 2,
            "raise_when": {"mean_at_least": 0.75},
            "refresh": "full",
            "per": "size",
        }
    },
}


def _batch(iou_by_size: dict[str, list[float]]) -> list[Sample]:
    """One group per size; a completion whose box has the given IoU with [0,0,10,10]."""
    out = []
    for size, ious in iou_by_size.items():
        for i, iou in enumerate(ious):
            width = round(10 * iou)  # [0,0,w,10] has IoU w/10 with [0,0,10,10]
            out.append(
                Sample(f"{size}{i}", size, "p", f"[0,0,{width},10]", [0, 0, 10, 10], {"size": size})
            )
    return out


def test_each_bucket_is_scored_at_its_own_level_and_raised_by_its_own_window() -> None:
    program = RewardProgram.from_dict(PROGRAM)
    batch = _batch({"big": [0.5, 0.7], "small": [0.1, 0.4]})
    for step in range(2):
        scored = program.score(batch)
        # level 0.3 everywhere: big 1,1 (mean 1.0); small 0,1 (mean 0.5)
        assert scored.reward_list() == [1.0, 1.0, 0.0, 1.0]
        assert scored.metrics["reward/mean@size=big"] == 1.0
        assert scored.metrics["reward/mean@size=small"] == 0.5
        assert scored.metrics["reward/mean"] == 0.75
        events = program.observe(step, scored.metrics)
    # after two steps, big's window is [1, 1] (>= 0.75): raised; small's [0.5, 0.5]: not
    assert [(e.source, e.old, e.new) for e in events] == [("t@size=big", 0.3, 0.6)]
    scored = program.score(batch)
    # big now at 0.6: 0.5 misses, 0.7 hits; small still at 0.3
    assert scored.reward_list() == [0.0, 1.0, 0.0, 1.0]
    assert scored.metrics["schedule/t@size=big"] == 0.6
    assert scored.metrics["schedule/t@size=small"] == 0.3
    assert scored.metrics["schedule/t"] == 0.3  # the lowest level over the buckets


def test_state_round_trips_through_json() -> None:
    program = RewardProgram.from_dict(PROGRAM)
    batch = _batch({"big": [0.9, 0.9], "small": [0.1, 0.1]})
    for step in range(2):
        program.observe(step, program.score(batch).metrics)
    state = json.loads(json.dumps(program.state_dict()))
    restored = RewardProgram.from_dict(PROGRAM)
    restored.load_state_dict(state)
    assert restored.score(batch).metrics["schedule/t@size=big"] == 0.6
    assert restored.score(batch).reward_list() == program.score(batch).reward_list()


def test_a_sample_without_the_bucket_key_is_an_input_error() -> None:
    program = RewardProgram.from_dict(PROGRAM)
    sample = Sample("a", "g", "p", "[0,0,5,10]", [0, 0, 10, 10], {"category": "x"})
    with pytest.raises(InputError, match="no meta key 'size'"):
        program.score([sample])


def test_per_bucket_ladders_watch_node_metrics_and_share_one_key() -> None:
    bad = json.loads(json.dumps(PROGRAM))
    bad["schedules"]["t"]["watch"] = "train/success"
    with pytest.raises(ConfigError, match="watches node metrics"):
        RewardProgram.from_dict(bad)
    two = json.loads(json.dumps(PROGRAM))
    two["schedules"]["u"] = {**two["schedules"]["t"], "per": "category"}
    with pytest.raises(ConfigError, match="must use one key"):
        RewardProgram.from_dict(two)
