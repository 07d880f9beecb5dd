"""TrainConfig: documented defaults, frozen, unknown keys rejected, YAML with overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rewardkit.errors import ConfigError
from rewardkit.train.config import (
    TinyModelOptions,
    TrainConfig,
    WarmStartOptions,
    load_train_config,
)


def test_every_field_is_documented() -> None:
    for model in (TrainConfig, TinyModelOptions, WarmStartOptions):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_frozen_and_strict() -> None:
    cfg = TrainConfig()
    with pytest.raises(ValidationError):
        cfg.steps = 3  # type: ignore[misc]
    with pytest.raises(ConfigError, match="stepz"):
        load_train_config({"stepz": 3})


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("task: countdown\nsteps: 40\nprogram:\n  reward: {fn: countdown}\n")
    cfg = load_train_config(path, {"steps": 5})
    assert (cfg.task, cfg.steps, cfg.program) == ("countdown", 5, {"reward": {"fn": "countdown"}})


def test_nested_overrides_merge_key_by_key(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("tiny: {layers: 3, hidden: 96, heads: 4}\n")
    cfg = load_train_config(path, {"tiny": {"layers": 4}})
    assert (cfg.tiny.layers, cfg.tiny.hidden) == (4, 96)


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"program": {"schedules": {}}}, "reward"),
        ({"tiny": {"hidden": 30, "heads": 4}}, "heads"),
        ({"loss_aggregation": "sum"}, "loss_aggregation"),
        ({"group_size": 1}, "group_size"),
    ],
)
def test_every_problem_names_its_field(options: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        load_train_config(options)
