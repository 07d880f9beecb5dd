"""Refill helpers: merging the kept rows of several rounds, and their scores and advantages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rewardkit.diagnostics import merge_scored  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402
from rewardkit.train.batch import (  # noqa: E402
    MAX_REFILL_ROUNDS,
    merge_advantages,
    missing_groups,
)
from rewardkit.train.rollout import Rollouts, merge_rollouts  # noqa: E402
from rewardkit.types import Sample  # noqa: E402


def _rollouts(prompt: list[list[int]], completion: list[list[int]], tag: str) -> Rollouts:
    n = len(prompt)
    return Rollouts(
        prompt_ids=torch.tensor(prompt),
        prompt_mask=(torch.tensor(prompt) != 0).long(),
        completion_ids=torch.tensor(completion),
        completion_mask=(torch.tensor(completion) != 0).long(),
        texts=[f"{tag}{i}" for i in range(n)],
        token_ids=[(i,) for i in range(n)],
        offsets=[((0, 1),)] * n,
        truncated=[False] * n,
    )


def test_merge_pads_prompts_left_and_completions_right() -> None:
    a = _rollouts([[0, 5], [0, 6], [7, 8]], [[1, 2, 0], [3, 0, 0], [4, 4, 4]], "a")
    b = _rollouts([[9], [9]], [[5, 0], [6, 6]], "b")
    m = merge_rollouts([(a, [0, 1]), (b, [1]), (a, [])], pad_id=0)
    assert m.prompt_ids.tolist() == [[0, 5], [0, 6], [0, 9]]
    assert m.prompt_mask.tolist() == [[0, 1], [0, 1], [0, 1]]
    assert m.completion_ids.tolist() == [[1, 2, 0], [3, 0, 0], [6, 6, 0]]
    assert m.completion_mask.tolist() == [[1, 1, 0], [1, 0, 0], [1, 1, 0]]
    assert m.texts == ["a0", "a1", "b1"] and m.token_ids == [(0,), (1,), (1,)]


def test_merged_scores_and_advantages_match_one_batch() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "regex", "pattern": "x", "mode": "search"}})
    texts = ["x", "y", "x", "x", "y", "yx"]
    samples = [Sample(str(i), "abc"[i // 2], "", t) for i, t in enumerate(texts)]
    parts = [program.score(samples[:2]), program.score(samples[2:])]
    merged = merge_scored(parts)
    whole = program.score(samples)
    assert merged.rewards.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    assert merged.metrics == whole.metrics  # e.g. zero_std_frac 1/3: group b is all right
    assert merged.metrics["reward/zero_std_frac"] == pytest.approx(1 / 3)
    adv = merge_advantages([program.advantages(p) for p in parts], merged.rewards)
    expected = program.advantages(whole)
    assert np.allclose(adv.per_sample, expected.per_sample)
    assert adv.metrics == pytest.approx(expected.metrics, nan_ok=True)


def test_missing_groups_counts_kept_groups_until_the_refills_run_out() -> None:
    def rounds(*keeps: list[bool]) -> list[Any]:
        return [SimpleNamespace(keep=np.array(k)) for k in keeps]

    # group_size 2: round 0 kept 1 group of 2, round 1 kept none.
    assert missing_groups(rounds([True, True, False, False]), 3, 2) == 2
    assert missing_groups(rounds([True, True, True, True]), 2, 2) == 0
    assert missing_groups(rounds([True, True], [False, False]), 2, 2) == 1
    spent = rounds(*[[False, False]] * (MAX_REFILL_ROUNDS + 1))
    assert missing_groups(spent, 2, 2) == 0  # the extra rounds are spent
