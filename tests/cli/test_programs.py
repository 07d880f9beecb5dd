"""The one resolver every command uses: program config, train config, run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.cli.programs import load_program, program_source
from rewardkit.errors import ConfigError, InputError

PROGRAM = "reward: {fn: exact_match}\n"


def test_a_program_config(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROGRAM)
    assert program_source(path) == ({"reward": {"fn": "exact_match"}}, "program config")
    assert load_program(path, {"on_error": "raise"}).config.on_error == "raise"


def test_a_train_config_gives_its_program_or_its_task_default(tmp_path: Path) -> None:
    with_program = tmp_path / "t.yaml"
    with_program.write_text("task: chain\nsteps: 3\nprogram:\n  reward: {fn: exact_match}\n")
    data, what = program_source(with_program)
    assert data["reward"] == {"fn": "exact_match"} and what == "train config: task chain, 3 steps"
    default = tmp_path / "d.yaml"
    default.write_text("task: boxes\n")
    assert "iou_threshold" in load_program(default).schedules


def test_a_run_folder_gives_its_program(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"task": "chain", "program": {"reward": {"fn": "numeric"}}})
    )
    assert load_program(run).to_dict()["reward"] == {"fn": "numeric"}


def test_errors_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: chain\nprogram:\n  reward: {fn: exact_mach}\n")
    with pytest.raises(ConfigError, match=r"program\.reward\.fn: unknown reward component"):
        load_program(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_program(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_program(empty)
