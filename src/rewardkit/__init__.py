"""rewardkit: reward signals, composition, schedules, advantages and diagnostics for GRPO-style RL.

The public surface is small: ``RewardProgram``, ``Sample``, ``Score``, the ``reward`` decorator
(with ``Params`` for typed parameters), and the ``rewardkit`` command line.
"""

from rewardkit.registry import Params, StatefulReward, reward
from rewardkit.types import Sample, Score

__all__ = ["Params", "Sample", "Score", "StatefulReward", "reward"]
__version__ = "0.1.0"
