"""rewardkit's dense token rewards for verl and the ``rewardkit_dual`` advantage estimator.

rewardkit's reward manager writes ``dense_rewards``: each step's value on that step's tokens, the
outcome on the last response token. verl hands an estimator only ``token_level_rewards``,
``response_mask`` and ``uid``, so ``dual_advantages`` reads that layout back into a scored batch
and asks ``program.advantages`` for its per-token advantages: the same function the built-in
trainer and TRL use, not a copy.

>>> dense_rewards(1.0, [0.5, -0.5], np.array([0, 0, 1, 1, -1]), 5).tolist()
[0.5, 0.5, -0.5, -0.5, 1.0]
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.errors import RewardKitError
from rewardkit.integrations.verl_agent import mask_runs
from rewardkit.integrations.verl_config import (
    DUAL,
    KL_IN_REWARD,
    VerlConfigWarning,
    kl_in_reward,
)
from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.types import Sample, ScoredBatch

log = logging.getLogger("rewardkit.verl")
LAYOUT_STEPS = "reward/steps"
"""The node path the layout's steps are read back under when the config names none."""


def dense_rewards(
    outcome: float,
    steps: Sequence[float] | None,
    which: np.ndarray,
    length: int,
    last: int | None = None,
) -> np.ndarray:
    """One response's token rewards: each step's value on that step's tokens, the outcome on the
    last token (``which[t]`` is the step of token t, -1 outside every step; ``length`` tokens;
    ``last``: the outcome's token when it is not the last one, as in an agent's response that
    ends in a tool's tokens). ``steps=None``: the outcome alone (verl's own layout)."""
    out = np.zeros(length)
    if steps:
        values = np.nan_to_num(np.asarray(steps, dtype=float), nan=0.0)
        inside = which[:length] >= 0
        out[inside] = values[which[:length][inside]]
    if length:
        out[length - 1 if last is None else last] = outcome
    return out


def layout_batch(
    program: RewardProgram, rewards: np.ndarray, mask: np.ndarray, index: Sequence[Any]
) -> ScoredBatch:
    """The scored batch that ``dense_rewards`` laid out. Token t spans character (t, t + 1).

    The outcome is the last model token's value (the last 1 of ``response_mask``). The steps:
    in an agent's batch (a 0 of the mask before a response's last 1: a tool's tokens), the
    mask's runs of 1s, the turns, each worth its first token's value (NaN for a one-token last
    turn: its token holds the outcome), the runs of 0s the environment's spans; else the runs of
    equal values over the other tokens (0 means no step), the last token counted in the step
    just before it."""
    lasts = [_last_one(row) for row in mask]
    agent = any(
        last >= 0 and not row[: last + 1].all() for row, last in zip(mask, lasts, strict=True)
    )
    samples, outcomes, steps = [], [], []
    for i, (row, last) in enumerate(zip(rewards, lasts, strict=True)):
        n = last + 1
        if agent:
            values, spans, env = _turns(row, mask[i][:n])
        else:
            runs = _runs(row[: max(n - 1, 0)])
            if runs and runs[-1][2] == n - 1:  # the last token belongs to the step before it
                runs[-1] = (runs[-1][0], runs[-1][1], n)
            values, spans, env = [v for v, _, _ in runs], [(a, b) for _, a, b in runs], []
        outcomes.append(float(row[last]) if n else np.nan)
        steps.append(tuple(values) or None)
        samples.append(
            Sample(
                id=str(i),
                group=str(index[i]),
                prompt="",
                completion=" " * n,
                token_offsets=tuple((t, t + 1) for t in range(n)),
                steps=tuple(spans) or None,
                env_spans=tuple(env) or None,
            )
        )
    path = program.config.advantage.steps_from or LAYOUT_STEPS
    root = "reward"
    return ScoredBatch(
        samples=samples,
        values={root: np.asarray(outcomes, dtype=float)},
        steps={path: steps},
        info={},
        failures=[],
        root=root,
    )


def _last_one(row: np.ndarray) -> int:
    ones = np.flatnonzero(row)
    return int(ones[-1]) if ones.size else -1


def _turns(
    row: np.ndarray, mask: np.ndarray
) -> tuple[list[float], list[tuple[int, int]], list[tuple[int, int]]]:
    """An agent response's turns (runs of 1s of its mask) with their values, and its
    environment spans (runs of 0s)."""
    values, turns, env = [], [], []
    for v, a, b in mask_runs(mask.tolist()):
        if v:
            last_turn = b == len(mask)
            values.append(np.nan if last_turn and b - a == 1 else float(row[a]))
            turns.append((a, b))
        else:
            env.append((a, b))
    return values, turns, env


def dual_advantages(
    program: RewardProgram, rewards: np.ndarray, mask: np.ndarray, index: Sequence[Any]
) -> np.ndarray:
    """Per-token advantages of the layout of ``dense_rewards``: ``program.advantages`` of the
    batch it encodes (``layout_batch``). This equals ``program.advantages`` of the manager's own
    samples when, in each response, adjacent steps differ in value, no step scores exactly 0 and
    the last step has at least two tokens (docs/verl.md)."""
    if program.config.advantage.estimator == "gdpo":
        raise RewardKitError(
            "rewardkit_dual cannot run gdpo: verl's token rewards carry one outcome per sample, "
            "not the components; use advantage.estimator grpo, dr_grpo, rloo or batch_std"
        )
    per_token = program.advantages(layout_batch(program, rewards, mask, index)).per_token
    out = np.zeros_like(rewards, dtype=float)
    for i, row in enumerate(per_token):
        if row is not None:
            out[i, : len(row)] = row
    return np.nan_to_num(out, nan=0.0) * mask


def _runs(row: np.ndarray) -> list[tuple[float, int, int]]:
    out: list[tuple[float, int, int]] = []
    start = 0
    for t in range(1, len(row) + 1):
        if t == len(row) or row[t] != row[start]:
            if row[start] != 0:
                out.append((float(row[start]), start, t))
            start = t
    return out


_ESTIMATOR_STATE: dict[str, StateReplica] = {}


def register_estimators(state: StateReplica) -> list[str]:
    """Register ``rewardkit_dual`` with verl's ``register_adv_est`` in this process, reading the
    program of ``state`` (synced before each batch: a scheduled ``step_weight``). verl's trainer
    runs in the TaskRunner actor: call this there (loading rewardkit's reward manager does).
    Returns the registered names. Needs verl and torch."""
    import torch
    from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY, register_adv_est

    _ESTIMATOR_STATE[DUAL] = state
    if DUAL not in ADV_ESTIMATOR_REGISTRY:

        @register_adv_est(DUAL)
        def rewardkit_dual(
            token_level_rewards: Any,
            response_mask: Any,
            config: Any = None,
            index: Any = None,
            **kwargs: Any,
        ) -> tuple[Any, Any]:
            if kl_in_reward(config):
                warnings.warn(KL_IN_REWARD, VerlConfigWarning, stacklevel=2)
                log.warning(KL_IN_REWARD)
            shared = _ESTIMATOR_STATE[DUAL]
            shared.sync()
            rewards = token_level_rewards.detach().cpu().double().numpy()
            mask = response_mask.detach().cpu().numpy()
            adv = dual_advantages(shared.program, rewards, mask, list(index))
            out = torch.as_tensor(adv, dtype=token_level_rewards.dtype)
            return out, out.clone()

    return [DUAL]
