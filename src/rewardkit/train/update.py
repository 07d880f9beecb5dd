"""One GRPO update: advantages as a tensor, old/reference log-probs, clipped loss, clipped step.

The advantages arrive as ``rewardkit.advantage.advantage_matrix`` rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.errors import require
from rewardkit.train.config import TrainConfig
from rewardkit.train.loss import LossSettings, policy_loss, token_logprobs
from rewardkit.train.rollout import Rollouts


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """The learning rate of ``step``: linear warm-up over ``warmup_steps``, then ``lr``.

    A function of the step alone, so a resumed run continues the same schedule. Warm-up keeps
    AdamW's first steps (each parameter moves by about ``lr``, whatever its gradient) from
    knocking a warm-started model off its minimum.

    >>> cfg = TrainConfig(lr=1e-3, warmup_steps=4)
    >>> [learning_rate(cfg, s) for s in (0, 3, 10)]
    [0.00025, 0.001, 0.001]
    """
    if cfg.warmup_steps == 0:
        return cfg.lr
    return cfg.lr * min(1.0, (step + 1) / cfg.warmup_steps)


def loss_settings(cfg: TrainConfig) -> LossSettings:
    """The loss options of a TrainConfig."""
    return LossSettings(
        clip_eps=cfg.clip_eps,
        clip_eps_high=cfg.clip_eps_high,
        kl_beta=cfg.kl_beta,
        aggregation=cfg.loss_aggregation,
        max_new_tokens=cfg.max_new_tokens,
    )


def update_policy(
    model: Any,
    optimizer: Any,
    rollouts: Rollouts,
    advantages: np.ndarray,
    cfg: TrainConfig,
    ref_model: Any | None = None,
    step: int = 0,
) -> dict[str, float]:
    """``ppo_epochs`` gradient steps on one batch of rollouts; returns the loss statistics."""
    torch = require("torch", "train")
    lr = learning_rate(cfg, step)
    for group in optimizer.param_groups:
        group["lr"] = lr
    r = rollouts
    device = r.completion_ids.device
    adv = torch.as_tensor(advantages, dtype=torch.float32, device=device)
    settings = loss_settings(cfg)
    # Tokens the environment wrote (tool results) take no part in the loss, its KL or its counts.
    policy_tokens = r.policy_mask()
    group = cfg.group_size if cfg.share_prompt else 1

    def logprobs(net: Any) -> Any:
        return token_logprobs(
            net, r.prompt_ids, r.prompt_mask, r.completion_ids, cfg.temperature, group
        )

    old_logp = ref_logp = None
    with torch.no_grad():
        if cfg.ppo_epochs > 1:
            old_logp = logprobs(model)
        if ref_model is not None and cfg.kl_beta > 0:
            ref_logp = logprobs(ref_model)
    stats: dict[str, float] = {}
    model.train()
    for _ in range(cfg.ppo_epochs):
        logp = logprobs(model)
        # With one pass the old policy is the current one: ratio 1, gradient -A * grad log p.
        base = logp.detach() if old_logp is None else old_logp
        loss, stats = policy_loss(logp, base, adv, policy_tokens, settings, ref_logp)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        optimizer.step()
        stats = {**stats, "loss": loss.item(), "grad_norm": float(norm), "lr": lr}
    model.eval()
    return stats
