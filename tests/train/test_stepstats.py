"""Per-step statistics of process rewards, checked by hand."""

from __future__ import annotations

import numpy as np

from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task, problem
from rewardkit.train.stepstats import batch_step_stats, step_stats
from rewardkit.types import Sample

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
