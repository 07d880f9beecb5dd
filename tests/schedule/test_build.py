"""Building schedules from YAML mappings: the right type, and every problem with its path."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.schedule import (
    Ladder,
    Schedule,
    TimeSchedule,
    Transition,
    build_schedule,
    build_schedules,
)

IOU: dict[str, Any] = {
    "ladder": [0.3, 0.45, 0.55, 0.65, 0.75, 0.8],
    "watch": "reward/hit/mean",
    "margin_of": "reward/quality/mean",
    "window": 30,
    "raise_when": {"mean_at_least": 0.75, "std_at_most": 0.35, "margin_at_least": 0.10},
    "lower_when": {"mean_below": 0.2},
    "refresh": "half",
}


def problems(config: Any, name: str = "iou_threshold") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        build_schedule(name, config)
    return info.value.problems


def paths(config: Any, name: str = "iou_threshold") -> list[str]:
    return [p for p, _ in problems(config, name)]


@pytest.mark.parametrize(
    ("config", "cls", "kind"),
    [
        ({"constant": 0.5}, TimeSchedule, "constant"),
        (0.5, TimeSchedule, "constant"),
        (
            {"cosine": {"start": 1.0, "end": 0.0, "steps": 200, "warmup": 10}},
            TimeSchedule,
            "cosine",
        ),
        ({"piecewise": {"values": [[0, 0.3], [100, 0.5]]}}, TimeSchedule, "piecewise"),
        (IOU, Ladder, "ladder"),
        (
            {"transition": {"from": 1.0, "to": 0.0, "over": {"linear": {"steps": 100}}}},
            Transition,
            "transition",
        ),
    ],
)
def test_each_type_builds(config: Any, cls: type, kind: str) -> None:
    s = build_schedule("x", config)
    assert isinstance(s, cls) and isinstance(s, Schedule)
    assert (s.name, s.kind) == ("x", kind)


def test_ladder_watches_both_metrics() -> None:
    s = build_schedule("iou_threshold", IOU)
    assert s.watches == ("reward/hit/mean", "reward/quality/mean")
    assert s.value(0) == 0.3


def test_misspelt_type_suggests_the_right_one() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'cosine'") as info:
        build_schedule("lr", {"cosin": {"start": 1, "end": 0, "steps": 5}})
    assert info.value.problems[0][0] == "schedules.lr"


def test_misspelt_ladder_key_next_to_its_fields() -> None:
    config = {"laddr" if k == "ladder" else k: v for k, v in IOU.items()}
    with pytest.raises(UnknownNameError, match="did you mean 'ladder'"):
        build_schedule("iou_threshold", config)


def test_two_types_is_an_error() -> None:
    assert "several schedule types" in problems({"constant": 1, "cosine": {}})[0][1]


def test_no_type_lists_the_choices() -> None:
    msg = problems({"watch": "x"})[0][1]
    assert "ladder" in msg and "cosine" in msg


def test_every_ladder_problem_is_listed_with_its_path() -> None:
    bad = {**IOU, "window": 0, "raise_when": {"mean_at_least": 0.75, "std_at_most": "low"}}
    assert set(paths(bad)) == {
        "schedules.iou_threshold.window",
        "schedules.iou_threshold.raise_when.std_at_most",
    }


def test_gain_must_be_positive() -> None:
    bad = {**IOU, "raise_when": {"mean_at_least": 0.75, "gain_at_least": 0}}
    assert paths(bad) == ["schedules.iou_threshold.raise_when.gain_at_least"]
    good = build_schedule(
        "iou_threshold", {**IOU, "raise_when": {"mean_at_least": 0.75, "gain_at_least": 1.5}}
    )
    assert isinstance(good, Ladder) and good.config.raise_when.gain_at_least == 1.5


def test_unknown_field_suggests_the_right_one() -> None:
    bad = {**IOU, "raise_when": {"mean_at_least": 0.75, "std_at_mots": 0.35}}
    (problem,) = problems(bad)
    assert problem == (
        "schedules.iou_threshold.raise_when.std_at_mots",
        "unknown field 'std_at_mots' (did you mean 'std_at_most'?); valid fields: "
        "gain_at_least, margin_at_least, mean_at_least, min_steps_between, std_at_most",
    )


def test_per_level_table_with_wrong_length() -> None:
    bad = {**IOU, "raise_when": {"mean_at_least": [0.8, 0.75]}}
    (problem,) = problems(bad)
    assert problem[0] == "schedules.iou_threshold.raise_when.mean_at_least"
    assert "has 2 entries but the ladder has 6 levels" in problem[1]


@pytest.mark.parametrize("table", [[0.8, 0.8, 0.75, 0.75, 0.55], [0.8, 0.8, 0.75, 0.75, 0.55, 0.5]])
def test_per_level_table_may_leave_out_the_top_level(table: list[float]) -> None:
    build_schedule("iou_threshold", {**IOU, "raise_when": {"mean_at_least": table}})


def test_per_level_entry_that_is_not_a_number_names_its_index() -> None:
    bad = {**IOU, "raise_when": {"mean_at_least": [0.8, "x", 0.7, 0.7, 0.6, 0.6]}}
    assert paths(bad) == ["schedules.iou_threshold.raise_when.mean_at_least.1"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"ladder": [0.3, 0.5, 0.4]}, "schedules.iou_threshold.ladder"),
        ({"ladder": [0.3]}, "schedules.iou_threshold.ladder"),
        ({"start_level": 6}, "schedules.iou_threshold.start_level"),
        ({"margin_of": None}, "schedules.iou_threshold.raise_when.margin_at_least"),
        ({"lower_when": {"mean_below": 0.8}}, "schedules.iou_threshold.lower_when.mean_below"),
        ({"refresh": "quarter"}, "schedules.iou_threshold.refresh"),
    ],
)
def test_cross_field_problems(change: dict[str, Any], path: str) -> None:
    assert path in paths({**IOU, **change})


def test_extra_key_next_to_a_time_shape() -> None:
    bad = {"cosine": {"start": 1, "end": 0, "steps": 3}, "watch": "x"}
    assert paths(bad, "lr") == ["schedules.lr.watch"]


def test_build_schedules_collects_problems_of_every_schedule() -> None:
    config = {
        "ok": {"constant": 0.5},
        "a": {"linear": {"start": 0, "end": 1}},
        "b": {**IOU, "window": -1},
        "c d": {"constant": 1},
    }
    with pytest.raises(ConfigError) as info:
        build_schedules(config)
    assert [p for p, _ in info.value.problems] == [
        "schedules.a.linear.steps",
        "schedules.b.window",
        "schedules.c d",
    ]


def test_build_schedules_reraises_a_single_unknown_type() -> None:
    with pytest.raises(UnknownNameError):
        build_schedules({"lr": {"cosin": {}}, "ok": 1.0})


def test_build_schedules_builds_all_and_uses_the_given_path() -> None:
    built = build_schedules({"a": 0.5, "iou_threshold": IOU})
    assert list(built) == ["a", "iou_threshold"]
    with pytest.raises(ConfigError, match=r"program\.schedules\.a"):
        build_schedules({"a": "high"}, path="program.schedules")
