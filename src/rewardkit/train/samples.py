"""Rollouts as the reward program sees them: ``Sample`` records, their scores, the judge's measures.

``score_rollouts`` is the trainer's score stage: the log-probs the program needs, ``to_samples``,
then the program's scores. ``judge_rollouts`` gives the task's own measures of the same rollouts.

>>> from rewardkit.tasks.boxes import Boxes
>>> from rewardkit.tasks.base import problem
>>> p = problem(Boxes(), 0, "train", 0)
>>> metrics, ok = judge_rollouts(Boxes(), [p], [p.answer, "no"], group_size=2)
>>> metrics["train/success"], ok
(0.5, [True, False])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rewardkit.errors import require
from rewardkit.rewards.env import ENV_REWARDS
from rewardkit.tasks.base import Problem, Task
from rewardkit.train.loss import token_logprobs
from rewardkit.train.rollout import Rollouts
from rewardkit.types import Sample, ScoredBatch

if TYPE_CHECKING:
    from rewardkit.train.setup import Session


def score_rollouts(
    s: Session, step: int, problems: Sequence[Problem], rollouts: Rollouts, first_group: int
) -> ScoredBatch:
    """The reward program's scores of one round of rollouts (groups numbered from ``first_group``).

    A program that ``needs`` log-probs (e.g. implicit_prm) gets the live policy's and the
    reference's in each sample's meta.
    """
    cfg = s.cfg
    extra = None
    if s.program.needs:
        shared = cfg.group_size if cfg.share_prompt else 1
        extra = logprob_meta(s.model, s.ref_model, rollouts, shared, s.program.needs)
    samples = to_samples(problems, rollouts, cfg.group_size, step, s.task.name, first_group, extra)
    return s.program.score(samples)


def to_samples(
    problems: Sequence[Problem],
    rollouts: Rollouts,
    group_size: int,
    step: int,
    task: str,
    first_group: int = 0,
    extra_meta: Sequence[Mapping[str, Any]] | None = None,
) -> list[Sample]:
    """One Sample per completion; rows ``i*G .. i*G+G-1`` are the group of problem ``i``.

    Groups are numbered from ``first_group`` (a refill round continues the step's numbering, so
    group and sample ids stay unique within the step). Token ids and character offsets are
    included, so step values map onto tokens; ``extra_meta`` (one mapping per row) is added to
    each sample's meta. A multi-turn rollout's sample is its trajectory: ``messages``, ``tools``,
    its assistant turns as ``steps``, the environment's ``env_spans``, and the turn rewards in
    ``meta["env_rewards"]`` (read by ``env_reward``).
    """
    samples = []
    for row, text in enumerate(rollouts.texts):
        p = problems[row // group_size]
        meta = p.meta(task)
        if extra_meta is not None:
            meta = {**meta, **extra_meta[row]}
        t = rollouts.trajectories[row] if rollouts.trajectories is not None else None
        if t is not None:
            meta[ENV_REWARDS] = list(t.env_rewards)
        samples.append(
            Sample(
                id=f"{step}-{first_group * group_size + row}",
                group=f"{step}-{first_group + row // group_size}",
                prompt=p.prompt,
                completion=text,
                reference=p.reference,
                meta=meta,
                token_ids=rollouts.token_ids[row],
                token_offsets=rollouts.offsets[row],
                steps=None if t is None else t.steps,
                messages=None if t is None else t.messages,
                tools=None if t is None else t.tools,
                env_spans=None if t is None else t.env_spans,
            )
        )
    return samples


def logprob_meta(
    model: Any,
    ref_model: Any,
    rollouts: Rollouts,
    share_prompt: int,
    needs: frozenset[str] | set[str],
) -> list[dict[str, list[float]]]:
    """Per-row ``logprobs`` (policy) and ``ref_logprobs`` (reference) of the completion tokens.

    One value per kept token (``Rollouts.token_ids``, eos included), at temperature 1: the
    models' own distributions, as the implicit PRM reads them. Only the keys in ``needs``.
    ``share_prompt``: rows per prompt that share one prefill (1: every row in full).
    """
    torch = require("torch", "train")
    r = rollouts
    columns: dict[str, Any] = {}
    with torch.no_grad():
        for key, net in (("logprobs", model), ("ref_logprobs", ref_model)):
            if key in needs:
                lp = token_logprobs(
                    net, r.prompt_ids, r.prompt_mask, r.completion_ids, 1.0, share_prompt
                )
                columns[key] = lp.cpu().tolist()
    return [
        {k: v[row][: len(ids)] for k, v in columns.items()} for row, ids in enumerate(r.token_ids)
    ]


def judge_rollouts(
    task: Task, problems: Sequence[Problem], texts: Sequence[str], group_size: int
) -> tuple[dict[str, float], list[bool]]:
    """``train/<measure>`` means of the task's judge over the rollouts, and each one's success."""
    rows = [task.judge(problems[i // group_size].reference, t) for i, t in enumerate(texts)]
    keys = list(rows[0]) if rows else []
    metrics = {f"train/{k}": sum(r[k] for r in rows) / len(rows) for k in keys}
    return metrics, [r.get("success", 0.0) >= 1.0 for r in rows]
