"""Step boundaries: the trainer's state kept at the start of a step, the checkpoint written at a
boundary, and what a stopped run saves (``loop.py``'s module doc: Stopping).

A step changes the model and optimizer only in its update, so the data position, the step
protocol's state and the random generators kept at the start of the step (``at_step_start``)
are all a checkpoint there needs: a run stopped in the middle of a step saves the boundary
before it, and a resumed run repeats that step exactly.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardkit.train.checkpoint import TrainerState, checkpoint_name, save_checkpoint

if TYPE_CHECKING:
    from rewardkit.train.setup import Session, Status


@dataclass
class Boundary:
    """The trainer's state at the start of a step, for a checkpoint there if the step is
    abandoned (the model and optimizer do not change before the update)."""

    step: int
    data: dict[str, Any]
    protocol: dict[str, Any]
    generator: Any
    torch_rng: Any
    updating: bool = False
    """The update has begun: the model is no longer the one of the start of the step."""


def at_step_start(s: Session, step: int) -> Boundary:
    import torch

    return Boundary(
        step,
        copy.deepcopy(s.source.state_dict()),
        copy.deepcopy(s.protocol.state_dict()),
        s.generator.get_state(),
        torch.get_rng_state(),
    )


def checkpoint(s: Session, next_step: int, elapsed: float, at: Boundary | None = None) -> None:
    """Weights, optimizer, data position and the step protocol's state (``setup.protocol_state``
    reads it back); ``at``: the states kept at the start of an abandoned step instead of now."""
    protocol = at.protocol if at is not None else s.protocol.state_dict()
    data = at.data if at is not None else s.source.state_dict()
    extra = {"init_model": s.init_model, "elapsed": elapsed}
    if "monitor" in protocol:
        extra["monitor"] = protocol["monitor"]
    state = TrainerState(next_step=next_step, data=data, program=protocol["program"], extra=extra)
    save_checkpoint(
        s.run.checkpoints,
        state,
        s.model,
        s.tokenizer,
        s.optimizer,
        s.generator,
        s.cfg.keep_checkpoints,
        rng=(at.generator, at.torch_rng) if at is not None else None,
    )


def save_on_stop(
    s: Session, boundary: Boundary | None, done: int, elapsed: float, status: Status | None
) -> Path | None:
    """After a stop: a checkpoint at the last step boundary (unless there is one), then the
    summary and report of the steps so far. Returns the checkpoint to resume from (None when
    there is none: no step was done)."""
    from rewardkit.train.checkpoint import list_checkpoints

    at = boundary if boundary is not None and not boundary.updating else None
    if at is not None:
        done = at.step
    path = s.run.checkpoints / checkpoint_name(done)
    if done > 0 and not path.exists() and (boundary is None or at is not None):
        if status is not None:
            status(f"stopping: saving the checkpoint before step {done + 1}")
        checkpoint(s, done, elapsed, at)
    found = list_checkpoints(s.run.checkpoints)
    saved = found[-1] if found else None
    if (s.run.path / "metrics.jsonl").exists():
        if saved is not None:
            from rewardkit.train.checkpoint import read_state

            s.run.truncate(after_step=read_state(saved).next_step - 1)  # an abandoned step's logs
        write_summary(s, {}, elapsed, status)
    s.run.close()
    return saved


def write_summary(
    s: Session, final: dict[str, float], wall: float, status: Status | None
) -> dict[str, Any]:
    from rewardkit.runs.summary import summarise_run

    summary = summarise_run(s.run.path, final, wall)
    (s.run.path / "summary.json").write_text(json.dumps(summary, indent=1))
    if s.cfg.plots:
        if status is not None:
            status("writing plots and report.html")
        from rewardkit.runs.report import build_report

        build_report(s.run.path)
    return summary
