"""Rollouts as the reward program sees them: ``Sample`` records, and the task judge's measures.

>>> from rewardkit.tasks.boxes import Boxes
>>> from rewardkit.tasks.base import problem
>>> p = problem(Boxes(), 0, "train", 0)
>>> metrics, ok = judge_rollouts(Boxes(), [p], [p.answer, "no"], group_size=2)
>>> metrics["train/success"], ok
(0.5, [True, False])
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardkit.tasks.base import Problem, Task
from rewardkit.train.rollout import Rollouts
from rewardkit.types import Sample


def to_samples(
    problems: Sequence[Problem],
    rollouts: Rollouts,
    group_size: int,
    step: int,
    task: str,
    first_group: int = 0,
) -> list[Sample]:
    """One Sample per completion; rows ``i*G .. i*G+G-1`` are the group of problem ``i``.

    Groups are numbered from ``first_group`` (a refill round continues the step's numbering, so
    group and sample ids stay unique within the step). Token ids and character offsets are
    included, so step values map onto tokens.
    """
    samples = []
    for row, text in enumerate(rollouts.texts):
        p = problems[row // group_size]
        samples.append(
            Sample(
                id=f"{step}-{first_group * group_size + row}",
                group=f"{step}-{first_group + row // group_size}",
                prompt=p.prompt,
                completion=text,
                reference=p.reference,
                meta=p.meta(task),
                token_ids=rollouts.token_ids[row],
                token_offsets=rollouts.offsets[row],
            )
        )
    return samples


def judge_rollouts(
    task: Task, problems: Sequence[Problem], texts: Sequence[str], group_size: int
) -> tuple[dict[str, float], list[bool]]:
    """``train/<measure>`` means of the task's judge over the rollouts, and each one's success."""
    rows = [task.judge(problems[i // group_size].reference, t) for i, t in enumerate(texts)]
    keys = list(rows[0]) if rows else []
    metrics = {f"train/{k}": sum(r[k] for r in rows) / len(rows) for k in keys}
    return metrics, [r.get("success", 0.0) >= 1.0 for r in rows]
