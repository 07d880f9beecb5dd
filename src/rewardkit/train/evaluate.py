"""Held-out evaluation: greedy and sampled answers to the task's ``eval`` problems.

Scored with the task's own judge (``success`` is the strict criterion, e.g. IoU >= 0.8 for
boxes), never with the program: evaluation must not move schedules or stateful components.
Sampled answers use a generator seeded from ``(seed, step)``, so evaluating never changes what
training samples next.

>>> summarise([{"success": 1.0, "iou": 0.9}, {"success": 0.0, "iou": 0.3}], "eval/greedy")
{'eval/greedy/success': 0.5, 'eval/greedy/iou': 0.6}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.errors import require
from rewardkit.tasks.base import Problem, Task, problem
from rewardkit.train.rollout import sample_completions


def eval_problems(task: Task, seed: int, size: int) -> list[Problem]:
    """The fixed held-out set: problems ``0..size-1`` of the ``eval`` split."""
    return [problem(task, seed, "eval", i) for i in range(size)]


def evaluate(
    model: Any,
    tokenizer: Any,
    task: Task,
    problems: Sequence[Problem],
    max_new_tokens: int,
    temperature: float,
    seed: int,
    step: int,
    sampled: bool = True,
) -> dict[str, float]:
    """``eval/greedy/*`` (and ``eval/sampled/*``) means of the task's judge over ``problems``."""
    torch = require("torch", "train")
    prompts = [p.prompt for p in problems]
    modes = [("greedy", True)] + ([("sampled", False)] if sampled else [])
    out: dict[str, float] = {}
    device = next(model.parameters()).device
    for name, greedy in modes:
        generator = torch.Generator(device=device)
        generator.manual_seed(seed * 1_000_003 + step)
        rollouts = sample_completions(
            model, tokenizer, prompts, 1, max_new_tokens, temperature, generator, greedy=greedy
        )
        judged = [task.judge(p.reference, t) for p, t in zip(problems, rollouts.texts, strict=True)]
        out.update(summarise(judged, f"eval/{name}"))
    return out


def summarise(rows: Sequence[Mapping[str, float]], prefix: str) -> dict[str, float]:
    """The mean of every key over ``rows``, named ``prefix/key``."""
    keys = list(rows[0]) if rows else []
    return {f"{prefix}/{k}": sum(float(r[k]) for r in rows) / len(rows) for k in keys}
