"""verl 0.9.1's multi-turn rollouts (``ToolAgentLoop``) as rewardkit trajectories.

verl's tool agent writes one response per rollout: the model's turns and the tool responses (or
interaction feedback) between them, with ``response_mask`` 1 on the model's tokens and 0 on the
environment's. It records ``tool_rewards`` (one per executed tool call, from a tool's ``execute``)
and ``turn_scores`` (per-turn scores an agent loop or interaction adds) in the rollout's
``extra_fields``; verl hands them on as the batch's ``turn_scores`` / ``tool_rewards`` columns and,
in the streaming path, inside ``tool_extra_fields`` (``agent_loop.py`` ``_compute_score`` and
``_postprocess``). Here a rollout becomes one ``Sample``:

- ``steps``: the character spans of the mask's runs of 1s (the assistant turns); ``env_spans``:
  the runs of 0s (their tokens never get an advantage);
- ``meta["env_rewards"]``: one value per assistant turn (the turn's own score plus the rewards of
  the tool calls it made), when they can be aligned with the turns (``turn_rewards``);
  ``meta["env_reward"]``: their sum over the rollout, always.

>>> mask_runs([1, 1, 0, 0, 0, 1, 1])
[(1, 0, 2), (0, 2, 5), (1, 5, 7)]

Three turns, the first two with tool calls (two, then one), each answered by the environment, which
scored both answered turns (0.5, 1.0):

>>> turn_rewards([0.5, 1.0], [1.0, -1.0, 2.0], calls=[2, 1, 0], tool_turns=[0, 1], turns=3)
[0.5, 3.0, 0.0]
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.rewards.env import ENV_REWARD, ENV_REWARDS
from rewardkit.trajectory import parse_tool_calls
from rewardkit.types import Sample, Span

log = logging.getLogger("rewardkit.verl")


def mask_runs(mask: Sequence[int]) -> list[tuple[int, int, int]]:
    """The runs of equal values of a response mask: ``(value, start, end)`` token ranges."""
    runs: list[tuple[int, int, int]] = []
    for t, v in enumerate(int(x) for x in mask):
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1], t + 1)
        else:
            runs.append((v, t, t + 1))
    return runs


def decode_tokens(
    tokenizer: Any, ids: Sequence[int], mask: Sequence[int] | None = None
) -> tuple[str, list[Span], list[int]]:
    """The response as the concatenation of its tokens' texts, each token's character span, and
    where each token's text starts (one more entry: the text's length).

    A token with no text (EOS and other special tokens, decoded without them as verl does) takes
    the character before it, so it belongs to the turn of the token before it: a turn's closing
    ``<|im_end|>`` stays in its turn. With a ``mask``, a textless token that opens a run takes the
    character after it instead (when there is one), so it never lands in the run before.
    """
    pieces = tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=True)
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    opens = {a for _, a, _ in mask_runs(mask)} if mask is not None else set()
    offsets: list[Span] = []
    for t, piece in enumerate(pieces):
        s = starts[t]
        if piece:
            offsets.append((s, s + len(piece)))
        elif t in opens and s < starts[-1]:
            offsets.append((s, s + 1))
        else:
            offsets.append((s - 1, s) if s > 0 else (0, 0))
    return "".join(pieces), offsets, starts


def char_runs(
    starts: Sequence[int], mask: Sequence[int]
) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The character spans of the mask's runs of 1s (turns) and of 0s (environment), from the
    text starts of ``decode_tokens``: a run spans the text of its tokens.

    >>> char_runs([0, 2, 4, 5, 9], [1, 1, 0, 1])
    (((0, 4), (5, 9)), ((4, 5),))
    """
    turns: list[Span] = []
    env: list[Span] = []
    for v, a, b in mask_runs(mask):
        (turns if v else env).append((int(starts[a]), int(starts[b])))
    return tuple(turns), tuple(env)


