"""Difficulty ladder (reasoning-gym rule): raise and lower steps computed by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rewardkit.curriculum import DifficultyLadder, Outcome, build_curriculum
from rewardkit.errors import UnknownNameError

SOURCES = {"arith": {"digits": [1, 2, 3], "terms": [2, 3]}, "spell": {"word_len": [3, 5, 7]}}


def make(**fields: Any) -> DifficultyLadder:
    body: dict[str, Any] = {
        "sources": SOURCES,
        "last_k": 4,
        "success_threshold": 0.7,
        "failure_threshold": 0.3,
        **fields,
    }
    c = build_curriculum("gym", {"difficulty_ladder": body})
    assert isinstance(c, DifficultyLadder)
    return c


def answers(source: str, *correct: bool | None) -> list[Outcome]:
    return [Outcome(source, f"g{i}", correct=c) for i, c in enumerate(correct)]


T, F = True, False


def test_raise_and_lower_steps_by_hand() -> None:
    d = make()
    steps = [
        answers("arith", T, T),  # 0: n = 2 < min_samples 4: wait
        answers("arith", T, T),  # 1: n = 4, accuracy 1.0 > 0.7: raise, window cleared
        answers("arith", T, T, T, F),  # 2: accuracy 0.75 > 0.7: raise (terms already at top)
        answers("arith", T, T, T, T),  # 3: accuracy 1.0 but every attribute at its top: no move
        answers("arith", F, F, F, F),  # 4: window [F, F, F, F], accuracy 0 < 0.3: lower
    ]  # the lower moves only the attributes at the highest level: digits 2 -> 1, terms stays 1
    events = [e for step, outs in enumerate(steps) for e in d.observe(step, outs)]
    assert [(e.step, e.source, e.kind, e.old, e.new) for e in events] == [
        (1, "gym/arith", "raise", {"digits": 1, "terms": 2}, {"digits": 2, "terms": 3}),
        (2, "gym/arith", "raise", {"digits": 2, "terms": 3}, {"digits": 3, "terms": 3}),
        (4, "gym/arith", "lower", {"digits": 3, "terms": 3}, {"digits": 2, "terms": 3}),
    ]
    assert events[1].stats == {"accuracy": 0.75, "samples": 4.0}
    assert d.levels("arith") == {"digits": 2, "terms": 3}
    assert d.levels("spell") == {"word_len": 3}  # untouched source


LAG = {"lag": {"a": [0, 1, 2, 3, 4], "b": [0, 1, 2, 3, 4], "c": [0, 1]}}


def ladder_indices(move: str, start: dict[str, int], stream: str) -> list[tuple[int, ...]]:
    """Level indices (a, b, c) after each step of a one-sample-per-step stream ('T'/'F')."""
    d = make(sources=LAG, last_k=1, start={"lag": start}, move=move)
    out = []
    for step, mark in enumerate(stream):
        d.observe(step, answers("lag", mark == "T"))
        out.append(tuple(d.state_dict()["levels"]["lag"].values()))
    return out


def test_global_move_is_reasoning_gyms() -> None:
    """(2, 0): a raise lifts every attribute not at its top to highest + 1, capped at its top;
    a lower takes down one level only the attributes at the highest level."""
    got = ladder_indices("global", {"a": 2, "b": 0, "c": 0}, "TTFFFFF")
    assert got == [
        (3, 3, 1),  # raise: highest 2, target 3; c caps at its top 1
        (4, 4, 1),  # raise: target 4
        (3, 3, 1),  # lower: a and b are at the highest (4)
        (2, 2, 1),
        (1, 1, 1),  # c is at the highest now (1) and comes down with the next lower
        (0, 0, 0),
        (0, 0, 0),  # at the bottom: nothing moves
    ]
    # a lower from (3, 1, 0) leaves the lagging attributes where they are
    assert ladder_indices("global", {"a": 3, "b": 1, "c": 0}, "F") == [(2, 1, 0)]


def test_per_attribute_move_keeps_the_gaps() -> None:
    got = ladder_indices("per_attribute", {"a": 2, "b": 0, "c": 0}, "TTFFFF")
    assert got == [(3, 1, 1), (4, 2, 1), (3, 1, 0), (2, 0, 0), (1, 0, 0), (0, 0, 0)]


def test_a_decision_that_moves_nothing_clears_the_window() -> None:
    d = make(start={"arith": {"digits": 2, "terms": 1}})  # every attribute at its top
    assert d.observe(0, answers("arith", T, T, T, T)) == []  # raise decided, nothing to move
    assert d.state_dict()["windows"]["arith"] == []  # ... but the window is used up
    assert d.observe(1, answers("arith", F, F, F)) == []  # 3 samples since: 3 < 4, wait
    events = d.observe(2, answers("arith", F))  # window [F, F, F, F]: lower
    assert [(e.kind, e.new) for e in events] == [("lower", {"digits": 2, "terms": 3})]


def test_success_threshold_must_be_exceeded() -> None:
    d = make(success_threshold=0.75)
    assert d.observe(0, answers("arith", T, T, T, F)) == []  # 0.75 is not > 0.75


def test_window_holds_the_last_k_samples() -> None:
    d = make(success_threshold=0.9, failure_threshold=0.1)
    d.observe(0, answers("arith", F, F, T, T))  # accuracy 0.5: no move
    events = d.observe(1, answers("arith", T, T))  # window [T, T, T, T]: 1.0 > 0.9
    assert [e.kind for e in events] == ["raise"]


def test_min_samples_beyond_the_window() -> None:
    d = make(last_k=2, min_samples=4)
    assert d.observe(0, answers("arith", T, T)) == []  # 2 samples since the last change
    assert [e.kind for e in d.observe(1, answers("arith", T, T))] == ["raise"]
    assert d.observe(2, answers("arith", T, T, T)) == []  # the change reset the count: 3 < 4


def test_unknown_sources_and_unknown_correctness_are_ignored() -> None:
    d = make()
    d.observe(0, answers("poetry", T, T, T, T) + answers("arith", None, None, T, T))
    assert d.metrics()["arith/accuracy"] == 1.0
    assert d.state_dict()["since_change"]["arith"] == 2


def test_accuracy_from_reward() -> None:
    d = make(accuracy_from="reward")
    outs = [Outcome("arith", "g", reward=r) for r in (0.9, 0.8, 0.7, 0.6)]
    # mean reward 0.75 > 0.7
    assert [e.kind for e in d.observe(0, outs)] == ["raise"]


def test_start_levels() -> None:
    d = make(start={"arith": {"digits": 2}})
    assert d.levels("arith") == {"digits": 3, "terms": 2}


def test_unknown_source_suggests_the_right_one() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'arith'"):
        make().levels("arit")


def test_sources_move_independently() -> None:
    d = make()
    events = d.observe(0, answers("arith", T, T, T, T) + answers("spell", F, F, F, F))
    assert [(e.source, e.kind) for e in events] == [("gym/arith", "raise")]  # spell at bottom


STREAM = [
    answers("arith", T, T, T) + answers("spell", T, F),
    answers("arith", T, T) + answers("spell", T, T, T),
    answers("arith", T, F, T, T, T),
    answers("spell", F, F, F, F, F),
    answers("arith", F, F, T, F),
    answers("arith", F, F, F, F) + answers("spell", T, T, T, T),
]


@pytest.mark.parametrize("cut", [0, 1, 2, 4, 6])
def test_state_roundtrip_mid_stream(cut: int) -> None:
    whole = make()
    whole_events = [e for step, outs in enumerate(STREAM) for e in whole.observe(step, outs)]
    assert len(whole_events) >= 3
    first = make()
    events = [e for step in range(cut) for e in first.observe(step, STREAM[step])]
    resumed = make()
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    events += [e for step in range(cut, len(STREAM)) for e in resumed.observe(step, STREAM[step])]
    assert events == whole_events
    assert resumed.state_dict() == whole.state_dict()


def test_restored_ladder_never_refires() -> None:
    first = make()
    first.observe(0, answers("arith", T, T, T, T))
    resumed = make()
    resumed.load_state_dict(first.state_dict())
    assert resumed.observe(0, answers("arith", T, T, T, T)) == []
    assert resumed.levels("arith") == {"digits": 2, "terms": 3}


def test_load_state_rejects_other_sources() -> None:
    other = build_curriculum("gym", {"difficulty_ladder": {"sources": {"x": {"a": [1]}}}})
    with pytest.raises(ValueError, match="sources changed"):
        make().load_state_dict(other.state_dict())
