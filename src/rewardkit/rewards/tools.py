"""Tool-call rewards: ``toolrl`` (ToolRL's reward), ``tool_schema_valid`` and ``tool_use``.

``tool_call_match`` and the reference shape (``gold_calls``) live in ``tool_match``. Calls are read
with ``rewardkit.trajectory.tool_calls``: from a trajectory's messages, or from the ``<tool_call>``
blocks of a single-turn completion.

**toolrl** = format + correctness, in [-3, 4] (ToolRL, Qian et al. 2025; verl's ``rlla.py``).

- *format* in {0, 1}. A single-turn completion, whitespace around it stripped, must be exactly one
  of ToolRL's layouts, chosen by the gold: ``<think>…</think>`` then, when the gold has calls,
  ``\\n<tool_call>\\n…\\n</tool_call>`` (one block), then, when the gold has a response,
  ``\\n<response>…</response>`` (one); with neither, ``<think>…</think>`` alone. In a trajectory
  each assistant turn is written as ToolRL text (its content, then its structured calls as one
  block, one JSON call per line) and must be the layout of what it holds (calls, a response, or
  both; a turn with neither is malformed); format is 1 when every turn is, and the per-turn
  values are the ``steps``.
- *correctness* in [-3, 3]: 0 when the gold has no calls; -3 when a predicted call is not a JSON
  call with an object of arguments; else ``6 S / S_max - 3`` with
  ``S = J(names) + sum over matched pairs (J(parameter names) + #equal values)`` and
  ``S_max = 1 + sum over gold calls (1 + #parameters)``: ``J`` is the (multiset) Jaccard
  similarity, a pair needs the same name, and the pairs are the one-to-one pairing of largest S
  (``linear_sum_assignment``). Values are equal as JSON values, exactly (``values_equal`` with
  ``strip=False``). An exact match has ``S = S_max``: 3.

>>> from rewardkit.types import Sample
>>> gold = [{"name": "search", "parameters": {"q": "paris", "n": 3}}]
>>> text = '<think>look</think>\\n<tool_call>\\n{"name": "search", "parameters": {"q": "paris", "n": 5}}\\n</tool_call>'
>>> toolrl(Sample("0", "g", "", text, gold), ToolRLParams()).value  # S = 1 + (1 + 1) = 3, S_max = 4
2.5

**tool_schema_valid**: each call names an offered tool (``sample.tools``) and its arguments
validate against that tool's JSON Schema (``jsonschema``); with ``extra_arguments: forbid`` an
object schema that lists ``properties`` rejects other arguments. ``all``: 1 or 0; ``fraction``:
valid calls / calls (1 with no calls). None when no tools are offered.

**tool_use** = ``-min(1, per_call * k)``, in [-1, 0], where ``k`` counts the penalised calls: each
call beyond the first ``max_calls``, each call identical (name and arguments) to an earlier one,
and each call made in or after the answer (after the first ``</answer>`` or ``</response>`` of the
text; in a trajectory, in or after the first assistant turn that closes such a tag or makes no
call). A call that is several of these counts once. It never grows with the number of calls.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from jsonschema import SchemaError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from pydantic import Field

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import Params, reward
from rewardkit.rewards.tool_match import gold_calls, toolrl_correctness, values_equal
from rewardkit.trajectory import (
    ToolCall,
    assistant_turns,
    offered_tools,
    parse_tool_calls,
    prompt_messages,
    tool_calls,
)
from rewardkit.types import Sample, Score

_BLOCK = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)
_THINK = r"<think>.*?</think>"
_CALLS = r"\n<tool_call>\n.*?\n</tool_call>"
_RESPONSE = r"\n<response>.*?</response>"


class ToolRLParams(Params):
    """``toolrl`` has no parameters: its scale is ToolRL's (format 0/1, correctness -3..3)."""


def toolrl_format(text: str, calls: bool, response: bool) -> float:
    """1.0 when ``text`` (stripped) is ToolRL's layout with (or without) calls and a response.

    >>> toolrl_format("<think>a</think>\\n<response>hi</response>", calls=False, response=True)
    1.0
    """
    text = text.strip()
    pattern = _THINK + (_CALLS if calls else "") + (_RESPONSE if response else "")
    once = all(
        text.count(tag) == 1
        for on, tags in (
            (calls, ("<tool_call>", "</tool_call>")),
            (response, ("<response>", "</response>")),
        )
        if on
        for tag in tags
    )
    return float(once and re.fullmatch(pattern, text, re.DOTALL) is not None)


