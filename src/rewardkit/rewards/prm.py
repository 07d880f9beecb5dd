"""A process reward model (``prm``): one probability per step from a local transformers model.

The input is the prompt's tokens, then each step's tokens followed by the separator token; the
step's score is the probability of label ``good_label`` at the separator that ends it (a token
classification head). Or ``scorer: "module:function"`` is called as ``f(prompt, steps) ->
list[float | None]`` with the step texts (None: a step not judged). The value aggregates the
judged steps: ``min`` by default (the usual PRM aggregation), ``mean``, ``last`` or ``product``.
A completion without a judged step (no steps at all, or a scorer that judged none) scores 0.0,
never None: a None would leave it out of its group's baseline, better off than a bad step.

Models load lazily, once per (path, device), in eval mode, and only from local folders; torch and
transformers are imported on first use. The model plumbing here is shared with ``implicit_prm``.

>>> aggregate([0.5, float("nan"), 0.8], "min")
0.5
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from rewardkit.errors import require
from rewardkit.registry import reward
from rewardkit.rewards.steps import StepParams, load_step_function, sample_steps
from rewardkit.types import Sample, Score, Span

PrmAggregate = Literal["min", "mean", "last", "product"]
Head = Literal["token_classification", "causal_lm"]
GENERIC_TOKENIZERS = ("PreTrainedTokenizerFast", "TokenizersBackend")


def aggregate(values: Sequence[float], how: str) -> float | None:
    """One value from the judged (non-NaN) step values; None when no step was judged.

    >>> aggregate([0.5, float("nan"), 0.8], "product")
    0.4
    """
    judged = [v for v in values if not math.isnan(v)]
    if not judged:
        return None
    if how == "min":
        return min(judged)
    if how == "mean":
        return sum(judged) / len(judged)
    if how == "last":
        return judged[-1]
    if how == "product":
        return math.prod(judged)
    if how == "sum":
        return math.fsum(judged)
    raise ValueError(f"unknown aggregate {how!r}")


@functools.lru_cache(maxsize=8)
def load_pretrained(path: str, device: str, head: Head) -> tuple[Any, Any]:
    """(model, tokenizer) of a local transformers folder, cached per (path, device, head)."""
    require("torch", "train")
    transformers = require("transformers", "train")
    cls = (
        transformers.AutoModelForTokenClassification
        if head == "token_classification"
        else transformers.AutoModelForCausalLM
    )
    try:
        tokenizer = load_tokenizer(path)
        model = cls.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load {head} model from {path!r}: {exc}") from exc
    return model.to(device).eval(), tokenizer


def load_tokenizer(path: str) -> Any:
    """The folder's tokenizer, as the class its ``tokenizer_config.json`` declares.

    A folder whose tokenizer was saved as a generic fast tokenizer (``PreTrainedTokenizerFast``,
    ``TokenizersBackend``) is loaded as one, from its ``tokenizer.json`` exactly: transformers 5's
    ``AutoTokenizer`` would otherwise rebuild the model type's own tokenizer (e.g. Qwen2's
    byte-level BPE) around the vocabulary and silently drop the tokens it cannot map.
    """
    transformers = require("transformers", "train")
    config = Path(path) / "tokenizer_config.json"
    declared = json.loads(config.read_text()).get("tokenizer_class") if config.is_file() else None
    if declared in GENERIC_TOKENIZERS and (Path(path) / "tokenizer.json").is_file():
        return transformers.PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    return transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)


def local_dir(path: str | None, what: str) -> str | None:
    """``path`` unchanged, or ValueError when it is given and is not a local folder."""
    if path is not None and not Path(path).is_dir():
        raise ValueError(f"{what} {path!r} is not a local folder; give a transformers model folder")
    return path


def forward_padded(
    model: Any, rows: Sequence[Sequence[int]], pad_id: int, batch_size: int, **kwargs: Any
) -> list[Any]:
    """Run ``model`` on token rows, right-padded in batches; one [len, ...] logits tensor per row.

    Right padding keeps every real token at its own position, so a causal model's logits for a
    row do not depend on the rows batched with it."""
    torch = require("torch", "train")
    out: list[Any] = []
    device = next(model.parameters()).device
    for begin in range(0, len(rows), batch_size):
        chunk = rows[begin : begin + batch_size]
        width = max(len(r) for r in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, row in enumerate(chunk):
            ids[i, : len(row)] = torch.tensor(list(row), dtype=torch.long)
            mask[i, : len(row)] = 1
        with torch.inference_mode():
            logits = model(
                input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs
            ).logits
        out.extend(logits[i, : len(row)].float().cpu() for i, row in enumerate(chunk))
    return out


# ------------------------------------------------------------------------------------------ prm


class PrmParams(StepParams):
    """``model`` (a local token-classification folder) or ``scorer`` ("module:function")."""

    model: str | None = None
    scorer: str | None = None
    separator: str = "\n"
    good_label: int = Field(1, ge=0)
    aggregate: PrmAggregate = "min"
    device: str = "cpu"
    batch_size: int = Field(8, ge=1)
    max_length: int | None = Field(None, ge=2)

    @model_validator(mode="after")
    def _check_source(self) -> PrmParams:
        if (self.model is None) == (self.scorer is None):
            raise ValueError("give exactly one of 'model' (a local folder) or 'scorer'")
        local_dir(self.model, "model")
        if self.scorer is not None:
            load_step_function(self.scorer)
        return self


def _separator_id(tokenizer: Any, separator: str) -> int:
    sep = tokenizer.convert_tokens_to_ids(separator)
    if sep is None or (sep == tokenizer.unk_token_id and separator != tokenizer.unk_token):
        raise ValueError(f"separator {separator!r} is not one token of the PRM's vocabulary")
    return int(sep)


def prm_rows(
    tokenizer: Any, prompt: str, steps: Sequence[str], separator: str, max_length: int | None
) -> tuple[list[int], list[int | None]]:
    """Input ids ``prompt + (step + separator)*`` and each step's separator position (None when
    truncation from the left dropped it)."""
    sep = _separator_id(tokenizer, separator)
    ids = list(tokenizer(prompt)["input_ids"]) if prompt else []
    ends: list[int] = []
    for step in steps:
        ids += tokenizer(step, add_special_tokens=False)["input_ids"]
        ends.append(len(ids))
        ids.append(sep)
    cut = max(0, len(ids) - max_length) if max_length else 0
    return ids[cut:], [e - cut if e >= cut else None for e in ends]


def _prm_model_values(samples: Sequence[Sample], texts: list[list[str]], p: PrmParams) -> list:
    assert p.model is not None
    torch = require("torch", "train")
    model, tok = load_pretrained(p.model, p.device, "token_classification")
    if p.good_label >= model.config.num_labels:
        raise ValueError(
            f"good_label {p.good_label} >= the model's {model.config.num_labels} labels"
        )
    limit = p.max_length or getattr(model.config, "max_position_embeddings", None)
    built = [
        prm_rows(tok, s.prompt, steps, p.separator, limit) if steps else ([], [])
        for s, steps in zip(samples, texts, strict=True)
    ]
    todo = [i for i, (ids, _) in enumerate(built) if ids]
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    logits = forward_padded(model, [built[i][0] for i in todo], pad, p.batch_size)
    out: list[list[float]] = [[] for _ in samples]
    for i, row_logits in zip(todo, logits, strict=True):
        probs = torch.softmax(row_logits, dim=-1)[:, p.good_label].tolist()
        out[i] = [math.nan if e is None else float(probs[e]) for e in built[i][1]]
    return out


def _call_scorer(fn: Callable[..., Any], ref: str, prompt: str, steps: list[str]) -> list[float]:
    result = list(fn(prompt, steps))
    if len(result) != len(steps):
        raise ValueError(f"scorer {ref!r} returned {len(result)} values for {len(steps)} steps")
    bad = [v for v in result if v is not None and not isinstance(v, int | float)]
    if bad or any(v is not None and not math.isfinite(v) for v in result):
        raise TypeError(f"scorer {ref!r} must return finite numbers or None, got {result!r}")
    return [math.nan if v is None else float(v) for v in result]


@reward("prm", params=PrmParams, batched=True)
def prm(samples: Sequence[Sample], p: PrmParams) -> list[Score]:
    """A process reward model's probability that each step is good; value aggregates (min)."""
    spans = [sample_steps(s, p) for s in samples]
    texts = [[s.completion[a:b] for a, b in sp] for s, sp in zip(samples, spans, strict=True)]
    if p.scorer is not None:
        fn = load_step_function(p.scorer)
        values = [
            _call_scorer(fn, p.scorer, s.prompt, t) if t else []
            for s, t in zip(samples, texts, strict=True)
        ]
    else:
        values = _prm_model_values(samples, texts, p)
    return [step_score(v, sp, p.aggregate) for v, sp in zip(values, spans, strict=True)]


def step_score(values: Sequence[float], spans: Sequence[Span], how: str) -> Score:
    """A Score with the step values, their spans (for per-token advantages) and the aggregate.

    No judged step scores 0.0 (a PRM's bad step; the implicit PRM's sum over no tokens).

    >>> step_score([], [], "min").value
    0.0
    """
    value = aggregate(values, how)
    info: dict[str, Any] = {"spans": list(spans), "scored": [not math.isnan(v) for v in values]}
    if value is None:
        info["reason"] = "no step was judged" if values else "no steps"
        return Score(0.0, steps=tuple(values) or None, info=info)
    return Score(value, steps=tuple(values), info=info)
