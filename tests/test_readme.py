"""The README's figures are the recorded run's (``bench/results/default_run.json``, written by
``python bench/default_run.py``), not numbers typed by hand: a re-recorded run that moved them
fails here until the README says the new ones. What must hold on any machine is checked by a real
run in ``tests/train/test_default_run.py``."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench_default_run():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_default_run", ROOT / "bench" / "default_run.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_readme_quotes_the_recorded_default_run() -> None:
    record = json.loads((ROOT / "bench" / "results" / "default_run.json").read_text())
    assert record["overrides"] == [] and record["command"] == "rewardkit train"
    sentence = _bench_default_run().readme_sentence(record)
    assert record["readme_sentence"] == sentence
    assert sentence in _flat((ROOT / "README.md").read_text())


def test_the_readme_names_the_machine_of_the_recorded_run() -> None:
    record = json.loads((ROOT / "bench" / "results" / "default_run.json").read_text())
    machine = record["machine"]
    readme = _flat((ROOT / "README.md").read_text())
    assert f"torch {machine['torch']}" in readme and f"{machine['cpus']} CPU cores" in readme


# The README's `.venv/bin/rewardkit ...` lines, run as written from a folder that has the repo's
# .venv and examples and a runs/ folder with tiny boxes runs in it. Left out, with the reason:
NOT_RUN = {
    "train my_config.yaml": "trains 500 steps of the starter config (minutes)",
    "train examples/configs/train_jsonl_math.yaml": "SmolLM2 on a GPU (hours on this CPU)",
    "train --set model=smollm2": "SmolLM2 on a GPU (hours on this CPU)",
}


def readme_commands() -> list[str]:
    """Every `.venv/bin/rewardkit` command in the README's bash blocks (continuations joined)."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            if line.startswith(".venv/bin/rewardkit "):
                commands.append(line.split("  #")[0].strip())
    return commands


def test_the_readme_has_the_commands_this_test_runs() -> None:
    commands = readme_commands()
    assert len(commands) >= 12
    for skipped in NOT_RUN:
        assert any(skipped in c for c in commands), (
            f"NOT_RUN names {skipped!r}, gone from the README"
        )


@pytest.mark.process
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_readme_commands_run_as_written(tmp_path: Path) -> None:
    from tests.cli.conftest import tiny_train_config

    pytest.importorskip("torch")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    shutil.copy(ROOT / "examples/data/probe_boxes.jsonl", tmp_path / "in.jsonl")
    cache = tmp_path / "cache"
    rk = str(ROOT / ".venv/bin/rewardkit")
    for name in ("a", "b"):
        config = tiny_train_config(tmp_path, cache, task="boxes", run_name=name, steps=2)
        done = subprocess.run(
            [rk, "train", str(config), "-q"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    # runs/boxes-<time>: a run stopped with SIGINT after its first checkpoint, as a user stops one
    # an evaluation of 64 problems after every step keeps the run going for many seconds after its
    # first checkpoint, so the signal lands mid-run however fast the machine is
    config = tiny_train_config(
        tmp_path, cache, task="boxes", run_name="boxes-t", steps=30, eval_size=64
    )
    proc = subprocess.Popen(
        [rk, "train", str(config), "-q"],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = tmp_path / "runs/boxes-t/checkpoints/step-000001"
    deadline = time.monotonic() + 300
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    for command in readme_commands():
        if any(skipped in command for skipped in NOT_RUN):
            continue
        command = command.replace("runs/boxes-<time>", "runs/boxes-t")
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        shown = f"$ {command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert done.returncode == 0, shown
        assert "Traceback" not in done.stdout + done.stderr, shown
