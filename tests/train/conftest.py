"""Tiny training configs shared by the trainer tests (a 1-layer model, a 2-step warm start)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warm-start cache for the whole session."""
    return tmp_path_factory.mktemp("warmstart")


@pytest.fixture
def tiny(warm_cache: Path, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """A factory of configs that train in a second or two: tiny model, 2 prompts x 2 samples."""

    def make(**changes: Any) -> dict[str, Any]:
        return tiny_options(warm_cache, tmp_path / "runs", **changes)

    return make


def tiny_options(cache: Path, out: Path, **changes: Any) -> dict[str, Any]:
    """The options behind ``tiny``."""
    options: dict[str, Any] = {
        "steps": 2,
        "prompts_per_step": 2,
        "group_size": 2,
        "max_new_tokens": 8,
        "eval_every": 1,
        "eval_size": 4,
        "checkpoint_every": 1,
        "plots": False,
        "tiny": {"layers": 1, "hidden": 32, "heads": 2, "mlp": 64},
        "warm_start": {"steps": 2, "batch": 4, "cache_dir": str(cache)},
        "out_dir": str(out),
    }
    options.update(changes)
    return options
