"""Replaying a metrics stream: rows hold the values used while each step ran."""

from __future__ import annotations

import json

import pytest

from rewardkit.errors import ConfigError, InputError
from rewardkit.schedule import build_schedules, simulate

CONFIG = {
    "thr": {
        "ladder": [0.3, 0.5],
        "watch": "hit",
        "window": 2,
        "raise_when": {"mean_at_least": 0.75},
    },
    "w": {"linear": {"start": 1.0, "end": 0.0, "steps": 4}},
}
STREAM = [(0, {"hit": 1.0}), (1, {"hit": 1.0}), (2, {"hit": 0.0}), (3, {})]


def test_rows_and_events() -> None:
    timeline = simulate(build_schedules(CONFIG), STREAM)
    # the raise decided after step 1 shows from step 2
    assert timeline.values("thr") == [0.3, 0.3, 0.5, 0.5]
    assert timeline.values("w") == [1.0, 0.75, 0.5, 0.25]
    assert [(e.step, e.source, e.kind) for e in timeline.events] == [(1, "thr", "raise")]


def test_simulate_does_not_advance_the_given_schedules() -> None:
    schedules = build_schedules(CONFIG)
    simulate(schedules, STREAM)
    assert schedules["thr"].value(10) == 0.3


def test_as_dict_is_json_able() -> None:
    data = json.loads(json.dumps(simulate(build_schedules(CONFIG), STREAM).as_dict()))
    assert data["rows"][2] == {"step": 2, "thr": 0.5, "w": 0.5}
    assert data["events"][0]["new"] == 0.5


def test_to_table() -> None:
    table = simulate(build_schedules(CONFIG), STREAM).to_table()
    assert table.splitlines() == [
        "step  thr  w     events",
        "0     0.3  1",
        "1     0.3  0.75  thr raise 0.3 -> 0.5",
        "2     0.5  0.5",
        "3     0.5  0.25",
    ]


def test_to_table_changes_only_keeps_first_last_changed_and_event_rows() -> None:
    config = {"thr": CONFIG["thr"]}
    stream = [(s, {"hit": 1.0 if s < 2 else 0.0}) for s in range(6)]
    table = simulate(build_schedules(config), stream).to_table(changes_only=True)
    assert [line.split()[0] for line in table.splitlines()[1:]] == ["0", "1", "2", "5"]


def test_steps_must_increase() -> None:
    with pytest.raises(InputError, match="increasing step order"):
        simulate(build_schedules(CONFIG), [(1, {}), (1, {})])


def test_a_stream_that_never_reports_a_watched_metric_is_refused() -> None:
    with pytest.raises(ConfigError, match="never reports the watched metric 'hit'") as info:
        simulate(build_schedules(CONFIG), [(0, {"hti": 1.0}), (1, {"hti": 1.0})])
    assert "(did you mean 'hti'?)" in str(info.value)
    # reported at least once is enough: a missing or NaN step is skipped, as in training
    simulate(build_schedules(CONFIG), [(0, {"hti": 1.0}), (1, {"hit": 1.0})])
