"""The implicit PRM (``implicit_prm``): free process rewards from a policy/reference log-ratio.

PRIME and *Free Process Rewards without Process Labels* read a token's process reward as
``beta * (log pi(y_t) - log pi_ref(y_t))``; a step's reward is the sum over its tokens (a token
belongs to the step it overlaps most, as for per-token advantages). With two local causal LMs
(``policy``, ``reference``, sharing the policy's tokenizer) the log-probs come from them: a sample
that carries ``token_ids`` and ``token_offsets`` is scored on those tokens, others on the
tokenizer's cut of the completion. Without them they come from ``sample.meta["logprobs"]`` and
``sample.meta["ref_logprobs"]``, aligned with the sample's ``token_offsets``: the built-in trainer
fills both with the live policy and its frozen start (the component ``needs`` them). The
value aggregates the steps: ``sum`` by default (the implicit outcome reward), ``mean``, ``min``,
``last``; a completion with no steps scores 0.0 (the sum over no tokens), never None.

>>> implicit_step_values([-1.0, -2.0, -0.5], [-1.5, -2.0, -1.0], [(0, 1), (1, 2), (2, 3)],
...                      [(0, 2), (2, 3)], beta=0.5)
(0.25, 0.25)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from rewardkit.errors import require
from rewardkit.registry import reward
from rewardkit.rewards.prm import forward_padded, load_pretrained, local_dir, step_score
from rewardkit.rewards.steps import (
    StepParams,
    sample_steps,
    sample_token_offsets,
    step_sums,
    token_offsets,
)
from rewardkit.types import Sample, Score, Span

ImplicitAggregate = Literal["sum", "mean", "min", "last"]


class ImplicitPrmParams(StepParams):
    """``beta`` times the policy/reference log-ratio summed per step; models are optional."""

    beta: float = Field(0.05, gt=0)
    aggregate: ImplicitAggregate = "sum"
    policy: str | None = None
    reference: str | None = None
    device: str = "cpu"
    batch_size: int = Field(8, ge=1)

    @model_validator(mode="after")
    def _check_models(self) -> ImplicitPrmParams:
        if (self.policy is None) != (self.reference is None):
            raise ValueError("give both 'policy' and 'reference' model folders, or neither")
        local_dir(self.policy, "policy")
        local_dir(self.reference, "reference")
        return self


def implicit_step_values(
    logprobs: Sequence[float],
    ref_logprobs: Sequence[float],
    offsets: Sequence[Span],
    spans: Sequence[Span],
    beta: float,
) -> tuple[float, ...]:
    """``beta * sum(logprobs - ref_logprobs)`` over each step's tokens (NaN: a step without tokens)."""
    lp, ref = np.asarray(logprobs, dtype=float), np.asarray(ref_logprobs, dtype=float)
    if lp.shape != ref.shape:
        raise ValueError(
            f"{lp.size} logprobs but {ref.size} ref_logprobs; align both with the tokens"
        )
    return tuple(beta * v for v in step_sums(lp - ref, offsets, spans))


def completion_logprobs(
    model: Any, tokenizer: Any, rows: Sequence[tuple[str, Sequence[int]]], batch_size: int
) -> list[np.ndarray]:
    """log p(completion token | everything before it) for each (prompt, completion ids) row."""
    torch = require("torch", "train")
    contexts = []
    for prompt, _ in rows:
        ctx = list(tokenizer(prompt)["input_ids"]) if prompt else []
        start = (
            tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        )
        if not ctx and start is None:
            raise ValueError(
                "an empty prompt needs a bos or eos token to condition the first token on"
            )
        contexts.append(ctx or [start])
    full = [c + list(ids) for c, (_, ids) in zip(contexts, rows, strict=True)]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out = []
    for ctx, ids, logits in zip(
        contexts, full, forward_padded(model, full, pad, batch_size, use_cache=False), strict=True
    ):
        logp = torch.log_softmax(logits[:-1], dim=-1)
        target = torch.tensor(ids[1:], dtype=torch.long)
        token_lp = logp.gather(1, target[:, None])[:, 0]
        out.append(token_lp[len(ctx) - 1 :].numpy().astype(float))
    return out


def _model_logprobs(todo: Sequence[Sample], p: ImplicitPrmParams) -> list[tuple[Any, Any, Any]]:
    """(logprobs, ref_logprobs, token offsets) of each sample from the two models."""
    assert p.policy is not None and p.reference is not None
    policy, tok = load_pretrained(p.policy, p.device, "causal_lm")
    reference, _ = load_pretrained(p.reference, p.device, "causal_lm")
    rows, offsets = [], []
    for s in todo:
        if s.token_ids is not None and s.token_offsets is not None:
            ids, offs = list(s.token_ids), list(s.token_offsets)
        else:  # the completion as the policy's tokenizer cuts it
            ids = list(tok(s.completion, add_special_tokens=False)["input_ids"])
            offs = token_offsets(tok, s.completion)
        rows.append((s.prompt, ids))
        offsets.append(offs)
    lp = completion_logprobs(policy, tok, rows, p.batch_size)
    ref = completion_logprobs(reference, tok, rows, p.batch_size)
    return list(zip(lp, ref, offsets, strict=True))


def _has_logprobs(sample: Sample) -> bool:
    return "logprobs" in sample.meta and "ref_logprobs" in sample.meta


@reward("implicit_prm", params=ImplicitPrmParams, batched=True, needs=("logprobs", "ref_logprobs"))
def implicit_prm(samples: Sequence[Sample], p: ImplicitPrmParams) -> list[Score]:
    """Implicit PRM (PRIME): beta * log(pi / pi_ref) summed over each step's tokens."""
    use_models = p.policy is not None
    todo = [i for i, s in enumerate(samples) if use_models or not _has_logprobs(s)]
    if todo and p.policy is None:
        raise ValueError(
            f"sample {samples[todo[0]].id!r} has no meta 'logprobs' and 'ref_logprobs'; pass them "
            "(aligned with token_offsets) or give 'policy' and 'reference' model folders"
        )
    computed = dict(
        zip(todo, _model_logprobs([samples[i] for i in todo], p) if todo else [], strict=True)
    )
    out: list[Score] = []
    for i, s in enumerate(samples):
        if i in computed:
            lp, ref, offsets = computed[i]
        else:
            lp, ref, offsets = s.meta["logprobs"], s.meta["ref_logprobs"], sample_token_offsets(s)
        if len(lp) != len(offsets):
            raise ValueError(f"sample {s.id!r}: {len(lp)} logprobs for {len(offsets)} tokens")
        spans = sample_steps(s, p)
        out.append(
            step_score(implicit_step_values(lp, ref, offsets, spans, p.beta), spans, p.aggregate)
        )
    return out
