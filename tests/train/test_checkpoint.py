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


def _three_checkpoints(tmp_path: Path) -> Path:
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(5)
    folder = tmp_path / "checkpoints"
    for step in (1, 2, 3):
        state = TrainerState(step, {}, {"step": step}, {"init_model": "m"})
        save_checkpoint(folder, state, model, tok, optimizer, gen, keep=3)
    return folder


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        ("state.json", "state.json is damaged (truncated or edited)"),
        ("trainer.pt", "trainer.pt is missing or cut short"),
        ("model/model.safetensors", "model.safetensors is cut short"),
    ],
)
def test_a_damaged_newest_checkpoint_is_passed_over(tmp_path: Path, damage: str, why: str) -> None:
    folder = _three_checkpoints(tmp_path)
    cut = folder / "step-000003" / damage
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # a crash mid-copy
    heard: list[tuple[str, str]] = []
    found = latest_checkpoint(tmp_path, lambda path, problem: heard.append((path.name, problem)))
    assert found.name == "step-000002"
    assert [name for name, _ in heard] == ["step-000003"] and why in heard[0][1]


def test_every_checkpoint_damaged_is_an_error(tmp_path: Path) -> None:
    folder = _three_checkpoints(tmp_path)
    for path in folder.glob("step-*/trainer.pt"):
        path.unlink()
    with pytest.raises(InputError, match=r"every checkpoint .* is damaged"):
        latest_checkpoint(tmp_path)


def test_full_disk_leaves_no_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import rewardkit.train.checkpoint as checkpoint
    from rewardkit.errors import OutputError

    def full(model: object, tok: object, path: Path) -> None:
        path.mkdir(parents=True)
        (path / "model.safetensors").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_model", full)
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    folder = tmp_path / "checkpoints"
    state = TrainerState(1, {}, {}, {})
    with pytest.raises(OutputError, match=f"no space left on {folder}"):
        save_checkpoint(folder, state, model, tok, optimizer, torch.Generator(), keep=2)
    assert list(folder.iterdir()) == []
