"""Every failure is one clear message, exit code 2, never a traceback (issue 11).

Each test runs the real CLI in a subprocess and checks what a user reads: the file or field,
the fix, and no "Traceback" on stdout or stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import ROOT, failed, rk, rows, tiny_train_config

pytestmark = pytest.mark.process

MATH = ROOT / "examples/configs/math_answer.yaml"
LADDER = ROOT / "examples/configs/boxes_ladder.yaml"
ROLLOUTS = ROOT / "examples/data/math_rollouts.jsonl"
SAMPLE = '{"id": "a", "group": "g", "completion": "<answer>4</answer>", "reference": "4"}\n'


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- unreadable input ----------------------------------------------------------------------------


def test_non_utf8_jsonl_names_line_and_byte(tmp_path: Path) -> None:
    data = write(tmp_path / "in.jsonl", SAMPLE.encode() + b'{"completion": "caf\xe9"}\n')
    result = rk("score", "-c", MATH, "-i", data, "-o", tmp_path / "o.jsonl")
    failed(result, f"{data}:2: not UTF-8 text (byte 0xe9 at column 20)", "save the file as UTF-8")


@pytest.mark.parametrize("command", ["check", "train"])
def test_non_utf8_yaml_names_line_and_byte(tmp_path: Path, command: str) -> None:
    config = write(tmp_path / "c.yaml", b"reward: {fn: exact_match}\n# \xff\n")
    failed(rk(command, config), f"{config}:2: not UTF-8 text (byte 0xff at column 3)")


def test_non_utf8_metrics_names_line_and_byte(tmp_path: Path) -> None:
    stream = write(tmp_path / "m.jsonl", b'{"step": 0, "reward/hit/mean": 1}\n\xfe\n')
    failed(rk("simulate", LADDER, "-m", stream), f"{stream}:2: not UTF-8 text (byte 0xfe")


@pytest.mark.parametrize("command", ["report", "compare"])
def test_non_utf8_run_metrics(tmp_path: Path, command: str) -> None:
    metrics = write(
        tmp_path / "metrics.jsonl", b'{"step": 0, "reward/mean": 1}\n{"note": "\xff"}\n'
    )
    failed(rk(command, tmp_path), f"{metrics}:2: not UTF-8 text (byte 0xff at column 11)")


def test_non_numeric_metric_value(tmp_path: Path) -> None:
    stream = write(tmp_path / "m.jsonl", '{"step": 0, "reward/hit/mean": "high"}\n')
    failed(
        rk("simulate", LADDER, "-m", stream),
        f"{stream}:1: metric 'reward/hit/mean' is \"high\", not a number",
        "or null when it was not logged",
    )


def test_empty_input_file(tmp_path: Path) -> None:
    empty = write(tmp_path / "in.jsonl", "")
    out = tmp_path / "o.jsonl"
    failed(
        rk("score", "-c", MATH, "-i", empty, "-o", out), "holds no sample to score (it is empty)"
    )
    assert not out.exists()


def test_empty_metrics_stream(tmp_path: Path) -> None:
    empty = write(tmp_path / "m.jsonl", "\n")
    failed(rk("simulate", LADDER, "-m", empty), f"{empty} holds no step to replay (it is empty)")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    config = write(tmp_path / "c.yaml", bom + MATH.read_bytes())
    data = write(tmp_path / "in.jsonl", bom + SAMPLE.encode())
    result = rk("score", "-c", config, "-i", data, "-o", tmp_path / "o.jsonl")
    assert result.returncode == 0, result.stderr
    assert [r["id"] for r in rows(tmp_path / "o.jsonl")] == ["a"]


# -- unwritable output, found before any work ----------------------------------------------------


def _score_to(output: Path | str, data: Path = ROLLOUTS) -> subprocess.CompletedProcess[str]:
    return rk("score", "-c", MATH, "-i", data, "-o", output)  # type: ignore[no-any-return]


def test_output_is_a_directory(tmp_path: Path) -> None:
    failed(_score_to(tmp_path), f"output '{tmp_path}' is a directory; give a file path")


def test_output_parent_missing(tmp_path: Path) -> None:
    out = tmp_path / "nope" / "o.jsonl"
    failed(_score_to(out), f"the folder '{tmp_path / 'nope'}' does not exist; create it first")
    assert not out.parent.exists()


def test_output_under_proc() -> None:
    failed(
        _score_to("/proc/scored.jsonl"),
        "cannot write output '/proc/scored.jsonl': that folder takes no new files",
    )


def test_output_is_the_input(tmp_path: Path) -> None:
    data = write(tmp_path / "in.jsonl", SAMPLE)
    failed(_score_to(data, data), "is the input file; write to another path")
    assert data.read_text() == SAMPLE


@contextlib.contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A small tmpfs at ``path`` (needs root and mount rights; else the test is skipped)."""
    path.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_output_on_a_read_only_filesystem(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
        failed(_score_to(ro / "o.jsonl"), "it is on a read-only filesystem; choose another path")


def test_train_out_dir_unwritable_before_any_work(tmp_path: Path) -> None:
    config = tiny_train_config(tmp_path, tmp_path / "cache")
    failed(rk("train", config, "--out-dir", "/proc/runs"), "cannot write out_dir '/proc'")
    assert not (tmp_path / "cache").exists()  # no warm start was built


def test_full_disk_says_no_space_left(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    failed(_score_to("/dev/full"), "no space left on /dev/full")


def test_full_disk_while_training_leaves_no_staging_folder(
    tmp_path: Path, warm_cache: Path
) -> None:
    pytest.importorskip("torch")
    with _tmpfs(tmp_path / "small", "size=48k") as small:
        config = tiny_train_config(tmp_path, warm_cache, run_name="full")
        result = rk("train", config, "--out-dir", small, "-q")
        failed(result, "no space left on")
        checkpoints = small / "full" / "checkpoints"
        left = [p.name for p in checkpoints.iterdir()] if checkpoints.exists() else []
        assert not [name for name in left if name.startswith(".ckpt-")]


# -- damaged run folders and resume --------------------------------------------------------------


def test_damaged_newest_checkpoint_falls_back_and_says_so(run_copy: Callable[[], Path]) -> None:
    run = run_copy()
    newest = run / "checkpoints" / "step-000002" / "state.json"
    newest.write_text(newest.read_text()[:20])  # cut short, as a crash mid-write would
    result = rk("train", "--resume", run, "--steps", "3", "-q")
    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    assert "skipping the damaged checkpoint step-000002" in shown and str(newest) in shown
    assert f"resuming from {run / 'checkpoints' / 'step-000001'}" in shown
    # from step 1 on again: steps 1 and 2 are redone and step 2 is new
    assert [r["step"] for r in rows(run / "metrics.jsonl")] == [0, 1, 2]


def test_every_checkpoint_damaged(run_copy: Callable[[], Path]) -> None:
    run = run_copy()
    for state in (run / "checkpoints").glob("step-*/state.json"):
        state.write_text("{")
    failed(rk("train", "--resume", run), "is damaged", "start the run again without --resume")


def test_truncated_config_json_names_the_file(run_copy: Callable[[], Path]) -> None:
    run = run_copy()
    config = run / "config.json"
    config.write_text(config.read_text()[:40])
    failed(rk("train", "--resume", run), f"{config} is damaged (truncated or edited)")


def test_resume_of_a_finished_run_says_it_is_complete(run_copy: Callable[[], Path]) -> None:
    run = run_copy()
    failed(
        rk("train", "--resume", run),
        "is complete (2 of 2 steps)",
        f"rewardkit train --resume {run} --steps 4",
    )
    failed(rk("train", "--resume", run, "--steps", "2"), "has already trained 2 steps")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--seed", "3"], "--seed cannot change"),
        (["--device", "cpu", "--out-dir", "x"], "--out-dir, --device cannot change"),
    ],
)
def test_flags_that_cannot_apply_on_resume_are_refused(
    tmp_path: Path, flags: list[str], named: str
) -> None:
    failed(rk("train", "--resume", tmp_path, *flags), named, "only --steps can")