def _turn_text(message: Mapping[str, Any]) -> str:
    """An assistant turn as ToolRL text: its content, then its structured calls as one block."""
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    parts = [content.strip()] if isinstance(content, str) and content.strip() else []
    calls = [
        c.get("function", c) for c in message.get("tool_calls") or () if isinstance(c, Mapping)
    ]
    if calls:
        lines = [json.dumps({"name": c.get("name"), "arguments": _args(c)}) for c in calls]
        parts.append("<tool_call>\n" + "\n".join(lines) + "\n</tool_call>")
    return "\n".join(parts)


def _args(fn: Mapping[str, Any]) -> Any:
    args = fn.get("arguments", fn.get("parameters"))
    try:
        return json.loads(args) if isinstance(args, str) else args
    except ValueError:
        return args


def turn_formats(messages: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each assistant turn's ToolRL format: the layout of what it holds (calls and/or a response)."""
    out = []
    for m in assistant_turns(messages[len(prompt_messages(messages)) :]):
        text = _turn_text(m)
        calls, response = "<tool_call>" in text, "<response>" in text
        out.append(toolrl_format(text, calls, response) if calls or response else 0.0)
    return out


@reward("toolrl", params=ToolRLParams)
def toolrl(sample: Sample, p: ToolRLParams) -> Score | None:
    """ToolRL's reward: format (0/1) + correctness (-3..3); None without gold calls.

    >>> from rewardkit.types import Sample
    >>> ok = '<think>x</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>'
    >>> toolrl(Sample("0", "g", "", ok, [{"name": "f", "parameters": {}}]), ToolRLParams()).value
    4.0
    """
    del p
    gold = gold_calls(sample.reference, "toolrl")
    if gold is None:
        return None
    correctness, info = toolrl_correctness(tool_calls(sample.messages, sample.completion), gold)
    steps: tuple[float, ...] | None = None
    if sample.messages is None:
        fmt = toolrl_format(sample.completion, bool(gold.calls), gold.response)
    else:
        steps = tuple(turn_formats(sample.messages))
        fmt = float(bool(steps) and min(steps) == 1.0)
    info = {"format": fmt, "correctness": correctness, **info}
    return Score(fmt + correctness, steps=steps, info=info)


class ToolSchemaParams(Params):
    """Parameters of ``tool_schema_valid``: ``all`` (0/1) or the ``fraction`` of valid calls;
    whether arguments a schema's ``properties`` do not list are errors (``forbid``)."""

    mode: Literal["all", "fraction"] = "all"
    extra_arguments: Literal["forbid", "allow"] = "forbid"


def call_violation(
    call: ToolCall, tools: Mapping[str, Mapping[str, Any]], extra: str
) -> str | None:
    """Why ``call`` is not a valid call of one of ``tools``, or None when it is."""
    if call.name not in tools:
        return f"{call.name!r} is not an offered tool (offered: {sorted(tools)})"
    if call.arguments is None:
        return f"{call.name}: the arguments are not a JSON object"
    schema = dict(tools[call.name])
    if extra == "forbid" and "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise UnjudgeableReference(
            f"tool_schema_valid: the schema of offered tool {call.name!r} is not a valid JSON "
            f"Schema ({exc.message}); fix the sample's 'tools'"
        ) from None
    error = best_match(cls(schema).iter_errors(call.arguments))
    if error is None:
        return None
    where = "/".join(str(x) for x in error.absolute_path) or "(arguments)"
    return f"{call.name}: {where}: {error.message}"


