"""Rollouts as Samples: groups by prompt, token offsets carried; the judge's means."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rewardkit.tasks import make_task, problem  # noqa: E402
from rewardkit.train.rollout import Rollouts  # noqa: E402
from rewardkit.train.samples import judge_rollouts, to_samples  # noqa: E402


def test_groups_follow_the_prompt_order() -> None:
    task = make_task("chain")
    problems = [problem(task, 0, "train", i) for i in range(2)]
    texts = ["a", "b", "c", "d"]
    rollouts = Rollouts(
        prompt_ids=None,
        prompt_mask=None,
        completion_ids=None,
        completion_mask=None,
        texts=texts,
        token_ids=[(1,)] * 4,
        offsets=[((0, 1),)] * 4,
        truncated=[False] * 4,
    )
    samples = to_samples(problems, rollouts, 2, step=7, task="chain")
    assert [s.group for s in samples] == ["7-0", "7-0", "7-1", "7-1"]
    assert samples[2].reference == problems[1].reference
    assert samples[0].token_offsets == ((0, 1),) and samples[0].meta["task"] == "chain"


def test_judge_means_and_success() -> None:
    task = make_task("chain")
    p = problem(task, 0, "train", 0)
    metrics, ok = judge_rollouts(task, [p], [p.answer, "=0"], 2)
    assert ok == [True, p.reference == 0]
    assert metrics["train/steps_right"] == 0.5  # all steps right, then no equation at all


def test_a_refill_round_continues_the_group_numbering() -> None:
    task = make_task("chain")
    problems = [problem(task, 0, "train", 5)]
    rollouts = Rollouts(
        None, None, None, None, ["a", "b"], [(1,)] * 2, [((0, 1),)] * 2, [False] * 2
    )
    samples = to_samples(problems, rollouts, 2, step=3, task="chain", first_group=2)
    assert [(s.id, s.group) for s in samples] == [("3-4", "3-2"), ("3-5", "3-2")]
