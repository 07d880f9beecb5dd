"""The built-in trainer's use of the monitor: one call per step, and the stop decision.

Kept here, beside the monitor, so ``train/loop.py`` gains three lines: build the monitor (restored
from the checkpoint on resume), ``watch_step`` after the program observed the step, and the stop.

>>> mon = start_monitor(MonitorConfig(), None)
>>> metrics = {"reward/mean": 0.5}
>>> watch_step(mon, 0, metrics, None, None)
[]
>>> start_monitor(None, None) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.monitor.monitor import Alert, Monitor, MonitorConfig
from rewardkit.monitor.signals import from_scored


def start_monitor(config: MonitorConfig | None, saved: Mapping[str, Any] | None) -> Monitor | None:
    """A Monitor for a run (None when the config has no ``monitor``), restored from ``saved``."""
    if config is None:
        return None
    monitor = Monitor(config)
    if saved is not None:
        monitor.load_state_dict(saved)
    return monitor


def watch_step(
    monitor: Monitor | None,
    step: int,
    metrics: dict[str, float],
    scored: Any,
    correct: Sequence[bool] | None,
) -> list[dict[str, Any]]:
    """Observe a finished step; adds the ``monitor/...`` measures to ``metrics``; alert events.

    With ``on_alert: stop`` and an alert, a last event of kind ``stop`` says how to resume.
    """
    if monitor is None:
        return []
    samples = from_scored(scored, correct) if scored is not None else None
    alerts: list[Alert] = monitor.observe(step, metrics, samples)
    metrics.update(monitor.signals)
    events = [a.as_dict() for a in alerts]
    if alerts and monitor.config.on_alert == "stop":
        events.append(
            {
                "kind": "stop",
                "source": "monitor",
                "message": f"on_alert: stop after {', '.join(a.detector for a in alerts)}; "
                f"checkpointed before step {step + 1}; continue with "
                "`rewardkit train --resume RUN_DIR`",
            }
        )
    return events


def should_stop(events: Sequence[Any]) -> bool:
    """Whether a step's events (schedule ``Event``s and dicts) hold ``watch_step``'s stop."""
    return any(isinstance(e, Mapping) and e.get("kind") == "stop" for e in events)
