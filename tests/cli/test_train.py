"""``rewardkit train``, ``report`` and ``compare`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from rewardkit.cli.runs import compare, report
from rewardkit.cli.train import train

pytest.importorskip("torch")

app = typer.Typer()
app.command()(train)
app.command()(report)
app.command()(compare)
runner = CliRunner()


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "train.yaml"
    options = {
        "task": "chain",
        "steps": 2,
        "prompts_per_step": 2,
        "group_size": 2,
        "max_new_tokens": 6,
        "eval_every": 1,
        "eval_size": 2,
        "tiny": {"layers": 1, "hidden": 32, "heads": 2, "mlp": 64},
        "warm_start": {"steps": 1, "batch": 2, "cache_dir": str(tmp_path / "cache")},
        "run_name": "cli",
    }
    path.write_text(yaml.safe_dump(options))
    return path


def test_train_report_compare(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = runner.invoke(app, ["train", str(_config(tmp_path)), "--out-dir", str(out), "-q"])
    assert result.exit_code == 0, result.output
    run = out / "cli"
    assert str(run) in result.output and "run summary" in result.output
    assert (run / "report.html").exists()
    assert json.loads((run / "config.json").read_text())["steps"] == 2

    (run / "report.html").unlink()
    assert runner.invoke(app, ["report", str(run)]).exit_code == 0
    assert (run / "report.html").exists()

    plot = tmp_path / "c.png"
    shown = runner.invoke(
        app,
        [
            "compare",
            str(run),
            str(run),
            "--metric",
            "reward/mean",
            "--target",
            "0",
            "--plot",
            str(plot),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "steps_to_target" in shown.output and plot.exists()

    again = runner.invoke(app, ["train", "--resume", str(run), "-q"])
    # a finished run says so (and --steps extends it: tests/cli/test_failures.py)
    assert again.exit_code == 2 and "is complete (2 of 2 steps)" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "missing.yaml"], "does not exist"),
        (["report", "nowhere"], "run folder"),
        (["compare", "nowhere"], "run folder"),
        (["train", "--set", "steps"], "KEY=VALUE"),
        (["train", "--set", "steps=[1"], "not valid YAML"),
        (["train", "--set", "stepz=3"], "stepz"),
    ],
)
def test_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_set_overrides_nested_keys_of_a_config_file(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    args = ["train", str(_config(tmp_path)), "--out-dir", str(out), "-q"]
    args += ["--set", "steps=1", "--set", "tiny.mlp=48", "--set", "name=set by flag"]
    assert runner.invoke(app, args).exit_code == 0
    saved = json.loads((out / "cli" / "config.json").read_text())
    assert saved["steps"] == 1 and saved["name"] == "set by flag"
    assert saved["tiny"] == {"family": "qwen2", "layers": 1, "hidden": 32, "heads": 2, "mlp": 48}


def test_a_program_config_trains_the_default_task_with_that_program(tmp_path: Path) -> None:
    """`rewardkit train program.yaml` wraps it as `program:` (and says so), instead of
    "unknown field 'reward' (did you mean 'threads'?)"."""
    ladder = Path(__file__).resolve().parents[2] / "examples/configs/boxes_ladder.yaml"
    out = tmp_path / "runs"
    tiny = ["tiny.layers=1", "tiny.hidden=32", "tiny.heads=2", "tiny.mlp=64", "eval_every=0"]
    tiny += ["warm_start.steps=1", f"warm_start.cache_dir={tmp_path / 'cache'}", "run_name=p"]
    args = ["train", str(ladder), "--steps", "1", "--out-dir", str(out), "-q"]
    args += [x for pair in tiny for x in ("--set", pair)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "is a program config: training the default task with it" in result.output
    saved = json.loads((out / "p" / "config.json").read_text())
    assert saved["task"] == "boxes"
    assert (
        saved["program"]["schedules"]["iou_threshold"]["window"] == 30
    )  # the file's, not the task's


def test_a_file_mixing_both_shapes_names_the_keys_to_move(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("task: boxes\nsteps: 3\nreward: {fn: iou}\nschedules: {}\n")
    result = runner.invoke(app, ["train", str(path)])
    assert result.exit_code == 2
    assert "mixes a train config (task, steps)" in result.output
    assert "top level (reward, schedules); indent those under 'program:'" in result.output


def test_a_value_after_a_flag_is_told_flags_take_none() -> None:
    result = runner.invoke(app, ["train", "-q", "true"])
    assert result.exit_code == 2
    assert "flags such as -q/--quiet take no value" in result.output


def test_short_runs_say_which_steps_their_summary_covers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rewardkit.cli.train import _print_summary

    monkeypatch.setenv("COLUMNS", "200")
    summary = {"run_dir": "r", "steps": 5, "wall_s": 211.0, "seconds_per_step": 1.0}
    summary |= {"reward/mean": 0.5, "train/success": 0.25, "reward/zero_std_frac@first50": 0.1}
    _print_summary(summary, 286.0)
    shown = " ".join(capsys.readouterr().out.split())
    assert "reward/mean (all 5 steps)" in shown and "reward/zero_std_frac (all 5 steps)" in shown
    assert "last 10" not in shown and "first50" not in shown and "0-49" not in shown
    # both times, each saying what it counts
    assert "286.0 s (set-up, steps, final evaluation, report)" in shown
    assert "211.0 s (wall_s in summary.json)" in shown
