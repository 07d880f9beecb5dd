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


def test_logprob_meta_gives_each_kept_token_its_log_prob() -> None:
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model
    from rewardkit.train.loss import token_logprobs
    from rewardkit.train.rollout import sample_completions
    from rewardkit.train.samples import logprob_meta

    spec = TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64)
    policy, tok = build_tiny_model(spec, seed=0)
    reference, _ = build_tiny_model(spec, seed=1)
    gen = torch.Generator().manual_seed(0)
    r = sample_completions(policy, tok, ["ab:", "x:"], 2, 6, 1.0, gen)
    meta = logprob_meta(policy, reference, r, 2, {"logprobs", "ref_logprobs"})
    with torch.no_grad():
        full = token_logprobs(reference, r.prompt_ids, r.prompt_mask, r.completion_ids)
    for row, ids in enumerate(r.token_ids):
        assert len(meta[row]["logprobs"]) == len(meta[row]["ref_logprobs"]) == len(ids)
        assert meta[row]["ref_logprobs"] == pytest.approx(full[row, : len(ids)].tolist(), abs=1e-5)
        assert all(v <= 0.0 for v in meta[row]["logprobs"])
    assert meta[0]["logprobs"] != meta[0]["ref_logprobs"]  # two different models
    only_policy = logprob_meta(policy, None, r, 1, {"logprobs"})
    assert set(only_policy[0]) == {"logprobs"}
    assert only_policy[1]["logprobs"] == pytest.approx(meta[1]["logprobs"], abs=1e-5)
