"""Every metric the trainer logs is defined by a sentence that says something about it."""

from __future__ import annotations

import pytest

from rewardkit.runs.glossary import define, window_words

LOGGED = [
    "step", "advantage/std", "advantage/abs_mean", "train/steps_right", "train/tool_calls",
    "train/node_f1", "train/f1", "train/score", "eval/greedy/steps_right", "time/rollout",
    "reward/hit/zero_std_frac", "data/kept_groups", "wall_s", "run_dir", "steps",
]  # fmt: skip


@pytest.mark.parametrize("key", LOGGED)
def test_no_metric_falls_back_to_a_sentence_that_defines_nothing(key: str) -> None:
    meaning = define(key)
    assert "logged by the trainer or a component" not in meaning
    assert len(meaning) > 30, meaning


def test_summary_windows_name_the_steps_a_short_run_has() -> None:
    assert define("reward/mean", summary=True, steps=5) == (
        "mean root reward over all 5 steps (the run is shorter than 10)"
    )
    assert "steps 0-49" in define("reward/zero_std_frac@first50", summary=True, steps=500)
    assert window_words(10)["last"].startswith("all 10 steps")
    assert window_words(11)["last"] == "the last 10 steps"
