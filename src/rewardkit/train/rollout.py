"""Rollouts: sample completions with a KV cache, and map their tokens onto characters.

The sampling loop is written out (prefill once per prompt, copy the cache G times, then one
token per step) because ``model.generate`` spends most of its time on bookkeeping when the model
is tiny. Every draw takes an explicit ``torch.Generator``, so a resumed run samples exactly what
the uninterrupted run sampled.

>>> completion_offsets(["a", "b", ""], "ab")
((0, 1), (1, 2), (2, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewardkit.errors import require
from rewardkit.tasks.models import position_ids
from rewardkit.types import Span


@dataclass
class Rollouts:
    """A batch of prompts with their completions, padded as the loss needs them.

    ``prompt_ids`` is left-padded, ``completion_ids`` right-padded; ``completion_mask`` marks the
    completion tokens up to and including eos. ``texts`` are the decoded completions (no eos),
    ``offsets`` the character span of every masked completion token in its text.
    """

    prompt_ids: Any
    prompt_mask: Any
    completion_ids: Any
    completion_mask: Any
    texts: list[str]
    token_ids: list[tuple[int, ...]]
    offsets: list[tuple[Span, ...]]
    truncated: list[bool]


def encode_prompts(
    tokenizer: Any, prompts: Sequence[str], device: Any, chat: bool = False
) -> tuple[Any, Any]:
    """Left-padded prompt ids and attention mask on ``device``.

    With ``chat``, each prompt is a user turn of the tokenizer's chat template, followed by the
    template's assistant header (the text an instruct model answers after).
    """
    if chat:
        prompts = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
    enc = tokenizer(list(prompts), padding=True, return_tensors="pt", add_special_tokens=False)
    return enc["input_ids"].to(device), enc["attention_mask"].to(device)


def sample_completions(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    group_size: int,
    max_new_tokens: int,
    temperature: float,
    generator: Any,
    greedy: bool = False,
    chat: bool = False,
) -> Rollouts:
    """``group_size`` completions of each prompt, sampled with a KV cache (rows grouped by prompt).

    ``greedy`` takes the most likely token instead (then ``group_size`` is usually 1); ``chat``
    wraps the prompts in the tokenizer's chat template (``encode_prompts``).
    """
    torch = require("torch", "train")
    device = next(model.parameters()).device
    ids, mask = encode_prompts(tokenizer, prompts, device, chat)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    with torch.no_grad():
        out = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=position_ids(mask),
            use_cache=True,
            logits_to_keep=1,  # the prefill needs the last position's logits only
        )
        cache = out.cache
        if group_size > 1:
            # One prefill per prompt; its cache is repeated for the prompt's G completions.
            cache.batch_repeat_interleave(group_size)
            ids = ids.repeat_interleave(group_size, dim=0)
            mask = mask.repeat_interleave(group_size, dim=0)
        logits = out.logits[:, -1].repeat_interleave(group_size, dim=0)
        rows = ids.shape[0]
        position = position_ids(mask)[:, -1]
        done = torch.zeros(rows, dtype=torch.bool, device=device)
        tokens = []
        full_mask = mask
        for _ in range(max_new_tokens):
            if greedy:
                nxt = logits.argmax(-1)
            else:
                probs = torch.softmax(logits.float() / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            tokens.append(nxt)
            done |= nxt == eos
            if bool(done.all()):
                break
            full_mask = torch.cat([full_mask, torch.ones_like(nxt)[:, None]], dim=1)
            position = position + 1
            step = model(
                input_ids=nxt[:, None],
                attention_mask=full_mask,
                position_ids=position[:, None],
                cache=cache,
                use_cache=True,
                logits_to_keep=1,
            )
            logits = step.logits[:, -1]
        completion = torch.stack(tokens, dim=1)
    return _package(tokenizer, ids, mask, completion, eos)


def _package(tokenizer: Any, ids: Any, mask: Any, completion: Any, eos: int) -> Rollouts:
    torch = require("torch", "train")
    is_eos = completion == eos
    # A token is kept up to and including the first eos; everything after is padding.
    after_eos = (is_eos.long().cumsum(1) - is_eos.long()) > 0
    completion_mask = (~after_eos).long()
    texts, token_ids, offsets, truncated = [], [], [], []
    for row, keep in zip(completion.tolist(), completion_mask.tolist(), strict=True):
        kept = [t for t, k in zip(row, keep, strict=True) if k]
        pieces = [tokenizer.decode([t], skip_special_tokens=True) for t in kept]
        text = tokenizer.decode(kept, skip_special_tokens=True)
        if "".join(pieces) != text:  # multi-token characters: fall back to prefix decoding
            pieces = _prefix_pieces(tokenizer, kept)
        texts.append(text)
        token_ids.append(tuple(kept))
        offsets.append(completion_offsets(pieces, text))
        truncated.append(not kept or kept[-1] != eos)
    return Rollouts(
        prompt_ids=ids,
        prompt_mask=mask,
        completion_ids=completion,
        completion_mask=completion_mask.to(torch.long),
        texts=texts,
        token_ids=token_ids,
        offsets=offsets,
        truncated=truncated,
    )


def _prefix_pieces(tokenizer: Any, kept: list[int]) -> list[str]:
    pieces, previous = [], ""
    for i in range(1, len(kept) + 1):
        now = tokenizer.decode(kept[:i], skip_special_tokens=True)
        pieces.append(now[len(previous) :] if now.startswith(previous) else "")
        previous = now
    return pieces


def completion_offsets(pieces: Sequence[str], text: str) -> tuple[Span, ...]:
    """The character span of each token's piece in ``text`` (empty spans for eos and the like).

    >>> completion_offsets(["ab", "", "c"], "abc")
    ((0, 2), (2, 2), (2, 3))
    """
    spans, at = [], 0
    for piece in pieces:
        end = min(at + len(piece), len(text))
        spans.append((at, end))
        at = end
    return tuple(spans)


def merge_rollouts(parts: Sequence[tuple[Rollouts, Sequence[int]]], pad_id: int) -> Rollouts:
    """The chosen rows of several batches as one batch, in the order given.

    Prompts are left-padded and completions right-padded (``pad_id``, mask 0) to the widest part,
    so every row keeps its tokens, mask and positions. Used to train on the groups a filter kept
    across refill rounds.
    """
    torch = require("torch", "train")
    chosen = [(r, list(rows)) for r, rows in parts if len(rows)]
    prompt_w = max(r.prompt_ids.shape[1] for r, _ in chosen)
    completion_w = max(r.completion_ids.shape[1] for r, _ in chosen)

    def pad(x: Any, width: int, value: int, left: bool) -> Any:
        extra = width - x.shape[1]
        side = (extra, 0) if left else (0, extra)
        return torch.nn.functional.pad(x, side, value=value) if extra else x

    def stack(field: str, width: int, value: int, left: bool) -> Any:
        return torch.cat([pad(getattr(r, field)[rows], width, value, left) for r, rows in chosen])

    return Rollouts(
        prompt_ids=stack("prompt_ids", prompt_w, pad_id, True),
        prompt_mask=stack("prompt_mask", prompt_w, 0, True),
        completion_ids=stack("completion_ids", completion_w, pad_id, False),
        completion_mask=stack("completion_mask", completion_w, 0, False),
        texts=[r.texts[i] for r, rows in chosen for i in rows],
        token_ids=[r.token_ids[i] for r, rows in chosen for i in rows],
        offsets=[r.offsets[i] for r, rows in chosen for i in rows],
        truncated=[r.truncated[i] for r, rows in chosen for i in rows],
    )
