"""Multi-turn rollouts: the model's turns, with the environment's tool results between them.

A task with an environment (``rewardkit.tasks.env``) is rolled out one token per row per step,
as single-turn sampling is (one KV cache, one draw per row per step from the run's generator,
so a resumed run samples exactly what the uninterrupted one sampled). Each row is in one of
three states:

- generating: the token drawn for the row is its next token. An assistant turn ends at eos (the
  episode is over) or when its text ends with ``</tool_call>``: the turn's calls
  (``trajectory.parse_tool_calls``) go to ``env.step``, and the result, rendered as the
  trajectory renders tool messages (``tasks.env.observation_text``), is queued;
- writing the observation: the queued tokens are fed one per step instead of the drawn ones.
  They are marked in ``Rollouts.env_mask``: never sampled, no advantage, no loss. When the queue
  is empty the next assistant turn starts (or the episode ends, if the environment said done);
- done: padding.

An environment may declare its own turn format (the search task's Search-R1 text turns): a turn
ends with its ``stop`` text, ``parse_calls(text, turn)`` reads the calls, and its results are
messages of ``observation_role`` (``user``: plain text, no ``<tool_response>``). Without them:
``</tool_call>``, ``parse_tool_calls`` and ``tool`` messages.

A turn that ends with a tool call when ``max_turns`` turns have been taken ends the rollout
(not stepped, truncated). ``max_new_tokens`` bounds the whole completion, tool results included.
Each row's ``Trajectory`` (messages, assistant-turn spans, environment spans, turn rewards) is
what ``samples.to_samples`` puts into its ``Sample``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import require
from rewardkit.tasks.base import Problem, Task
from rewardkit.tasks.env import Environment, environment_factory, observation_text
from rewardkit.train.rollout import (
    Decoder,
    Rollouts,
    Trajectory,
    completion_offsets,
    draw,
    encode_prompts,
    sample_completions,
    token_pieces,
)
from rewardkit.trajectory import parse_tool_calls
from rewardkit.types import Span

CALL_END = "</tool_call>"


def sample_rollouts(
    model: Any,
    tokenizer: Any,
    task: Task,
    problems: Sequence[Problem],
    group_size: int,
    max_new_tokens: int,
    max_turns: int,
    temperature: float,
    generator: Any,
    greedy: bool = False,
    chat: bool = False,
) -> Rollouts:
    """``group_size`` rollouts of each problem: multi-turn when the task has an environment,
    else single-turn completions (``rollout.sample_completions``, exactly as before)."""
    factory = environment_factory(task)
    if factory is None:
        prompts = [p.prompt for p in problems]
        args = (group_size, max_new_tokens, temperature, generator)
        return sample_completions(model, tokenizer, prompts, *args, greedy=greedy, chat=chat)
    return sample_trajectories(
        model,
        tokenizer,
        problems,
        factory,
        group_size,
        max_new_tokens,
        max_turns,
        temperature,
        generator,
        greedy,
        chat,
    )


@dataclass
class _Row:
    """One rollout while it is generated (the module doc's states)."""

    env: Environment
    messages: list[dict[str, Any]]
    tokens: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    length: int = 0
    turn: list[str] = field(default_factory=list)
    turn_start: int = 0
    turns: int = 1
    queue: list[tuple[int, str]] = field(default_factory=list)
    ending: bool = False
    done: bool = False
    finished: bool = False
    steps: list[Span] = field(default_factory=list)
    env_spans: list[Span] = field(default_factory=list)
    rewards: list[float | None] = field(default_factory=list)

    def record(self, token: int, piece: str, by_env: bool) -> None:
        self.tokens.append(token)
        self.pieces.append(piece)
        self.written.append(int(by_env))
        self.length += len(piece)


def sample_trajectories(
    model: Any,
    tokenizer: Any,
    problems: Sequence[Problem],
    factory: Callable[[], Environment],
    group_size: int,
    max_new_tokens: int,
    max_turns: int,
    temperature: float,
    generator: Any,
    greedy: bool = False,
    chat: bool = False,
) -> Rollouts:
    """Multi-turn rollouts of ``problems`` with a fresh environment each (module doc)."""
    torch = require("torch", "train")
    device = next(model.parameters()).device
    rows, prompts = _start(problems, factory, group_size)
    ids, mask = encode_prompts(tokenizer, prompts, device, chat)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    columns: list[list[int]] = []
    with torch.no_grad():
        d = Decoder.prefill(model, ids, mask, group_size)
        for _ in range(max_new_tokens):
            drawn = draw(d.logits, temperature, generator, greedy).tolist()
            nxt = [
                _advance(row, tok, tokenizer, eos, pad, max_turns)
                for row, tok in zip(rows, drawn, strict=True)
            ]
            columns.append(nxt)
            if all(row.done for row in rows):
                break
            d.feed(model, torch.tensor(nxt, dtype=torch.long, device=device))
    for row in rows:
        if not row.done and row.turn:  # out of tokens inside a turn: the turn ends here
            _close_turn(row)
    return _package(rows, columns, d.ids, d.mask)


def _start(
    problems: Sequence[Problem], factory: Callable[[], Environment], group_size: int
) -> tuple[list[_Row], list[str]]:
    """A reset environment per row, and each problem's prompt (with reset's observation)."""
    rows, prompts = [], []
    for p in problems:
        first: str | None = None
        for k in range(group_size):
            env = factory()
            seen = env.reset(p)
            if k == 0:
                first = seen
            elif seen != first:
                raise ValueError(
                    f"problem {p.id!r}: reset gave different first observations to one group; "
                    "a first observation must follow from the problem alone (draw from it)"
                )
            messages: list[dict[str, Any]] = [{"role": "user", "content": p.prompt}]
            if seen:
                messages.append({"role": "user", "content": seen})
            rows.append(_Row(env, messages))
        prompts.append(p.prompt + (first or ""))
    return rows, prompts


def _advance(row: _Row, drawn: int, tokenizer: Any, eos: int, pad: int, max_turns: int) -> int:
    """The row's next token: padding, the next queued observation token, or the drawn one."""
    if row.done:
        return pad
    if row.queue:
        token, piece = row.queue.pop(0)
        row.record(token, piece, by_env=True)
        if not row.queue:
            if row.ending:
                row.done = row.finished = True
            else:  # the next assistant turn starts after the observation
                row.turns += 1
                row.turn, row.turn_start = [], row.length
        return token
    if drawn == eos:
        row.record(drawn, "", by_env=False)
        _close_turn(row)
        row.done = row.finished = True
        return drawn
    piece = tokenizer.decode([drawn], skip_special_tokens=True)
    row.record(drawn, piece, by_env=False)
    row.turn.append(piece)
    stop = getattr(row.env, "stop", CALL_END)
    if "".join(row.turn[-len(stop) :]).endswith(stop):
        content = _close_turn(row)
        if row.turns >= max_turns:
            row.done = True  # no turn left to read the result in
        else:
            _step_env(row, content, tokenizer)
    return drawn


def _close_turn(row: _Row) -> str:
    """End the open assistant turn: its message and span; its reward is None unless stepped."""
    content = "".join(row.turn)
    row.messages.append({"role": "assistant", "content": content})
    row.steps.append((row.turn_start, row.turn_start + len(content)))
    row.rewards.append(None)
    row.turn = []
    return content


def _step_env(row: _Row, content: str, tokenizer: Any) -> None:
    """Run the turn's tool calls; queue the observation's tokens."""
    parse = getattr(row.env, "parse_calls", parse_tool_calls)
    outcome = row.env.step(parse(content, turn=len(row.steps) - 1))
    row.rewards[-1] = None if outcome.reward is None else float(outcome.reward)
    role = getattr(row.env, "observation_role", "tool")
    messages = [{**m, "role": role} for m in outcome.messages()]
    row.messages.extend(messages)
    text = observation_text(messages)
    row.env_spans.append((row.length, row.length + len(text)))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    row.queue = list(zip(ids, token_pieces(tokenizer, ids, text), strict=True))
    row.ending = outcome.done


def _package(
    rows: Sequence[_Row],
    columns: list[list[int]],
    prompt_ids: Any,
    prompt_mask: Any,
) -> Rollouts:
    torch = require("torch", "train")
    device = prompt_ids.device
    completion = torch.tensor(columns, dtype=torch.long, device=device).T.contiguous()
    completion_mask = torch.zeros_like(completion)
    env_mask = torch.zeros_like(completion)
    for i, row in enumerate(rows):
        completion_mask[i, : len(row.tokens)] = 1
        env_mask[i, : len(row.written)] = torch.tensor(row.written, dtype=torch.long)
    tools = tuple(rows[0].env.tools) if rows else ()
    texts, trajectories = [], []
    for row in rows:
        text = "".join(row.pieces)
        texts.append(text)
        end = len(text)
        trajectories.append(
            Trajectory(
                messages=tuple(row.messages),
                tools=tools,
                steps=tuple(row.steps),
                env_spans=tuple((min(a, end), min(b, end)) for a, b in row.env_spans),
                env_rewards=tuple(row.rewards),
            )
        )
    return Rollouts(
        prompt_ids=prompt_ids,
        prompt_mask=prompt_mask,
        completion_ids=completion,
        completion_mask=completion_mask,
        texts=texts,
        token_ids=[tuple(r.tokens) for r in rows],
        offsets=[completion_offsets(r.pieces, t) for r, t in zip(rows, texts, strict=True)],
        truncated=[not r.finished for r in rows],
        env_mask=env_mask,
        trajectories=trajectories,
    )
