"""Transitions over steps and triggered by a watched metric; values computed by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rewardkit.errors import ConfigError
from rewardkit.schedule import Transition, build_schedule


def make(**fields: Any) -> Transition:
    body: dict[str, Any] = {"from": 1.0, "to": 0.0}
    body.update(fields)
    s = build_schedule("w_process", {"transition": body})
    assert isinstance(s, Transition)
    return s


@pytest.mark.parametrize(
    ("over", "step", "expected"),
    [
        ({"linear": {"steps": 4}}, 0, 1.0),
        ({"linear": {"steps": 4}}, 1, 0.75),
        ({"linear": {"steps": 4}}, 4, 0.0),
        ({"linear": {"steps": 4, "begin": 2}}, 2, 1.0),  # held until `begin`
        ({"linear": {"steps": 4, "begin": 2}}, 3, 0.75),
        ({"linear": {"steps": 4, "begin": 2}}, 9, 0.0),
        ({"cosine": {"steps": 2}}, 1, 0.5),
    ],
)
def test_over_steps(over: dict[str, Any], step: int, expected: float) -> None:
    assert make(over=over).value(step) == pytest.approx(expected)


def test_exponential_between_positive_weights() -> None:
    s = make(**{"from": 1.0, "to": 0.01}, over={"exponential": {"steps": 2}})
    assert s.value(1) == pytest.approx(0.1)


def test_triggered_ramp_starts_after_the_trigger_step() -> None:
    s = make(watch="reward/outcome/mean", at_least=0.6, window=2, then={"linear": {"steps": 4}})
    assert s.watches == ("reward/outcome/mean",)
    stream = [0.5, 0.6, 0.7, 0.2, 0.2, 0.2, 0.2]
    values, events = [], []
    for step, x in enumerate(stream):
        values.append(s.value(step))
        events += s.observe(step, {"reward/outcome/mean": x})
    # window means: after step 1 (0.5+0.6)/2 = 0.55 < 0.6; after step 2 (0.6+0.7)/2 = 0.65 -> fire
    (event,) = events
    assert (event.step, event.kind, event.old, event.new) == (2, "switch", 1.0, 0.0)
    assert event.stats["mean"] == pytest.approx(0.65)
    assert values == pytest.approx([1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0])  # fires once only


def test_triggered_without_then_switches_at_the_next_step() -> None:
    s = make(watch="acc", at_least=0.5)
    assert s.observe(0, {"acc": 0.9})[0].step == 0
    assert (s.value(0), s.value(1)) == (1.0, 0.0)


def test_triggered_at_most_fires_when_the_metric_falls() -> None:
    s = make(watch="entropy", at_most=0.3)
    assert s.observe(0, {"entropy": 0.5}) == []
    assert [e.kind for e in s.observe(1, {"entropy": 0.3})] == ["switch"]


def test_missing_metric_is_skipped() -> None:
    s = make(watch="acc", at_least=0.5, window=2)
    assert s.observe(0, {"acc": 0.9}) == []
    assert s.observe(1, {}) == []  # not counted: the window still holds one value
    assert s.observe(2, {"acc": 0.9})[0].step == 2


def replay(s: Transition, stream: list[float], steps: range) -> tuple[list[float], list[Any]]:
    values, events = [], []
    for step in steps:
        values.append(s.value(step))
        events += s.observe(step, {"acc": stream[step]})
    return values, events


TRIGGERED: dict[str, Any] = {
    "watch": "acc",
    "at_least": 0.6,
    "window": 2,
    "then": {"linear": {"steps": 2}},
}


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 5])
def test_state_roundtrip_mid_stream(cut: int) -> None:
    stream = [0.1, 0.4, 0.8, 0.9, 0.9, 0.9]
    # window means after steps 1, 2: (0.1 + 0.4) / 2 = 0.25, (0.4 + 0.8) / 2 = 0.6 -> fires after
    # step 2; the 2-step ramp gives 0.5 at step 3 and reaches 0 at step 2 + 2 = 4
    whole_values, whole_events = replay(make(**TRIGGERED), stream, range(len(stream)))
    assert whole_values == [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    assert [e.step for e in whole_events] == [2]
    first = make(**TRIGGERED)
    values, events = replay(first, stream, range(cut))
    resumed = make(**TRIGGERED)
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    more_values, more_events = replay(resumed, stream, range(cut, len(stream)))
    assert (values + more_values, events + more_events) == (whole_values, whole_events)


def test_restored_transition_never_refires() -> None:
    stream = [0.1, 0.4, 0.8]
    first = make(**TRIGGERED)
    replay(first, stream, range(3))
    resumed = make(**TRIGGERED)
    resumed.load_state_dict(first.state_dict())
    assert replay(resumed, stream, range(3))[1] == []
    assert resumed.triggered_at == 2


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({}, "schedules.w.transition"),  # neither over nor watch
        ({"over": {"linear": {}}, "watch": "a", "at_least": 1}, "schedules.w.transition"),
        ({"watch": "a"}, "schedules.w.transition.watch"),  # no at_least / at_most
        ({"over": {"linear": {}}, "then": {"linear": {}}}, "schedules.w.transition.then"),
        ({"over": {"exponential": {"steps": 3}}}, "schedules.w.transition.over.exponential"),
        ({"over": {"linear": {}, "cosine": {}}}, "schedules.w.transition.over"),
        ({"over": {"lineer": {}}}, "schedules.w.transition.over.lineer"),
    ],
)
def test_invalid_transitions_name_the_field(fields: dict[str, Any], path: str) -> None:
    body = {"from": 1.0, "to": 0.0, **fields}
    with pytest.raises(ConfigError) as info:
        build_schedule("w", {"transition": body})
    assert path in [p for p, _ in info.value.problems]


def test_missing_from_is_reported_under_its_yaml_name() -> None:
    with pytest.raises(ConfigError) as info:
        build_schedule("w", {"transition": {"to": 0.0, "over": {"linear": {}}}})
    assert info.value.problems[0][0] == "schedules.w.transition.from"
