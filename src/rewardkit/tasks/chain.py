"""``chain``: multi-step arithmetic whose written steps can each be checked (process + outcome).

The prompt is a start value and a few operations; the model writes one equation per line and
then the result, e.g. for ``7 +5 *3 -4``::

    7+5=12
    12*3=36
    36-4=32
    =32

``step_check`` with ``check_step`` (one step per line) scores every equation against the step the
prompt asks for at that position; ``numeric`` scores the final number. The per-step values become
per-token advantages (the Euphonium / Atom-Searcher dual reward). The plain ``arithmetic``
verifier would also pay for true but irrelevant equations (``1+1=2``), which a policy learns to
write.

>>> p = Chain().make(np.random.default_rng(1), "short")
>>> p.answer.splitlines()[-1] == f"={p.reference}"
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.arithmetic import check_equations
from rewardkit.rewards.process import StepParams, sample_steps
from rewardkit.tasks.base import Problem
from rewardkit.types import Sample

OPS_PER_CATEGORY = {"short": 2, "medium": 3, "long": 4}
_PROMPT = re.compile(r"\s*(\d+)((?:[ \t]+[-+*]\d+)+)\s*\Z")
_OPERATION = re.compile(r"([-+*])(\d+)")
_STEP = re.compile(r"\s*(-?\d+)\s*([-+*])\s*(-?\d+)\s*=\s*(-?\d+)\s*\Z")
_FINAL = re.compile(r"\s*=\s*-?\d+\s*\Z")

Equation = tuple[int, str, int, int]


def apply(value: int, op: str, operand: int) -> int:
    """``value op operand`` for ``op`` in ``+ - *``.

    >>> apply(12, "*", 3)
    36
    """
    return value + operand if op == "+" else value - operand if op == "-" else value * operand


def chain_equations(prompt: str) -> list[Equation]:
    """The equations ``(value, op, operand, result)`` a chain prompt asks for, in order.

    Another prompt raises ``UnjudgeableReference``: the steps cannot be judged without it.

    >>> chain_equations("7 +5 *3 -4\\n")
    [(7, '+', 5, 12), (12, '*', 3, 36), (36, '-', 4, 32)]
    """
    match = _PROMPT.match(prompt)
    if match is None:
        raise UnjudgeableReference(
            f"not a chain prompt (start value, then ops like '7 +5 *3'): {prompt!r}; give the "
            "chain task's prompt to check_step"
        )
    value, out = int(match.group(1)), []
    for op, text in _OPERATION.findall(match.group(2)):
        operand = int(text)
        result = apply(value, op, operand)
        out.append((value, op, operand, result))
        value = result
    return out


def check_step(step: str, sample: Sample, index: int) -> float | None:
    """Step ``index`` of a chain answer: 1.0 iff it is the prompt's ``index``-th operation, done right.

    The step must apply the prompt's ``index``-th operation and operand to the running value
    (the start for the first step, else the result the previous step wrote) and compute it
    right. A wrong result is blamed once: the next step is judged on the value it was given
    (error carried forward), so the 0.0 lands on the step that went wrong. The previous step is
    the sample's own ``steps`` span, else its non-blank line (``step_check``'s default ``split:
    line``). The closing ``=result`` line is left to the outcome reward (None); any other line
    past the last operation is 0.0. For ``step_check`` with ``verifier: function``.

    >>> s = Sample(id="0", group="g", prompt="7 +5 *3\\n", completion="7+5=13\\n13*3=39\\n=39")
    >>> [check_step(t, s, k) for k, t in enumerate(["7+5=13", "13*3=39", "=39", "1+1=2"])]
    [0.0, 1.0, None, 0.0]
    """
    if _FINAL.match(step):
        return None
    equations = chain_equations(sample.prompt)
    found = _STEP.match(step)
    if found is None or index >= len(equations):
        return 0.0
    value, op, operand, _ = equations[index]
    if index > 0:
        start, end = sample_steps(sample, StepParams())[index - 1]
        previous = _STEP.match(sample.completion[start:end])
        if previous is None:
            return 0.0
        value = int(previous.group(4))
    result = apply(value, op, operand)
    a, written_op, b, c = found.groups()
    return 1.0 if (int(a), written_op, int(b), int(c)) == (value, op, operand, result) else 0.0


@dataclass(frozen=True)
class Chain:
    """Chains of 2-4 operations on numbers ``1..max_operand``; every value stays in ``0..99``.

    >>> Chain().categories
    ('short', 'medium', 'long')
    """

    max_operand: int = 9
    name: str = "chain"
    categories: tuple[str, ...] = ("short", "medium", "long")

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """A start value and operations for ``category`` (drawn when None)."""
        category = category or str(rng.choice(self.categories))
        value = int(rng.integers(1, 20))
        start = value
        ops: list[str] = []
        lines: list[str] = []
        while len(ops) < OPS_PER_CATEGORY[category]:
            op = str(rng.choice(["+", "-", "*"]))
            operand = int(rng.integers(1, self.max_operand + 1))
            result = apply(value, op, operand)
            if not 0 <= result <= 99:
                continue
            ops.append(f"{op}{operand}")
            lines.append(f"{value}{op}{operand}={result}")
            value = result
        return Problem(
            id="",
            prompt=f"{start} {' '.join(ops)}\n",
            reference=value,
            answer="\n".join([*lines, f"={value}"]),
            difficulty={"steps": len(ops)},
            category=category,
        )

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """``success`` (the last number is the result) and ``steps_right`` (true equations).

        >>> Chain().judge(6, "2+1=3\\n3*2=7\\n=6")
        {'steps_right': 0.5, 'success': 1.0}
        """
        if type(reference) is not int:
            raise UnjudgeableReference(f"chain: the reference must be an int, got {reference!r}")
        right, total = check_equations(completion)
        numbers = re.findall(r"-?\d+", completion)
        success = bool(numbers) and int(numbers[-1]) == reference
        return {"steps_right": right / total if total else 0.0, "success": float(success)}

    def reward_config(self) -> dict[str, Any]:
        """Outcome (``numeric``) plus checked steps (``step_check``), with per-token advantages."""
        steps = {"verifier": "function", "fn_ref": "rewardkit.tasks.chain:check_step"}
        return {
            "reward": {
                "weighted": [
                    {"name": "outcome", "fn": "numeric", "extract": "last_number"},
                    {"name": "process", "fn": "step_check", "weight": 0.5, **steps},
                ]
            },
            "advantage": {
                "estimator": "grpo",
                "steps_from": "reward/process",
                "step_weight": 0.5,
            },
        }
