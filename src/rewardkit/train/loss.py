"""The GRPO policy loss: token log-probabilities, the clipped surrogate, KL, and aggregation.

``aggregate`` implements the three ways the field averages token losses:

- ``grpo``: the mean over each sequence's tokens, then over sequences (long answers weigh less);
- ``dr_grpo``: the token sum divided by ``sequences * max_new_tokens`` (a constant, no length bias);
- ``dapo``: the mean over all tokens of the batch (every token weighs the same).

>>> import torch
>>> per_token = torch.tensor([[1.0, 1.0], [4.0, 0.0]]); mask = torch.tensor([[1, 1], [1, 0]])
>>> [round(aggregate(per_token, mask, how, 2).item(), 3) for how in ("grpo", "dr_grpo", "dapo")]
[2.5, 1.5, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rewardkit.errors import require
from rewardkit.tasks.models import position_ids

Aggregation = Literal["grpo", "dr_grpo", "dapo"]


def token_logprobs(
    model: Any,
    prompt_ids: Any,
    prompt_mask: Any,
    completion_ids: Any,
    temperature: float = 1.0,
    group_size: int = 1,
) -> Any:
    """Log-probabilities of the completion tokens under ``model``: a ``[rows, tokens]`` tensor.

    Rows come in groups of ``group_size`` that share one prompt; each prompt is then run once and
    its key/value cache is repeated for the group (the gradient is the same as running every row
    in full, at a fraction of the cost). Logits are divided by the sampling temperature, so the
    ratio compares the distributions the tokens were actually drawn from.
    """
    torch = require("torch", "train")
    if group_size > 1:
        return _grouped_logprobs(
            model, prompt_ids, prompt_mask, completion_ids, temperature, group_size
        )
    ids = torch.cat([prompt_ids, completion_ids], dim=1)
    # Pads after eos are attended to by nothing that is scored, so a full mask there is harmless.
    mask = torch.cat([prompt_mask, torch.ones_like(completion_ids)], dim=1)
    n = completion_ids.shape[1]
    out = model(
        input_ids=ids, attention_mask=mask, position_ids=position_ids(mask), logits_to_keep=n + 1
    )
    return _gather(out.logits[:, :-1], completion_ids, temperature)


def _grouped_logprobs(
    model: Any,
    prompt_ids: Any,
    prompt_mask: Any,
    completion_ids: Any,
    temperature: float,
    group_size: int,
) -> Any:
    torch = require("torch", "train")
    ids, mask = prompt_ids[::group_size], prompt_mask[::group_size]
    first = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=position_ids(mask),
        use_cache=True,
        logits_to_keep=1,
    )
    cache = first.cache
    cache.batch_repeat_interleave(group_size)
    full_mask = torch.cat(
        [mask.repeat_interleave(group_size, 0), torch.ones_like(completion_ids)], dim=1
    )
    positions = position_ids(full_mask)[:, mask.shape[1] :]
    rest = model(
        input_ids=completion_ids,
        attention_mask=full_mask,
        position_ids=positions,
        cache=cache,
        use_cache=True,
    )
    logits = torch.cat([first.logits.repeat_interleave(group_size, 0), rest.logits[:, :-1]], dim=1)
    return _gather(logits, completion_ids, temperature)


def _gather(logits: Any, tokens: Any, temperature: float) -> Any:
    torch = require("torch", "train")
    logp = torch.log_softmax(logits.float() / temperature, dim=-1)
    return logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


@dataclass(frozen=True)
class LossSettings:
    """The loss options of the trainer config (see ``TrainConfig``)."""

    clip_eps: float = 0.2
    clip_eps_high: float | None = None
    kl_beta: float = 0.0
    aggregation: Aggregation = "grpo"
    max_new_tokens: int = 16


def policy_loss(
    logp: Any,
    old_logp: Any,
    advantages: Any,
    mask: Any,
    settings: LossSettings,
    ref_logp: Any | None = None,
) -> tuple[Any, dict[str, float]]:
    """The clipped surrogate (plus ``kl_beta`` * k3 KL) over masked tokens, aggregated.

    ``advantages`` is ``[rows]`` (one per sample) or ``[rows, tokens]`` (per token).

    >>> import torch
    >>> logp = torch.zeros(2, 1, requires_grad=True)
    >>> loss, stats = policy_loss(logp, logp.detach(), torch.tensor([1.0, -1.0]),
    ...                           torch.ones(2, 1), LossSettings())
    >>> loss.item(), stats["clip_frac"]
    (0.0, 0.0)
    """
    torch = require("torch", "train")
    adv = advantages if advantages.dim() == 2 else advantages[:, None]
    ratio = torch.exp(logp - old_logp)
    high = settings.clip_eps if settings.clip_eps_high is None else settings.clip_eps_high
    clipped = torch.clamp(ratio, 1.0 - settings.clip_eps, 1.0 + high)
    per_token = -torch.minimum(ratio * adv, clipped * adv)
    stats: dict[str, float] = {}
    m = mask.float()
    tokens = m.sum().clamp(min=1.0)
    with torch.no_grad():
        stats["clip_frac"] = float(((ratio * adv > clipped * adv).float() * m).sum() / tokens)
        stats["entropy_proxy"] = float(-(logp * m).sum() / tokens)
    if ref_logp is not None and settings.kl_beta > 0:
        delta = ref_logp - logp
        kl = torch.exp(delta) - delta - 1.0
        per_token = per_token + settings.kl_beta * kl
        stats["kl"] = float((kl.detach() * m).sum() / tokens)
    loss = aggregate(per_token, m, settings.aggregation, settings.max_new_tokens)
    return loss, stats


def aggregate(per_token: Any, mask: Any, how: Aggregation, max_new_tokens: int) -> Any:
    """One loss from token losses (see the module docstring for the three forms)."""
    m = mask.float()
    total = per_token * m
    if how == "grpo":
        return (total.sum(1) / m.sum(1).clamp(min=1.0)).mean()
    if how == "dr_grpo":
        return total.sum() / (per_token.shape[0] * max_new_tokens)
    return total.sum() / m.sum().clamp(min=1.0)
