"""DUMP UCB: scores by hand, unseen arms first, sampling shifts toward the learnable source."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from rewardkit.curriculum import UCB, Outcome, build_curriculum

from .conftest import ARMS, share, simulate_arms


def make(**fields: Any) -> UCB:
    body: dict[str, Any] = {"arms": ["a", "b"], **fields}
    c = build_curriculum("dump", {"ucb": body})
    assert isinstance(c, UCB)
    return c


def test_unseen_arms_first() -> None:
    u = make(arms=["a", "b", "c"])
    assert u.probabilities() == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    u.observe(0, [Outcome("a", "g", advantage=0.9)])
    assert u.probabilities() == {"a": 0.0, "b": 0.5, "c": 0.5}
    assert u.scores()["b"] == math.inf


def test_scores_by_hand() -> None:
    u = make(exploration=1.0, window=None)
    u.observe(
        0,
        [
            Outcome("a", "g", advantage=0.5),
            Outcome("a", "g", advantage=-0.3),
            Outcome("b", "h", advantage=0.1),
        ],
    )
    # total = 3 samples; a: mean |A| 0.4, n 2; b: mean |A| 0.1, n 1
    assert u.scores() == pytest.approx(
        {"a": 0.4 + math.sqrt(math.log(3) / 2), "b": 0.1 + math.sqrt(math.log(3) / 1)}
    )  # 1.1411 and 1.1481: the rarely sampled b edges ahead


def test_probabilities_are_softmax_of_scores() -> None:
    u = make(exploration=0.0, temperature=0.5)
    u.observe(0, [Outcome("a", "g", advantage=0.0), Outcome("b", "g", advantage=math.log(3) / 2)])
    # scores 0 and ln(3)/2; divided by T = 0.5: 0 and ln 3 -> 1 : 3
    assert u.probabilities() == pytest.approx({"a": 0.25, "b": 0.75})


def test_window_keeps_the_newest_samples() -> None:
    windowed, running = make(window=2), make(window=None)
    for u in (windowed, running):
        for step, adv in enumerate([1.0, 1.0, 0.0, 0.0]):
            u.observe(step, [Outcome("a", "g", advantage=adv)])
    assert windowed.mean_abs_advantage("a") == 0.0  # last two samples
    assert running.mean_abs_advantage("a") == 0.5  # all four


def test_sampling_shifts_to_the_learnable_source() -> None:
    u = build_curriculum("dump", {"ucb": {"arms": ARMS}})
    assert isinstance(u, UCB)
    picks = simulate_arms(u, steps=60)
    assert u.probabilities()["learnable"] > 0.8
    assert share(picks[-20:], "learnable") > 0.8  # uniform sampling would give 0.25
    counts = u.metrics()
    # exploration keeps sampling the flat sources, but far less
    assert all(counts["n/learnable"] > 10 * counts[f"n/{a}"] > 0 for a in ARMS[1:])


def test_state_roundtrip_gives_identical_picks() -> None:
    def run(cut: int | None) -> tuple[list[list[str]], list[Any], dict[str, float]]:
        u = make(arms=ARMS, window=5)
        rng = np.random.default_rng(3)
        picks, events = [], []
        for step in range(25):
            if step == cut:
                restored = make(arms=ARMS, window=5)
                restored.load_state_dict(json.loads(json.dumps(u.state_dict())))
                u = restored
            arms = u.sample_arms(8, rng)
            picks.append(arms)
            gain = [0.8 if a == "learnable" else 0.05 for a in arms]
            events += u.observe(
                step, [Outcome(a, "g", advantage=g) for a, g in zip(arms, gain, strict=True)]
            )
        return picks, events, u.probabilities()

    assert run(cut=10) == run(cut=None)


def test_replayed_step_is_ignored() -> None:
    u = make()
    u.observe(0, [Outcome("a", "g", advantage=0.5)])
    u.observe(0, [Outcome("a", "g", advantage=0.5)])
    assert u.metrics()["n/a"] == 1.0


def test_load_state_rejects_other_arms() -> None:
    with pytest.raises(ValueError, match="arms changed"):
        make(arms=["x"]).load_state_dict(make().state_dict())