# -- missing pieces ------------------------------------------------------------------------------


def test_missing_model_folder_and_no_empty_run_folder(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    config = tiny_train_config(tmp_path, tmp_path / "cache", model=str(tmp_path / "my-model"))
    out = tmp_path / "runs"
    failed(
        rk("train", config, "--out-dir", out),
        f"model: no model at '{tmp_path / 'my-model'}'",
        "leave model out",
    )
    assert not out.exists()  # a failed start leaves no (empty) run folder


def test_a_reward_that_fails_at_the_first_step_leaves_no_run_folder(
    tmp_path: Path, warm_cache: Path
) -> None:
    pytest.importorskip("torch")
    (tmp_path / "broken.py").write_text("def reward(sample, params):\n    raise KeyError('box')\n")
    program = {"reward": {"fn": "broken:reward"}}
    config = tiny_train_config(tmp_path, warm_cache, program=program, eval_every=0)
    out = tmp_path / "runs"
    failed(
        rk("train", config, "--out-dir", out, cwd=tmp_path),
        "reward component 'reward' raised KeyError",
        "set on_error: score",
    )
    assert not out.exists() or not any(out.iterdir())


def test_cuda_without_cuda_names_the_device_there(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    config = tiny_train_config(tmp_path, tmp_path / "cache")
    out = tmp_path / "runs"
    failed(
        rk("train", config, "--device", "cuda", "--out-dir", out),
        "device: 'cuda' is not available on this machine (torch sees: cpu)",
    )
    assert not out.exists()


# -- interrupts ----------------------------------------------------------------------------------


def test_ctrl_c_prints_the_run_folder_and_the_resume_command(
    tmp_path: Path, warm_cache: Path
) -> None:
    pytest.importorskip("torch")
    options = {
        "steps": 2000,
        "eval_every": 0,
        "run_name": "stop",
        "out_dir": str(tmp_path / "runs"),
    }
    config = tiny_train_config(tmp_path, warm_cache, **options)
    run = tmp_path / "runs" / "stop"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli.main", "train", str(config), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not list(run.glob("checkpoints/step-*/state.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    shown = out + err
    assert proc.returncode == 130, shown
    assert "Traceback" not in shown, shown
    assert f"run folder: {run}" in shown and "stopped (SIGINT) after step" in shown
    assert f"resume with: rewardkit train --resume {run}" in shown


# -- messages keep the user's text ---------------------------------------------------------------


def test_messages_keep_square_brackets(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml", "reward: {fn: iou_hit, threshold: 0.5}\non_unjudgeable: raise\n"
    )
    data = write(tmp_path / "in.jsonl", json.dumps({"completion": "[1, 2, 3, 4]", "reference": ""}))
    failed(
        rk("score", "-c", config, "-i", data, "-o", tmp_path / "o.jsonl"),
        'reference "" is not a box reference; give [x1, y1, x2, y2], a list of such boxes',
        "Fix the reference, or set on_unjudgeable: skip",
    )


def test_unknown_field_names_it_and_suggests(tmp_path: Path) -> None:
    config = write(tmp_path / "t.yaml", "task: chain\nsteps: 0\nprompts_per_stp: 2\n")
    failed(
        rk("train", config),
        "steps: Input should be greater than or equal to 1",
        "unknown field 'prompts_per_stp' (did you mean 'prompts_per_step'",
    )
