"""Checkpoints: everything a run needs to continue exactly where it stopped.

``checkpoints/step-000025/`` holds ``model/`` (a normal model folder), ``trainer.pt`` (optimizer
and torch RNG states) and ``state.json`` (next step, data position, the program's schedule and
curriculum state). A checkpoint is written aside and renamed, so a run killed while saving still
has its previous checkpoint; only the newest ``keep`` are kept.

>>> checkpoint_name(25)
'step-000025'
"""

from __future__ import annotations

import errno
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.config import read_utf8
from rewardkit.errors import InputError, OutputError, require
from rewardkit.models import save_model


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
    rng: tuple[Any, Any] | None = None,
) -> Path:
    """Write the checkpoint for ``state.next_step`` under ``folder``; prune older ones.

    ``rng``: the generator's and torch's RNG states to save instead of the live ones (those
    of the start of a step that was abandoned, so that resuming repeats it exactly)."""
    torch = require("torch", "train")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".ckpt-", dir=folder))
    except OSError as exc:
        raise _write_error(folder, exc) from None
    final = folder / checkpoint_name(state.next_step)
    try:
        save_model(model, tokenizer, staging / "model")
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "generator": generator.get_state() if rng is None else rng[0],
                "torch_rng": torch.get_rng_state() if rng is None else rng[1],
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
    except BaseException as exc:
        # A full disk or Ctrl-C mid-save leaves no half-written folder behind.
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) or _no_space(exc):
            raise _write_error(folder, exc) from None
        raise
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _no_space(exc: BaseException) -> bool:
    # safetensors reports a full disk as its own error type, errno only in the text.
    return getattr(exc, "errno", None) == errno.ENOSPC or "os error 28" in str(exc)


def _write_error(folder: Path, exc: BaseException) -> OutputError:
    if _no_space(exc):
        return OutputError(
            f"no space left on {folder}; free some space (or choose another out_dir) and run "
            "again; with a checkpoint saved, rewardkit train --resume continues it"
        )
    reason = getattr(exc, "strerror", None) or exc
    return OutputError(f"cannot write a checkpoint in {str(folder)!r}: {reason}")


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints under ``folder``, oldest first."""
    if not folder.exists():
        return []
    done = [p for p in folder.glob("step-*") if (p / "state.json").exists()]
    return sorted(done)


def checkpoint_problem(checkpoint: Path) -> str | None:
    """Why a checkpoint cannot be resumed from (a missing or truncated file), or None.

    Cheap checks only: ``state.json`` parses, ``trainer.pt`` is a whole zip archive (a file cut
    short loses its directory, which sits at the end), the weights' headers fit their files.
    """
    try:
        read_state(checkpoint)
    except InputError as exc:
        return str(exc)
    trainer = checkpoint / "trainer.pt"
    try:
        with zipfile.ZipFile(trainer):
            pass
    except (OSError, zipfile.BadZipFile):
        return f"{trainer} is missing or cut short"
    model = checkpoint / "model"
    if not (model / "config.json").is_file():
        return f"{model} has no config.json"
    weights = sorted(model.glob("*.safetensors")) + sorted(model.glob("*.bin"))
    if not weights:
        return f"{model} holds no weights"
    for path in weights:
        if path.suffix == ".safetensors" and not _safetensors_whole(path):
            return f"{path} is cut short"
    return None


def _safetensors_whole(path: Path) -> bool:
    """The header's offsets end exactly at the end of the file (safetensors' own layout)."""
    try:
        with path.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
    except (OSError, ValueError):
        return False
    ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    return path.stat().st_size == 8 + size + max(ends, default=0)


def latest_checkpoint(
    run_dir: str | Path, skipped: Callable[[Path, str], None] | None = None
) -> Path:
    """The newest intact checkpoint of a run folder (InputError when there is none).

    A damaged newer one (``checkpoint_problem``) is passed over; ``skipped(path, why)`` hears
    about each, so the caller can say which checkpoint the run really continues from.
    """
    found = list_checkpoints(Path(run_dir) / "checkpoints")
    if not found:
        raise InputError(
            f"no checkpoint in {str(run_dir)!r}: a run saves one every checkpoint_every steps; "
            "start it again without --resume"
        )
    problems = []
    for checkpoint in reversed(found):
        problem = checkpoint_problem(checkpoint)
        if problem is None:
            return checkpoint
        problems.append(problem)
        if skipped is not None:
            skipped(checkpoint, problem)
    raise InputError(
        f"every checkpoint in {str(run_dir)!r} is damaged ({'; '.join(problems)}); "
        "start the run again without --resume"
    )


def read_state(checkpoint: Path) -> TrainerState:
    """The ``state.json`` of a checkpoint (InputError naming the file when it is damaged)."""
    path = checkpoint / "state.json"
    try:
        body = json.loads(read_utf8(path, "checkpoint state"))
        return TrainerState(
            int(body["next_step"]), body["data"], body["program"], body.get("extra", {})
        )
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path} is damaged (truncated or edited): {exc}") from None


def restore_trainer(checkpoint: Path, optimizer: Any, generator: Any) -> None:
    """Load the optimizer and RNG states of a checkpoint into live objects."""
    torch = require("torch", "train")
    saved = torch.load(checkpoint / "trainer.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    generator.set_state(saved["generator"])
    torch.set_rng_state(saved["torch_rng"])
