"""Tokenizers and tiny models built locally (nothing downloaded) for the step and PRM tests."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

ASCII = "\n" + "".join(chr(c) for c in range(32, 127))


def piece_tokenizer(
    pieces: Sequence[str] = (), specials: Sequence[str] = ("<pad>", "<unk>")
) -> Any:
    """A fast tokenizer whose tokens are ``pieces`` (longest first), else one character.

    The vocabulary holds the specials, the pieces, printable ASCII, the newline and each
    character of each piece, so token offsets are known by hand.
    """
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    vocab: dict[str, int] = {}
    for tok in [*specials, *pieces, *ASCII, *sorted({ch for p in pieces for ch in p})]:
        vocab.setdefault(tok, len(vocab))
    ordered = sorted(set(pieces), key=len, reverse=True)
    pattern = "|".join([*(re.escape(p) for p in ordered), "[\\s\\S]"])
    core = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = tokenizers.pre_tokenizers.Split(
        tokenizers.Regex(pattern), behavior="isolated"
    )
    core.decoder = tokenizers.decoders.Fuse()
    core.add_special_tokens(list(specials))
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        clean_up_tokenization_spaces=False,
        model_max_length=512,
    )


def byte_bpe_tokenizer(corpus: Sequence[str], vocab_size: int = 300) -> Any:
    """A tiny byte-level BPE (GPT-2 style) trained on ``corpus``: multi-byte characters may be
    split over several byte tokens, and merged tokens may straddle character boundaries."""
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    core = tokenizers.Tokenizer(tokenizers.models.BPE())
    core.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<pad>"],
        show_progress=False,
    )
    core.train_from_iterator(list(corpus), trainer=trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>")


@pytest.fixture
def make_piece_tokenizer() -> Any:
    return piece_tokenizer


@pytest.fixture
def make_bpe_tokenizer() -> Any:
    return byte_bpe_tokenizer


SEP = "<sep>"


def tiny_config(kind: str, vocab: int, **extra: Any) -> Any:
    transformers = pytest.importorskip("transformers")
    return transformers.Qwen2Config(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=kind == "causal_lm",
        **extra,
    )


def save_tiny(folder: Path, kind: str, seed: int, tokenizer: Any, head_bias: Any = None) -> str:
    """A seeded 2-layer Qwen2 (token classification with 2 labels, or causal LM) saved to folder.

    ``head_bias`` (token classification): zero the head's weights and set its bias, so every
    position's label probabilities are softmax(bias) whatever the input.
    """
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(seed)
    extra = {"pad_token_id": tokenizer.pad_token_id}
    if kind == "token_classification":
        config = tiny_config(kind, len(tokenizer), num_labels=2, **extra)
        model = transformers.Qwen2ForTokenClassification(config)
        if head_bias is not None:
            with torch.no_grad():
                model.score.weight.zero_()
                model.score.bias.copy_(torch.tensor(head_bias))
    else:
        config = tiny_config(kind, len(tokenizer), bos_token_id=tokenizer.pad_token_id, **extra)
        model = transformers.Qwen2ForCausalLM(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return str(folder)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Model folders: ``prm`` (random head), ``fixed`` (good probability exactly 3/4 at every
    position: zero weights, bias (0, log 3)), ``policy`` and ``reference`` (causal LMs); all
    share a character tokenizer with the ``<sep>`` token."""
    tok = piece_tokenizer(specials=("<pad>", "<unk>", SEP))
    root = tmp_path_factory.mktemp("models")
    return {
        "prm": save_tiny(root / "prm", "token_classification", 0, tok),
        "fixed": save_tiny(root / "fixed", "token_classification", 0, tok, [0.0, math.log(3.0)]),
        "policy": save_tiny(root / "policy", "causal_lm", 1, tok),
        "reference": save_tiny(root / "reference", "causal_lm", 2, tok),
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The adversarial generator's counts (tests/rewards/test_adversarial.py), CI logs too."""
    from tests.rewards.adversarial import COUNTS

    if COUNTS:
        terminalreporter.section("adversarial answers: generated, paid (must be 0), refused")
        for line in COUNTS:
            terminalreporter.write_line(line)
