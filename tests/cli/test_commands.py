"""Commands answer the question (issue 11): help from TrainConfig, --version, check and simulate
on train configs and run folders, score at a chosen or saved schedule state, score's streaming
and progress, compare's --metric and run names. Each runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.cli.conftest import ROOT, failed, rk, rows, tiny_train_config

from rewardkit.program import RewardProgram
from rewardkit.train.config import options_help

pytestmark = pytest.mark.process

LADDER = ROOT / "examples/configs/boxes_ladder.yaml"
STREAM = ROOT / "examples/data/boxes_metrics.jsonl"


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# -- help and version ----------------------------------------------------------------------------


def test_train_help_lists_every_config_option_with_its_default() -> None:
    result = rk("train", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # the help is wrapped to the terminal
    for line in options_help():
        key = line.split(" ", 1)[0].rstrip(":")
        assert f" {key}:" in text, key
    assert "steps: 500 optimizer steps" in text
    assert "tiny.layers: 2 decoder layers" in text
    assert "loss_aggregation: grpo grpo: mean over each sequence" in text
    # defaults as they are written in YAML, not as Python prints them; flags take no <bool>
    assert "model: null " in text and "sinks: [] " in text and "betas: [0.9, 0.99] " in text
    assert "<bool>" not in result.stdout and "--quiet -q no progress bar" in text


def test_version() -> None:
    result = rk("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"rewardkit {version('rewardkit')}"


# -- check and simulate take train configs and run folders ----------------------------------------


def test_check_validates_a_train_config(tmp_path: Path) -> None:
    good = tiny_train_config(tmp_path, tmp_path / "cache")
    result = rk("check", good)
    assert result.returncode == 0, result.stderr
    assert "train config: task chain, 2 steps" in result.stdout and "ok" in result.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"task": "chain", "group_size": 1, "program": {"reward": {"fn": "nope"}}})
    )
    failed(rk("check", bad), "group_size: Input should be greater than or equal to 2")
    bad.write_text(yaml.safe_dump({"task": "chain", "program": {"reward": {"fn": "exact_mach"}}}))
    failed(rk("check", bad), "program.reward.fn: unknown reward component 'exact_mach'")


def _run_folder(path: Path, program: dict[str, Any], **config: Any) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"program": program, **config}))
    shutil.copy(STREAM, path / "metrics.jsonl")
    return path


def test_check_and_simulate_take_a_run_folder(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "run", yaml.safe_load(LADDER.read_text()), task="boxes")
    checked = rk("check", run)
    assert checked.returncode == 0, checked.stderr
    assert "reward/hit  iou_hit" in checked.stdout
    shown = rk("simulate", run, "--json", "-")  # its own program, its own metrics.jsonl
    assert shown.returncode == 0, shown.stderr
    raises = [(e["step"], e["new"]) for e in json.loads(shown.stdout)["events"]]
    assert raises[:2] == [(78, 0.45), (93, 0.55)]  # as tests/cli/test_simulate.py's stream


# -- score at a chosen state, or at a run's saved state -------------------------------------------

HALF = {"id": "half", "group": "g", "completion": "[0, 0, 10, 5]", "reference": [0, 0, 10, 10]}
MISS = {"id": "miss", "group": "g", "completion": "[0, 0, 1, 1]", "reference": [0, 0, 10, 10]}


def _hit(tmp_path: Path, *args: str | Path) -> float:
    """reward/hit of a box with IoU 0.5 (half of the reference) scored with ``args``."""
    data = jsonl(tmp_path / "in.jsonl", [HALF, MISS])
    out = tmp_path / "out.jsonl"
    result = rk("score", "-i", data, "-o", out, "--force", *args)
    assert result.returncode == 0, result.stderr
    return float(rows(out)[0]["components"]["reward/hit"])


def test_score_set_fixes_a_scheduled_variable(tmp_path: Path) -> None:
    assert _hit(tmp_path, "-c", LADDER) == 1.0  # the ladder starts at 0.3 <= 0.5
    assert _hit(tmp_path, "-c", LADDER, "--fix", "iou_threshold=0.55") == 0.0
    failed(
        rk("score", "-c", LADDER, "-i", STREAM, "-o", tmp_path / "o", "--fix", "iou_treshold=1"),
        "no variable 'iou_treshold' (did you mean 'iou_threshold'?)",
    )


def test_score_state_uses_a_runs_saved_schedule_state(
    tmp_path: Path, run_copy: Callable[[], Path]
) -> None:
    run = run_copy()
    ladder = yaml.safe_load(LADDER.read_text())
    program = RewardProgram.from_dict(ladder)
    for step, line in enumerate(STREAM.read_text().splitlines()[:94]):
        program.observe(step, {k: v for k, v in json.loads(line).items() if k != "step"})
    assert program.variables["iou_threshold"] == 0.55  # raised at steps 78 and 93
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "program": ladder}))
    state_file = run / "checkpoints" / "step-000002" / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "program": program.state_dict()}))

    assert _hit(tmp_path, "--run", run) == 0.0  # 0.5 < 0.55 at the saved state
    assert _hit(tmp_path, "--run", run, "--fix", "iou_threshold=0.45") == 1.0


# -- score streams its output and shows progress --------------------------------------------------


BOOM = """
def fail_on_boom(sample, params):
    if sample.meta.get("boom"):
        raise RuntimeError(f"boom on {sample.id}")
    return 1.0
