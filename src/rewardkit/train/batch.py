"""A step's rounds, and the batch they make: what the update trains on and what the step logs.

The loop (``loop.py``) runs the stages of a round itself: roll out, score, advantages, the judge
and the filter's verdict; the result is a ``Round``. Without a ``balanced_filter`` a step is one
round: ``prompts_per_step`` prompts, G completions each, every group trained on. With one, groups
outside its band are dropped and the loop refills: as many new prompts as ``missing_groups``
says are drawn from the same stream and go through the same stages, for at most
``MAX_REFILL_ROUNDS`` extra rounds. ``merge_rounds`` then makes the step's ``StepBatch``:

- ``train``, ``matrix``: the kept groups only, grouped by prompt, and their advantages (fewer
  than ``prompts_per_step`` groups when the rounds run out; if none is kept, the first round with
  zero advantages, so the step and its loss statistics still exist);
- ``scored``, ``adv``, ``judged``, ``correct``, ``lengths``, ``truncated``: every rollout of the
  step, dropped groups included, as before refilling existed (``merge_scored`` and
  ``merge_advantages`` recompute the statistics over all rounds);
- ``data``: ``data/refill_rounds`` and ``data/kept_groups`` (with a filter only).

Every draw is seeded (data position, torch generator), so a resumed run refills exactly as the
uninterrupted one.

>>> MAX_REFILL_ROUNDS
3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rewardkit.advantage import Advantages, advantage_matrix
from rewardkit.diagnostics import advantage_stats, merge_scored
from rewardkit.tasks.base import Problem
from rewardkit.train.rollout import Rollouts, merge_rollouts
from rewardkit.types import ScoredBatch

MAX_REFILL_ROUNDS = 3
"""Extra rollout rounds a step may spend refilling groups a ``balanced_filter`` dropped."""


@dataclass
class Round:
    """One draw of prompts, rolled out, scored, judged and filtered (``keep``: rows kept)."""

    problems: list[Problem]
    rollouts: Rollouts
    scored: ScoredBatch
    adv: Advantages
    judged: dict[str, float]
    correct: list[bool]
    keep: np.ndarray


@dataclass
class StepBatch:
    """What a step trains on (``train``, ``matrix``) and what it logs (every rollout)."""

    scored: ScoredBatch
    adv: Advantages
    judged: dict[str, float]
    correct: list[bool]
    lengths: np.ndarray
    truncated: list[bool]
    train: Rollouts
    matrix: np.ndarray
    data: dict[str, float]


def missing_groups(rounds: Sequence[Round], prompts_per_step: int, group_size: int) -> int:
    """Prompts to draw in the next refill round: groups still missing from ``prompts_per_step``.

    0 once ``MAX_REFILL_ROUNDS`` extra rounds are spent (or when enough groups were kept).
    """
    if len(rounds) > MAX_REFILL_ROUNDS:
        return 0
    return max(0, prompts_per_step - _kept_groups(rounds, group_size))


def merge_rounds(
    rounds: Sequence[Round], pad_id: int, filtered: bool, group_size: int
) -> StepBatch:
    """The step's batch from its rounds (module doc); ``filtered``: a balanced_filter is on."""
    train, matrix = _training_rows(rounds, pad_id, filtered)
    data: dict[str, float] = {}
    if filtered:
        data["data/refill_rounds"] = float(len(rounds) - 1)
        data["data/kept_groups"] = float(_kept_groups(rounds, group_size))
    first = rounds[0]
    if len(rounds) == 1:
        scored, adv, judged = first.scored, first.adv, first.judged
    else:
        scored = merge_scored([r.scored for r in rounds])
        adv = merge_advantages([r.adv for r in rounds], scored.rewards)
        judged = _weighted_means([r.judged for r in rounds], [len(r.correct) for r in rounds])
    correct = [ok for r in rounds for ok in r.correct]
    # What the policy wrote: a multi-turn rollout's tool results are not its length.
    lengths = np.concatenate([r.rollouts.policy_mask().sum(1).cpu().numpy() for r in rounds])
    truncated = [t for r in rounds for t in r.rollouts.truncated]
    return StepBatch(scored, adv, judged, correct, lengths, truncated, train, matrix, data)


def _kept_groups(rounds: Sequence[Round], group_size: int) -> int:
    return sum(int(r.keep.sum()) for r in rounds) // group_size


def _training_rows(
    rounds: Sequence[Round], pad_id: int, filtered: bool
) -> tuple[Rollouts, np.ndarray]:
    """The kept rows of every round as one batch, and their advantage matrix."""
    first = rounds[0]
    if not filtered or not any(r.keep.any() for r in rounds):
        width = first.rollouts.completion_ids.shape[1]
        matrix = advantage_matrix(first.adv.per_sample, first.adv.per_token, width)
        matrix[~first.keep] = 0.0
        return first.rollouts, matrix
    rows = [np.flatnonzero(r.keep).tolist() for r in rounds]
    train = merge_rollouts([(r.rollouts, idx) for r, idx in zip(rounds, rows, strict=True)], pad_id)
    per_sample = np.concatenate(
        [r.adv.per_sample[idx] for r, idx in zip(rounds, rows, strict=True)]
    )
    per_token = [_token_row(r.adv, i) for r, idx in zip(rounds, rows, strict=True) for i in idx]
    return train, advantage_matrix(per_sample, per_token, train.completion_ids.shape[1])


def _token_row(adv: Advantages, i: int) -> np.ndarray | None:
    return adv.per_token[i] if adv.per_token else None


def merge_advantages(parts: Sequence[Advantages], rewards: np.ndarray) -> Advantages:
    """Advantages of consecutive batches as one, statistics recomputed over all of them."""
    per_sample = np.concatenate([p.per_sample for p in parts])
    n = [len(p.per_sample) for p in parts]
    per_token = [x for p, k in zip(parts, n, strict=True) for x in (p.per_token or [None] * k)]
    per_step = [x for p, k in zip(parts, n, strict=True) for x in (p.per_step or [None] * k)]
    if not any(p.per_token for p in parts):
        per_token = []
    if not any(p.per_step for p in parts):
        per_step = []
    return Advantages(per_sample, per_token, per_step, advantage_stats(per_sample, rewards))


def _weighted_means(parts: Sequence[dict[str, float]], rows: Sequence[int]) -> dict[str, float]:
    """Per-key means of per-round means, weighted by each round's rows."""
    total = sum(rows)
    return {k: sum(p[k] * n for p, n in zip(parts, rows, strict=True)) / total for k in parts[0]}
