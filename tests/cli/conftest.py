"""The real ``rewardkit`` CLI in a subprocess, and one tiny trained run folder to damage.

A failure test asserts what a user sees: exit code 2, a message that names the file or field
and the fix, and no Python traceback on either stream.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def rk(*args: str | Path, cwd: Path | None = None, timeout: float = 120) -> Any:
    """Run ``rewardkit ARGS`` as a user would; returns the CompletedProcess (text)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "rewardkit.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


def failed(result: Any, *fragments: str) -> str:
    """Assert exit code 2, no traceback, and every fragment in the output; return the output."""
    shown = result.stdout + result.stderr
    assert result.returncode == 2, shown
    assert "Traceback" not in shown, shown
    for fragment in fragments:
        assert fragment in shown, f"{fragment!r} not in:\n{shown}"
    return shown


def tiny_train_config(folder: Path, cache: Path, **changes: Any) -> Path:
    """A train config that runs 2 steps of the chain task in a few seconds."""
    options: dict[str, Any] = {
        "task": "chain",
        "steps": 2,
        "prompts_per_step": 2,
        "group_size": 2,
        "max_new_tokens": 6,
        "eval_every": 1,
        "eval_size": 2,
        "checkpoint_every": 1,
        "plots": False,
        "tiny": {"layers": 1, "hidden": 32, "heads": 2, "mlp": 64},
        "warm_start": {"steps": 1, "batch": 2, "cache_dir": str(cache)},
        **changes,
    }
    path = folder / "train.yaml"
    path.write_text(yaml.safe_dump(options), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("warm")


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Path:
    """A finished 2-step run (checkpoints step-000001 and step-000002), trained once."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("trained")
    config = tiny_train_config(folder, warm_cache, run_name="done")
    result = rk("train", config, "--out-dir", folder / "runs", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    return folder / "runs" / "done"


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Callable[[], Path]:
    """A fresh copy of the finished run, to damage."""

    def copy() -> Path:
        target = tmp_path / "runs" / finished_run.name
        shutil.copytree(finished_run, target)
        return target

    return copy


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
