"""The warm start: supervised steps lower the loss; the result is cached by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from rewardkit.tasks import make_task
from rewardkit.tasks.models import TinyModelSpec, build_tiny_model
from rewardkit.tasks.tokenizer import char_tokenizer
from rewardkit.tasks.warmstart import (
    WarmStartSpec,
    answer_batch,
    supervised_steps,
    warm_start,
    warm_start_key,
)

SPEC = TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64)


def test_labels_cover_the_answer_and_eos_only() -> None:
    ids, mask, labels = answer_batch(char_tokenizer(), [("ab", "c"), ("a", "cd")])
    assert ids.shape == (2, 4)  # the longest row: "a" + "cd" + eos, or "ab" + "c" + eos
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 1]]
    assert [sum(v != -100 for v in row) for row in labels.tolist()] == [2, 3]


def test_loss_goes_down() -> None:
    model, tok = build_tiny_model(SPEC)
    losses = supervised_steps(model, tok, make_task("chain"), WarmStartSpec(steps=12, batch=8))
    assert losses[-1] < losses[0]


def test_cached_by_key(tmp_path: Path) -> None:
    spec = WarmStartSpec(steps=1, batch=2)
    task = make_task("boxes")
    first = warm_start(task, SPEC, spec, tmp_path)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert warm_start(task, SPEC, spec, tmp_path) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # not trained again
    other = warm_start_key(task, SPEC, WarmStartSpec(steps=1, batch=2, seed=1))
    assert other != first.name
