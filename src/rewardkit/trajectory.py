"""Multi-turn trajectories: OpenAI chat messages as one completion whose turns are its steps.

A trajectory is the conversation of one rollout in the OpenAI chat format: the prompt messages
(system, user), then assistant turns (text, and ``tool_calls``) and what the environment wrote
back (``tool`` results, or ``user`` feedback). rewardkit scores it as one ``Sample``:

- ``completion`` is the text after the prompt, rendered in one fixed form (``render``): an assistant
  turn is its content then each call as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
  (the Hermes / Qwen form most chat templates use); a tool result is
  ``<tool_response>...</tool_response>``; other environment messages are their content; messages
  are joined by one newline.
- ``steps`` are the spans of the assistant turns: per-turn values (a component's ``Score.steps``)
  take the place of per-step values, so per-token advantages, gating and the process-to-outcome
  transition work on turns unchanged.
- ``env_spans`` are the spans the environment wrote: their tokens never get an advantage.

A single-turn sample is a trajectory of one turn; its tool calls, if any, are read from the
``<tool_call>`` blocks of its completion (``parse_tool_calls``).

>>> text, turns, env = render([
...     {"role": "user", "content": "2+3?"},
...     {"role": "assistant", "content": "", "tool_calls": [
...         {"function": {"name": "add", "arguments": '{"a": 2, "b": 3}'}}]},
...     {"role": "tool", "content": "5"},
...     {"role": "assistant", "content": "<answer>5</answer>"},
... ])
>>> print(text)
<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>
<tool_response>5</tool_response>
<answer>5</answer>
>>> turns, env
(((0, 69), (103, 121)), ((70, 102),))
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ToolCall",
    "assistant_turns",
    "env_token_mask",
    "model_text",
    "offered_tools",
    "parse_tool_calls",
    "prompt_messages",
    "render",
    "tool_calls",
    "validate_messages",
    "validate_tools",
]

Message = Mapping[str, Any]
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_CALL_BLOCK = re.compile(r"<tool_call>.*?(?:</tool_call>|$)", re.DOTALL)
"""A tool call block (an unclosed one runs to the end): an action, never part of an answer."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call of a trajectory.

    ``arguments`` is None when the call's arguments were not a JSON object (a format error the
    tool-call rewards see); ``turn`` is the index of the assistant turn that made it.

    >>> ToolCall("search", {"q": "x"}, turn=0).name
    'search'
    """

    name: str
    arguments: dict[str, Any] | None
    turn: int = 0
    raw: str = field(default="", compare=False)


def validate_messages(messages: Any, what: str = "messages") -> tuple[Message, ...]:
    """The messages as a tuple of mappings, or ValueError naming the first bad one.

    >>> len(validate_messages([{"role": "user", "content": "hi"}]))
    1
    """
    if not isinstance(messages, list | tuple):
        raise ValueError(f"{what!r} must be a list of chat messages, got {type(messages).__name__}")
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise ValueError(f"{what}[{i}] must be an object with 'role' and 'content'")
        role = m.get("role")
        if role not in _ROLES:
            raise ValueError(f"{what}[{i}]: role {role!r} is not one of {sorted(_ROLES)}")
        content = m.get("content")
        if content is not None and not isinstance(content, str | list):
            raise ValueError(f"{what}[{i}]: 'content' must be a string")
        calls = m.get("tool_calls")
        if calls is not None and (role != "assistant" or not isinstance(calls, list)):
            raise ValueError(f"{what}[{i}]: 'tool_calls' is a list on an assistant message")
    return tuple(messages)


def _content(message: Message) -> str:
    content = message.get("content")
    if isinstance(content, list):  # the multi-part form: keep the text parts
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content or ""


def _call_parts(call: Any) -> tuple[str, Any]:
    fn = call.get("function", call) if isinstance(call, Mapping) else {}
    name = fn.get("name") if isinstance(fn, Mapping) else None
    args = fn.get("arguments", fn.get("parameters")) if isinstance(fn, Mapping) else None
    return (name if isinstance(name, str) else ""), args


def _arguments(args: Any) -> dict[str, Any] | None:
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return None
    return dict(args) if isinstance(args, Mapping) else None


def _render_call(call: Any) -> str:
    name, args = _call_parts(call)
    parsed = _arguments(args)
    shown: Any = parsed if parsed is not None else args
    return "<tool_call>" + json.dumps({"name": name, "arguments": shown}) + "</tool_call>"


def prompt_messages(messages: Sequence[Message]) -> tuple[Message, ...]:
    """The messages before the first assistant turn (what the model was asked)."""
    for i, m in enumerate(messages):
        if m.get("role") == "assistant":
            return tuple(messages[:i])
    return tuple(messages)


def render(
    messages: Sequence[Message],
) -> tuple[str, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The completion text of a trajectory, its assistant-turn spans and its environment spans.

    Messages before the first assistant turn are the prompt and are not rendered.
    """
    parts: list[str] = []
    turns: list[tuple[int, int]] = []
    env: list[tuple[int, int]] = []
    at = 0
    for m in messages[len(prompt_messages(messages)) :]:
        if m.get("role") == "assistant":
            pieces = [_content(m)] if _content(m) else []
            pieces += [_render_call(c) for c in m.get("tool_calls") or ()]
            text = "\n".join(pieces)
        elif m.get("role") == "tool":
            text = f"<tool_response>{_content(m)}</tool_response>"
        else:
            text = _content(m)
        if parts:
            at += 1  # the newline that joins two messages belongs to neither
        (turns if m.get("role") == "assistant" else env).append((at, at + len(text)))
        parts.append(text)
        at += len(text)
    return "\n".join(parts), tuple(turns), tuple(env)


