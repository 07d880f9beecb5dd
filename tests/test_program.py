"""RewardProgram: config problems, error policy, user functions, advantages, state."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.conftest import samples

from rewardkit import compose
from rewardkit.errors import ComponentError, ConfigError
from rewardkit.program import RewardProgram
from rewardkit.registry import Params
from rewardkit.types import Sample


class BonusParams(Params):
    bonus: float = 1.0


def user_reward(sample: Sample, p: BonusParams) -> float:
    return p.bonus * len(sample.completion)


def test_config_lists_every_problem_with_its_path() -> None:
    config = {
        "reward": {
            "weighted": [
                {"fn": "iou_hti"},
                {"fn": "test_meta", "scale": "${missing}"},
                {"fn": "test_meta", "scale": "lots", "name": "other"},
                {"fn": "test_meta", "name": "other"},
            ]
        },
        "advantage": {"estimator": "grpoo"},
    }
    with pytest.raises(ConfigError) as info:
        RewardProgram.from_dict(config)
    paths = [p for p, _ in info.value.problems]
    assert "advantage.estimator" in paths  # pydantic problems are reported first, on their own
    config.pop("advantage")
    with pytest.raises(ConfigError) as info:
        RewardProgram.from_dict(config)
    text = str(info.value)
    assert (
        "reward.weighted[0].fn: unknown reward component 'iou_hti' (did you mean 'iou_hit'" in text
    )
    assert "reward.weighted[1].scale: undefined variable '${missing}'" in text
    assert "reward.weighted[2].scale" in text
    assert "reward.weighted[3].name: duplicate name 'other'" in text


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"fn": "test_meta", "weighted": []}, "not both"),
        ({"weighted": []}, "non-empty list"),
        ({"tiers": [{"fn": "test_meta"}], "bogus": 1}, "unknown option"),
        ({"gate": {"when": {"fn": "test_meta"}}}, "exactly 'when' and 'then'"),
        ({"metric": {"fn": "test_meta"}}, "root cannot be a metric"),
        ({"weighted": [{"fn": "test_meta", "weight": "heavy"}]}, "expected a number"),
        ({"nothing": 1}, "needs 'fn'"),
    ],
)
def test_tree_problems(tree: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RewardProgram.from_dict({"reward": tree})


def test_on_error_raise_names_component_and_sample() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "test_meta", "name": "m"}})
    with pytest.raises(ComponentError, match=r"'reward'.*ValueError.*'s1'"):
        program.score(samples([{"v": 1.0}, {"raise": True}]))


def test_on_error_score_records_counts_and_substitutes() -> None:
    tree = {"weighted": [{"fn": "test_meta", "name": "m"}]}
    program = RewardProgram.from_dict({"reward": tree, "on_error": "score", "error_value": -1.0})
    scored = program.score(samples([{"v": 1.0}, {"raise": True}]))
    assert scored.rewards.tolist() == [1.0, -1.0]
    assert [(f.path, f.sample_id, f.error_type) for f in scored.failures] == [
        ("reward/m", "s1", "ValueError")
    ]
    assert scored.metrics["reward/m/errors"] == 1.0 and scored.metrics["errors/total"] == 1.0
    # error_value null: the failed sample is "does not apply", not 0
    program = RewardProgram.from_dict({"reward": tree, "on_error": "score", "error_value": None})
    assert program.score(samples([{"v": 1.0}, {"raise": True}])).reward_list() == [1.0, None]


def test_bad_return_values_are_failures_not_zeros() -> None:
    program = RewardProgram.from_dict(
        {"reward": {"fn": "test_meta"}, "on_error": "score", "error_value": None}
    )
    scored = program.score(samples([{"v": float("nan")}, {"v": "text"}]))
    assert scored.reward_list() == [None, None]
    assert [f.error_type for f in scored.failures] == ["ValueError", "TypeError"]


def test_user_function_by_reference_and_by_callable_are_the_same() -> None:
    by_ref = RewardProgram.from_dict(
        {"reward": {"fn": "tests.test_program:user_reward", "bonus": 2}}
    )
    by_callable = RewardProgram.from_dict({"reward": compose.leaf(user_reward, bonus=2)})
    batch = [Sample(id="a", group="g", prompt="", completion="abc")]
    assert by_ref.score(batch).reward_list() == by_callable.score(batch).reward_list() == [6.0]
    with pytest.raises(ConfigError, match="bonus"):
        RewardProgram.from_dict({"reward": compose.leaf(user_reward, bonus="x")})


def test_python_builders_round_trip_through_to_dict() -> None:
    tree = compose.tiers(
        compose.leaf("test_meta", key="a", name="a"), compose.leaf("test_meta", key="b", name="b")
    )
    program = RewardProgram.from_dict({"reward": tree, "variables": {"t": 0.5}})
    again = RewardProgram.from_dict(json.loads(json.dumps(program.to_dict())))
    rows = [{"a": 1.0, "b": 0.5}, {"a": 0.0, "b": 1.0}]
    assert (
        program.score(samples(rows)).reward_list()
        == again.score(samples(rows)).reward_list()
        == [0.75, 0.0]
    )


def test_none_rewards_are_left_out_of_advantages() -> None:
    program = RewardProgram.from_dict(
        {"reward": {"fn": "test_meta"}, "advantage": {"estimator": "dr_grpo"}}
    )
    scored = program.score(samples([{"v": 1.0}, {"v": None}, {"v": 0.0}]))
    assert program.advantages(scored).per_sample.tolist() == [0.5, 0.0, -0.5]


def test_gdpo_needs_a_weighted_root() -> None:
    with pytest.raises(ConfigError, match="gdpo"):
        RewardProgram.from_dict({"reward": {"fn": "test_meta"}, "advantage": {"estimator": "gdpo"}})
    tree = {
        "weighted": [
            {"fn": "test_meta", "key": "x", "name": "x"},
            {"fn": "test_meta", "key": "y", "name": "y"},
        ]
    }
    program = RewardProgram.from_dict({"reward": tree, "advantage": {"estimator": "gdpo"}})
    rows = [
        {"x": 100.0, "y": 0.0, "group": "a"},
        {"x": 0.0, "y": 1.0, "group": "a"},
        {"x": 100.0, "y": 1.0, "group": "b"},
        {"x": 0.0, "y": 0.0, "group": "b"},
    ]
    adv = program.advantages(program.score(samples(rows))).per_sample
    assert adv.round(4).tolist() == [0.0, 0.0, 1.2247, -1.2247]


def test_per_token_advantages_from_step_values() -> None:
    program = RewardProgram.from_dict(
        {
            "reward": {"fn": "test_meta", "key": "o"},
            "advantage": {"estimator": "dr_grpo", "step_weight": "${w}"},
            "variables": {"w": 0.5},
        }
    )
    batch = _step_samples(spans_on_sample=True)
    adv = program.advantages(program.score(batch))
    # outcome: [0.5, -0.5]; steps pooled [1,1,1,0] mean .75 std .5 -> [.5,.5], [.5,-1.5]; w = .5
    assert [a.round(4).tolist() for a in adv.per_token] == [[0.75, 0.75], [-0.25, -1.25]]  # type: ignore[union-attr]


def test_empty_batch() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "test_meta"}})
    scored = program.score([])
    assert scored.reward_list() == [] and np.isnan(scored.metrics["reward/mean"])


def test_state_dict_round_trip_without_schedules() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "test_meta"}})
    program.observe(4, {})
    state = json.loads(json.dumps(program.state_dict()))
    other = RewardProgram.from_dict({"reward": {"fn": "test_meta"}})
    other.load_state_dict(state)
    assert other.step == 5 and other.state_dict() == program.state_dict()
    with pytest.raises(ConfigError, match="not in this program"):
        other.load_state_dict({"schedules": {"ghost": {}}})


def _step_samples(spans_on_sample: bool = False) -> list[Sample]:
    """Two samples of one group, outcomes [1, 0], step values [1, 1] and [1, 0] over two
    two-character steps; the step spans sit on the sample or in the scorer's info."""
    spans = ((0, 2), (2, 4))
    rows = [(1.0, [1.0, 1.0]), (0.0, [1.0, 0.0])]
    return [
        Sample(
            id=str(i),
            group="g",
            prompt="",
            completion="abcd",
            token_ids=(1, 2),
            token_offsets=spans,
            steps=spans if spans_on_sample else None,
            meta={"o": o, "v": 0.0, "steps": st, "spans": None if spans_on_sample else spans},
        )
        for i, (o, st) in enumerate(rows)
    ]


