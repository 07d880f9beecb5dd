"""Curricula: which prompts the next step trains on, from the outcomes of finished steps.

- ``difficulty_ladder``: difficulty levels per data source, moved by recent accuracy;
- ``balanced_filter``: keep only groups of intermediate accuracy (online difficulty filtering);
- ``bandit``: the Self-Evolving Curriculum, TD(0) on mean |advantage|, Boltzmann sampling;
- ``ucb``: DUMP, UCB on mean |advantage| per data source.

>>> c = build_curriculum("dump", {"ucb": {"arms": ["a", "b"]}})
>>> isinstance(c, ArmSampler)
True
"""

from rewardkit.curriculum.bandit import Bandit
from rewardkit.curriculum.base import ArmSampler, Curriculum, Event, Outcome, as_outcomes
from rewardkit.curriculum.build import TYPES, build_curricula, build_curriculum
from rewardkit.curriculum.difficulty import DifficultyLadder
from rewardkit.curriculum.filter import BalancedFilter
from rewardkit.curriculum.ucb import UCB

__all__ = [
    "TYPES",
    "UCB",
    "ArmSampler",
    "BalancedFilter",
    "Bandit",
    "Curriculum",
    "DifficultyLadder",
    "Event",
    "Outcome",
    "as_outcomes",
    "build_curricula",
    "build_curriculum",
]
