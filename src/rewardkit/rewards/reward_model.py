"""A classifier reward model (``reward_model``): one score per completion from a local
``AutoModelForSequenceClassification`` folder, batched, on CPU or GPU.

The input is ``prompt + completion`` (``template: concat``) or the tokenizer's chat template over a
user turn and an assistant turn (``template: chat``), truncated from the left to ``max_length``
so the end of the completion is always read. The value is the logit of ``label``
(``transform: raw``), its sigmoid, or its softmax probability among the labels; then, as
configured, normalised over the batch or within each group (z-score: minus the mean, over the
standard deviation; a set whose scores are all equal scores 0). ``Score.info["raw"]`` keeps the
score before normalisation.

Models load lazily, once per (path, device), in eval mode, and only from local folders; torch and
transformers are imported on first use.

>>> normalise([1.0, 3.0, 5.0, 5.0], ["a", "a", "b", "b"], "group")
[-1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from rewardkit.errors import require
from rewardkit.registry import Params, reward
from rewardkit.rewards.prm import load_tokenizer, local_dir
from rewardkit.types import Sample, Score

Normalise = Literal["none", "batch", "group"]


class RewardModelParams(Params):
    """A local sequence-classification folder and how to read and normalise its output."""

    model: str
    device: str = "cpu"
    """``cpu``, ``cuda``, ``cuda:1``...; the model is moved there once and cached."""
    batch_size: int = Field(16, ge=1)
    max_length: int | None = Field(None, ge=2)
    template: Literal["concat", "chat"] = "concat"
    label: int = Field(0, ge=0)
    transform: Literal["raw", "sigmoid", "softmax"] = "raw"
    normalise: Normalise = "none"

    @field_validator("model")
    @classmethod
    def _local(cls, path: str) -> str:
        local_dir(path, "model")
        return path


@functools.lru_cache(maxsize=4)
def load_classifier(path: str, device: str) -> tuple[Any, Any]:
    """(model, tokenizer) of a local sequence-classification folder, cached per (path, device)."""
    require("torch", "train")
    transformers = require("transformers", "train")
    try:
        tokenizer = load_tokenizer(path)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            path, local_files_only=True
        )
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load a sequence classifier from {path!r}: {exc}") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id  # the head pools at the last real token
    tokenizer.padding_side = "right"
    tokenizer.truncation_side = "left"
    return model.to(device).eval(), tokenizer


def _text(tokenizer: Any, sample: Sample, template: str) -> str:
    if template == "chat":
        chat = [
            {"role": "user", "content": sample.prompt},
            {"role": "assistant", "content": sample.completion},
        ]
        return str(tokenizer.apply_chat_template(chat, tokenize=False))
    return sample.prompt + sample.completion


def classifier_scores(samples: Sequence[Sample], p: RewardModelParams) -> list[float]:
    """The transformed score of each sample, ``batch_size`` samples per forward pass."""
    torch = require("torch", "train")
    model, tok = load_classifier(p.model, p.device)
    labels = int(model.config.num_labels)
    if p.label >= labels or (p.transform == "softmax" and labels < 2):
        raise ValueError(
            f"label {p.label} / transform {p.transform!r}: the model has {labels} labels"
        )
    limit = p.max_length or getattr(model.config, "max_position_embeddings", None)
    device = next(model.parameters()).device
    out: list[float] = []
    for begin in range(0, len(samples), p.batch_size):
        texts = [_text(tok, s, p.template) for s in samples[begin : begin + p.batch_size]]
        enc = tok(
            texts, padding=True, truncation=limit is not None, max_length=limit, return_tensors="pt"
        )
        with torch.inference_mode():
            logits = model(**{k: v.to(device) for k, v in enc.items()}).logits.float().cpu()
        if p.transform == "softmax":
            column = torch.softmax(logits, dim=-1)[:, p.label]
        elif p.transform == "sigmoid":
            column = torch.sigmoid(logits[:, p.label])
        else:
            column = logits[:, p.label]
        out.extend(float(v) for v in column)
    return out


def normalise(values: Sequence[float], groups: Sequence[str], how: Normalise) -> list[float]:
    """Z-scores over the batch (``batch``), within each group (``group``), or unchanged."""
    if how == "none":
        return list(values)
    keys = ["" for _ in groups] if how == "batch" else list(groups)
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    out = list(values)
    for idx in members.values():
        vals = [values[i] for i in idx]
        mean = math.fsum(vals) / len(vals)
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / len(vals))
        for i in idx:
            out[i] = (values[i] - mean) / std if std > 1e-12 else 0.0
    return out


@reward("reward_model", params=RewardModelParams, batched=True)
def reward_model(samples: Sequence[Sample], p: RewardModelParams) -> list[Score]:
    """A sequence-classification reward model's score, normalised per batch or group if set."""
    raw = classifier_scores(samples, p)
    values = normalise(raw, [s.group for s in samples], p.normalise)
    return [Score(v, info={"raw": r}) for v, r in zip(values, raw, strict=True)]
