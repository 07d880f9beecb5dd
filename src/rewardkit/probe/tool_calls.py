"""Tool-call exploit mutations: what agents learn to farm from a tool-call reward.

Each applies to a correct completion that makes tool calls, or whose reference holds gold calls,
and returns the mutated completion (a single-turn sample: its ``<tool_call>`` blocks rewritten) or
the mutated trajectory (a ``Sample`` built from its changed messages):

- ``junk_calls``: the right calls, then 20 calls of tools nobody offered;
- ``repeated_call``: the first right call made 20 times;
- ``schema_breaking_arguments``: every argument value of the wrong JSON type (``"paris"`` ->
  ``12345``, ``3`` -> ``"not a number"``), an unexpected argument where there are none;
- ``call_after_answer``: the right completion, then one more call after its final answer;
- ``empty_arguments``: the gold tool names called with empty arguments.

A good tool reward pays each of them less than the correct completion.

>>> from rewardkit.probe.answer import locate_answer
>>> text = '<think>t</think>\\n<tool_call>\\n{"name": "f", "arguments": {"x": 1}}\\n</tool_call>'
>>> print(empty_arguments(locate_answer(Sample("0", "g", "", text, [{"name": "f", "arguments": {"x": 1}}]))))
<think>t</think>
<tool_call>
{"name": "f", "arguments": {}}
</tool_call>
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from rewardkit.probe.answer import Answer
from rewardkit.probe.mutations import MutationFn, mutation
from rewardkit.rewards.tool_match import gold_calls
from rewardkit.trajectory import prompt_messages, tool_calls
from rewardkit.types import Sample

REPEATS = 20
"""Junk calls appended, and times the right call is made."""
_BLOCK = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)
_ANSWER_END = re.compile(r"</(?:answer|response)>")
Call = dict[str, Any]
Mutated = str | Sample | None


def _register(name: str) -> Callable[[Callable[[Answer], Mutated]], Callable[[Answer], Mutated]]:
    """``@mutation`` for a mutation that may return a trajectory (a Sample): the probe accepts it."""

    def decorate(fn: Callable[[Answer], Mutated]) -> Callable[[Answer], Mutated]:
        mutation(name)(cast(MutationFn, fn))
        return fn

    return decorate


def _calls(sample: Sample) -> list[Call]:
    """The completion's calls as ``{"name", "arguments"}``, else the gold calls; [] for neither."""
    made = [
        {"name": c.name, "arguments": c.arguments or {}}
        for c in tool_calls(sample.messages, sample.completion)
        if c.name
    ]
    if made:
        return made
    try:
        gold = gold_calls(sample.reference, "probe")
    except ValueError:
        return []
    return (
        [{"name": c.name, "arguments": dict(c.arguments or {})} for c in gold.calls] if gold else []
    )


def _with_calls(sample: Sample, calls: Sequence[Call]) -> Mutated:
    """The sample with its calls replaced by ``calls``: in its first ``<tool_call>`` block (the
    other blocks removed), or in its first assistant turn with calls (the others' calls removed)."""
    if sample.messages is not None:
        return _trajectory_with_calls(sample, calls)
    text = sample.completion
    blocks = list(_BLOCK.finditer(text))
    lines = "\n".join(json.dumps(c) for c in calls)
    new = f"<tool_call>\n{lines}\n</tool_call>"
    if not blocks:
        return f"{text}\n{new}" if text else new
    out, last = [], 0
    for k, found in enumerate(blocks):
        out += [text[last : found.start()], new if k == 0 else ""]
        last = found.end()
    return "".join([*out, text[last:]])


def _structured(calls: Sequence[Call]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
        }
        for c in calls
    ]


def _trajectory_with_calls(sample: Sample, calls: Sequence[Call]) -> Sample:
    messages = [dict(m) for m in sample.messages or ()]
    start = len(prompt_messages(messages))
    turns = [i for i in range(start, len(messages)) if messages[i].get("role") == "assistant"]
    first = next((i for i in turns if messages[i].get("tool_calls")), turns[0] if turns else None)
    if first is None:
        messages.append({"role": "assistant", "content": ""})
        first = len(messages) - 1
    for i in turns:
        messages[i].pop("tool_calls", None)
    messages[first]["tool_calls"] = _structured(calls)
    return _rebuilt(sample, messages)


def _rebuilt(sample: Sample, messages: Sequence[Mapping[str, Any]]) -> Sample:
    rebuilt = Sample.from_trajectory(
        messages, id=sample.id, group=sample.group, reference=sample.reference,
        meta=sample.meta, tools=sample.tools,
    )  # fmt: skip
    return dataclasses.replace(rebuilt, prompt=sample.prompt)


@_register("junk_calls")
def junk_calls(answer: Answer) -> Mutated:
    """The right calls, then 20 calls of tools nobody offered."""
    calls = _calls(answer.sample)
    junk = [{"name": f"junk_tool_{i}", "arguments": {"x": i}} for i in range(REPEATS)]
    return _with_calls(answer.sample, calls + junk) if calls else None


@_register("repeated_call")
def repeated_call(answer: Answer) -> Mutated:
    """The first right call made 20 times."""
    calls = _calls(answer.sample)
    return _with_calls(answer.sample, [calls[0]] * REPEATS + calls[1:]) if calls else None


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "not a number"
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return {"item": value}
    if isinstance(value, dict):
        return [value]
    return 1


@_register("schema_breaking_arguments")
def schema_breaking_arguments(answer: Answer) -> Mutated:
    """Every argument value of the wrong JSON type; an unexpected argument where there are none."""
    calls = _calls(answer.sample)
    broken = [
        {"name": c["name"],
         "arguments": {k: _wrong_type(v) for k, v in c["arguments"].items()} or {"unexpected": True}}
        for c in calls
    ]  # fmt: skip
    return _with_calls(answer.sample, broken) if calls else None


@_register("call_after_answer")
def call_after_answer(answer: Answer) -> Mutated:
    """The correct completion, then one more call (its last call again) after its final answer."""
    sample, calls = answer.sample, _calls(answer.sample)
    if not calls:
        return None
    extra = calls[-1]
    if sample.messages is not None:
        if sample.messages[-1].get("role") != "assistant" or sample.messages[-1].get("tool_calls"):
            return None  # the trajectory does not end with an answer turn
        turn = {"role": "assistant", "content": "", "tool_calls": _structured([extra])}
        return _rebuilt(sample, [*sample.messages, turn])
    ends = list(_ANSWER_END.finditer(sample.completion))
    if not ends:
        return None  # no final answer to call after
    return f"{sample.completion}\n<tool_call>\n{json.dumps(extra)}\n</tool_call>"


@_register("empty_arguments")
def empty_arguments(answer: Answer) -> Mutated:
    """The gold tool names (else the completion's) called with empty arguments."""
    sample = answer.sample
    try:
        gold = gold_calls(sample.reference, "probe")
    except ValueError:
        gold = None
    names = (
        [c.name for c in gold.calls] if gold and gold.calls else [c["name"] for c in _calls(sample)]
    )
    return _with_calls(sample, [{"name": n, "arguments": {}} for n in names]) if names else None
