"""``lookup``: a multi-turn task whose answer only a tool knows.

Each problem hides a small key-value table in its environment (random per problem, from the
seed). The prompt asks for the value of a key; the model must call the ``lookup`` tool, read
the result, and answer. With ``hops`` 2 the first result is another key (``see cd``), so the
model decides from what it reads whether to look up again: the number of turns is the policy's
choice. A right trajectory for ``value of ab?``::

    <tool_call>{"name": "lookup", "arguments": {"key": "ab"}}</tool_call>
    <tool_response>see cd</tool_response>
    <tool_call>{"name": "lookup", "arguments": {"key": "cd"}}</tool_call>
    <tool_response>417</tool_response>
    <answer>417</answer>

The environment (``LookupEnv``) pays each turn 1.0 when its one call looks up the key the chain
needs next, 0.0 otherwise (a wrong or unknown key, a repeated call, a call after the value is
known, a call that cannot be read); ``env_reward`` makes those per-turn values. The default
reward is the exact answer plus half the sum of the turn rewards (the sum, not the mean: a mean
over the rewarded turns pays a two-hop rollout that stops after one right call more than one that
tries the second hop).

>>> p = Lookup(hops=2).make(np.random.default_rng(0), None)
>>> p.prompt
'value of qn?\\n'
>>> Lookup().judge(p.reference, p.answer)
{'success': 1.0, 'tool_calls': 2.0}
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.tasks.base import Problem
from rewardkit.tasks.env import StepOutcome, ToolEnv, observation_text
from rewardkit.trajectory import ToolCall, parse_tool_calls

HOPS_PER_CATEGORY = {"one_hop": 1, "two_hop": 2}
CATEGORY_OF_HOPS = {1: "one_hop", 2: "two_hop", 3: "three_hop"}
MAX_HOPS = 3
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
POINTER = "see "
"""A result that starts with this names the key to look up next."""


def call_text(key: str) -> str:
    """The tool call that looks up ``key``, as the trajectory renders it.

    >>> call_text("ab")
    '<tool_call>{"name": "lookup", "arguments": {"key": "ab"}}</tool_call>'
    """
    return f"<tool_call>{json.dumps({'name': 'lookup', 'arguments': {'key': key}})}</tool_call>"


class LookupEnv(ToolEnv):
    """The environment of one lookup problem: its table, and the key the chain needs next."""

    tool_names = ("lookup",)

    def reset(self, problem: Any) -> str | None:
        super().reset(problem)
        self.table: dict[str, str] = dict(problem.env["table"])
        self.next_key: str | None = str(problem.env["chain"][0])
        return None

    def lookup(self, key: str) -> str:
        """The value stored under a key (or the next key to look up, as 'see KEY')."""
        if key not in self.table:
            raise KeyError(f"no key {key!r}")
        return self.table[key]

    def step(self, calls: Sequence[ToolCall]) -> StepOutcome:
        wanted = self.next_key
        outcome = super().step(calls)
        right = (
            len(calls) == 1 and calls[0].name == "lookup" and calls[0].arguments == {"key": wanted}
        )
        if right and wanted is not None:
            value = self.table[wanted]
            self.next_key = value[len(POINTER) :] if value.startswith(POINTER) else None
        return StepOutcome(outcome.observation, 1.0 if right else 0.0, done=False)


@dataclass(frozen=True)
class Lookup:
    """Look up the value of a key with a tool, through ``hops`` keys (1 or 2 by category).

    ``hops`` fixes the number of lookups (else the category's: ``one_hop``, ``two_hop``; a
    ``difficulty_ladder`` may set ``hops`` up to 3); ``distractors`` other keys fill the table.

    >>> Lookup().categories
    ('one_hop', 'two_hop')
    """

    hops: int | None = None
    distractors: int = 3
    name: str = "lookup"
    categories: tuple[str, ...] = ("one_hop", "two_hop")
    takes_levels: bool = True

    def __post_init__(self) -> None:
        if self.hops is not None and not 1 <= self.hops <= MAX_HOPS:
            raise ValueError(f"hops must be 1..{MAX_HOPS}, got {self.hops}")

    def environment(self) -> LookupEnv:
        """A fresh environment for one rollout (``tasks/env.py``)."""
        return LookupEnv()

    def make(
        self,
        rng: np.random.Generator,
        category: str | None,
        levels: Mapping[str, Any] | None = None,
    ) -> Problem:
        """A table with a chain of ``hops`` keys ending in a 3-digit value, and its trace."""
        category = category or str(rng.choice(self.categories))
        hops = self._hops(category, levels or {})
        # hops fixed by the option or a ladder: the category names the hops the problem has (the
        # draw above is kept, so the problems of a given seed do not change)
        category = CATEGORY_OF_HOPS[hops]
        keys: list[str] = []
        while len(keys) < hops + self.distractors:
            key = "".join(rng.choice(list(_LETTERS), size=2))
            if key not in keys:
                keys.append(key)
        chain, others = keys[:hops], keys[hops:]
        value = str(int(rng.integers(100, 1000)))
        table = {k: POINTER + n for k, n in itertools.pairwise(chain)}
        table[chain[-1]] = value
        table.update({k: str(int(rng.integers(100, 1000))) for k in others})
        answer, spans = _trace(chain, table, value)
        return Problem(
            id="",
            prompt=f"value of {chain[0]}?\n",
            reference=value,
            answer=answer,
            difficulty={"hops": hops},
            category=category,
            env={"table": dict(sorted(table.items())), "chain": chain},
            answer_env_spans=spans,
        )

    def _hops(self, category: str, levels: Mapping[str, Any]) -> int:
        unknown = set(levels) - {"hops"}
        if unknown:
            raise ConfigError(
                [("curricula", f"task lookup takes the attribute 'hops', not {sorted(unknown)}")]
            )
        hops = int(levels.get("hops", self.hops or HOPS_PER_CATEGORY[category]))
        if not 1 <= hops <= MAX_HOPS:
            raise ConfigError([("curricula", f"lookup: hops must be 1..{MAX_HOPS}, got {hops}")])
        return hops

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """``success``: one ``<answer>`` and it is the value; ``tool_calls``: calls made.

        >>> Lookup().judge("417", '<answer>417</answer>')
        {'success': 1.0, 'tool_calls': 0.0}
        """
        if not isinstance(reference, str):
            raise UnjudgeableReference(f"lookup: the reference is the value, got {reference!r}")
        answers = _ANSWER.findall(completion)
        success = len(answers) == 1 and answers[0].strip() == reference
        return {"success": float(success), "tool_calls": float(len(parse_tool_calls(completion)))}

    def reward_config(self) -> dict[str, Any]:
        """The exact answer, plus half the sum of the environment's turn rewards (per turn)."""
        return {
            "reward": {
                "weighted": [
                    {"name": "outcome", "fn": "exact_match", "extract": "answer_tag"},
                    {"name": "tool", "fn": "env_reward", "weight": 0.5},
                ]
            },
            "advantage": {"estimator": "grpo", "steps_from": "reward/tool", "step_weight": 0.5},
        }


def _trace(
    chain: Sequence[str], table: Mapping[str, str], value: str
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The right trajectory's completion and the spans the environment writes in it."""
    text, spans = "", []
    for key in chain:
        text += call_text(key)
        observation = observation_text([{"role": "tool", "content": table[key]}])
        spans.append((len(text), len(text) + len(observation)))
        text += observation
    return text + f"<answer>{value}</answer>", tuple(spans)