@reward("tool_schema_valid", params=ToolSchemaParams)
def tool_schema_valid(sample: Sample, p: ToolSchemaParams) -> Score | None:
    """Every call names an offered tool and validates against its schema; None without tools.

    >>> tools = [{"name": "add", "parameters": {"type": "object",
    ...     "properties": {"a": {"type": "integer"}}, "required": ["a"]}}]
    >>> text = '<tool_call>{"name": "add", "arguments": {"a": "2"}}</tool_call>'
    >>> s = Sample("0", "g", "", text, tools=tuple(tools))
    >>> r = tool_schema_valid(s, ToolSchemaParams()); r.value, r.info["violation"]
    (0.0, "add: a: '2' is not of type 'integer'")
    """
    tools = offered_tools(sample.tools)
    if not tools:
        return None
    calls = tool_calls(sample.messages, sample.completion)
    bad = [call_violation(c, tools, p.extra_arguments) for c in calls]
    info: dict[str, Any] = {"calls": len(calls), "invalid": sum(b is not None for b in bad)}
    first = next((b for b in bad if b is not None), None)
    if first is not None:
        info["violation"] = first
    steps = None
    if sample.messages is not None:
        turns = len(turn_formats(sample.messages))
        steps = tuple(
            _valid_value([b for c, b in zip(calls, bad, strict=True) if c.turn == t], p.mode)
            for t in range(turns)
        )
    return Score(_valid_value(bad, p.mode, empty=1.0), steps=steps, info=info)


def _valid_value(bad: Sequence[str | None], mode: str, empty: float = math.nan) -> float:
    if not bad:
        return empty
    if mode == "all":
        return float(all(b is None for b in bad))
    return sum(b is None for b in bad) / len(bad)


class ToolUseParams(Params):
    """Parameters of ``tool_use``: the call budget, the cost of each penalised call, and the tags
    whose closing marks the final answer."""

    max_calls: int = Field(8, ge=1)
    per_call: float = Field(0.25, gt=0.0, le=1.0)
    answer_tags: tuple[str, ...] = ("answer", "response")


@reward("tool_use", params=ToolUseParams)
def tool_use(sample: Sample, p: ToolUseParams) -> Score:
    """Penalties in [-1, 0] for calls beyond ``max_calls``, repeated calls and calls after the
    answer: ``-min(1, per_call * k)`` over the ``k`` penalised calls (module docstring).

    >>> call = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    >>> tool_use(Sample("0", "g", "", call * 3), ToolUseParams()).value  # two repeats: -2 * 0.25
    -0.5
    """
    calls, after = _calls_and_answered(sample, p.answer_tags)
    flags = []
    for i, call in enumerate(calls):
        repeat = any(_same_call(call, calls[j]) for j in range(i))
        flags.append((i >= p.max_calls, repeat, after[i]))
    penalised = [any(f) for f in flags]
    info = {
        "calls": len(calls),
        "over_budget": sum(f[0] for f in flags),
        "repeated": sum(f[1] for f in flags),
        "after_answer": sum(f[2] for f in flags),
    }
    steps = None
    if sample.messages is not None:
        turns = len(turn_formats(sample.messages))
        per_turn = [sum(x for c, x in zip(calls, penalised, strict=True) if c.turn == t)
                    for t in range(turns)]  # fmt: skip
        steps = tuple(-min(1.0, p.per_call * k) for k in per_turn)
    return Score(-min(1.0, p.per_call * sum(penalised)), steps=steps, info=info)


def _same_call(a: ToolCall, b: ToolCall) -> bool:
    if a.arguments is None or b.arguments is None:
        return a.name == b.name and a.raw == b.raw
    return a.name == b.name and values_equal(a.arguments, b.arguments, strip=False)


def _calls_and_answered(sample: Sample, tags: Sequence[str]) -> tuple[list[ToolCall], list[bool]]:
    """The calls, and for each whether it was made in or after the answer."""
    closing = [f"</{t}>" for t in tags]
    if sample.messages is None:
        text = sample.completion
        ends = [text.find(c) for c in closing if c in text]
        answered = min(ends) if ends else len(text) + 1
        calls: list[ToolCall] = []
        after: list[bool] = []
        for block in _BLOCK.finditer(text):
            found = parse_tool_calls(block.group())
            calls += found
            after += [block.start() > answered] * len(found)
        return calls, after
    calls = tool_calls(sample.messages, sample.completion)
    turns = assistant_turns(sample.messages[len(prompt_messages(sample.messages)) :])
    answer_turn = next(
        (t for t, m in enumerate(turns)
         if not any(c.turn == t for c in calls) or any(c in _content(m) for c in closing)),
        len(turns),
    )  # fmt: skip
    return calls, [c.turn >= answer_turn for c in calls]


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) else ""
