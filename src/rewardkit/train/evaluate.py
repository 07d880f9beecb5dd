"""Held-out evaluation: greedy and sampled answers to the task's ``eval`` problems.

Scored with the task's own judge (``success`` is the strict criterion, e.g. IoU >= 0.8 for
boxes), never with the training program: evaluation must not move schedules or stateful
components. The few answers kept for the report (``shown_answers``) are also scored, for display
only, by a copy of the program, so their reward can be read node by node. Sampled answers use a
generator seeded from ``(seed, step)``, so evaluating never changes what training samples next.

>>> summarise([{"success": 1.0, "iou": 0.9}, {"success": 0.0, "iou": 0.3}], "eval/greedy")
{'eval/greedy/success': 0.5, 'eval/greedy/iou': 0.6}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import require
from rewardkit.program import RewardProgram
from rewardkit.tasks.base import Problem, Task, problem
from rewardkit.types import Sample


@dataclass
class EvalResult:
    """Means of the judge (``metrics``) and, per mode, each problem's answer and judgement."""

    metrics: dict[str, float]
    answers: dict[str, list[tuple[str, dict[str, float]]]] = field(default_factory=dict)


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
    args = (max_new_tokens, temperature, seed, step, sampled)
    return run_eval(model, tokenizer, task, problems, *args).metrics


def run_eval(
    model: Any,
    tokenizer: Any,
    task: Task,
    problems: Sequence[Problem],
    max_new_tokens: int,
    temperature: float,
    seed: int,
    step: int,
    sampled: bool = True,
    chat: bool = False,
    max_turns: int = 4,
) -> EvalResult:
    """``evaluate``, keeping every answer and its judgement as well as the means.

    ``chat`` wraps the prompts in the tokenizer's chat template, as in training; a task with an
    environment is rolled out over at most ``max_turns`` turns (``multiturn.py``), and its answer
    is the whole trajectory.
    """
    from rewardkit.train.multiturn import sample_rollouts

    torch = require("torch", "train")
    modes = [("greedy", True)] + ([("sampled", False)] if sampled else [])
    result = EvalResult(metrics={})
    device = next(model.parameters()).device
    for name, greedy in modes:
        generator = torch.Generator(device=device)
        generator.manual_seed(seed * 1_000_003 + step)
        rollouts = sample_rollouts(
            model,
            tokenizer,
            task,
            problems,
            1,
            max_new_tokens,
            max_turns,
            temperature,
            generator,
            greedy=greedy,
            chat=chat,
        )
        judged = [task.judge(p.reference, t) for p, t in zip(problems, rollouts.texts, strict=True)]
        result.metrics.update(summarise(judged, f"eval/{name}"))
        result.answers[name] = list(zip(rollouts.texts, judged, strict=True))
    return result


def summarise(rows: Sequence[Mapping[str, float]], prefix: str) -> dict[str, float]:
    """The mean of every key over ``rows``, named ``prefix/key``."""
    keys = list(rows[0]) if rows else []
    return {f"{prefix}/{k}": sum(float(r[k]) for r in rows) / len(rows) for k in keys}


def shown_answers(
    result: EvalResult,
    problems: Sequence[Problem],
    program: RewardProgram,
    task: str,
    step: int,
    keep: int = 4,
) -> list[dict[str, Any]]:
    """The answers to the first ``keep`` problems in every mode, with their reward per node.

    Scored by a copy of ``program`` (same variables and state), so showing them changes nothing
    that training reads. A program that cannot score them (it needs the trainer's log-probs,
    or a component raised) gives the error in ``error`` instead of node values.
    """
    copy = None if program.needs else RewardProgram.from_dict(program.to_dict())
    if copy is not None:
        copy.load_state_dict(program.state_dict())
    records = []
    for mode, answers in result.answers.items():
        chosen = list(zip(problems, answers, strict=False))[:keep]
        samples = [
            Sample(
                id=f"eval-{step}-{mode}-{i}",
                group=f"eval-{step}-{mode}-{i}",
                prompt=p.prompt,
                completion=text,
                reference=p.reference,
                meta=p.meta(task),
            )
            for i, (p, (text, _)) in enumerate(chosen)
        ]
        nodes, error = _node_values(copy, samples)
        for i, (p, (text, judged)) in enumerate(chosen):
            records.append(
                {
                    "step": step,
                    "mode": mode,
                    "problem": i,
                    "prompt": p.prompt,
                    "reference": p.reference,
                    "completion": text,
                    "judge": judged,
                    "reward": nodes[i].get("reward") if nodes else None,
                    "nodes": nodes[i] if nodes else {},
                    "error": error,
                }
            )
    return records


def _node_values(
    program: RewardProgram | None, samples: list[Sample]
) -> tuple[list[dict[str, float | None]], str | None]:
    if program is None:
        return [], "not scored: the program reads the trainer's logprobs (sample meta)"
    try:
        scored = program.score(samples)
    except Exception as exc:  # shown on the report page, never fed to training
        return [], f"{type(exc).__name__}: {exc}"
    rows: list[dict[str, float | None]] = [{} for _ in samples]
    for path, column in scored.values.items():
        for i, value in enumerate(column):
            rows[i][path] = None if math.isnan(float(value)) else float(value)
    return rows, None