def assistant_turns(messages: Sequence[Message]) -> list[Message]:
    """The assistant messages after the prompt, in order."""
    return [m for m in messages if m.get("role") == "assistant"]


def parse_tool_calls(text: str, turn: int = 0) -> list[ToolCall]:
    """Tool calls written as ``<tool_call>`` blocks in text (Hermes / Qwen / ToolRL form).

    A block holds one JSON object, a JSON list of them, or one object per line (ToolRL); each has
    ``name`` and ``arguments`` (or ``parameters``). A block that is not JSON is one call with no
    name and no arguments, so format checks see it.

    >>> [c.name for c in parse_tool_calls('<tool_call>{"name": "a", "arguments": {}}</tool_call>')]
    ['a']
    >>> parse_tool_calls("<tool_call>oops</tool_call>")[0].arguments is None
    True
    """
    calls: list[ToolCall] = []
    for block in _CALL.findall(text):
        items = _json_items(block.strip())
        if items is None:
            calls.append(ToolCall("", None, turn, block))
            continue
        for item in items:
            name, args = _call_parts(item)
            calls.append(ToolCall(name, _arguments(args), turn, json.dumps(item)))
    return calls


def _json_items(block: str) -> list[Any] | None:
    try:
        value = json.loads(block)
        return value if isinstance(value, list) else [value]
    except ValueError:
        pass
    lines = [ln for ln in block.splitlines() if ln.strip()]
    try:
        return [json.loads(ln) for ln in lines] if lines else None
    except ValueError:
        return None


def tool_calls(messages: Sequence[Message] | None, completion: str) -> list[ToolCall]:
    """Every tool call of a trajectory: from the messages' ``tool_calls`` (and any ``<tool_call>``
    blocks in assistant text) when messages are given, else from the completion's blocks.

    >>> tool_calls(None, '<tool_call>{"name": "a", "parameters": {"x": 1}}</tool_call>')[0].arguments
    {'x': 1}
    """
    if messages is None:
        return parse_tool_calls(completion)
    calls: list[ToolCall] = []
    for turn, m in enumerate(assistant_turns(messages[len(prompt_messages(messages)) :])):
        for c in m.get("tool_calls") or ():
            name, args = _call_parts(c)
            calls.append(ToolCall(name, _arguments(args), turn, json.dumps(args, default=str)))
        calls.extend(parse_tool_calls(_content(m), turn))
    return calls


def offered_tools(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The offered tools by name: ``{name: JSON schema of its parameters}``.

    Accepts the OpenAI form ``{"type": "function", "function": {"name", "parameters"}}`` and
    the bare ``{"name", "parameters"}``.

    >>> offered_tools([{"type": "function", "function": {"name": "f", "parameters": {}}}])
    {'f': {}}
    """
    out: dict[str, dict[str, Any]] = {}
    for tool in tools or ():
        fn = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            params = fn.get("parameters")
            out[fn["name"]] = dict(params) if isinstance(params, Mapping) else {}
    return out


def validate_tools(value: Any) -> tuple[Mapping[str, Any], ...] | None:
    """The offered tools as a tuple of schemas, or ValueError.

    >>> validate_tools([{"name": "f"}])
    ({'name': 'f'},)
    """
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(t, Mapping) for t in value):
        raise ValueError("'tools' must be a list of tool schemas (JSON objects)")
    return tuple(value)


def model_text(completion: str, env_spans: Sequence[tuple[int, int]] | None) -> str:
    """What the model wrote as prose: the completion without the environment's spans and the
    ``<tool_call>`` blocks, each left as one newline (``Sample.model_text``).

    >>> model_text('a<tool_call>{"name": "f"}</tool_call>b<r>c</r>d', [(38, 46)])
    'a\\nb\\nd'
    """
    text = completion
    if env_spans:
        parts, at = [], 0
        for start, end in sorted(env_spans):
            parts.append(text[at:start])
            at = max(at, end)
        parts.append(text[at:])
        text = "\n".join(parts)
    if "<tool_call>" in text:
        text = _CALL_BLOCK.sub("\n", text)
    return text


def env_token_mask(
    offsets: Sequence[tuple[int, int]], env_spans: Sequence[tuple[int, int]] | None
) -> np.ndarray:
    """For each token (its character span), whether the environment wrote it: at least half of
    its characters (and at least one) lie in ``env_spans`` (tool outputs, feedback). Such tokens
    never get an advantage and are left out of the policy loss.

    >>> env_token_mask([(0, 2), (2, 4), (4, 6)], [(3, 6)]).tolist()
    [False, True, True]
    """
    if len(offsets) == 0 or not env_spans:
        return np.zeros(len(offsets), dtype=bool)
    tok = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    env = np.asarray(env_spans, dtype=np.int64).reshape(-1, 2)
    overlap = np.clip(
        np.minimum(tok[:, 1:2], env[None, :, 1]) - np.maximum(tok[:, 0:1], env[None, :, 0]), 0, None
    ).sum(axis=1)
    return (overlap > 0) & (2 * overlap >= tok[:, 1] - tok[:, 0])
