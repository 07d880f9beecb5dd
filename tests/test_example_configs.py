"""Every shipped config builds: program configs with RewardProgram, train configs with TrainConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardkit.config import load_yaml
from rewardkit.program import RewardProgram

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "examples" / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_builds(path: Path) -> None:
    data = load_yaml(path)
    if "task" in data:
        from rewardkit.train.config import load_train_config

        cfg = load_train_config(path)
        assert cfg.program is not None
        RewardProgram.from_dict(cfg.program)
    else:
        RewardProgram.from_dict(data)


def test_train_boxes_is_the_embedded_default() -> None:
    """`rewardkit train` with no config and with examples/configs/train_boxes.yaml is one run."""
    from rewardkit.tasks.boxes import boxes_reward_config
    from rewardkit.train.config import TrainConfig, load_train_config

    shipped = load_train_config(
        Path(__file__).resolve().parents[1] / "examples/configs/train_boxes.yaml"
    )
    embedded = TrainConfig()
    assert embedded.program is None and embedded.task == "boxes"  # the task's program
    assert (
        shipped.model_dump()
        == embedded.model_copy(update={"program": boxes_reward_config()}).model_dump()
    )
