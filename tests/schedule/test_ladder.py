"""The ladder rule on scripted metric streams; every raise step below was computed by hand.

Conventions: ``stream`` lists the watched metric's value per step (step = index); a decision after
step t applies from step t + 1, so ``raises`` lists the steps after which a raise happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from rewardkit.schedule import Event, Ladder, build_schedule

LEVELS = [0.3, 0.45, 0.55, 0.65, 0.75, 0.8]


def make(**fields: Any) -> Ladder:
    config: dict[str, Any] = {"ladder": LEVELS, "watch": "hit", "window": 4, "refresh": "full"}
    config.update(fields)
    config.setdefault("raise_when", {"mean_at_least": 0.75})
    ladder = build_schedule("thr", config)
    assert isinstance(ladder, Ladder)
    return ladder


def run(ladder: Ladder, metrics: Sequence[Mapping[str, float]]) -> tuple[list[float], list[Event]]:
    """Values used at each step, and all events, for a stream of per-step metric dicts."""
    values, events = [], []
    for step, m in enumerate(metrics):
        values.append(ladder.value(step))
        events.extend(ladder.observe(step, m))
    return values, events


def hits(*values: float) -> list[dict[str, float]]:
    return [{"hit": v} for v in values]


def raise_steps(events: Sequence[Event]) -> list[int]:
    return [e.step for e in events if e.kind == "raise"]


def test_first_raise_waits_for_a_full_window() -> None:
    # mean 1.0 >= 0.75 from step 0 on, but the window (4) is full only after step 3
    values, events = run(make(), hits(*[1.0] * 6))
    assert raise_steps(events) == [3]
    assert values == [0.3, 0.3, 0.3, 0.3, 0.45, 0.45]


def test_event_has_step_old_new_and_the_triggering_statistics() -> None:
    _, events = run(make(), hits(1.0, 1.0, 1.0, 0.0))
    # window [1, 1, 1, 0]: mean 0.75 (just enough), population std sqrt(0.1875) = 0.4330
    (event,) = events
    assert (event.step, event.source, event.kind, event.old, event.new) == (
        3,
        "thr",
        "raise",
        0.3,
        0.45,
    )
    assert event.stats["mean"] == 0.75
    assert event.stats["std"] == pytest.approx(0.4330127)
    assert event.stats["window"] == 4
    assert event.stats["mean_at_least"] == 0.75


def test_raise_blocked_only_by_std() -> None:
    stream = hits(1, 0, 1, 1, 1, 1, 1)
    # windows after steps 3, 4, 5: [1,0,1,1] and [0,1,1,1] have mean 0.75 (P met) but
    # std 0.433 > 0.3; [1,1,1,1] after step 5 has std 0
    _, free = run(make(raise_when={"mean_at_least": 0.5}), stream)
    _, capped = run(make(raise_when={"mean_at_least": 0.5, "std_at_most": 0.3}), stream)
    assert raise_steps(free) == [3]
    assert raise_steps(capped) == [5]
    assert capped[0].stats["std"] == 0.0


def test_raise_blocked_only_by_margin() -> None:
    iou = [0.35, 0.35, 0.35, 0.35, 0.55, 0.55]
    stream = [{"hit": 1.0, "iou": x} for x in iou]
    # after step 3: mean IoU 0.35, margin 0.35 - 0.3 = 0.05 < 0.10 -> blocked;
    # after step 4: window [0.35, 0.35, 0.35, 0.55], mean 0.40, margin 0.10 -> raise
    _, free = run(make(margin_of="iou"), stream)
    rule = {"mean_at_least": 0.75, "margin_at_least": 0.10}
    _, capped = run(make(margin_of="iou", raise_when=rule), stream)
    assert raise_steps(free) == [3]
    assert raise_steps(capped) == [4]
    assert capped[0].stats["margin"] == pytest.approx(0.10)


def test_margin_is_measured_from_the_current_level() -> None:
    ladder = make(
        margin_of="iou",
        window=1,
        refresh="none",
        ladder=[0.3, 0.5, 0.7],
        raise_when={"mean_at_least": 0.5, "margin_at_least": 0.1},
    )
    _, events = run(ladder, [{"hit": 1.0, "iou": 0.65}] * 3)
    # 0.65 - 0.3 = 0.35 -> raise to 0.5; 0.65 - 0.5 = 0.15 -> raise to 0.7; top level: no raise
    assert [(e.step, e.new) for e in events] == [(0, 0.5), (1, 0.7)]


def test_raise_blocked_only_by_window_not_full_missing_steps_do_not_count() -> None:
    stream: list[dict[str, float]] = [
        {"hit": 1.0},
        {},
        {"hit": float("nan")},
        {"hit": 1.0},
        {"hit": 1.0},
        {"hit": 1.0},
        {"hit": 1.0},
    ]
    # steps 1 (missing) and 2 (NaN) are skipped: the 4th counted value arrives at step 5
    _, events = run(make(), stream)
    assert raise_steps(events) == [5]


def test_full_refresh_delays_the_next_raise_by_n_steps() -> None:
    _, events = run(make(refresh="full"), hits(*[1.0] * 12))
    assert raise_steps(events) == [3, 7, 11]


def test_half_refresh_delays_the_next_raise_by_n_over_2_steps() -> None:
    # after a raise the newest 2 of 4 values stay; 2 more steps refill the window
    _, events = run(make(refresh="half"), hits(*[1.0] * 10))
    assert raise_steps(events) == [3, 5, 7, 9]


def test_half_refresh_keeps_the_newest_values() -> None:
    ladder = make(refresh="half", raise_when={"mean_at_least": 0.5})
    run(ladder, hits(0.6, 0.7, 0.8, 0.9))
    assert ladder.state_dict()["window"] == [0.8, 0.9]


def test_no_refresh_raises_on_consecutive_steps() -> None:
    # the window stays full, so every step raises until the top (6 levels: 5 raises)
    _, events = run(make(refresh="none"), hits(*[1.0] * 9))
    assert raise_steps(events) == [3, 4, 5, 6, 7]


def test_min_steps_between_spaces_raises() -> None:
    ladder = make(
        window=2, refresh="none", raise_when={"mean_at_least": 0.5, "min_steps_between": 3}
    )
    _, events = run(ladder, hits(*[1.0] * 9))
    # first raise after step 1 (window full); then t - t_last >= 3: steps 4 and 7
    assert raise_steps(events) == [1, 4, 7]


def test_gain_waits_for_the_entry_window_then_needs_the_gain() -> None:
    # window 2, P 0.1, gain 2: the entry mean is that of steps 0-1, (0.2 + 0.2) / 2 = 0.2, so a
    # raise needs a window mean >= 0.4. Step 1: the window is the entry itself (0.2 < 0.4);
    # step 2: [0.2, 0.4] mean 0.3; step 3: [0.4, 0.5] mean 0.45 >= 0.4: raise.
    ladder = make(window=2, raise_when={"mean_at_least": 0.1, "gain_at_least": 2.0})
    _, events = run(ladder, hits(0.2, 0.2, 0.4, 0.5))
    (event,) = events
    assert event.step == 3
    assert event.stats["entry_mean"] == pytest.approx(0.2)
    assert event.stats["gain_at_least"] == 2.0
    assert event.stats["mean"] == pytest.approx(0.45)


def test_gain_entry_is_measured_again_at_each_level() -> None:
    # half refresh keeps the newest value of the old level, but the entry of the new level is
    # the mean of the first 2 values watched at it: steps 4-5, (0.3 + 0.3) / 2 = 0.3. Without
    # the gain the ladder would raise again at step 4 ([0.5, 0.3] mean 0.4 >= 0.1). A raise then
    # needs a mean >= 0.6: step 5 [0.3, 0.3] 0.3, step 6 [0.3, 0.5] 0.4, step 7 [0.5, 0.6] 0.55,
    # step 8 [0.6, 0.7] 0.65: raise.
    ladder = make(window=2, refresh="half", raise_when={"mean_at_least": 0.1, "gain_at_least": 2.0})
    _, events = run(ladder, hits(0.2, 0.2, 0.4, 0.5, 0.3, 0.3, 0.5, 0.6, 0.7))
    assert raise_steps(events) == [3, 8]
    assert events[1].stats["entry_mean"] == pytest.approx(0.3)


def test_gain_state_roundtrip_keeps_the_entry() -> None:
    stream = hits(0.2, 0.2, 0.4, 0.5, 0.3, 0.3, 0.5, 0.6, 0.7)
    config = {"window": 2, "raise_when": {"mean_at_least": 0.1, "gain_at_least": 2.0}}
    _, whole = run(make(**config), stream)
    for cut in range(len(stream)):
        first = make(**config)
        _, events = run(first, stream[:cut])
        resumed = make(**config)
        resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
        events += [
            e for step in range(cut, len(stream)) for e in resumed.observe(step, stream[step])
        ]
        assert events == whole


def test_load_state_rejects_more_entry_values_than_the_window() -> None:
    state = {**make().state_dict(), "entry_values": [0.1] * 4}  # window 4: the entry is due
    with pytest.raises(ValueError, match="4 entry values"):
        make().load_state_dict(state)


def test_per_level_mean_table() -> None:
    levels = [0.3, 0.5, 0.7, 0.9]
    stream = hits(0.95, 0.95, 0.65, 0.65, 0.45, 0.45)
    # P = 0.9, 0.6, 0.4 at levels 0, 1, 2 (the top level's entry left out); window 2, full refresh
    _, table = run(
        make(ladder=levels, window=2, raise_when={"mean_at_least": [0.9, 0.6, 0.4]}), stream
    )
    _, constant = run(make(ladder=levels, window=2, raise_when={"mean_at_least": 0.9}), stream)
    assert raise_steps(table) == [1, 3, 5]
    assert raise_steps(constant) == [1]


def test_per_level_std_table_widens_as_the_level_rises() -> None:
    levels = [0.3, 0.5, 0.7]
    stream = hits(1, 0.5, 1, 0.5, 1, 0.5)
    # every window of 2 holds {1, 0.5}: mean 0.75, std 0.25; S = 0.2 at level 0, 0.3 at level 1
    rule = {"mean_at_least": 0.7, "std_at_most": [0.2, 0.3, 0.3]}
    _, events = run(make(ladder=levels, window=2, raise_when=rule), stream)
    assert events == []
    start_high = make(ladder=levels, window=2, raise_when=rule, start_level=1)
    _, events = run(start_high, stream)
    assert raise_steps(events) == [1]


def test_no_raise_at_the_top_level() -> None:
    ladder = make(start_level=5)
    values, events = run(ladder, hits(*[1.0] * 8))
    assert events == [] and set(values) == {0.8}


def test_monotone_by_default() -> None:
    _, events = run(make(window=2), hits(1, 1, 0, 0, 0, 0))
    assert [e.kind for e in events] == ["raise"]


def test_lower_when_gives_hysteresis() -> None:
    ladder = make(ladder=[0.3, 0.5, 0.7], window=2, lower_when={"mean_below": 0.25})
    values, events = run(ladder, hits(1, 1, 0, 0, 0.5, 0.5, 0.5))
    # [1,1] -> raise after 1; [0,0] mean 0 < 0.25 -> lower after 3; [0.5,0.5]: inside the band
    assert [(e.step, e.kind, e.old, e.new) for e in events] == [
        (1, "raise", 0.3, 0.5),
        (3, "lower", 0.5, 0.3),
    ]
    assert values == [0.3, 0.3, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert events[1].stats["mean_below"] == 0.25


def test_no_lower_below_the_first_level() -> None:
    _, events = run(make(window=2, lower_when={"mean_below": 0.25}), hits(0, 0, 0, 0))
    assert events == []


def test_replayed_step_is_ignored() -> None:
    ladder = make(window=1, refresh="none", raise_when={"mean_at_least": 0.5})
    assert len(ladder.observe(0, {"hit": 1.0})) == 1
    assert ladder.observe(0, {"hit": 1.0}) == []
    assert ladder.level == 1


def test_non_numeric_metric_is_an_error() -> None:
    with pytest.raises(TypeError, match="'hit' at step 0"):
        make().observe(0, {"hit": "high"})  # type: ignore[dict-item]


ROUNDTRIP_CONFIG: dict[str, Any] = {
    "window": 4,
    "refresh": "half",
    "margin_of": "iou",
    "raise_when": {
        "mean_at_least": [0.6, 0.6, 0.55, 0.5, 0.5],
        "std_at_most": 0.45,
        "margin_at_least": 0.0,
        "min_steps_between": 1,
    },
    "lower_when": {"mean_below": 0.2},
}


def roundtrip_stream() -> list[dict[str, float]]:
    """A deterministic stream that rises, collapses and rises again (raises and lowers)."""
    hit = [
        0.2,
        0.5,
        0.7,
        0.8,
        0.9,
        1.0,
        0.9,
        1.0,
        0.1,
        0.0,
        0.1,
        0.0,
        0.9,
        1.0,
        1.0,
        1.0,
        1.0,
        0.8,
        1.0,
        1.0,
        1.0,
        1.0,
        0.9,
        1.0,
    ]
    return [{"hit": h, "iou": 0.3 + 0.6 * h} for h in hit]


def test_roundtrip_stream_exercises_raises_and_lowers() -> None:
    _, events = run(make(**ROUNDTRIP_CONFIG), roundtrip_stream())
    assert {"raise", "lower"} <= {e.kind for e in events}


@pytest.mark.parametrize("cut", [0, 3, 5, 8, 11, 15, 20])
def test_state_roundtrip_mid_stream_gives_identical_values_and_events(cut: int) -> None:
    stream = roundtrip_stream()
    whole_values, whole_events = run(make(**ROUNDTRIP_CONFIG), stream)
    first = make(**ROUNDTRIP_CONFIG)
    values, events = run(first, stream[:cut])
    state = json.loads(json.dumps(first.state_dict()))
    resumed = make(**ROUNDTRIP_CONFIG)
    resumed.load_state_dict(state)
    for step in range(cut, len(stream)):
        values.append(resumed.value(step))
        events.extend(resumed.observe(step, stream[step]))
    assert values == whole_values
    assert events == whole_events


def test_restored_ladder_never_refires_a_raise() -> None:
    stream = hits(*[1.0] * 6)
    first = make()
    _, events = run(first, stream[:4])
    assert raise_steps(events) == [3]
    resumed = make()
    resumed.load_state_dict(first.state_dict())
    # the trainer resumes from the checkpoint and replays steps 0..3: nothing fires again
    replayed = [e for step in range(4) for e in resumed.observe(step, stream[step])]
    assert replayed == [] and resumed.value(4) == 0.45


def test_load_state_rejects_a_changed_ladder() -> None:
    state = make(start_level=2).state_dict()
    with pytest.raises(ValueError, match="ladder changed"):
        make(ladder=[0.1, 0.2, 0.3]).load_state_dict(state)


def test_load_state_rejects_a_foreign_state() -> None:
    with pytest.raises(ValueError, match="lacks"):
        make().load_state_dict({"level": 0})


def test_docs_worked_example() -> None:
    """The table in docs/schedules.md, step by step."""
    ladder = make(
        ladder=[0.3, 0.5, 0.7],
        margin_of="iou",
        refresh="half",
        raise_when={"mean_at_least": 0.75, "std_at_most": 0.15, "margin_at_least": 0.10},
    )
    hit = [0.5, 0.75, 1.0, 0.75, 0.75, 0.75, 1.0, 0.75, 0.75]
    iou = [0.60, 0.35, 0.40, 0.35, 0.40, 0.55, 0.65, 0.65, 0.70]
    values, events = run(ladder, [{"hit": h, "iou": i} for h, i in zip(hit, iou, strict=True)])
    assert values == [0.3] * 6 + [0.5] * 3
    assert [(e.step, e.old, e.new) for e in events] == [(5, 0.3, 0.5), (8, 0.5, 0.7)]
    assert events[0].stats["std"] == pytest.approx(0.1083, abs=1e-4)
    assert events[0].stats["margin"] == pytest.approx(0.125)
    assert events[1].stats["margin"] == pytest.approx(0.1375)
