"""What every built-in task is: a seeded generator of problems with a default reward config.

A problem is reproducible from ``(seed, split, index)`` alone, so a run's data position is one
integer and a resumed run sees exactly the prompts it would have seen.

>>> Problem(id="p0", prompt="1+1=", reference="2", answer="2", difficulty={"digits": 1}).category
'default'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from rewardkit.errors import ConfigError

Split = Literal["train", "eval", "warm"]
_SPLIT_STREAM = {"train": 0, "eval": 1, "warm": 2}


@dataclass(frozen=True)
class Problem:
    """One prompt with its ground truth.

    Attributes:
        id: stable id (``task/split/seed/index``).
        prompt: the text the model continues.
        reference: the ground truth handed to reward components.
        answer: one correct completion (the warm start imitates it; tests use it).
        difficulty: the attributes that make the problem harder (sizes, counts, lengths).
        category: the bucket a data curriculum chooses between.
        env: what only the environment of a multi-turn task knows (``tasks/env.py``): never
            shown to the model nor to reward components.
        answer_env_spans: the spans of ``answer`` the environment writes (tool results) in a
            multi-turn task's trace; the warm start leaves them out of its loss.
    """

    id: str
    prompt: str
    reference: Any
    answer: str
    difficulty: Mapping[str, Any] = field(default_factory=dict)
    category: str = "default"
    env: Mapping[str, Any] = field(default_factory=dict)
    answer_env_spans: tuple[tuple[int, int], ...] = ()

    def meta(self, task: str) -> dict[str, Any]:
        """Sample metadata: task, category and difficulty attributes."""
        return {"task": task, "category": self.category, **self.difficulty}


class Task(Protocol):
    """A seeded generator of problems (see ``boxes``, ``countdown``, ``chain``, ``workflow``)."""

    @property
    def name(self) -> str:
        """The task's name (``boxes``...), also the data source of its samples."""
        ...

    @property
    def categories(self) -> tuple[str, ...]:
        """The difficulty buckets a data curriculum chooses between."""
        ...

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """One problem drawn from ``rng`` (``category`` None: drawn by the task's own mix).

        A task whose generator takes a ``difficulty_ladder``'s other attributes sets
        ``takes_levels = True`` and accepts them as ``make(rng, category, levels)``
        (``reasoning_gym``); for the others ``problem`` refuses such attributes.
        """
        ...

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """Task-native measures of one answer; ``success`` (0 or 1) is the strict criterion."""
        ...

    def reward_config(self) -> dict[str, Any]:
        """The default RewardProgram config (reward tree, schedules, advantage)."""
        ...


def problem_rng(seed: int, split: Split, index: int) -> np.random.Generator:
    """The generator for one problem: independent of every other index and split.

    >>> int(problem_rng(0, "train", 3).integers(100)) == int(problem_rng(0, "train", 3).integers(100))
    True
    """
    return np.random.default_rng([seed, _SPLIT_STREAM[split], index])


def no_levels(task: str, levels: Mapping[str, Any]) -> None:
    """Refuse ladder attributes for a task a curriculum steers by ``category`` only.

    >>> no_levels("boxes", {"grid": 8})
    Traceback (most recent call last):
    ...
    rewardkit.errors.ConfigError: invalid config:
      curricula: task boxes takes no difficulty attribute 'grid'; a difficulty_ladder steers it \
by 'category' only (its categories), or use the task option
    """
    if levels:
        name = next(iter(levels))
        raise ConfigError(
            [
                (
                    "curricula",
                    f"task {task} takes no difficulty attribute {name!r}; a difficulty_ladder "
                    "steers it by 'category' only (its categories), or use the task option",
                )
            ]
        )


def problem(
    task: Task,
    seed: int,
    split: Split,
    index: int,
    category: str | None = None,
    levels: Mapping[str, Any] | None = None,
) -> Problem:
    """Problem ``index`` of ``split`` for ``seed`` (and ``category`` and ``levels`` when a
    curriculum chose them).

    >>> from rewardkit.tasks.boxes import Boxes
    >>> problem(Boxes(), 0, "eval", 5).id
    'boxes/eval/0/5'
    """
    rng = problem_rng(seed, split, index)
    if levels and getattr(task, "takes_levels", False):
        made = task.make(rng, category, levels)  # type: ignore[call-arg]
    else:
        no_levels(task.name, levels or {})
        made = task.make(rng, category)
    return Problem(
        id=f"{task.name}/{split}/{seed}/{index}",
        prompt=made.prompt,
        reference=made.reference,
        answer=made.answer,
        difficulty=made.difficulty,
        category=made.category,
        env=made.env,
        answer_env_spans=made.answer_env_spans,
    )
