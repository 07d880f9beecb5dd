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

Every error a user catches is here too, from one module (``rewardkit.errors``, as httpx does):
``RewardKitError`` is the base, and each also subclasses the matching builtin (a ``ConfigError``
is a ``ValueError``, a ``ComponentTimeout`` a ``TimeoutError``).

Advanced, documented and stable: ``StatefulReward`` (a component with state across batches),
``StepProtocol`` (the one step protocol, for a host of your own), the ``rewardkit.compose``
builders, the integrations (``rewardkit.integrations.trl``, ``.verl``, ``.verifiers``), the
server's client (``rewardkit.client``). Every other module is internal: its names may change
between releases. ``import rewardkit`` stays light: ``RewardProgram`` and ``StepProtocol`` (numpy
and the whole program) are imported on first use.

>>> from rewardkit import RewardProgram, Sample, Score, reward
>>> RewardProgram.__module__
'rewardkit.program'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rewardkit.errors import (
    ComponentError,
    ComponentTimeout,
    ConfigError,
    GraphFormatError,
    InputError,
    InvalidRequest,
    JudgeParseError,
    JudgeRequestError,
    MissingExtraError,
    OutputError,
    RemoteError,
    RewardKitError,
    ServerError,
    ServerUnreachable,
    StaleVersion,
    StateUnreachable,
    TooLarge,
    Unauthorized,
    UnjudgeableReference,
    UnknownNameError,
    VerifierFailed,
    WorkerDied,
    WorkerLost,
)
from rewardkit.registry import Params, StatefulReward, reward
from rewardkit.types import Sample, Score

if TYPE_CHECKING:
    from rewardkit.program import RewardProgram
    from rewardkit.protocol import StepProtocol

__all__ = [
    "ComponentError",
    "ComponentTimeout",
    "ConfigError",
    "GraphFormatError",
    "InputError",
    "InvalidRequest",
    "JudgeParseError",
    "JudgeRequestError",
    "MissingExtraError",
    "OutputError",
    "Params",
    "RemoteError",
    "RewardKitError",
    "RewardProgram",
    "Sample",
    "Score",
    "ServerError",
    "ServerUnreachable",
    "StaleVersion",
    "StateUnreachable",
    "StatefulReward",
    "StepProtocol",
    "TooLarge",
    "Unauthorized",
    "UnjudgeableReference",
    "UnknownNameError",
    "VerifierFailed",
    "WorkerDied",
    "WorkerLost",
    "reward",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "RewardProgram":
        from rewardkit.program import RewardProgram

        return RewardProgram
    if name == "StepProtocol":
        from rewardkit.protocol import StepProtocol

        return StepProtocol
    raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
