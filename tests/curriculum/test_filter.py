"""Balanced online difficulty filter: which groups are kept, and the pass rate, by hand."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from rewardkit.curriculum import BalancedFilter, Outcome, build_curriculum
from rewardkit.errors import InputError


def make(**fields: Any) -> BalancedFilter:
    c = build_curriculum("odf", {"balanced_filter": fields})
    assert isinstance(c, BalancedFilter)
    return c


def group(name: str, *correct: bool | None) -> list[Outcome]:
    return [Outcome("s", name, correct=c) for c in correct]


T, F = True, False
BATCH = group("a", T, F) + group("b", T, T) + group("c", F, F) + group("d", T, F, F, F)


def test_default_band_drops_all_right_and_all_wrong_groups() -> None:
    f = make()
    # accuracies: a 0.5, b 1.0, c 0.0, d 0.25
    assert f.accuracy(BATCH) == {"a": 0.5, "b": 1.0, "c": 0.0, "d": 0.25}
    assert f.filter(BATCH) == ["a", "d"]


@pytest.mark.parametrize(
    ("band", "accuracy", "kept"),
    [
        ({}, 0.0, False),
        ({}, 1e-9, True),
        ({}, 1.0, False),
        ({"low": 0.25, "high": 0.75}, 0.25, False),  # exclusive by default
        ({"low": 0.25, "high": 0.75, "include_low": True}, 0.25, True),
        ({"low": 0.25, "high": 0.75, "include_high": True}, 0.75, True),
        ({"low": 0.25, "high": 0.75}, 0.8, False),
        ({"low": 0.0, "high": 1.0, "include_low": True, "include_high": True}, 1.0, True),
    ],
)
def test_band(band: dict[str, Any], accuracy: float, kept: bool) -> None:
    assert make(**band).keeps(accuracy) is kept


def test_pass_rate_over_refills_and_steps() -> None:
    f = make()
    refill = group("e", T, T) + group("f", F, T)
    assert f.filter(BATCH) == ["a", "d"] and f.filter(refill) == ["f"]
    assert f.metrics()["groups_seen"] == 0.0  # filtering changes no state
    f.observe(0, BATCH + refill)  # the step's groups, both rounds: 3 of 6 kept
    assert f.metrics() == {
        "pass_rate": 0.5,
        "pass_rate_total": 0.5,
        "groups_seen": 6.0,
        "groups_kept": 3.0,
    }
    f.observe(1, group("g", T, T) + group("h", F, T) + group("i", F) + group("j", T))
    m = f.metrics()
    assert (m["pass_rate"], m["pass_rate_total"]) == (0.25, 0.4)  # 1/4; (3 + 1)/(6 + 4)


def test_pass_rate_before_any_step_is_nan() -> None:
    assert math.isnan(make().metrics()["pass_rate"])


def test_accuracy_from_reward() -> None:
    outs = [Outcome("s", "a", reward=r) for r in (0.2, 0.4)] + [
        Outcome("s", "b", reward=r) for r in (1.0, 1.0)
    ]
    assert make(accuracy_from="reward").filter(outs) == ["a"]  # a: 0.3, b: 1.0


def test_missing_correctness_is_skipped_but_an_empty_group_is_an_error() -> None:
    f = make()
    assert f.accuracy(group("a", T, None, F)) == {"a": 0.5}
    with pytest.raises(InputError, match=r"groups \['b'\] have no 'correct'"):
        f.filter(group("b", None, None))


def test_plain_dicts_are_accepted() -> None:
    rows = [
        {"source": "s", "group": "a", "correct": True},
        {"source": "s", "group": "a", "correct": False},
    ]
    assert make().filter(rows) == ["a"]


def test_state_roundtrip() -> None:
    f = make()
    f.observe(0, BATCH)
    restored = make()
    restored.load_state_dict(json.loads(json.dumps(f.state_dict())))
    for c in (f, restored):
        c.observe(1, group("e", T, F) + group("g", T, T))
    assert restored.metrics() == f.metrics()
    assert restored.metrics()["pass_rate"] == 0.5  # e kept, g dropped


def test_a_state_saved_with_step_counts_still_loads() -> None:
    saved = {"step_seen": 2, "step_kept": 1, "seen": 4, "kept": 2, "last_pass_rate": 0.5}
    f = make()
    f.load_state_dict(saved)
    assert f.metrics()["groups_seen"] == 4.0


def test_observe_reports_no_events() -> None:
    assert make().observe(0, BATCH) == []
    assert make().observe(0, []) == []
