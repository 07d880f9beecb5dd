"""The reward-hacking monitor and the watched-metric check in ``RewardKitCallback``, on the real
GRPOTrainer (CPU, the tiny model of ``trl_setup``).

The loophole: ``rise`` pays 0.2 x the trainer step (0, 0.2, 0.4, ...) whatever the completion,
while the verifier, a metric node the policy is not paid for, stays at 0. With
``proxy_divergence`` at warm-up 2 and window 3, the proxy's gain over steps 0-2 is 0.4 with a
perfect fit, the verifier's is 0: the alert comes at step 2 (global step 3), and with cooldown 2
again at step 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integrations.trl_setup import grpo_config, trainer

from rewardkit.errors import ConfigError
from rewardkit.integrations.trl import RewardKitCallback
from rewardkit.monitor import Alert, Monitor
from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.types import Sample


@reward("trl_rising_loophole")
def trl_rising_loophole(sample: Sample, p: Params) -> float:
    return 0.2 * int(sample.id.split("-")[0])  # the id starts with the trainer step


@reward("trl_never_right")
def trl_never_right(sample: Sample, p: Params) -> float:
    return 0.0


PROGRAM: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "rise", "fn": "trl_rising_loophole"},
            {"metric": {"fn": "trl_never_right"}, "name": "verifier"},
        ]
    }
}
VERIFIER = "reward/verifier/trl_never_right/mean"  # a metric node logs its child's statistics


def monitor(on_alert: str = "warn", cooldown: int = 50) -> dict[str, Any]:
    return {
        "on_alert": on_alert,
        "verifier": VERIFIER,
        "only": ["proxy_divergence"],
        "detectors": {"proxy_divergence": {"warmup": 2, "window": 3, "cooldown": cooldown}},
    }


def alerts(callback: RewardKitCallback) -> list[tuple[int, str]]:
    return [(e.step, e.detector) for e in callback.events if isinstance(e, Alert)]


def expected_alerts(steps: int, cooldown: int) -> list[tuple[int, str]]:
    """The same detector fed the stream by hand: what the callback must raise."""
    mon = Monitor(monitor(cooldown=cooldown))
    out = []
    for step in range(steps):
        metrics = {"reward/mean": 0.2 * step, VERIFIER: 0.0}
        out += [(a.step, a.detector) for a in mon.observe(step, metrics)]
    return out


def test_an_alert_fires_at_the_known_step_and_is_logged(model_dir: str, tmp_path: Path) -> None:
    program = RewardProgram.from_dict(PROGRAM)
    callback = RewardKitCallback(program, monitor=monitor())
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=3), callback=callback)
    t.train()
    assert alerts(callback) == [(2, "proxy_divergence")] == expected_alerts(3, 50)
    alert = next(e for e in callback.events if isinstance(e, Alert))
    assert alert.stats["proxy_gain"] == pytest.approx(0.4) and alert.examples  # completions kept
    logs = [r for r in t.state.log_history if "loss" in r]
    assert [r.get("rewardkit/alert/proxy_divergence") for r in logs] == [None, None, 1.0]
    assert [r["rewardkit/reward/mean"] for r in logs] == pytest.approx([0.0, 0.2, 0.4])
    assert all("rewardkit/monitor/repeat_ngram_frac" in r for r in logs)  # the step's measures


def test_stop_checkpoints_and_the_resumed_run_keeps_the_monitor_state(
    model_dir: str, tmp_path: Path
) -> None:
    first = RewardProgram.from_dict(PROGRAM)
    stopping = RewardKitCallback(first, monitor=monitor("stop", cooldown=2))
    t1 = trainer(first, model_dir, grpo_config(tmp_path, max_steps=5), callback=stopping)
    t1.train()
    assert alerts(stopping) == [(2, "proxy_divergence")] and t1.state.global_step == 3
    saved = json.loads((tmp_path / "checkpoint-3" / "trainer_state.json").read_text())
    kept = saved["stateful_callbacks"]["RewardKitCallback"]["attributes"]["monitor"]
    assert kept["seen"] == 3 and kept["last_alert"] == {"proxy_divergence": 2}

    resumed = RewardProgram.from_dict(PROGRAM)
    again = RewardKitCallback(resumed, monitor=monitor("stop", cooldown=2))
    t2 = trainer(resumed, model_dir, grpo_config(tmp_path, max_steps=5), callback=again)
    t2.train(resume_from_checkpoint=str(tmp_path / "checkpoint-3"))
    # Restored: step 3 is in the cooldown, step 4 fires again. A fresh monitor would still be
    # in its warm-up at step 4 (2 steps seen) and stay silent.
    assert alerts(again) == [(4, "proxy_divergence")]
    assert alerts(stopping) + alerts(again) == expected_alerts(5, 2)
    assert again.protocol.monitor is not None and again.protocol.monitor.seen == 5


def test_a_watched_metric_trl_never_reports_is_an_error(model_dir: str, tmp_path: Path) -> None:
    config = {
        **PROGRAM,
        "schedules": {
            "w": {
                "ladder": [0.5, 1.0],
                "watch": "train/success",  # a built-in trainer metric: valid, but TRL lacks it
                "raise_when": {"mean_at_least": 0.5},
            }
        },
    }
    program = RewardProgram.from_dict(config)
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=2))
    with pytest.raises(ConfigError) as info:
        t.train()
    message = str(info.value)
    assert "schedules.w.watch: step 0 did not report the watched metric 'train/success'" in message
    assert "reward/rise/mean" in message and "Under TRL" in message  # what it has, and why
    assert program.step == 0  # raised after the first step, before the schedule observed it
