"""The one step protocol, worked by hand: merge, check, advance, monitor, state."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence

import pytest

from rewardkit.errors import ConfigError
from rewardkit.monitor import DETECTORS, Detector, DetectorParams, Finding, History, detector
from rewardkit.program import RewardProgram
from rewardkit.protocol import StepProtocol, wire_metrics
from rewardkit.types import Sample

LADDER = {
    "reward": {"tiers": [{"name": "hit", "fn": "exact_match"}]},
    "schedules": {
        "t": {"ladder": [0.0, 1.0], "watch": "reward/hit/mean", "window": 2,
              "raise_when": {"mean_at_least": 0.5}},
    },
}  # fmt: skip


def batch(program: RewardProgram, answers: str, group: str = "q") -> list:
    samples = [Sample(f"{group}{i}", group, "", a, "a") for i, a in enumerate(answers)]
    return program.score(samples)


def test_parts_are_merged_and_observed_once() -> None:
    program = RewardProgram.from_dict(LADDER)
    protocol = StepProtocol(program)
    # two ranks: group q all right (1, 1), group r half right (1, 0): mean 3/4
    result = protocol.step(0, [batch(program, "aa"), batch(program, "ab", "r")])
    assert result.metrics["reward/hit/mean"] == 0.75
    assert result.metrics["reward/zero_std_frac"] == 0.5  # group q: no variance
    assert result.advantages is not None and result.advantages.per_sample[:2].tolist() == [0, 0]
    assert program.step == 1 and result.metrics["next/t"] == 0.0
    result = protocol.step(1, [batch(program, "aa")])  # window (0.75, 1.0): mean >= 0.5
    assert [e.new for e in result.events] == [1.0] and program.variables["t"] == 1.0


def test_a_misspelt_watch_is_an_error_naming_it() -> None:
    program = RewardProgram.from_dict(LADDER)
    protocol = StepProtocol(program, note="Under this host, schedules see node metrics only")
    with pytest.raises(
        ConfigError, match=r"'reward/hit/mean' \(did you mean 'reward/hti/mean'\?\)"
    ):
        protocol.observe(0, {"reward/hti/mean": 1.0})
    with pytest.raises(ConfigError, match="Under this host"):
        protocol.observe(0, {"reward/mean": 1.0})
    assert program.step == 0  # nothing advanced


def test_a_step_that_scored_nothing_is_not_checked() -> None:
    program = RewardProgram.from_dict(LADDER)
    result = StepProtocol(program).step(0, [], metrics={"train/loss": 1.0})
    assert result.scored is None and program.step == 1


def test_null_metrics_count_as_reported_not_applying() -> None:
    program = RewardProgram.from_dict(LADDER)
    protocol = StepProtocol(program)
    result = protocol.observe(0, {"reward/hit/mean": None})
    assert math.isnan(result.metrics["reward/hit/mean"]) and result.events == []


def test_wire_metrics_are_json() -> None:
    wired = wire_metrics({"a": 1.0, "b": math.nan, "c": math.inf})
    assert json.loads(json.dumps(wired, allow_nan=False)) == {"a": 1.0, "b": None, "c": None}


@pytest.fixture
def fires_at_two() -> Iterator[None]:
    """A detector that fires at step 2 (the built-in ones need 20 warm-up steps)."""

    @detector("fires_at_two")
    class FiresAtTwo(Detector):
        class Params(DetectorParams):
            pass

        def watched(self) -> Sequence[str]:
            return ("reward/mean",)

        def check(self, step: int, history: History) -> Finding | None:
            return Finding("step two", {"step": float(step)}) if step == 2 else None

    yield
    DETECTORS.pop("fires_at_two")


def test_monitor_stop_and_state_round_trip(fires_at_two: None) -> None:
    program = RewardProgram.from_dict(LADDER)
    monitor = {
        "only": ["fires_at_two"],
        "detectors": {"fires_at_two": {"warmup": 0}},
        "on_alert": "stop",
    }
    protocol = StepProtocol(program, monitor)
    results = [protocol.step(s, [batch(program, a)]) for s, a in enumerate(["bb", "bb", "aa"])]
    assert [r.stop for r in results] == [False, False, True]
    assert [a.detector for a in results[2].alerts] == ["fires_at_two"]
    saved = json.loads(json.dumps(protocol.state_dict()))
    again = StepProtocol(RewardProgram.from_dict(LADDER), monitor)
    again.load_state_dict(saved)
    assert again.state_dict() == saved
