"""The reward-hacking monitor and the watched-metric check inside ``RewardKitCallback``.

Kept beside the callback so that ``trl.py`` gains a few lines: once per optimizer step, on every
rank, ``StepWatch.check_reported`` checks that the schedules' watched metrics were reported and
``StepWatch.step`` feeds the monitor the gathered metrics and samples (identical on every rank,
so every rank raises the same alerts and takes the same stop decision).

>>> from rewardkit.program import RewardProgram
>>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
>>> watch = StepWatch(program, {"verifier": "reward/ok/mean", "on_alert": "stop",
...                             "only": ["proxy_divergence"],
...                             "detectors": {"proxy_divergence": {"warmup": 2, "window": 3}}})
>>> for step in range(4):
...     alerts = watch.step(step, {"reward/mean": 0.2 * step, "reward/ok/mean": 0.0}, None)
...     print(step, [a.detector for a in alerts], watch.stop)
0 [] False
1 [] False
2 ['proxy_divergence'] True
3 [] False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rewardkit.errors import ConfigError
from rewardkit.monitor import Alert, Monitor, MonitorConfig, from_scored
from rewardkit.program import RewardProgram
from rewardkit.schedule.watch import unreported
from rewardkit.types import ScoredBatch

MonitorSpec = Monitor | MonitorConfig | Mapping[str, Any] | None
"""What ``RewardKitCallback(monitor=...)`` takes: a ``monitor:`` section, its model, or a Monitor."""


class StepWatch:
    """The per-step checks of the callback: watched metrics reported, and the monitor.

    ``stop`` turns True at a step whose alerts ask for ``on_alert: stop``.
    """

    def __init__(self, program: RewardProgram, monitor: MonitorSpec = None):
        self.program = program
        self.monitor = (
            monitor if isinstance(monitor, Monitor) or monitor is None else Monitor(monitor)
        )
        self.checked = False
        self.stop = False

    def check_reported(
        self, step: int, metrics: Mapping[str, float], merged: ScoredBatch | None
    ) -> None:
        """Raise a ConfigError when the first step that scored something lacks a watched metric
        (a step that scored nothing reports no node metric and is not checked)."""
        if merged is not None and not self.checked:
            self.checked = True  # the names a step reports are the same every step
            silent = unreported(self.program.schedules, metrics, step)
            if silent is not None:
                raise ConfigError(
                    [
                        (path, message + ". Under TRL, schedules see rewardkit's node and "
                         "advantage metrics only (TRL's kl, entropy and the built-in trainer's "
                         "train/... and eval/... are not fed to them)")
                        for path, message in silent.problems
                    ]
                )  # fmt: skip

    def step(self, step: int, metrics: dict[str, float], merged: ScoredBatch | None) -> list[Alert]:
        """Feed the monitor step ``step`` (``merged``: its gathered batch, or None); adds its
        ``monitor/...`` measures to ``metrics`` and returns its alerts."""
        if self.monitor is None:
            return []
        samples = None
        if merged is not None:
            samples = from_scored(merged, verdicts(merged, self.monitor.config.verifier))
        alerts = self.monitor.observe(step, metrics, samples)
        metrics.update(self.monitor.signals)
        self.stop = bool(alerts) and self.monitor.config.on_alert == "stop"
        return alerts


def verdicts(merged: ScoredBatch, verifier: str) -> list[bool] | None:
    """Each sample's verdict when the verifier is a node's mean (``reward/<path>/mean``): its
    value >= 0.5 (NaN: rejected); None for any other verifier (then the detectors that need
    verdicts stay silent).

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> batch = SimpleNamespace(values={"reward/ok": np.array([1.0, 0.0, np.nan])})
    >>> verdicts(batch, "reward/ok/mean"), verdicts(batch, "train/success")
    ([True, False, False], None)
    """
    path = verifier.removesuffix("/mean")
    if path == verifier or path not in merged.values:
        return None
    values = np.asarray(merged.values[path], dtype=float)
    return [bool(v >= 0.5) for v in np.nan_to_num(values, nan=-np.inf)]
