"""TRL reward functions of a program: one per top-level component, scored once per call.

``reward_funcs(program)`` gives the functions and their ``reward_weights``. A component whose
weight is a scheduled ``${variable}`` returns its value times the current weight (TRL weight 1),
so that the schedule reaches TRL's weighted sum; its name ends in ``/weighted`` because TRL
logs that product (``rewards/<path>/weighted/mean``), not the node's value
(``rewardkit/<path>/mean``). Nothing here imports TRL.

>>> program = RewardProgram.from_dict({"variables": {"w": 0.5}, "reward": {"weighted": [
...     {"name": "fmt", "fn": "regex", "pattern": "\\\\d", "weight": "${w}"},
...     {"name": "ok", "fn": "exact_match"}]}})
>>> funcs, weights = reward_funcs(program)
>>> [f.__name__ for f in funcs], weights
(['reward/fmt/weighted', 'reward/ok'], [1.0, 1.0])
>>> [f(["2+2?"], ["4"], reference=["4"]) for f in funcs]
[[0.5], [1.0]]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.compose import nodes as n
from rewardkit.compose.refs import Ref
from rewardkit.integrations.trl_agents import environment_tools
from rewardkit.integrations.trl_samples import ScoredPart, recorder, to_samples
from rewardkit.program import RewardProgram
from rewardkit.types import ScoredBatch


class BatchScorer:
    """Scores a TRL reward call once for all the functions of one program.

    TRL calls each reward function in turn with the same ``completions`` list; the first call
    scores the whole tree and the others read their node's column from that result. The first
    call warns when the program has schedules or curricula and no callback listens: nothing
    would ever advance them (``unobserved_warning``).
    """

    def __init__(
        self,
        program: RewardProgram,
        reference_column: str | None = "reference",
        tools: Sequence[Any] | None = None,
    ):
        self.program = program
        self.reference_column = reference_column
        self.tools = None if tools is None else list(tools)
        self.warned = False
        self._last: tuple[Any, ScoredBatch] | None = None

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None,
        columns: Mapping[str, Any],
    ) -> ScoredBatch:
        if self._last is not None and self._last[0] is completions:
            return self._last[1]
        if not self.warned:
            self.warned = True
            message = unobserved_warning(self.program)
            if message is not None:
                warnings.warn(message, UserWarning, stacklevel=3)
        state = columns.get("trainer_state")
        step = int(getattr(state, "global_step", self.program.step))
        env = columns.get("environments")
        offered = None
        if self.tools is not None:  # what TRL offers: these, plus each environment's methods
            offered = [
                self.tools + (environment_tools(env[i]) if env is not None else [])
                for i in range(len(completions))
            ]
        samples = to_samples(
            prompts,
            completions,
            completion_ids,
            columns,
            self.reference_column,
            step=step,
            tools=offered,
        )
        scored = self.program.score(samples)
        recorder(self.program).add(ScoredPart(scored))
        # Holding the list keeps its id from being reused by a later batch.
        self._last = (completions, scored)
        return scored

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_last": None}


def unobserved_warning(program: RewardProgram) -> str | None:
    """What to tell a user whose schedules or curricula nothing observes (None: nothing to say).

    >>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    >>> unobserved_warning(program) is None
    True
    """
    if recorder(program).listening:
        return None
    moving = [f"schedule {name!r}" for name in program.schedules]
    moving += [f"curriculum {name!r}" for name in program.curricula]
    if not moving:
        return None
    return (
        f"the reward functions of a program with {', '.join(moving)} are scoring, but nothing "
        "observes the training steps, so these will never move from their first values; add "
        "callbacks=[RewardKitCallback(program)] to the GRPOTrainer, or use "
        "RewardKitGRPOTrainer(program, ...)"
    )


class ComponentReward:
    """One TRL reward function: the column of node ``path`` (None where it does not apply).

    Picklable. A component whose weight is a scheduled ``${variable}`` returns its value times
    the current weight (its TRL weight is then 1), so the schedule reaches TRL's weighted sum;
    its name is then ``<path>/weighted`` (what TRL logs is that product, not the node's value).
    """

    def __init__(self, scorer: BatchScorer, path: str, weight: Ref | None = None):
        self.scorer = scorer
        self.path = path
        self.weight = weight
        # The name TRL logs: rewards/<name>/mean.
        self.__name__ = path if weight is None else f"{path}/weighted"

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        column = self.column(self.scorer(prompts, completions, completion_ids, kwargs))
        return [None if math.isnan(v) else float(v) for v in column]

    def column(self, scored: ScoredBatch) -> np.ndarray:
        """This function's values on a scored batch (NaN where the node does not apply)."""
        column = scored.values[self.path]
        if self.weight is not None:
            column = column * self.weight.evaluate(self.scorer.program.variables)
        return column


def reward_funcs(
    program: RewardProgram,
    reference_column: str | None = "reference",
    tools: Sequence[Any] | None = None,
) -> tuple[list[ComponentReward], list[float]]:
    """TRL reward functions for ``program`` and their ``reward_weights``.

    ``tools``: the ``tools=`` given to the GRPOTrainer, when the samples should carry their
    schemas (an environment's own methods are found from the environments TRL passes).

    A weighted root gives one function per child, named by its path, with the child's weight;
    any other root gives one function, ``reward``, of weight 1. TRL's weighted ``nansum`` of the
    functions then equals the program's reward, None (TRL's NaN) included.

    >>> program = RewardProgram.from_dict({"reward": {"weighted": [
    ...     {"name": "fmt", "fn": "regex", "pattern": "\\\\d", "weight": 0.5},
    ...     {"name": "ok", "fn": "exact_match"}]}})
    >>> funcs, weights = reward_funcs(program)
    >>> [f.__name__ for f in funcs], weights
    (['reward/fmt', 'reward/ok'], [0.5, 1.0])
    >>> [f(["2+2?"], ["4"], reference=["4"]) for f in funcs]
    [[1.0], [1.0]]
    """
    scorer = BatchScorer(program, reference_column, tools)
    root = program.tree
    if not isinstance(root, n.Weighted):
        return [ComponentReward(scorer, root.path)], [1.0]
    funcs, weights = [], []
    for child in root.items:
        if isinstance(child.weight, Ref):
            funcs.append(ComponentReward(scorer, child.path, child.weight))
            weights.append(1.0)
        else:
            funcs.append(ComponentReward(scorer, child.path))
            weights.append(float(child.weight))
    return funcs, weights
