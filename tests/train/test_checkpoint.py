"""Checkpoints: written whole, newest kept, state and RNGs restored."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from rewardkit.errors import InputError  # noqa: E402
from rewardkit.tasks.models import TinyModelSpec, build_tiny_model  # noqa: E402
from rewardkit.train.checkpoint import (  # noqa: E402
    TrainerState,
    latest_checkpoint,
    list_checkpoints,
    read_state,
    restore_trainer,
    save_checkpoint,
)


def test_save_prune_and_restore(tmp_path: Path) -> None:
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(5)
    folder = tmp_path / "checkpoints"
    for step in (2, 4, 6):
        state = TrainerState(step, {"position": step * 3}, {"step": step}, {"init_model": "m"})
        save_checkpoint(folder, state, model, tok, optimizer, gen, keep=2)
    assert [p.name for p in list_checkpoints(folder)] == ["step-000004", "step-000006"]
    newest = latest_checkpoint(tmp_path)
    assert read_state(newest).data == {"position": 18}

    expected = torch.rand(3, generator=gen)  # what the saved generator draws next
    fresh = torch.Generator().manual_seed(0)
    restore_trainer(newest, optimizer, fresh)
    assert torch.equal(torch.rand(3, generator=fresh), expected)


def test_resume_without_checkpoint_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="without --resume"):
        latest_checkpoint(tmp_path)
