"""``chain``: multi-step arithmetic whose written steps can each be checked (process + outcome).

The prompt is a start value and a few operations; the model writes one equation per line and
then the result, e.g. for ``7 +5 *3 -4``::

    7+5=12
    12*3=36
    36-4=32
    =32

``step_check`` (arithmetic verifier, one step per line) scores every equation; ``numeric`` scores
the final number. The per-step values become per-token advantages (the Euphonium / Atom-Searcher
dual reward).

>>> p = Chain().make(np.random.default_rng(1), "short")
>>> p.answer.splitlines()[-1] == f"={p.reference}"
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.rewards.arithmetic import check_equations
from rewardkit.tasks.base import Problem

OPS_PER_CATEGORY = {"short": 2, "medium": 3, "long": 4}


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
            result = (
                value + operand if op == "+" else value - operand if op == "-" else value * operand
            )
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
        """``success`` (the last number is the result) and ``steps_right`` (right equations).

        >>> Chain().judge(6, "2+1=3\\n3*2=7\\n=6")
        {'steps_right': 0.5, 'success': 1.0}
        """
        right, total = check_equations(completion)
        numbers = re.findall(r"-?\d+", completion)
        success = bool(numbers) and int(numbers[-1]) == int(reference)
        return {"steps_right": right / total if total else 0.0, "success": float(success)}

    def reward_config(self) -> dict[str, Any]:
        """Outcome (``numeric``) plus checked steps (``step_check``), with per-token advantages."""
        return {
            "reward": {
                "weighted": [
                    {"name": "outcome", "fn": "numeric"},
                    {"name": "process", "fn": "step_check", "weight": 0.5},
                ]
            },
            "advantage": {
                "estimator": "grpo",
                "steps_from": "reward/process",
                "step_weight": 0.5,
            },
        }