"""


def test_a_crash_keeps_every_group_scored_before_it(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("reward: {fn: boom:fail_on_boom}\n")
    (tmp_path / "boom.py").write_text(BOOM)  # imported from the current directory
    records = [
        {"id": f"s{i}", "group": f"g{i // 2}", "completion": "x", "meta": {"boom": i == 161}}
        for i in range(200)
    ]
    out = tmp_path / "o.jsonl"
    failed(
        rk(
            "score",
            "-c",
            config,
            "-i",
            jsonl(tmp_path / "in.jsonl", records),
            "-o",
            out,
            cwd=tmp_path,
        ),
        "raised RuntimeError on sample 's161'",
        f"(160 scored samples before it are in {out})",
    )
    assert [r["id"] for r in rows(out)] == [f"s{i}" for i in range(160)]  # groups 0-79


def test_off_a_terminal_score_prints_the_output_and_plain_progress(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("reward: {fn: exact_match}\n")
    records = [
        {"id": str(i), "group": str(i // 4), "completion": "a", "reference": "a"}
        for i in range(2500)
    ]
    out = tmp_path / "o.jsonl"
    result = rk("score", "-c", config, "-i", jsonl(tmp_path / "in.jsonl", records), "-o", out)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"scoring 2500 samples into {out}"
    progress = [line for line in lines if line.startswith("scored ")]
    # at most 10 lines whatever the size (1 per 10% done), each with its rate and time left
    assert 5 <= len(progress) <= 10
    assert progress[0].startswith("scored 256/2500 samples (10%), ") and " left" in progress[0]
    assert len(rows(out)) == 2500


def test_on_a_terminal_score_shows_a_progress_bar(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("reward: {fn: exact_match}\n")
    data = jsonl(tmp_path / "in.jsonl", [{"completion": "a", "reference": "a"}] * 3)
    out = tmp_path / "o.jsonl"
    command = ["score", "-c", str(config), "-i", str(data), "-o", str(out)]
    master, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli.main", *command],
        stdout=subprocess.DEVNULL,
        stderr=child,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "scoring" in shown and "━" in shown  # rich's bar
    assert "scoring 3 samples into" not in shown  # the plain line is for logs only
    assert len(rows(out)) == 3


# -- compare -------------------------------------------------------------------------------------


def test_compare_names_runs_and_suggests_metrics(tmp_path: Path) -> None:
    program = {"reward": {"fn": "exact_match"}}
    a = _run_folder(tmp_path / "a", program, name="ladder arm")
    b = _run_folder(tmp_path / "b", program)
    plot = tmp_path / "c.png"
    failed(
        rk("compare", a, b, "--metric", "reward/hit/maen", "--plot", plot),
        "--metric 'reward/hit/maen' is not logged by these runs (did you mean 'reward/hit/mean'",
    )
    shown = rk("compare", a, b, "--metric", "reward/hit/mean", "--target", "0.7", "--plot", plot)
    assert shown.returncode == 0, shown.stderr
    assert "ladder arm" in shown.stdout and "│ b " in shown.stdout and plot.exists()
    failed(rk("compare", a, "--plot", tmp_path), "--plot '", "is a directory")
