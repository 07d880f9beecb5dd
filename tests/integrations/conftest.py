"""Fixtures of the TRL integration tests: one tiny model folder per session."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("trl")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.integrations.trl_setup import tiny_model

    return tiny_model(Path(tmp_path_factory.mktemp("tiny-qwen2")))
