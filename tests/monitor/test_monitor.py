"""Monitor: config errors, the registry, state saved and restored mid-stream, alert contents."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from rewardkit.errors import ConfigError
from rewardkit.monitor import (
    DETECTORS,
    Detector,
    DetectorParams,
    Finding,
    History,
    Monitor,
    StepSamples,
    detector,
)


def ramp(step: int) -> dict[str, float]:
    return {"reward/mean": 0.01 * step, "train/success": 0.3}


def test_unknown_detector_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"unknown detector .proxy_divergense.*did you mean"):
        Monitor({"detectors": {"proxy_divergense": {}}})


def test_bad_detector_option_gives_its_path() -> None:
    with pytest.raises(ConfigError, match=r"monitor\.detectors\.length_drift"):
        Monitor({"detectors": {"length_drift": {"window": 1}}})


def test_bad_on_alert_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="on_alert"):
        Monitor({"on_alert": "halt"})


def test_resumed_monitor_gives_the_same_alerts() -> None:
    whole = Monitor({"detectors": {"proxy_divergence": {"cooldown": 15}}})
    expected = [(a.step, a.detector) for s in range(80) for a in whole.observe(s, ramp(s))]
    assert expected == [
        (20, "proxy_divergence"),
        (35, "proxy_divergence"),
        (50, "proxy_divergence"),
        (65, "proxy_divergence"),
    ]
    first = Monitor({"detectors": {"proxy_divergence": {"cooldown": 15}}})
    got = [(a.step, a.detector) for s in range(37) for a in first.observe(s, ramp(s))]
    saved = json.loads(json.dumps(first.state_dict()))  # as a checkpoint stores it
    second = Monitor({"detectors": {"proxy_divergence": {"cooldown": 15}}})
    second.load_state_dict(saved)
    got += [(a.step, a.detector) for s in range(37, 80) for a in second.observe(s, ramp(s))]
    assert got == expected


def test_history_is_bounded() -> None:
    mon = Monitor()
    for s in range(500):
        mon.observe(s, ramp(s))
    assert len(mon.state_dict()["series"]["reward/mean"]) == mon.keep == 25


def test_a_user_detector_registers_and_runs() -> None:
    @detector("reward_above")
    class RewardAbove(Detector):
        class Params(DetectorParams):
            at_least: float = 0.5

        def watched(self) -> Sequence[str]:
            return ("reward/mean",)

        def check(self, step: int, history: History) -> Finding | None:
            _, values = history.window("reward/mean", 1)
            if len(values) and values[-1] >= self.p.at_least:
                return Finding(f"reward {values[-1]:.2f}", {"reward": float(values[-1])})
            return None

    try:
        mon = Monitor({"only": ["reward_above"], "detectors": {"reward_above": {"warmup": 0}}})
        steps = [a.step for s in range(60) for a in mon.observe(s, ramp(s))]
        assert steps == [50]  # 0.01 * 50 = 0.5; then 50 steps of cooldown
    finally:
        DETECTORS.pop("reward_above")


def test_alert_keeps_wrong_but_paid_examples() -> None:
    samples = StepSamples(
        completions=["good", "gamed", "bad"],
        groups=["g", "g", "g"],
        rewards=[1.0, 0.9, 0.0],
        correct=[True, False, False],
    )
    mon = Monitor({"only": ["proxy_divergence"], "examples": 2})
    alerts = []
    for s in range(21):
        alerts += mon.observe(s, ramp(s), samples)
    assert [a.step for a in alerts] == [20]
    assert [e["completion"] for e in alerts[0].examples] == ["gamed", "bad"]
    body = alerts[0].as_dict()
    assert body["kind"] == "alert" and body["source"] == "proxy_divergence"
    assert body["keys"] == ["reward/mean", "train/success"]
    json.dumps(body)


def test_judge_probe_hook_is_logged_and_read() -> None:
    mon = Monitor({"only": ["judge_gaming"]}, judge_probe=lambda texts: 0.5)
    samples = StepSamples(["x"], ["g"], [1.0])
    alerts = [a for s in range(25) for a in mon.observe(s, {}, samples)]
    assert mon.signals["monitor/judge_probe_accept"] == 0.5
    assert [a.step for a in alerts] == [20]


def test_unknown_judge_probe_lists_the_registered() -> None:
    with pytest.raises(ConfigError, match="unknown judge probe 'opener'"):
        Monitor({"judge_probe": "opener"})
