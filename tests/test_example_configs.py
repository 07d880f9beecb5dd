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
