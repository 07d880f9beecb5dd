"""Tiny models: built from a spec, saved as a normal model folder, loaded back identically."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from rewardkit.tasks.models import (  # noqa: E402
    TinyModelSpec,
    build_tiny_model,
    load_model,
    position_ids,
    save_model,
)


@pytest.mark.parametrize("family", ["qwen2", "llama"])
def test_round_trip(tmp_path: Path, family: str) -> None:
    spec = TinyModelSpec(family=family, layers=1, hidden=32, heads=2, mlp=64)  # type: ignore[arg-type]
    model, tok = build_tiny_model(spec, seed=0)
    save_model(model, tok, tmp_path)
    loaded, _ = load_model(tmp_path)
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits)


def test_seed_decides_the_weights() -> None:
    spec = TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64)
    a, b = build_tiny_model(spec, 0)[0], build_tiny_model(spec, 1)[0]
    assert not torch.equal(a.model.embed_tokens.weight, b.model.embed_tokens.weight)
    assert spec.key() == TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64).key()


def test_position_ids_skip_left_padding() -> None:
    assert position_ids(torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])).tolist() == [
        [0, 0, 0, 1],
        [0, 1, 2, 3],
    ]
