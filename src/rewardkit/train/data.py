"""Where prompts come from: the task's seeded stream, steered by the program's curricula.

The data position is one integer (the next problem index), so a checkpoint restores the stream
exactly. Curricula steer the next problems: an arm sampler (``bandit``, ``ucb``) draws
categories; a ``difficulty_ladder`` configured for this task picks the current level of each
attribute (``category`` chooses the category; every other attribute goes to the task's generator,
e.g. a reasoning-gym dataset's ``num_terms``); a ``balanced_filter`` drops groups outside its
accuracy band from the update, and the trainer refills the batch with new prompts (the refill
branch of ``train/loop.py``). After each step every curriculum observes the outcomes.

>>> from rewardkit.tasks.boxes import Boxes
>>> source = PromptSource(Boxes(), seed=0, curricula={})
>>> [p.id for p in source.next_problems(2)], source.position
(['boxes/train/0/0', 'boxes/train/0/1'], 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.curriculum import ArmSampler, BalancedFilter, DifficultyLadder
from rewardkit.tasks.base import Problem, Task, problem


class PromptSource:
    """The next problems of a task for training, and the curricula that steer them."""

    def __init__(self, task: Task, seed: int, curricula: Mapping[str, Any]):
        self.task = task
        self.seed = seed
        self.curricula = dict(curricula)
        self.position = 0
        # Category draws have their own generator: resuming restores it with the position.
        self.rng = np.random.default_rng([seed, 7])

    def categories(self, n: int) -> list[str | None]:
        """The category of each of the next ``n`` problems (None: the task's own mix)."""
        for curriculum in self.curricula.values():
            if isinstance(curriculum, ArmSampler):
                return list(curriculum.sample_arms(n, self.rng))
            if isinstance(curriculum, DifficultyLadder):
                level = curriculum.levels(self.task.name).get("category")
                if level is not None:
                    return [str(level)] * n
        return [None] * n

    def levels(self) -> dict[str, object]:
        """The ladders' current attribute values for the task's generator (``category`` aside)."""
        out: dict[str, object] = {}
        for curriculum in self.curricula.values():
            if (
                isinstance(curriculum, DifficultyLadder)
                and self.task.name in curriculum.config.sources
            ):
                levels = curriculum.levels(self.task.name)
                out.update({k: v for k, v in levels.items() if k != "category"})
        return out

    def next_problems(self, n: int) -> list[Problem]:
        """The next ``n`` training problems; advances the position."""
        cats, levels = self.categories(n), self.levels()
        at = self.position
        out = [problem(self.task, self.seed, "train", at + i, cats[i], levels) for i in range(n)]
        self.position += n
        return out

    @property
    def filters(self) -> list[BalancedFilter]:
        """The ``balanced_filter`` curricula (the trainer refills their dropped groups)."""
        return [c for c in self.curricula.values() if isinstance(c, BalancedFilter)]

    def kept(self, outcomes: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Which samples to train on: every one, unless a ``balanced_filter`` drops their group.

        ``outcomes`` are ``RewardProgram.outcomes`` records, one per sample. Every call counts its
        groups in the filters' pass rates (refill rounds included).
        """
        keep = np.ones(len(outcomes), dtype=bool)
        for f in self.filters:
            groups = set(f.filter(outcomes))
            keep &= np.array([o["group"] in groups for o in outcomes])
        return keep

    def state_dict(self) -> dict[str, Any]:
        """Data position and the category generator (curricula are saved by the program)."""
        return {"position": self.position, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        self.position = int(state["position"])
        self.rng.bit_generator.state = state["rng"]
