"""Time-based shapes: golden values at hand-picked steps."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rewardkit.errors import ConfigError
from rewardkit.schedule import TimeSchedule, build_schedule

LINEAR = {"linear": {"start": 0.0, "end": 1.0, "steps": 4}}
WARM = {"linear": {"start": 1.0, "end": 0.0, "steps": 12, "warmup": 2}}
COSINE = {"cosine": {"start": 1.0, "end": 0.0, "steps": 4}}
EXPO = {"exponential": {"start": 1.0, "end": 0.01, "steps": 2}}
STAIRS = {"piecewise": {"values": [[0, 0.3], [100, 0.5], [200, 0.8]]}}
RAMPS = {"piecewise": {"values": [[0, 0.3], [100, 0.5], [200, 0.8]], "interpolate": True}}
LATE = {"piecewise": {"values": [[10, 0.2], [20, 0.4]]}}


@pytest.mark.parametrize(
    ("config", "step", "expected"),
    [
        ({"constant": 0.5}, 0, 0.5),
        ({"constant": 0.5}, 1000, 0.5),
        (LINEAR, 0, 0.0),
        (LINEAR, 1, 0.25),
        (LINEAR, 4, 1.0),
        (LINEAR, 10, 1.0),  # held at `end` after `steps`
        (WARM, 0, 0.0),  # warm-up starts at warmup_from = 0
        (WARM, 1, 0.5),  # half-way through a 2-step warm-up to start = 1
        (WARM, 2, 1.0),  # the shape begins at step `warmup`
        (WARM, 7, 0.5),  # (7 - 2) / (12 - 2) = half-way from 1 to 0
        (WARM, 12, 0.0),
        (COSINE, 0, 1.0),
        (COSINE, 1, 0.5 * (1 + math.cos(math.pi / 4))),  # 0.8536
        (COSINE, 2, 0.5),
        (COSINE, 4, 0.0),
        (EXPO, 1, 0.1),  # 1 * (0.01 / 1) ** 0.5
        (EXPO, 2, 0.01),
        (STAIRS, 0, 0.3),
        (STAIRS, 99, 0.3),
        (STAIRS, 100, 0.5),
        (STAIRS, 250, 0.8),
        (RAMPS, 50, 0.4),
        (RAMPS, 150, 0.65),
        (RAMPS, 300, 0.8),
        (LATE, 5, 0.2),  # before the first point: its value
    ],
)
def test_golden_values(config: dict[str, Any], step: int, expected: float) -> None:
    assert build_schedule("s", config).value(step) == pytest.approx(expected, abs=1e-12)


def test_time_schedule_watches_nothing_and_has_no_state() -> None:
    s = build_schedule("s", COSINE)
    assert isinstance(s, TimeSchedule)
    assert s.kind == "cosine" and s.watches == ()
    assert s.observe(0, {"anything": 1.0}) == [] and s.state_dict() == {}


def test_negative_step_is_an_error() -> None:
    with pytest.raises(ValueError, match="step must be >= 0"):
        build_schedule("s", LINEAR).value(-1)


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"linear": {"start": 0, "end": 1, "steps": 4, "warmup": 4}}, "schedules.s.linear"),
        ({"linear": {"start": 0, "end": 1, "steps": 0}}, "schedules.s.linear.steps"),
        ({"exponential": {"start": 1.0, "end": 0.0, "steps": 4}}, "schedules.s.exponential"),
        ({"piecewise": {"values": [[0, 1], [0, 2]]}}, "schedules.s.piecewise"),
        ({"piecewise": {"values": []}}, "schedules.s.piecewise.values"),
        ({"cosine": {"start": 1, "end": 0}}, "schedules.s.cosine.steps"),
        ({"constant": "high"}, "schedules.s.constant"),
        ({"constant": {"value": "high"}}, "schedules.s.constant.value"),
    ],
)
def test_invalid_shapes_name_the_field(config: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_schedule("s", config)
    assert path in [p for p, _ in info.value.problems]
