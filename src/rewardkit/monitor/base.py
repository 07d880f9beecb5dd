"""What every detector shares: its parameters, the metric history it reads, its finding, the registry.

A detector is a class registered by name, like a reward component. It names the metric series it
reads (``watched``, or ``watched_prefixes`` for families such as ``monitor/dominance/<component>``), and
``check(step, history)`` returns a ``Finding`` or None. It holds no state of its own: the
``Monitor`` keeps the recent history of every series read, and that history (a plain dict) is all
a checkpoint needs for a resumed run to raise the same alerts.

>>> @detector("always_high")
... class AlwaysHigh(Detector):
...     class Params(DetectorParams):
...         at_least: float = 1.0
...     def watched(self):
...         return ("reward/mean",)
...     def check(self, step, history):
...         steps, values = history.window("reward/mean", self.p.window)
...         if len(values) and values[-1] >= self.p.at_least:
...             return Finding(f"reward {values[-1]} >= {self.p.at_least}", {"last": values[-1]})
...         return None
>>> "always_high" in DETECTORS
True
>>> _ = DETECTORS.pop("always_high")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Series = dict[str, list[list[float]]]
"""``key -> [[step, value], ...]``, oldest first: JSON-able as it is."""


class DetectorParams(BaseModel):
    """Options every detector has; a detector's own ``Params`` subclass this."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    warmup: int = Field(20, ge=0, description="steps observed before the detector may fire")
    window: int = Field(20, ge=3, description="recent steps a trend is fitted over")
    cooldown: int = Field(50, ge=0, description="steps after an alert before it may fire again")
    alpha: float = Field(
        0.01, gt=0, lt=1, description="p-value below which a fitted trend counts (linregress)"
    )


@dataclass(frozen=True)
class Context:
    """What the monitor tells each detector: the proxy (trained-on) and verifier metric names."""

    proxy: str = "reward/mean"
    verifier: str = "train/success"


@dataclass
class Finding:
    """Why a detector fires: a sentence, the numbers behind it, the series to plot."""

    message: str
    stats: dict[str, float] = field(default_factory=dict)
    keys: tuple[str, ...] = ()


class History:
    """Read access to the monitor's stored series (recent steps only)."""

    def __init__(self, series: Series):
        self.series = series

    def window(self, key: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of ``key`` over the last ``size`` logged points (finite only)."""
        rows = self.series.get(key, [])[-size:]
        steps = np.array([r[0] for r in rows], dtype=float)
        values = np.array([r[1] for r in rows], dtype=float)
        ok = np.isfinite(values)
        return steps[ok], values[ok]

    def since(self, key: str, first_step: float) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of ``key`` logged at ``first_step`` or later (a sparse eval metric)."""
        rows = [r for r in self.series.get(key, []) if r[0] >= first_step]
        steps = np.array([r[0] for r in rows], dtype=float)
        values = np.array([r[1] for r in rows], dtype=float)
        ok = np.isfinite(values)
        return steps[ok], values[ok]

    def keys_with(self, prefix: str) -> list[str]:
        return sorted(k for k in self.series if k.startswith(prefix))


class Detector:
    """Base class of detectors: ``Params``, ``watched()`` / ``watched_prefixes()``, ``check()``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[DetectorParams]] = DetectorParams

    def __init__(self, params: DetectorParams, context: Context):
        self.p: Any = params
        self.ctx = context

    def watched(self) -> Sequence[str]:
        """Exact metric names this detector reads."""
        return ()

    def watched_prefixes(self) -> Sequence[str]:
        """Metric name prefixes this detector reads (families of series)."""
        return ()

    def check(self, step: int, history: History) -> Finding | None:
        """A Finding when the detector's condition holds at ``step``; else None."""
        raise NotImplementedError


DETECTORS: dict[str, type[Detector]] = {}
D = TypeVar("D", bound=type[Detector])


def detector(name: str) -> Callable[[D], D]:
    """Register a Detector subclass under ``name`` (a later registration replaces it)."""

    def register(cls: D) -> D:
        cls.name = name
        DETECTORS[name] = cls
        return cls

    return register
