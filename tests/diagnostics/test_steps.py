"""Per training step statistics (completions, process-reward steps), checked by hand."""

from __future__ import annotations

import numpy as np

from rewardkit.advantage import Advantages
from rewardkit.diagnostics.steps import (
    batch_step_stats,
    rollout_stats,
    step_stats,
    training_step_stats,
)
from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task, problem
from rewardkit.types import Sample, ScoredBatch

NAN = float("nan")


def test_step_stats_by_hand() -> None:
    # 2 + 3 + 0 = 5 steps over 3 completions; judged: 1.0, 0.0, 0.5 (3 of 5).
    m = step_stats([(1.0, 0.0), (0.5, NAN, NAN), None], [np.array([1.0, -3.0]), None, None])
    assert m["steps/mean_reward"] == 0.5
    assert m["steps/per_completion"] == 5 / 3
    assert m["steps/scored_frac"] == 0.6
    assert m["steps/token_adv_abs_mean"] == 2.0  # (|1| + |-3|) / 2


def test_nothing_judged_and_no_token_advantages() -> None:
    m = step_stats([(NAN,), None], [None, None])
    assert np.isnan(m["steps/mean_reward"]) and m["steps/scored_frac"] == 0.0
    assert m["steps/per_completion"] == 0.5
    assert "steps/token_adv_abs_mean" not in m
    assert np.isnan(step_stats([None, None])["steps/scored_frac"])


def test_stats_of_a_scored_chain_batch() -> None:
    task = make_task("chain")
    p = problem(task, 0, "train", 0)  # 4 checked steps and a final "=20" line (not judged)
    program = RewardProgram.from_dict(task.reward_config())
    samples = [
        Sample(str(i), "g", p.prompt, text, reference=p.reference)
        for i, text in enumerate([p.answer, "garbage"])
    ]
    scored = program.score(samples)
    m = batch_step_stats(scored, program.advantages(scored), "reward/process")
    # The answer's 4 equations are right; "garbage" is one step, where an equation should be.
    assert m["steps/mean_reward"] == 0.8
    assert m["steps/per_completion"] == 3.0  # 5 steps and 1
    assert m["steps/scored_frac"] == 5 / 6  # the final "=20" line is not judged


def test_rollout_stats_take_the_float32_mean_of_lengths() -> None:
    m = rollout_stats(np.array([11, 11, 12, 11, 11]), [True, False, True, False, False])
    assert m["train/completion_tokens"] == float(np.float32(56) / np.float32(5))
    assert m["train/completion_tokens"] != 56 / 5  # float32, as logged before the move
    assert m["train/truncated_frac"] == 0.4


def test_training_step_stats_are_rollout_then_step_stats() -> None:
    task = make_task("chain")
    p = problem(task, 0, "train", 0)
    program = RewardProgram.from_dict(task.reward_config())
    samples = [Sample(str(i), "g", p.prompt, t, reference=p.reference) for i, t in enumerate("ab")]
    scored = program.score(samples)
    adv = program.advantages(scored)
    m = training_step_stats(scored, adv, "reward/process", np.array([2, 3]), [False, True])
    expected = {
        **rollout_stats(np.array([2, 3]), [False, True]),
        **batch_step_stats(scored, adv, "reward/process"),
    }
    assert list(m) == list(expected) and m == expected
    assert "steps/mean_reward" in m and m["train/completion_tokens"] == 2.5


def test_steps_from_a_node_without_steps_reports_none_as_the_advantages_use_none() -> None:
    # "reward/b" gave no steps in this batch: no step advantages, and no step metrics of
    # "reward/a" either (one rule, rewardkit.advantage.step_values_path).
    s = [Sample("0", "g", "", ""), Sample("1", "g", "", "")]
    scored = ScoredBatch(s, {"reward/a": np.ones(2)}, {"reward/a": [(1.0,), (0.0,)]}, {}, [])
    assert batch_step_stats(scored, Advantages(np.zeros(2)), "reward/b") == {}
    assert batch_step_stats(scored, Advantages(np.zeros(2)), None)["steps/mean_reward"] == 0.5