def turn_rewards(
    turn_scores: Sequence[float] | None,
    tool_rewards: Sequence[float] | None,
    calls: Sequence[int],
    tool_turns: Sequence[int],
    turns: int,
) -> list[float] | None:
    """One environment reward per assistant turn, or None when verl's lists cannot be aligned.

    ``calls[k]``: the tool calls turn k wrote; ``tool_turns``: the turns followed by the
    environment's reply (their calls ran). A tool reward belongs to the turn whose call earned it:
    in order over the calls of the tool turns when the counts agree, else one per tool turn when
    there are as many; a turn score belongs to its turn when there is one per turn, else to the
    turn the feedback answered (one per tool turn). Anything else is None (logged): the sum
    (``meta["env_reward"]``) stays, the per-turn values do not guess.
    """
    out = [0.0] * turns
    tools = [float(r) for r in tool_rewards or ()]
    ran = [calls[k] for k in tool_turns]
    if tools and sum(ran) == len(tools):
        it = iter(tools)
        for k in tool_turns:
            out[k] += sum(next(it) for _ in range(calls[k]))
    elif tools and len(tools) == len(tool_turns):
        for k, r in zip(tool_turns, tools, strict=True):
            out[k] += r
    elif tools:
        log.warning("%d tool rewards for %d executed calls in %d tool turns: no per-turn values",
                    len(tools), sum(ran), len(tool_turns))  # fmt: skip
        return None
    scores = [float(s) for s in turn_scores or ()]
    if scores and len(scores) == turns:
        out = [a + b for a, b in zip(out, scores, strict=True)]
    elif scores and len(scores) == len(tool_turns):
        for k, s in zip(tool_turns, scores, strict=True):
            out[k] += s
    elif scores:
        log.warning("%d turn scores for %d turns: no per-turn values", len(scores), turns)
        return None
    return out


def rollout_rewards(non_tensor: Mapping[str, Any]) -> tuple[list[float], list[float]]:
    """``turn_scores`` and ``tool_rewards`` of one verl sample: the batch's own columns (after
    the agent loop's ``_postprocess``) or its ``tool_extra_fields`` (the streaming path)."""
    extra = non_tensor.get("tool_extra_fields")
    extra = extra if isinstance(extra, Mapping) else {}
    out = []
    for key in ("turn_scores", "tool_rewards"):
        value = non_tensor.get(key)
        value = extra.get(key) if value is None else value
        out.append([float(v) for v in value] if value is not None else [])
    return out[0], out[1]


def env_meta(
    text: str,
    turns: Sequence[Span],
    env: Sequence[Span],
    turn_scores: Sequence[float],
    tool_rewards: Sequence[float],
) -> dict[str, Any]:
    """``env_reward`` (the sum of verl's turn scores and tool rewards) and, when they align with
    the turns, ``env_rewards`` (one per turn; calls counted as ``<tool_call>`` blocks that name a
    tool, the form of verl's default ``hermes`` parser)."""
    meta: dict[str, Any] = {ENV_REWARD: float(sum(turn_scores) + sum(tool_rewards))}
    calls = [sum(1 for c in parse_tool_calls(text[a:b]) if c.name) for a, b in turns]
    env_starts = {a for a, _ in env}
    tool_turns = [k for k, (_, b) in enumerate(turns) if _followed(b, env_starts, text)]
    per_turn = turn_rewards(turn_scores, tool_rewards, calls, tool_turns, len(turns))
    if per_turn is not None:
        meta[ENV_REWARDS] = per_turn
    return meta


def _followed(end: int, env_starts: set[int], text: str) -> bool:
    return end in env_starts and end < len(text)


def record_sample(index: int, record: Mapping[str, Any]) -> Sample:
    """The Sample of one decoded verl response (``verl_manager.batch_records``): a trajectory
    when the record has a response ``mask`` (turns and environment spans from its runs, verl's
    rewards in ``meta``), else a plain completion."""
    offsets = tuple((int(a), int(b)) for a, b in record["offsets"])
    meta = dict(record["meta"])
    steps = env = None
    if record.get("mask") is not None:
        steps, env = char_runs(record["starts"], record["mask"])
        scores, tools = record.get("turn_scores") or [], record.get("tool_rewards") or []
        meta.update(env_meta(record["text"], steps, env, scores, tools))
    return Sample(
        id=str(index),
        group=str(record["uid"]),
        prompt="",
        completion=record["text"],
        reference=record["ground_truth"],
        meta=meta,
        token_ids=tuple(record["ids"]),
        token_offsets=offsets,
        steps=steps,
        env_spans=env,
    )


def last_model_token(record: Mapping[str, Any]) -> int:
    """Where verl's outcome goes: the last token the model wrote (the last 1 of the mask), the
    last response token without a mask."""
    mask = record.get("mask")
    if mask is None:
        return len(record["ids"]) - 1
    ones = [t for t, v in enumerate(mask) if int(v)]
    return ones[-1] if ones else len(record["ids"]) - 1
