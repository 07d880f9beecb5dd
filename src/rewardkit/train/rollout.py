"""Rollouts: sample completions with a KV cache, and map their tokens onto characters.

The sampling loop is written out (prefill once per prompt, copy the cache G times, then one
token per step) because ``model.generate`` spends most of its time on bookkeeping when the model
is tiny. Every draw takes an explicit ``torch.Generator``, so a resumed run samples exactly what
the uninterrupted run sampled.

>>> completion_offsets(["a", "b", ""], "ab")
((0, 1), (1, 2), (2, 2))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    A multi-turn batch (``train/multiturn.py``) also has ``env_mask`` (1 on the tokens the
    environment wrote: tool results, never sampled) and each row's ``trajectories`` record.
    """

    prompt_ids: Any
    prompt_mask: Any
    completion_ids: Any
    completion_mask: Any
    texts: list[str]
    token_ids: list[tuple[int, ...]]
    offsets: list[tuple[Span, ...]]
    truncated: list[bool]
    env_mask: Any | None = None
    trajectories: list[Trajectory] | None = None

    def policy_mask(self) -> Any:
        """The tokens the policy wrote: ``completion_mask`` less ``env_mask``. The loss, its KL
        and its token counts see only these."""
        if self.env_mask is None:
            return self.completion_mask
        return self.completion_mask * (1 - self.env_mask)


@dataclass(frozen=True)
class Trajectory:
    """One multi-turn rollout as the reward program sees it (``Sample`` fields).

    ``messages``: the OpenAI chat messages (prompt, assistant turns with their raw text, tool
    results); ``steps``: the assistant turns' spans in the completion; ``env_spans``: the spans
    the environment wrote (with the newlines that join them); ``env_rewards``: one per assistant
    turn, None where the environment gave none.
    """

    messages: tuple[dict[str, Any], ...]
    tools: tuple[Mapping[str, Any], ...]
    steps: tuple[Span, ...]
    env_spans: tuple[Span, ...]
    env_rewards: tuple[float | None, ...]


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
        d = Decoder.prefill(model, ids, mask, group_size)
        done = torch.zeros(d.rows, dtype=torch.bool, device=device)
        tokens = []
        for _ in range(max_new_tokens):
            nxt = draw(d.logits, temperature, generator, greedy)
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            tokens.append(nxt)
            done |= nxt == eos
            if bool(done.all()):
                break
            d.feed(model, nxt)
        completion = torch.stack(tokens, dim=1)
    return _package(tokenizer, d.ids, d.mask, completion, eos)


def draw(logits: Any, temperature: float, generator: Any, greedy: bool = False) -> Any:
    """The next token of every row: the most likely (``greedy``) or one sampled at
    ``temperature`` with ``generator`` (one draw per row, whatever the rows will use)."""
    torch = require("torch", "train")
    if greedy:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


@dataclass
class Decoder:
    """The KV-cache state of a batch being decoded one token per row per step.

    ``prefill`` runs each prompt once and repeats its cache for its ``group_size`` rows;
    ``feed`` appends one token to every row and leaves the next logits in ``logits``.
    """

    ids: Any
    mask: Any
    cache: Any
    logits: Any
    position: Any
    full_mask: Any

    @property
    def rows(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def prefill(cls, model: Any, ids: Any, mask: Any, group_size: int) -> Decoder:
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
        return cls(ids, mask, cache, logits, position_ids(mask)[:, -1], mask)

    def feed(self, model: Any, nxt: Any) -> None:
        """Append token ``nxt[row]`` to every row; the logits of the position after it."""
        torch = require("torch", "train")
        self.full_mask = torch.cat([self.full_mask, torch.ones_like(nxt)[:, None]], dim=1)
        self.position = self.position + 1
        step = model(
            input_ids=nxt[:, None],
            attention_mask=self.full_mask,
            position_ids=self.position[:, None],
            cache=self.cache,
            use_cache=True,
            logits_to_keep=1,
        )
        self.logits = step.logits[:, -1]


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


def token_pieces(tokenizer: Any, ids: Sequence[int], text: str) -> list[str]:
    """The text each token of ``ids`` adds to ``text`` (their decoding), one piece per token.

    >>> from rewardkit.tasks.tokenizer import char_tokenizer
    >>> tok = char_tokenizer()
    >>> token_pieces(tok, tok("ab")["input_ids"], "ab")
    ['a', 'b']
    """
    pieces = [tokenizer.decode([t], skip_special_tokens=True) for t in ids]
    if "".join(pieces) != text:  # multi-token characters: fall back to prefix decoding
        pieces = _prefix_pieces(tokenizer, list(ids))
    return pieces


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

    env_mask = None
    if any(r.env_mask is not None for r, _ in chosen):
        written = [
            (torch.zeros_like(r.completion_mask) if r.env_mask is None else r.env_mask)[rows]
            for r, rows in chosen
        ]
        env_mask = torch.cat([pad(x, completion_w, 0, False) for x in written])
    trajectories = None
    if all(r.trajectories is not None for r, _ in chosen):
        trajectories = [r.trajectories[i] for r, rows in chosen for i in rows]  # type: ignore[index]
    return Rollouts(
        prompt_ids=stack("prompt_ids", prompt_w, pad_id, True),
        prompt_mask=stack("prompt_mask", prompt_w, 0, True),
        completion_ids=stack("completion_ids", completion_w, pad_id, False),
        completion_mask=stack("completion_mask", completion_w, 0, False),
        texts=[r.texts[i] for r, rows in chosen for i in rows],
        token_ids=[r.token_ids[i] for r, rows in chosen for i in rows],
        offsets=[r.offsets[i] for r, rows in chosen for i in rows],
        truncated=[r.truncated[i] for r, rows in chosen for i in rows],
        env_mask=env_mask,
        trajectories=trajectories,
    )
