"""Event, the Schedule protocol and the metric-reading rules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rewardkit.schedule import Event, Schedule, build_schedule
from rewardkit.schedule.base import (
    at_least,
    at_most,
    is_replayed,
    mean,
    metric_value,
    population_std,
)


def test_event_as_dict() -> None:
    e = Event(29, "iou_threshold", "raise", 0.3, 0.45, {"mean": 0.8})
    assert e.as_dict() == {
        "step": 29,
        "source": "iou_threshold",
        "kind": "raise",
        "old": 0.3,
        "new": 0.45,
        "stats": {"mean": 0.8},
    }


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"m": 0.5}, 0.5),
        ({"m": True}, 1.0),
        ({"m": 2}, 2.0),
        ({}, None),
        ({"m": None}, None),
        ({"m": math.nan}, None),
        ({"m": math.inf}, None),
    ],
)
def test_metric_value(metrics: dict[str, object], expected: float | None) -> None:
    assert metric_value(metrics, "m", 0) == expected


def test_metric_value_that_is_not_a_number() -> None:
    with pytest.raises(TypeError, match="must be a number"):
        metric_value({"m": "x"}, "m", 3)


@pytest.mark.parametrize(
    ("values", "m", "s"),
    [
        ([1.0, 1.0, 1.0, 0.0], 0.75, math.sqrt(0.1875)),  # deviations 0.25 x3 and 0.75
        ([0.5, 0.5], 0.5, 0.0),
        ([0.0, 1.0], 0.5, 0.5),  # population std, not the sample std (0.707)
    ],
)
def test_mean_and_population_std(values: list[float], m: float, s: float) -> None:
    assert mean(values) == m
    assert population_std(values) == pytest.approx(s)


def test_empty_window_statistics_are_nan() -> None:
    assert math.isnan(mean([])) and math.isnan(population_std([]))


def test_comparisons_forgive_rounding_only() -> None:
    assert at_least(0.1 + 0.2, 0.3) and at_most(0.1 + 0.2, 0.3)
    assert not at_least(0.2999, 0.3) and not at_most(0.3001, 0.3)


def test_is_replayed() -> None:
    assert [is_replayed(s, 4) for s in (3, 4, 5)] == [True, True, False]
    assert not is_replayed(0, None)


def test_every_schedule_satisfies_the_protocol() -> None:
    configs: list[dict[str, Any]] = [
        {"constant": 1.0},
        {"ladder": [0, 1], "watch": "m", "raise_when": {"mean_at_least": 1}},
        {"transition": {"from": 1, "to": 0, "watch": "m", "at_least": 1}},
    ]
    for config in configs:
        assert isinstance(build_schedule("s", config), Schedule)
