"""``rewardkit init``: a commented starter config that check, train and score take as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rewardkit.cli.init import starter_config
from rewardkit.cli.main import app
from rewardkit.tasks import make_task
from rewardkit.train.config import load_train_config

runner = CliRunner()


@pytest.mark.parametrize("task", ["boxes", "chain", "countdown", "workflow", "lookup"])
def test_the_starter_is_a_train_config_with_its_tasks_program(task: str) -> None:
    text = starter_config(task)
    config = load_train_config(yaml.safe_load(text))
    assert config.task == task and config.steps == 500
    assert config.program == make_task(task, {}).reward_config()
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 10


def test_init_writes_then_check_reads_it_and_it_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    assert f"rewardkit check {path}" in result.output
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "iou_threshold" in checked.output and "ok" in checked.output
    path.write_text("mine\n")
    again = runner.invoke(app, ["init", str(path)])
    assert again.exit_code == 2 and "--force" in again.output
    assert path.read_text() == "mine\n"
    assert runner.invoke(app, ["init", str(path), "--force"]).exit_code == 0
    assert "task: boxes" in path.read_text()


def test_init_names_the_tasks_it_knows(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "x.yaml"), "--task", "boxs"])
    assert result.exit_code == 2 and "boxes, countdown" in result.output
