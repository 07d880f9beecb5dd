"""RewardProgram with schedules and curricula: variables, watches, observe, exact state restore."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import samples

from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram

LADDER: dict[str, Any] = {
    "reward": {"weighted": [{"fn": "test_meta", "key": "hit", "name": "hit", "scale": "${t}"}]},
    "schedules": {
        "t": {
            "ladder": [1.0, 2.0, 3.0],
            "watch": "reward/hit/mean",
            "window": 2,
            "raise_when": {"mean_at_least": 0.5},
            "refresh": "full",
        },
    },
}


def test_a_watch_that_no_node_produces_is_an_error() -> None:
    bad = json.loads(json.dumps(LADDER))
    bad["schedules"]["t"]["watch"] = "reward/hti/mean"
    with pytest.raises(
        ConfigError, match=r"schedules.t.watch: no metric 'reward/hti/mean' is reported"
    ):
        RewardProgram.from_dict(bad)
    bad["schedules"]["t"]["watch"] = "eval/greedy/success"  # a metric the trainer logs
    RewardProgram.from_dict(bad)


@pytest.mark.parametrize(
    ("watch", "hint"),
    [
        ("eval/accuracy", ""),  # any train/ or eval/ name passed before
        ("train/sucess", "did you mean 'train/success'"),
        ("eval/greedy/succes", "did you mean 'eval/greedy/success'"),
    ],
)
def test_a_watch_the_trainer_does_not_log_is_an_error(watch: str, hint: str) -> None:
    bad = json.loads(json.dumps(LADDER))
    bad["schedules"]["t"]["watch"] = watch
    with pytest.raises(ConfigError) as info:
        RewardProgram.from_dict(bad)
    path, message = info.value.problems[0]
    assert path == "schedules.t.watch" and message.startswith(f"no metric {watch!r} is reported")
    assert hint in message and "train/..., eval/greedy/..." in message


def test_variable_defined_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="also defined under schedules"):
        RewardProgram.from_dict({**LADDER, "variables": {"t": 1.0}})


def run(
    program: RewardProgram, steps: range, hits: list[float]
) -> list[tuple[int, float, list[Any]]]:
    trace = []
    for step in steps:
        scale = program.variables["t"]
        scored = program.score(samples([{"hit": hits[step]}]))
        events = program.observe(step, scored.metrics)
        trace.append((step, scale, [e.as_dict() for e in events]))
    return trace


def test_schedule_drives_the_parameter_and_restores_exactly() -> None:
    hits = [1.0] * 12
    straight = run(RewardProgram.from_dict(LADDER), range(12), hits)
    # window 2 with full refresh: raise after steps 1 and 3; the scaled hit mean (2.0) keeps it going
    assert [s for s, _, ev in straight if ev] == [1, 3]
    assert [scale for _, scale, _ in straight][:5] == [1.0, 1.0, 2.0, 2.0, 3.0]

    first = RewardProgram.from_dict(LADDER)
    head = run(first, range(3), hits)
    state = json.loads(json.dumps(first.state_dict()))
    resumed = RewardProgram.from_dict(LADDER)
    resumed.load_state_dict(state)
    assert resumed.variables == first.variables
    # replaying the last observed step again must not re-fire anything
    assert resumed.observe(2, {"reward/hit/mean": 1.0}) == []
    tail = run(resumed, range(3, 12), hits)
    assert head + tail == straight


def test_curricula_observe_outcomes() -> None:
    config = {
        "reward": {"fn": "test_meta"},
        "curricula": {
            "sec": {"bandit": {"arms": ["easy", "hard"], "learning_rate": 0.5, "temperature": 0.1}}
        },
    }
    program = RewardProgram.from_dict(config)
    rows = [
        {"v": 1.0, "group": "a"},
        {"v": 0.0, "group": "a"},
        {"v": 1.0, "group": "b"},
        {"v": 1.0, "group": "b"},
    ]
    batch = samples(rows)
    batch = [
        s.__class__(**{**s.__dict__, "meta": {**s.meta, "source": src}})
        for s, src in zip(batch, ["hard", "hard", "easy", "easy"], strict=True)
    ]
    scored = program.score(batch)
    adv = program.advantages(scored)
    outcomes = program.outcomes(scored, adv)
    assert [o["correct"] for o in outcomes] == [True, False, True, True]
    program.observe(0, scored.metrics, outcomes)
    probs = program.curricula["sec"].probabilities()  # type: ignore[attr-defined]
    # "hard" had |advantage| 0.707 on average, "easy" 0: the bandit moves toward "hard"
    assert probs["hard"] > probs["easy"]
    assert "curriculum/sec/" in next(iter(program.curriculum_metrics()))
    restored = RewardProgram.from_dict(config)
    restored.load_state_dict(json.loads(json.dumps(program.state_dict())))
    assert restored.curricula["sec"].probabilities() == probs  # type: ignore[attr-defined]


def test_a_watch_may_read_every_metric_the_program_reports() -> None:
    program = RewardProgram.from_dict(LADDER)
    logged = program.score(samples([{"v": 1.0}, {"v": 0.0}])).metrics
    logged |= program.advantages(program.score(samples([{"v": 1.0}, {"v": 0.0}]))).metrics
    for metric in sorted(k for k in logged if not k.startswith("schedule/")):
        config = json.loads(json.dumps(LADDER))
        config["schedules"]["t"]["watch"] = metric
        RewardProgram.from_dict(config)  # no problem: the program reports it
