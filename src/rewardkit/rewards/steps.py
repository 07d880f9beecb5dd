"""Step segmentation shared by the step scorers, and step spans carried onto tokens.

A step is a half-open character span ``[start, end)`` of the completion: the sample's own
``steps`` when given, else ``split_steps`` of the completion by line, paragraph, regex marker or a
user's ``"module:function"`` (see ``rewardkit.rewards.process``). Scorers that read a model
(``prm``, ``implicit_prm``) need the steps on tokens: ``token_offsets`` asks a transformers fast
tokenizer for each token's character span, and a token belongs to the step it overlaps most (ties
go to the earlier step; a token that overlaps no step, e.g. the newline between two steps, belongs
to none). This is the same rule the per-token advantages use, so a step's value lands on exactly
the tokens that produced it.

>>> offsets = [(0, 2), (2, 4), (4, 6)]  # three tokens of two characters each
>>> char_spans_to_token_spans(offsets, [(0, 3), (3, 6)])  # the middle token is split 1:1
[(0, 2), (2, 3)]
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.rewards.process import (
    DEFAULT_MARKER,
    SplitMode,
    StepParams,
    load_step_function,
    sample_steps,
    split_steps,
)
from rewardkit.types import Sample, Span, token_step_index

__all__ = [
    "DEFAULT_MARKER",
    "SplitMode",
    "StepParams",
    "char_spans_to_token_spans",
    "load_step_function",
    "sample_steps",
    "sample_token_offsets",
    "split_steps",
    "step_sums",
    "token_offsets",
    "token_step_index",
]


def token_offsets(tokenizer: Any, text: str) -> list[Span]:
    """Character span of each token of ``text`` (no special tokens added), from a fast tokenizer.

    Offsets are character (not byte) positions: a multi-byte character split over several byte
    tokens gives each of them the character's span. Needs a ``PreTrainedTokenizerFast``
    (``return_offsets_mapping`` is not available on the slow, pure-Python tokenizers).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(
            f"{type(tokenizer).__name__} is not a fast tokenizer, so it has no offset mapping; "
            "load it with AutoTokenizer.from_pretrained(path, use_fast=True) or build a "
            "PreTrainedTokenizerFast from a `tokenizers` Tokenizer"
        )
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return [(int(a), int(b)) for a, b in encoding["offset_mapping"]]


def char_spans_to_token_spans(offsets: Sequence[Span], spans: Sequence[Span]) -> list[Span]:
    """Each character span as a token range ``[first, last + 1)`` of the tokens that belong to it.

    A step that no token belongs to (an empty span, or one inside a token that belongs to the
    neighbouring step) gets the empty range ``(i, i)``, ``i`` the first token starting at or after
    the step's start.

    >>> offsets = [(0, 3), (3, 4), (4, 7)]  # "abc", "\\n", "def"
    >>> char_spans_to_token_spans(offsets, [(0, 3), (4, 7)])
    [(0, 1), (2, 3)]
    >>> char_spans_to_token_spans(offsets, [(1, 2)])  # inside the first token: it still counts
    [(0, 1)]
    """
    which = token_step_index(offsets, spans)
    starts = [a for a, _ in offsets]
    ordered = starts == sorted(starts)
    out: list[Span] = []
    for k, (start, _) in enumerate(spans):
        mine = np.flatnonzero(which == k)
        if mine.size:
            out.append((int(mine[0]), int(mine[-1]) + 1))
        else:
            i = bisect_left(starts, start) if ordered else len(starts)
            out.append((i, i))
    return out


def sample_token_offsets(sample: Sample, tokenizer: Any | None = None) -> list[Span]:
    """The sample's token offsets: its own ``token_offsets`` when given, else the tokenizer's.

    >>> s = Sample(id="0", group="g", prompt="", completion="ab", token_offsets=((0, 1), (1, 2)))
    >>> sample_token_offsets(s)
    [(0, 1), (1, 2)]
    """
    if sample.token_offsets is not None:
        return list(sample.token_offsets)
    if tokenizer is None:
        raise ValueError(
            f"sample {sample.id!r} has no token_offsets and no tokenizer was given to compute them"
        )
    return token_offsets(tokenizer, sample.completion)


def step_sums(
    values: Sequence[float], offsets: Sequence[Span], spans: Sequence[Span]
) -> tuple[float, ...]:
    """Sum of the per-token ``values`` over each step's tokens; NaN for a step with no token.

    >>> step_sums([1.0, 2.0, 4.0], [(0, 1), (1, 2), (2, 3)], [(0, 2), (2, 3)])
    (3.0, 4.0)
    """
    if len(values) != len(offsets):
        raise ValueError(f"{len(values)} per-token values for {len(offsets)} token offsets")
    which = token_step_index(offsets, spans)
    arr = np.asarray(values, dtype=float)
    out = []
    for k in range(len(spans)):
        mine = which == k
        out.append(float(arr[mine].sum()) if mine.any() else float("nan"))
    return tuple(out)
