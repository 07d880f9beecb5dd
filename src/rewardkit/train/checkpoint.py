"""Checkpoints: everything a run needs to continue exactly where it stopped.

``checkpoints/step-000025/`` holds ``model/`` (a normal model folder), ``trainer.pt`` (optimizer
and torch RNG states) and ``state.json`` (next step, data position, the program's schedule and
curriculum state). A checkpoint is written aside and renamed, so a run killed while saving still
has its previous checkpoint; only the newest ``keep`` are kept.

>>> checkpoint_name(25)
'step-000025'
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import InputError, require
from rewardkit.tasks.models import save_model


def checkpoint_name(next_step: int) -> str:
    """The folder name of the checkpoint taken before step ``next_step``."""
    return f"step-{next_step:06d}"


@dataclass
class TrainerState:
    """What a checkpoint restores besides the weights."""

    next_step: int
    data: dict[str, Any]
    program: dict[str, Any]
    extra: dict[str, Any]


def save_checkpoint(
    folder: Path,
    state: TrainerState,
    model: Any,
    tokenizer: Any,
    optimizer: Any,
    generator: Any,
    keep: int,
) -> Path:
    """Write the checkpoint for ``state.next_step`` under ``folder``; prune older ones."""
    torch = require("torch", "train")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / checkpoint_name(state.next_step)
    staging = Path(tempfile.mkdtemp(prefix=".ckpt-", dir=folder))
    save_model(model, tokenizer, staging / "model")
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
        },
        staging / "trainer.pt",
    )
    body = {
        "next_step": state.next_step,
        "data": state.data,
        "program": state.program,
        "extra": state.extra,
    }
    (staging / "state.json").write_text(json.dumps(body, indent=1))
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints under ``folder``, oldest first."""
    if not folder.exists():
        return []
    done = [p for p in folder.glob("step-*") if (p / "state.json").exists()]
    return sorted(done)


def latest_checkpoint(run_dir: str | Path) -> Path:
    """The newest complete checkpoint of a run folder (InputError when there is none)."""
    found = list_checkpoints(Path(run_dir) / "checkpoints")
    if not found:
        raise InputError(
            f"no checkpoint in {str(run_dir)!r}: a run saves one every checkpoint_every steps; "
            "start it again without --resume"
        )
    return found[-1]


def read_state(checkpoint: Path) -> TrainerState:
    """The ``state.json`` of a checkpoint."""
    body = json.loads((checkpoint / "state.json").read_text())
    return TrainerState(body["next_step"], body["data"], body["program"], body.get("extra", {}))


def restore_trainer(checkpoint: Path, optimizer: Any, generator: Any) -> None:
    """Load the optimizer and RNG states of a checkpoint into live objects."""
    torch = require("torch", "train")
    saved = torch.load(checkpoint / "trainer.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    generator.set_state(saved["generator"])
    torch.set_rng_state(saved["torch_rng"])
