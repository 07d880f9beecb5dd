"""rewardkit: reward signals, composition, schedules, advantages and diagnostics for GRPO-style RL.

The public surface is small: ``RewardProgram``, ``Sample``, ``Score``, the ``reward`` decorator
(with ``Params`` for typed parameters), and the ``rewardkit`` command line::

    from rewardkit import Params, RewardProgram, Sample, reward

    class Budget(Params):
        max_chars: int = 200

    @reward("short_enough")
    def short_enough(sample: Sample, p: Budget) -> float:
        return float(len(sample.completion) <= p.max_chars)

    program = RewardProgram.from_dict({"reward": {"fn": "short_enough", "max_chars": 50}})

Advanced: ``StatefulReward`` (a component with state across batches) and the modules themselves
(``rewardkit.compose`` builders, ``rewardkit.registry``, ``rewardkit.train``). ``import rewardkit``
stays light: ``RewardProgram`` (numpy and the whole program) is imported on first use.

>>> from rewardkit import RewardProgram, Sample, Score, reward
>>> RewardProgram.__module__
'rewardkit.program'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rewardkit.registry import Params, StatefulReward, reward
from rewardkit.types import Sample, Score

if TYPE_CHECKING:
    from rewardkit.program import RewardProgram

__all__ = ["Params", "RewardProgram", "Sample", "Score", "StatefulReward", "reward"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "RewardProgram":
        from rewardkit.program import RewardProgram

        return RewardProgram
    raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
