"""Reward-hacking monitor: detectors over each finished step's metrics, alerts while training runs.

The policy under GRPO finds whatever the reward pays for; the monitor watches the dynamics (the
reward rising while an unrewarded check stays flat) and says so at the step it happens.

- ``Monitor(config).observe(step, metrics, samples=None) -> list[Alert]``; ``state_dict()`` /
  ``load_state_dict()`` for checkpoints (a resumed run raises the same alerts).
- ``@detector("name")`` registers a ``Detector`` subclass, as ``@reward`` registers a component.
- ``StepSamples`` / ``from_scored``: the step's completions, for the detectors that read them.

In the built-in trainer: a ``monitor:`` section in the train config (``MonitorConfig``). See
``docs/monitor.md``.

>>> from rewardkit.monitor import Monitor
>>> Monitor().observe(0, {"reward/mean": 0.5})
[]
"""

from rewardkit.monitor.base import (
    DETECTORS,
    Context,
    Detector,
    DetectorParams,
    Finding,
    History,
    detector,
)
from rewardkit.monitor.monitor import (
    PROBES,
    Alert,
    JudgeProbe,
    Monitor,
    MonitorConfig,
    detector_names,
    judge_probe,
)
from rewardkit.monitor.signals import StepSamples, from_scored, step_signals

__all__ = [
    "DETECTORS",
    "PROBES",
    "Alert",
    "Context",
    "Detector",
    "DetectorParams",
    "Finding",
    "History",
    "JudgeProbe",
    "Monitor",
    "MonitorConfig",
    "StepSamples",
    "detector",
    "detector_names",
    "from_scored",
    "judge_probe",
    "step_signals",
]
