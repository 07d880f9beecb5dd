"""The character tokenizer: one token per character, newlines kept, saved and reloaded exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("transformers")

from rewardkit.models import load_tokenizer
from rewardkit.tasks.tokenizer import char_tokenizer, save_char_tokenizer


def test_one_token_per_character_with_offsets() -> None:
    tok = char_tokenizer()
    enc = tok("a b\n[1,2]", return_offsets_mapping=True)
    assert len(enc["input_ids"]) == 9
    assert enc["offset_mapping"][3] == (3, 4)
    assert tok.decode(enc["input_ids"]) == "a b\n[1,2]"


def test_reload_from_a_model_folder_keeps_newlines(tmp_path: Path) -> None:
    save_char_tokenizer(tmp_path)
    # A Qwen2 config.json next to it must not turn it into Qwen2's byte-level tokenizer.
    (tmp_path / "config.json").write_text('{"model_type": "qwen2"}')
    tok = load_tokenizer(tmp_path)
    assert tok("x\ny")["input_ids"] == char_tokenizer()("x\ny")["input_ids"]
    assert (tok.pad_token_id, tok.eos_token_id) == (0, 1)
