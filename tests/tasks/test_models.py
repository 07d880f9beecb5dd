"""Tiny models: built from a spec, seeded, and the positions they are trained and sampled with."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rewardkit.tasks.models import TinyModelSpec, build_tiny_model, position_ids  # noqa: E402


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