def test_gated_accumulation_root_feeds_per_token_advantages() -> None:
    tree = {
        "gated_accumulation": {
            "outcome": {"fn": "test_meta", "key": "o"},
            "steps": {"fn": "test_meta"},
        },
        "at_least": 1.0,
        "step_weight": 0.0,
    }
    program = RewardProgram.from_dict({"reward": tree, "advantage": {"estimator": "dr_grpo"}})
    adv = program.advantages(program.score(_step_samples()))
    # outcome advantages [.5, -.5]; the failed sample's steps are zeroed by the gate: [1,1] and [0,0]
    # pooled mean .5 std .57735 -> [.866, .866] and [-.866, -.866]; w = 1
    assert [a.round(3).tolist() for a in adv.per_token] == [[1.366, 1.366], [-1.366, -1.366]]  # type: ignore[union-attr]


def test_step_caps_apply_before_step_advantages() -> None:
    config = {
        "reward": {"fn": "test_meta", "key": "o"},
        "advantage": {"estimator": "dr_grpo", "step_cap": "delta"},
    }
    program = RewardProgram.from_dict(config)
    scored = program.score(_step_samples())
    adv = program.advantages(scored)
    # delta: [1, 1] -> [0, 1]; [1, 0] -> [1, 0]; pooled [0,1,1,0] mean .5 std .57735
    assert [a.round(3).tolist() for a in adv.per_step] == [[-0.866, 0.866], [0.866, -0.866]]  # type: ignore[union-attr]


def batched_with_a_failure(samples: list[Sample], p: object) -> list[object]:
    return [1.0, RuntimeError("sandbox died")][: len(samples)]


def test_a_batched_component_can_fail_one_sample() -> None:
    from rewardkit.registry import reward

    reward("test_batched_failure", batched=True)(batched_with_a_failure)
    program = RewardProgram.from_dict(
        {"reward": {"fn": "test_batched_failure"}, "on_error": "score", "error_value": None}
    )
    scored = program.score(samples([{}, {}]))
    assert scored.reward_list() == [1.0, None]
    assert [(f.error_type, f.message) for f in scored.failures] == [
        ("RuntimeError", "sandbox died")
    ]


def test_needs_collects_the_trainer_filled_meta_keys_of_every_leaf() -> None:
    plain = RewardProgram.from_dict({"reward": {"fn": "numeric"}})
    assert plain.needs == set()
    tree = {"weighted": [{"fn": "numeric"}, {"metric": {"fn": "implicit_prm"}, "name": "p"}]}
    assert RewardProgram.from_dict({"reward": tree}).needs == {"logprobs", "ref_logprobs"}
