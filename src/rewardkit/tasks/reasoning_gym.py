"""reasoning-gym's procedural datasets as tasks of the built-in trainer: ``reasoning_gym:<dataset>``.

``task: reasoning_gym:chain_sum`` with ``task_options`` set to the dataset's config fields
(``{max_terms: 3, max_digits: 2}``) draws problems from reasoning-gym's own generator, offline.
Problem ``index`` of a split is the generator's item at an index drawn from that problem's own
seeded stream, so problems are reproducible from ``(seed, split, index)`` as for every task.
The prompt is the entry's question and a newline; the reference is the whole entry, judged by
the dataset's own ``score_answer`` (the ``reasoning_gym`` reward component).

A ``difficulty_ladder`` on source ``reasoning_gym:<dataset>`` steers the generator. An attribute
named as one of the dataset's reasoning-gym curriculum attributes sets that attribute's config
fields as reasoning-gym's curricula do (a range attribute at value ``v``: ``min_* = ``its first
level, ``max_* = v``; a scalar attribute: its field); any other attribute name must be a config
field, set to the level's value. The dataset's config rejects a value it cannot take.

The tiny models read printable ASCII: pick datasets whose questions and answers are ASCII
(arithmetic, words, sorting) and short enough for the model's context.

>>> task = ReasoningGymTask("chain_sum", {"max_terms": 2, "max_digits": 1})
>>> p = task.make(np.random.default_rng(0), None)
>>> p.prompt.startswith("State the final answer"), task.judge(p.reference, p.answer)["success"]
(True, 1.0)
>>> task.config_for({"num_terms": 4})["max_terms"]
4
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rewardkit.errors import ConfigError, UnknownNameError, require
from rewardkit.rewards.reasoning_gym import score_answer_fn
from rewardkit.tasks.base import Problem

PREFIX = "reasoning_gym:"
INDEX_RANGE = 2**31 - 1
"""Generator indices a problem draws from (reasoning-gym seeds item ``i`` with ``seed + i``)."""


def dataset_names() -> list[str]:
    """Every dataset this reasoning-gym has (``reasoning_gym.factory.DATASETS``)."""
    return sorted(require("reasoning_gym.factory", "gym").DATASETS)


class ReasoningGymTask:
    """One reasoning-gym dataset as a task (module doc). ``options``: its config fields."""

    categories: tuple[str, ...] = ("default",)
    takes_levels = True  # a difficulty_ladder's attributes reach the generator (module doc)

    def __init__(self, dataset: str, options: Mapping[str, Any] | None = None):
        factory = require("reasoning_gym.factory", "gym")
        if dataset not in factory.DATASETS:
            raise UnknownNameError("reasoning-gym dataset", dataset, factory.DATASETS, "task")
        self.dataset = dataset
        self.options = dict(options or {})
        self._config_cls = factory.DATASETS[dataset][1]
        self._curriculum = (
            factory.create_curriculum(dataset) if factory.has_curriculum(dataset) else None
        )
        self._generators: dict[str, Any] = {}
        self._generator({})  # a bad option is a config error now, not at the first step

    @property
    def name(self) -> str:
        return PREFIX + self.dataset

    def __repr__(self) -> str:  # the warm-start cache key: every option counts
        return f"ReasoningGymTask({self.dataset!r}, {sorted(self.options.items())!r})"

    def config_for(self, levels: Mapping[str, Any]) -> dict[str, Any]:
        """The dataset's config fields for the task's options with ``levels`` applied."""
        fields = dict(self.options)
        attributes = self._curriculum.attributes if self._curriculum is not None else {}
        for name, value in levels.items():
            attr = attributes.get(name)
            if attr is None:
                fields[name] = value
            elif hasattr(attr, "lower_field_name"):
                fields[attr.lower_field_name] = min(attr.levels[0], value)
                fields[attr.upper_field_name] = value
            else:
                fields[attr.field_name] = value
        return fields

    def _generator(self, levels: Mapping[str, Any]) -> Any:
        fields = self.config_for(levels)
        key = repr(sorted(fields.items()))
        if key not in self._generators:
            dataset_cls = require("reasoning_gym.factory", "gym").DATASETS[self.dataset][0]
            try:
                config = self._config_cls(**{**fields, "seed": 0})
                self._generators[key] = dataset_cls(config=config)
            except (TypeError, ValueError, AssertionError) as exc:
                known = sorted(getattr(self._config_cls, "__dataclass_fields__", {}))
                raise ConfigError(
                    [
                        (
                            "task_options",
                            f"{self.name}: {fields}: {exc or type(exc).__name__} "
                            f"(the config fields of {self.dataset}: {', '.join(known)})",
                        )
                    ]
                ) from None
        return self._generators[key]

    def make(
        self,
        rng: np.random.Generator,
        category: str | None,
        levels: Mapping[str, Any] | None = None,
    ) -> Problem:
        """The generator's item at an index drawn from ``rng``, under ``levels`` (module doc)."""
        entry = self._generator(levels or {})[int(rng.integers(INDEX_RANGE))]
        return Problem(
            id="",
            prompt=f"{entry['question']}\n",
            reference=entry,
            answer=str(entry["answer"]),
            difficulty=dict(levels or {}),
        )

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """reasoning-gym's ``score_answer`` of the stripped completion; ``success``: a full score.

        >>> ReasoningGymTask("basic_arithmetic").judge({"answer": "4", "metadata": {}}, " 4")
        {'score': 1.0, 'success': 1.0}
        """
        score = float(score_answer_fn(self.dataset)(answer=completion.strip(), entry=reference))
        return {"score": score, "success": float(score >= 1.0)}

    def reward_config(self) -> dict[str, Any]:
        """The dataset's own scorer over the whole completion; GRPO advantages."""
        return {
            "reward": {"fn": "reasoning_gym", "dataset": self.dataset},
            "advantage": {"estimator": "grpo"},
        }
