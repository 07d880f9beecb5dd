"""``countdown``: reach a target with some of the given numbers (the ChipSeek-R1 hierarchy).

The model writes one expression with ``+ - *`` and parentheses, e.g. ``25+3*7`` for numbers
``3 7 25`` and target ``46``. The hierarchical reward checks, in order: the expression parses ->
it uses only the given numbers (each at most once) -> it hits the target -> it is as short as the
shortest solution. Each check is the ``countdown`` component with its ``check`` parameter.

>>> p = Countdown().make(np.random.default_rng(0), "easy")
>>> evaluate_expression(p.answer) == p.reference["target"]
True
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import Params, reward
from rewardkit.tasks.base import Problem
from rewardkit.types import Sample, Score

# Numbers per category; bigger sets have more solutions to find but more to check.
COUNTS = {"easy": 2, "medium": 3, "hard": 4}
_ALLOWED = re.compile(r"[\d+\-*() ]+")


@dataclass(frozen=True)
class Countdown:
    """Problems with 2-4 numbers in ``1..max_number`` and a reachable target in ``1..max_target``.

    >>> Countdown().categories
    ('easy', 'medium', 'hard')
    """

    max_number: int = 12
    max_target: int = 60
    name: str = "countdown"
    categories: tuple[str, ...] = ("easy", "medium", "hard")

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """Numbers drawn for ``category``; the target is the value of a random expression."""
        category = category or str(rng.choice(self.categories))
        count = COUNTS[category]
        while True:
            numbers = sorted(int(v) for v in rng.integers(1, self.max_number + 1, size=count))
            table = shortest_expressions(numbers)
            targets = sorted(t for t in table if 1 <= t <= self.max_target and t not in numbers)
            if targets:
                break
        target = int(rng.choice(targets))
        best = table[target]
        return Problem(
            id="",
            prompt=f"use {' '.join(map(str, numbers))} to make {target}:",
            reference={"numbers": numbers, "target": target, "shortest": len(best)},
            answer=best,
            difficulty={"numbers": count, "target": target},
            category=category,
        )

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """``parses`` and ``success`` (only given numbers, and the target is reached).

        >>> Countdown().judge({"numbers": [2, 3], "target": 6}, "2*3")
        {'parses': 1.0, 'success': 1.0}
        """
        sample = Sample("judge", "judge", "", completion, reference=reference)
        parses = countdown(sample, CountdownParams(check="parses")).value
        return {"parses": parses, "success": countdown(sample, CountdownParams()).value}

    def reward_config(self) -> dict[str, Any]:
        """Tiers: parses -> allowed numbers -> target -> short."""
        return countdown_reward_config("tiers")


def countdown_reward_config(shape: Literal["tiers", "weighted", "gated"]) -> dict[str, Any]:
    """The countdown program with the four checks combined as tiers, a weighted sum, or gated.

    ``gated`` (G-RA): the target is the outcome; the lower checks add up only once it is hit.

    >>> countdown_reward_config("weighted")["reward"]["weighted"][0]["check"]
    'parses'
    """
    checks = [
        {"name": name, "fn": "countdown", "check": name}
        for name in ("parses", "numbers", "target", "short")
    ]
    if shape == "tiers":
        reward: dict[str, Any] = {"tiers": checks}
    elif shape == "weighted":
        weights = (0.1, 0.2, 1.0, 0.2)
        reward = {"weighted": [{**c, "weight": w} for c, w in zip(checks, weights, strict=True)]}
    else:
        rest = [c for c in checks if c["name"] != "target"]
        reward = {
            "gated_accumulation": {
                "outcome": checks[2],
                "steps": {"name": "shape", "weighted": rest},
            },
            "at_least": 1.0,
            "step_weight": 0.25,
        }
    return {"reward": reward, "advantage": {"estimator": "grpo"}}


class CountdownParams(Params):
    """Parameters of ``countdown``: which check of the hierarchy this leaf makes."""

    check: Literal["parses", "numbers", "target", "short"] = "target"


@reward("countdown", params=CountdownParams)
def countdown(sample: Sample, p: CountdownParams) -> Score:
    """One countdown check: parses, uses only given numbers, hits the target, or is shortest.

    ``short`` is ``shortest / length`` (1.0 for a shortest solution) and 0.0 when the expression
    misses the target.

    >>> s = Sample("0", "g", "", "3*7+25", reference={"numbers": [3, 7, 25], "target": 46})
    >>> countdown(s, CountdownParams(check="target")).value
    1.0
    """
    ref = _reference(sample.reference)
    text = sample.completion.strip()
    value = evaluate_expression(text)
    if p.check == "parses" or value is None:
        return Score(1.0 if value is not None else 0.0, info={"value": value})
    used = Counter(int(n) for n in re.findall(r"\d+", text))
    allowed = not (used - Counter(ref["numbers"]))
    if p.check == "numbers":
        return Score(1.0 if allowed else 0.0, info={"used": sorted(used.elements())})
    hit = allowed and value == ref["target"]
    if p.check == "target":
        return Score(1.0 if hit else 0.0, info={"value": value})
    shortest = int(ref.get("shortest") or len(text.replace(" ", "")))
    return Score(min(1.0, shortest / len(text.replace(" ", ""))) if hit else 0.0)


def _reference(reference: Any) -> dict[str, Any]:
    """The reference, or ``UnjudgeableReference``: numbers, target and shortest must be integers
    (a string number would make every expression use a number that is not given)."""

    def integer(x: Any) -> bool:
        return type(x) is int

    shortest = reference.get("shortest") if isinstance(reference, dict) else None
    if (
        not isinstance(reference, dict)
        or not isinstance(reference.get("numbers"), list)
        or not all(integer(n) and n >= 0 for n in reference["numbers"])
        or not integer(reference.get("target"))
        or not (shortest is None or (integer(shortest) and shortest > 0))
    ):
        raise UnjudgeableReference(
            "countdown: the reference must be {'numbers': [non-negative ints], 'target': int} "
            f"with an optional positive int 'shortest', got {reference!r}"
        )
    return reference


def evaluate_expression(text: str) -> int | None:
    """The integer value of an expression of non-negative integers with ``+ - *`` and parentheses.

    None when the text is anything else (the model's fault, scored 0 by ``parses``).

    >>> evaluate_expression("(2+3)*4"), evaluate_expression("2**9"), evaluate_expression("")
    (20, None, None)
    """
    if not text or len(text) > 64 or not _ALLOWED.fullmatch(text):
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    return _value(tree.body)


def _value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        left, right = _value(node.left), _value(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right if isinstance(node.op, ast.Sub) else left * right
    return None


def shortest_expressions(numbers: list[int]) -> dict[int, str]:
    """Every value reachable with a subset of ``numbers`` (each once) -> its shortest expression.

    >>> shortest_expressions([2, 3])[6], shortest_expressions([2, 3])[-1]
    ('3*2', '2-3')
    """
    # Subset DP: table[mask] maps value -> (expression, is_sum); a sum needs parentheses under *.
    n = len(numbers)
    table: dict[int, dict[int, tuple[str, bool]]] = {
        1 << i: {v: (str(v), False)} for i, v in enumerate(numbers)
    }
    for mask in range(1, 1 << n):
        if mask in table:
            continue
        found: dict[int, tuple[str, bool]] = {}
        for left in _submasks(mask):
            for (a, (ea, sa)), (b, (eb, sb)) in itertools.product(
                table[left].items(), table[mask ^ left].items()
            ):
                for value, expr, is_sum in _combine(a, ea, sa, b, eb, sb):
                    if value not in found or len(expr) < len(found[value][0]):
                        found[value] = (expr, is_sum)
        table[mask] = found
    best: dict[int, str] = {}
    for values in table.values():
        for value, (expr, _) in values.items():
            if value not in best or len(expr) < len(best[value]):
                best[value] = expr
    return best


def _submasks(mask: int) -> list[int]:
    subs, sub = [], (mask - 1) & mask
    while sub:
        subs.append(sub)
        sub = (sub - 1) & mask
    return subs


def _combine(a: int, ea: str, sa: bool, b: int, eb: str, sb: bool) -> list[tuple[int, str, bool]]:
    wrap_a, wrap_b = (f"({ea})" if sa else ea), (f"({eb})" if sb else eb)
    return [
        (a + b, f"{ea}+{eb}", True),
        (a - b, f"{ea}-{wrap_b}", True),
        (a * b, f"{wrap_a}*{wrap_b}", False),
    ]
