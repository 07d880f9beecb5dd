"""Each detector on hand-built metric streams: one that must fire at a known step, one that must not.

Streams are straight lines, so the gains are easy to check: a series rising by 0.01 per step
gains 0.19 over a 20-step window. Every detector has warmup 20 and window 20 by default, so with
a trend present from step 0 it fires at step 20, the first step after its 20 warm-up steps.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rewardkit.monitor import Monitor

Stream = Callable[[int], dict[str, float]]


def first_alerts(only: str, stream: Stream, steps: int = 60, **options: object) -> list[int]:
    mon = Monitor({"only": [only], "detectors": {only: options}})
    return [a.step for s in range(steps) for a in mon.observe(s, stream(s))]


def wobble(step: int) -> float:
    """A tiny alternating noise (+-0.001), so flat series are not exactly constant."""
    return 0.001 * (-1) ** step


def paid(step: int) -> dict[str, float]:
    """The reward rising by 0.01 per step (gain 0.19 over a window) and the verifier flat."""
    return {"reward/mean": 0.01 * step, "train/success": 0.3 + wobble(step)}


FIRES: dict[str, tuple[Stream, int]] = {
    # reward climbs 0.01 per step (gain 0.19 >= 0.15), success flat.
    "proxy_divergence": (
        lambda s: {"reward/mean": 0.01 * s, "train/success": 0.3 + wobble(s)},
        20,
    ),
    # share of reward paid to wrong answers climbs from 0.5 (>= 0.5, gain 0.19 >= 0.1).
    "format_only": (
        lambda s: {**paid(s), "monitor/unverified_share": 0.5 + 0.01 * s},
        20,
    ),
    # completions grow from 10 by 0.2 tokens per step: +38 % over the window (>= 25 %).
    "length_drift": (
        lambda s: {**paid(s), "train/completion_tokens": 10 + 0.2 * s},
        20,
    ),
    # steps per completion 2 -> +0.05 per step: +47 % over the window.
    "step_farming": (
        lambda s: {**paid(s), "monitor/steps_per_completion": 2 + 0.05 * s},
        20,
    ),
    # every group identical from the start: mean 1.0 >= 0.9 once the window is full.
    "degeneration": (lambda s: {"monitor/identical_group_frac": 1.0}, 20),
    # one component's share of the advantage variance: 0.1 for 30 steps, then 0.95. At step 33
    # the last 5 average (0.1 + 4 * 0.95) / 5 = 0.78 < 0.8; at step 34 they are all 0.95.
    "component_dominance": (
        lambda s: {**paid(s), "monitor/dominance/long": 0.1 if s < 30 else 0.95},
        34,
    ),
    # the master-key probe accepts half the answers from step 25 on; the mean of the last 5
    # values is 0.1 at step 25 and 0.2 (>= 0.2) at step 26.
    "judge_gaming": (lambda s: {"monitor/judge_probe_accept": 0.5 if s >= 25 else 0.0}, 26),
}

QUIET: dict[str, Stream] = {
    # both rise together: the verifier is not flat.
    "proxy_divergence": lambda s: {"reward/mean": 0.01 * s, "train/success": 0.01 * s},
    # wrong answers' share high but falling.
    "format_only": lambda s: {"monitor/unverified_share": 0.9 - 0.01 * s, "train/success": 0.3},
    # longer answers, and correctness rises with them.
    "length_drift": lambda s: {
        "train/completion_tokens": 10 + 0.2 * s,
        "train/success": 0.2 + 0.01 * s,
    },
    "step_farming": lambda s: {
        "monitor/steps_per_completion": 2 + 0.05 * s,
        "train/success": 0.2 + 0.01 * s,
    },
    # half of the groups identical, repetition low, entropy steady.
    "degeneration": lambda s: {
        "monitor/identical_group_frac": 0.5,
        "monitor/repeat_ngram_frac": 0.1 + wobble(s),
        "train/entropy_proxy": 1.0 + wobble(s),
    },
    # a component dominant from the start (not a shift), and success rising.
    "component_dominance": lambda s: {"monitor/dominance/target": 0.95, "train/success": 0.01 * s},
    "judge_gaming": lambda s: {"monitor/judge_probe_accept": 0.05},
}


@pytest.mark.parametrize("name", sorted(FIRES))
def test_fires_at_known_step(name: str) -> None:
    stream, step = FIRES[name]
    assert first_alerts(name, stream)[:1] == [step]


@pytest.mark.parametrize("name", sorted(QUIET))
def test_stays_quiet(name: str) -> None:
    assert first_alerts(name, QUIET[name]) == []


def test_cooldown_spaces_alerts() -> None:
    stream = FIRES["proxy_divergence"][0]
    assert first_alerts("proxy_divergence", stream, steps=100, cooldown=30) == [20, 50, 80]


def test_warmup_delays_the_first_alert() -> None:
    stream = FIRES["proxy_divergence"][0]
    assert first_alerts("proxy_divergence", stream, warmup=35)[:1] == [35]


def test_repetition_and_entropy_collapse() -> None:
    rising = lambda s: {"monitor/repeat_ngram_frac": 0.3 + 0.02 * s}  # noqa: E731
    # at step 20 the last 5 values average 0.3 + 0.02*18 = 0.66 >= 0.5; gain 0.38 >= 0.15.
    assert first_alerts("degeneration", rising)[:1] == [20]
    falling = lambda s: {"train/entropy_proxy": max(2.0 - 0.1 * s, 0.01)}  # noqa: E731
    # fall over steps 1..20: 1.9, >= 80 % of the start mean (1.9) → fires at step 20.
    assert first_alerts("degeneration", falling)[:1] == [20]


def test_divergence_with_a_sparse_eval_verifier() -> None:
    def stream(s: int) -> dict[str, float]:
        row = {"reward/mean": 0.01 * s}
        if s % 5 == 0:
            row["eval/greedy/success"] = 0.4
        return row

    mon = Monitor({"verifier": "eval/greedy/success", "only": ["proxy_divergence"]})
    assert [a.step for s in range(40) for a in mon.observe(s, stream(s))][:1] == [20]


@pytest.mark.parametrize(
    ("name", "key", "line"),
    [
        ("format_only", "monitor/unverified_share", lambda s: 0.5 + 0.01 * s),
        ("length_drift", "train/completion_tokens", lambda s: 10 + 0.2 * s),
        ("step_farming", "monitor/steps_per_completion", lambda s: 2 + 0.05 * s),
        ("component_dominance", "monitor/dominance/long", lambda s: 0.1 if s < 30 else 0.95),
    ],
)
def test_a_change_the_reward_does_not_pay_for_is_drift(
    name: str, key: str, line: Callable[[int], float]
) -> None:
    # the same rising series as in FIRES, verifier flat, but the reward flat too.
    def stream(s: int) -> dict[str, float]:
        return {key: line(s), "reward/mean": 0.4 + wobble(s), "train/success": 0.3 + wobble(s)}

    assert first_alerts(name, stream) == []
