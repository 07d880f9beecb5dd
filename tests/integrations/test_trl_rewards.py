"""TRL's own GRPOTrainer with rewardkit's reward functions: what TRL logs for a scheduled
weight, and the warning when nothing observes a program that has schedules."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from tests.integrations.trl_setup import grpo_config, trainer

from rewardkit.program import RewardProgram

# ``ok`` is 0 or 1; ``length`` (length_budget, target 4 characters) is at most 0, and its weight
# ``${w}`` falls linearly 1.0 -> 0.0 over 4 steps (w = 1.0, 0.75, 0.5 at steps 0, 1, 2).
SCHEDULED_WEIGHT = {
    "reward": {
        "weighted": [
            {"name": "ok", "fn": "exact_match"},
            {"name": "length", "fn": "length_budget", "target": 4, "weight": "${w}"},
        ]
    },
    "schedules": {"w": {"linear": {"start": 1.0, "end": 0.0, "steps": 4}}},
}


def test_trl_logs_a_scheduled_weight_times_the_node_under_its_own_name(
    model_dir: str, tmp_path: Path
) -> None:
    program = RewardProgram.from_dict(SCHEDULED_WEIGHT)
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=3))
    t.train()
    records = [r for r in t.state.log_history if "loss" in r]
    weights = [r["rewardkit/schedule/w"] for r in records]
    assert weights == [1.0, 0.75, 0.5]
    for record, w in zip(records, weights, strict=True):
        node = record["rewardkit/reward/length/mean"]  # the node's own value, unweighted
        # TRL's function returns value x weight, so what TRL logs is the product, named so.
        assert "rewards/reward/length/mean" not in record
        assert math.isclose(record["rewards/reward/length/weighted/mean"], w * node, abs_tol=1e-6)
        # A fixed weight goes through TRL's reward_weights: TRL's mean is the node's.
        assert math.isclose(record["rewards/reward/ok/mean"], record["rewardkit/reward/ok/mean"])
    # The two differ wherever the weight is not 1 and the node is not 0.
    last = records[-1]
    assert last["rewardkit/reward/length/mean"] < 0
    assert last["rewards/reward/length/weighted/mean"] == pytest.approx(
        0.5 * last["rewardkit/reward/length/mean"], abs=1e-6
    )


def _functions_alone(program: RewardProgram, model_dir: str, out: Path) -> None:
    from tests.integrations.trl_setup import dataset
    from trl import GRPOTrainer

    from rewardkit.integrations.trl import reward_funcs
    from rewardkit.models import load_model

    funcs, weights = reward_funcs(program)
    model, tok = load_model(model_dir)
    config = grpo_config(out, max_steps=1, reward_weights=weights)
    GRPOTrainer(
        model=model, processing_class=tok, reward_funcs=funcs, args=config, train_dataset=dataset()
    ).train()


def test_functions_alone_warn_that_schedules_will_not_move(model_dir: str, tmp_path: Path) -> None:
    program = RewardProgram.from_dict(SCHEDULED_WEIGHT)
    with pytest.warns(UserWarning, match="schedule 'w'") as caught:
        _functions_alone(program, model_dir, tmp_path)
    [message] = [str(w.message) for w in caught if "nothing observes" in str(w.message)]
    assert "will never move" in message and "RewardKitCallback(program)" in message
    assert "RewardKitGRPOTrainer" in message
    assert program.step == 0 and program.variables["w"] == 1.0  # indeed nothing moved


def test_no_warning_with_the_callback_or_without_schedules(model_dir: str, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        program = RewardProgram.from_dict(SCHEDULED_WEIGHT)
        trainer(program, model_dir, grpo_config(tmp_path / "cb", max_steps=1)).train()
        plain = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
        _functions_alone(plain, model_dir, tmp_path / "plain")
    assert not [w for w in caught if "nothing observes" in str(w.message)]
    assert program.step == 1
