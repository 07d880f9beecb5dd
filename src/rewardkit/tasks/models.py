"""The trainer's tiny models: causal LMs built locally from a spec, with a character tokenizer.

The tiny factory's model saves as a ``transformers`` model folder (config, weights, character
tokenizer, ``rewardkit.models.save_model``), so the trainer loads a tiny model exactly as it loads
any local causal LM path (``rewardkit.models.load_model``, where the named pretrained ones live).

>>> spec = TinyModelSpec(layers=2, hidden=64)
>>> spec.key()[:6]
'qwen2-'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from rewardkit.errors import require
from rewardkit.tasks.tokenizer import char_tokenizer

__all__ = [
    "TinyModelSpec",
    "build_tiny_model",
    "position_ids",
]


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


def position_ids(attention_mask: Any) -> Any:
    """Positions that skip left padding (``cumsum(mask) - 1``, 0 on pads).

    Training, sampling and scoring must all number tokens the same way, whatever the padding.

    >>> import torch
    >>> position_ids(torch.tensor([[0, 1, 1]])).tolist()
    [[0, 0, 1]]
    """
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
