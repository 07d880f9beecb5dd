from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from rewardkit import RewardProgram
from rewardkit.config import parse_config
from rewardkit.curriculum.build import build_curriculum
from rewardkit.errors import (
    ComponentError,
    ConfigError,
    InputError,
    MissingExtraError,
    OutputError,
    RewardKitError,
    UnjudgeableReference,
    UnknownNameError,
    did_you_mean,
    require,
)
from rewardkit.schedule.build import build_schedule
from rewardkit.train.config import load_train_config


def test_errors_subclass_the_matching_builtins() -> None:
    assert issubclass(ConfigError, ValueError) and issubclass(InputError, ValueError)
    assert issubclass(ComponentError, RuntimeError) and issubclass(MissingExtraError, ImportError)


@pytest.mark.parametrize(
    "error",
    [
        ConfigError([("a.b", "must be positive"), ("c", "unknown field")]),
        UnknownNameError("reward", "iou_hti", ["iou", "iou_hit"], path="reward.fn"),
        InputError("line 3 is not JSON"),
        UnjudgeableReference("reference is not a box", wrong_value=0.5),
        OutputError("cannot write out/: a file is in the way"),
        ComponentError("reward.iou", "s7", OverflowError("too large")),
        MissingExtraError("install rewardkit[train]"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_pickling(error: RewardKitError) -> None:
    # a worker process or a Ray task hands its error to the parent by pickling it; a
    # ComponentError that could not be unpickled once hung a benchmark's process pool
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.__dict__.keys() >= {k for k in error.__dict__ if k != "_made_with"}


def test_config_error_lists_every_problem() -> None:
    err = ConfigError([("a.b", "bad"), ("c", "worse")])
    assert "2 problems" in str(err) and "a.b: bad" in str(err) and "c: worse" in str(err)


def test_require_names_the_extra() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'rewardkit\[train\]'"):
        require("surely_not_a_module_xyz", "train")


def test_did_you_mean() -> None:
    assert did_you_mean("weigthed", ["weighted", "tiers"]) == "'weighted'"
    assert did_you_mean("zzz", ["weighted"]) == ""


def _problems(build: Callable[[], object]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        build()
    return info.value.problems


@pytest.mark.parametrize(
    ("build", "path", "hint"),
    [
        (  # the program config
            lambda: parse_config({"reward": {"fn": "exact_match"}, "advantages": {}}),
            "advantages",
            "did you mean 'advantage'",
        ),
        (  # a reward component's parameters, inside the program
            lambda: RewardProgram.from_dict({"reward": {"fn": "iou_hit", "treshold": 0.8}}),
            "reward.treshold",
            "did you mean 'threshold'",
        ),
        (  # a schedule
            lambda: build_schedule(
                "t",
                {
                    "ladder": [0.1, 0.2],
                    "watch": "reward/mean",
                    "raise_when": {"mean_at_least": 0.5},
                    "windw": 5,
                },
            ),
            "schedules.t.windw",
            "did you mean 'window'",
        ),
        (  # a curriculum
            lambda: build_curriculum("c", {"bandit": {"arms": ["a"], "temprature": 1.0}}),
            "curricula.c.bandit.temprature",
            "did you mean 'temperature'",
        ),
        (  # the train config
            lambda: load_train_config(None, {"stpes": 3}),
            "stpes",
            "did you mean 'steps'",
        ),
    ],
)
def test_every_config_reports_unknown_fields_the_same_way(
    build: Callable[[], object], path: str, hint: str
) -> None:
    problems = _problems(build)
    assert [p for p, _ in problems] == [path]
    message = problems[0][1]
    name = path.rsplit(".", 1)[-1]
    assert message.startswith(f"unknown field {name!r} ({hint}")
    right = hint.split("'")[1]
    assert right in message.split("; valid fields: ")[1].split(", ")  # and every valid name


def test_config_error_names_the_fields_of_a_nested_model() -> None:
    problems = _problems(lambda: parse_config({"reward": {}, "advantage": {"estimatr": "grpo"}}))
    assert problems[0][0] == "advantage.estimatr"
    assert "did you mean 'estimator'?" in problems[0][1]
    assert "step_weight" in problems[0][1]  # the list of the fields valid at that place


def test_validation_errors_are_converted_only_in_errors_py() -> None:
    """One converter: no other module turns a pydantic ValidationError into messages."""
    src = Path(__file__).parents[1] / "src" / "rewardkit"
    converting = sorted(
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if ".errors()" in p.read_text(encoding="utf-8") and p.name != "errors.py"
    )
    assert converting == []


def test_a_component_timeout_reads_as_its_message_and_survives_pickling() -> None:
    """TimeoutError is an OSError, which formats two arguments as ``[Errno path] seconds``."""
    import pickle

    from rewardkit.errors import ComponentTimeout

    exc = ComponentTimeout("reward/slow", 1.0)
    again = pickle.loads(pickle.dumps(exc))
    for e in (exc, again):
        assert str(e).startswith("reward component 'reward/slow' did not finish within 1 s")
        assert "Errno" not in str(e)
    assert (again.path, again.timeout_s) == ("reward/slow", 1.0)
