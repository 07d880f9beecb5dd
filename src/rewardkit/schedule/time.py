"""Time-based schedules: the value is a function of the training step only.

Shapes: ``constant``, ``linear``, ``cosine``, ``exponential`` (geometric interpolation between
``start`` and ``end``) and ``piecewise`` (values at steps, held or interpolated). ``linear``,
``cosine`` and ``exponential`` take an optional warm-up: over steps ``0 .. warmup - 1`` the value
rises linearly from ``warmup_from`` to ``start``; then the shape runs from ``start`` at step
``warmup`` to ``end`` at step ``steps`` (``steps`` counts the warm-up, as learning-rate schedules
do) and holds ``end`` afterwards.

>>> s = TimeSchedule("lr_like", CosineShape(start=1.0, end=0.0, steps=200, warmup=10))
>>> s.value(0), s.value(10), round(s.value(105), 6), s.value(200), s.value(500)
(0.0, 1.0, 0.5, 0.0, 0.0)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from rewardkit.schedule.base import Event
from rewardkit.schedule.config import ConfigModel

RampKind = Literal["linear", "cosine", "exponential"]


def ramp(kind: RampKind, start: float, end: float, progress: float) -> float:
    """The value a fraction ``progress`` (clamped to [0, 1]) of the way from ``start`` to ``end``.

    >>> ramp("linear", 1.0, 0.0, 0.25), ramp("cosine", 1.0, 0.0, 0.5)
    (0.75, 0.5)
    >>> ramp("exponential", 1.0, 0.01, 0.5)
    0.1
    """
    p = min(1.0, max(0.0, progress))
    if kind == "linear":
        return start + (end - start) * p
    if kind == "cosine":
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * p))
    return start * (end / start) ** p


def exponential_problem(start: float, end: float) -> str | None:
    """Why an exponential ramp between ``start`` and ``end`` is impossible (None when it is fine).

    >>> exponential_problem(1.0, 0.5) is None, exponential_problem(1.0, 0.0) is None
    (True, False)
    """
    if start * end > 0:
        return None
    return (
        f"exponential needs start and end of the same sign and non-zero (got {start} and {end}); "
        "use linear or cosine to reach 0"
    )


class ConstantShape(ConfigModel):
    """``{constant: 0.5}``: the same value at every step."""

    kind: ClassVar[str] = "constant"
    value: float


class _RampShape(ConfigModel):
    start: float
    end: float
    steps: int = Field(ge=1, description="step at which the value reaches `end` (warm-up included)")
    warmup: int = Field(0, ge=0, description="steps of linear rise from warmup_from to start")
    warmup_from: float = 0.0

    @model_validator(mode="after")
    def _warmup_fits(self) -> _RampShape:
        if self.warmup >= self.steps:
            raise ValueError(f"warmup ({self.warmup}) must be less than steps ({self.steps})")
        return self


class LinearShape(_RampShape):
    """``{linear: {start, end, steps, warmup}}``: a straight line from start to end."""

    kind: ClassVar[str] = "linear"


class CosineShape(_RampShape):
    """``{cosine: {start, end, steps, warmup}}``: half a cosine from start to end."""

    kind: ClassVar[str] = "cosine"


class ExponentialShape(_RampShape):
    """``{exponential: {start, end, steps}}``: geometric interpolation, start * (end/start)^p."""

    kind: ClassVar[str] = "exponential"

    @model_validator(mode="after")
    def _same_sign(self) -> ExponentialShape:
        problem = exponential_problem(self.start, self.end)
        if problem:
            raise ValueError(problem)
        return self


class PiecewiseShape(ConfigModel):
    """``{piecewise: {values: [[step, value], ...], interpolate: false}}``.

    Without interpolation the value is that of the last point at or before the step (a staircase);
    with it, linear between points. Before the first point and after the last, the value is held.
    """

    kind: ClassVar[str] = "piecewise"
    values: list[tuple[int, float]] = Field(min_length=1)
    interpolate: bool = False

    @model_validator(mode="after")
    def _steps_increase(self) -> PiecewiseShape:
        steps = [s for s, _ in self.values]
        if steps[0] < 0:
            raise ValueError(f"steps must be >= 0 (first is {steps[0]})")
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError(f"steps must strictly increase (got {steps})")
        return self


Shape = ConstantShape | LinearShape | CosineShape | ExponentialShape | PiecewiseShape
SHAPES: dict[str, type[Shape]] = {
    "constant": ConstantShape,
    "linear": LinearShape,
    "cosine": CosineShape,
    "exponential": ExponentialShape,
    "piecewise": PiecewiseShape,
}


class TimeSchedule:
    """A schedule whose value depends on the step only; it watches nothing and has no state.

    >>> TimeSchedule("w", LinearShape(start=0.0, end=1.0, steps=4)).value(1)
    0.25
    """

    watches: tuple[str, ...] = ()

    def __init__(self, name: str, shape: Shape):
        self.name = name
        self.shape = shape
        self.kind: str = shape.kind

    def value(self, step: int) -> float:
        """The value while step ``step`` runs."""
        if step < 0:
            raise ValueError(f"schedule {self.name!r}: step must be >= 0, got {step}")
        s = self.shape
        if isinstance(s, ConstantShape):
            return s.value
        if isinstance(s, PiecewiseShape):
            return _piecewise(s, step)
        if step < s.warmup:
            return s.warmup_from + (s.start - s.warmup_from) * step / s.warmup
        kind: RampKind = s.kind  # type: ignore[assignment]
        return ramp(kind, s.start, s.end, (step - s.warmup) / (s.steps - s.warmup))

    def observe(self, step: int, metrics: Mapping[str, float]) -> list[Event]:
        """Time-based schedules ignore metrics and never report events."""
        del step, metrics
        return []

    def state_dict(self) -> dict[str, Any]:
        """No state: the value is a function of the step."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Nothing to restore."""
        del state

    def __repr__(self) -> str:
        return f"TimeSchedule({self.name!r}, {self.shape!r})"


def _piecewise(shape: PiecewiseShape, step: int) -> float:
    steps = [s for s, _ in shape.values]
    i = bisect.bisect_right(steps, step) - 1
    if i < 0:
        return shape.values[0][1]
    if i == len(steps) - 1 or not shape.interpolate:
        return shape.values[i][1]
    (s0, v0), (s1, v1) = shape.values[i], shape.values[i + 1]
    return v0 + (v1 - v0) * (step - s0) / (s1 - s0)
