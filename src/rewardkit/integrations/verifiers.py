"""rewardkit as verifiers 0.4 plugged functions: one weighted reward and one metric function.

verifiers 0.4 (``verifiers.v1``) plugs third-party scoring into a task by import path
(``--env.taskset.task.rewards.<name>.fn pkg.mod:fn``; ``metrics`` likewise); it awaits each
function with the arguments it names (``task``, ``trace``) and sums every reward it records. So
rewardkit gives two functions of one program: ``reward`` returns the root reward (an empty mapping,
so nothing is recorded or summed, when the root does not apply: verifiers would ``float(None)``);
``metrics`` returns every node's value and ``<path>/applies`` (recorded, never summed). Both read
the same score of a trace (scored once, cached by trace id) and the shared schedule state like
verl's ``compute_score`` (``server=`` or ``actor=``). verifiers is not imported here.

>>> import asyncio, types
>>> reward, metrics = verifiers_functions({"reward": {"fn": "exact_match"}})
>>> task = types.SimpleNamespace(answer="4", prompt_text="2+2?")
>>> trace = types.SimpleNamespace(id="t1", last_reply="4", task=None)
>>> asyncio.run(reward(task, trace)), asyncio.run(metrics(task, trace))
(1.0, {'reward': 1.0, 'reward/applies': 1.0})
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.types import Sample

__all__ = ["rubric_function", "trace_sample", "trajectory_sample", "verifiers_functions"]

Plugged = Callable[[Any, Any], Awaitable[Any]]


def verifiers_functions(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
    answer_field: str = "answer",
    cache_size: int = 4096,
) -> tuple[Plugged, Plugged]:
    """``(reward, metrics)``: async verifiers functions of ``(task, trace)``.

    The sample: ``completion`` is ``trace.last_reply``, ``reference`` the task data's
    ``answer_field``, ``prompt`` its ``prompt_text``, the group the task's key (rollouts of one
    task form one group; each trace is scored alone, as verifiers calls it). A multi-turn trace
    (tool results, or more than one model turn) is a trajectory: ``trace_sample``.
    """
    shared = StateReplica.connect(config, server, token, actor)
    cache: OrderedDict[str, dict[str, float | None]] = OrderedDict()

    def score(task: Any, trace: Any) -> dict[str, float | None]:
        shared.sync()
        record = getattr(trace, "task", None)
        group = getattr(record, "key", None) or getattr(record, "hash", None) or "task"
        sample = trace_sample(trace, task, str(group), answer_field)
        scored = shared.program.score([sample])
        return {
            path: None if math.isnan(float(col[0])) else float(col[0])
            for path, col in scored.values.items()
        }

    async def values(task: Any, trace: Any) -> dict[str, float | None]:
        key = str(trace.id)
        if key not in cache:
            cache[key] = await asyncio.to_thread(score, task, trace)
            while len(cache) > cache_size:
                cache.popitem(last=False)
        return cache[key]

    async def reward(task: Any, trace: Any) -> float | dict[str, float]:
        root = (await values(task, trace))[shared.program.tree.path]
        return {} if root is None else root

    async def metrics(task: Any, trace: Any) -> dict[str, float]:
        out: dict[str, float] = {}
        for path, value in (await values(task, trace)).items():
            if value is not None:
                out[path] = value
            out[f"{path}/applies"] = float(value is not None)
        return out

    return reward, metrics


def _plain_message(message: Any) -> dict[str, Any]:
    """A chat message as a plain OpenAI-style dict (verifiers 0.4's are pydantic models, with
    flat ``tool_calls`` entries ``{id, name, arguments}``)."""
    if hasattr(message, "model_dump"):
        message = message.model_dump(exclude_none=True)
    return dict(message)


def _tool(tool: Any) -> dict[str, Any]:
    return dict(tool.model_dump(exclude_none=True) if hasattr(tool, "model_dump") else tool)


def trajectory_sample(
    prompt: Any,
    completion: Any,
    reference: Any = None,
    id: str = "",
    group: str | None = None,
    tools: Sequence[Any] | None = None,
) -> Sample:
    """One verifiers rollout as a Sample: a trajectory when ``completion`` is a list of chat
    messages (a multi-turn env: assistant turns with ``tool_calls``, ``tool`` results), with the
    ``prompt`` messages before it; a plain completion when it is a string.

    >>> s = trajectory_sample([{"role": "user", "content": "2+3?"}],
    ...     [{"role": "assistant", "content": "", "tool_calls": [{"id": "c", "name": "add",
    ...       "arguments": '{"a": 2, "b": 3}'}]}, {"role": "tool", "content": "5"},
    ...      {"role": "assistant", "content": "5"}], reference="5")
    >>> s.steps, s.env_spans, s.prompt
    (((0, 69), (103, 104)), ((70, 102),), '2+3?')
    """
    if isinstance(completion, str):
        text = (
            prompt
            if isinstance(prompt, str)
            else "\n".join(str(_plain_message(m).get("content") or "") for m in prompt or ())
        )
        return Sample(id=id, group=text if group is None else group, prompt=text,
                      completion=completion, reference=reference)  # fmt: skip
    head = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt or ())
    messages = [_plain_message(m) for m in [*head, *completion]]
    return Sample.from_trajectory(messages, id=id, group=group, reference=reference,
                                  tools=None if tools is None else [_tool(t) for t in tools])  # fmt: skip


def trace_sample(trace: Any, task: Any, group: str, answer_field: str = "answer") -> Sample:
    """The Sample of a verifiers 0.4 ``Trace``: its messages and tools when it has tool results
    or more than one model turn, else its last reply."""
    reference = getattr(task, answer_field, None)
    prompt = str(getattr(task, "prompt_text", "") or "")
    messages = list(getattr(trace, "messages", None) or [])
    turns = sum(1 for m in messages if _plain_message(m).get("role") == "assistant")
    if turns > 1 or any(_plain_message(m).get("role") == "tool" for m in messages):
        head = [m for m in messages if _plain_message(m).get("role") in ("system", "user")][:1]
        rest = messages[len(head) :] if head and messages[0] is head[0] else messages
        return trajectory_sample(head or prompt, rest, reference, str(trace.id), group,
                                 getattr(trace, "tools", None))  # fmt: skip
    return Sample(id=str(trace.id), group=group, prompt=prompt,
                  completion=str(trace.last_reply), reference=reference)  # fmt: skip


def rubric_function(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
    missing: float = 0.0,
) -> Callable[..., Awaitable[list[float]]]:
    """A group reward function for verifiers' legacy ``Rubric(funcs=[...])`` (0.3.x
    ``verifiers.legacy``; ``vf.Rubric`` before): ``(prompts, completions, answers, **kwargs) ->
    list[float]``, the plural parameters by which ``Rubric`` knows a group function. The group's
    rollouts are scored together (one GRPO group); a multi-turn env's completion is a list of
    messages and becomes a trajectory (``trajectory_sample``). A root that does not apply gets
    ``missing`` (the Rubric does ``float`` of each value); ``states[i]["rewardkit"]`` gets every
    node's value (None where it did not apply) when ``states`` are given.

    >>> import asyncio
    >>> f = rubric_function({"reward": {"fn": "exact_match"}})
    >>> asyncio.run(f(prompts=["2+2?", "2+2?"], completions=["4", "5"], answers=["4", "4"]))
    [1.0, 0.0]
    """
    shared = StateReplica.connect(config, server, token, actor)

    def score(prompts: list[Any], completions: list[Any], answers: list[Any],
              states: list[Any] | None) -> list[float]:  # fmt: skip
        shared.sync()
        tools = [None if not isinstance(s, Mapping) else s.get("oai_tools") for s in states or ()]
        samples = [
            trajectory_sample(
                p, c, a, id=str(i), group="group", tools=tools[i] if i < len(tools) else None
            )
            for i, (p, c, a) in enumerate(zip(prompts, completions, answers, strict=True))
        ]
        scored = shared.program.score(samples)
        for i, state in enumerate(states or ()):
            if isinstance(state, dict):
                state["rewardkit"] = {p: None if math.isnan(float(c[i])) else float(c[i])
                                      for p, c in scored.values.items()}  # fmt: skip
        return [missing if math.isnan(float(v)) else float(v) for v in scored.rewards]

    async def rewardkit(
        prompts: list[Any],
        completions: list[Any],
        answers: list[Any],
        states: list[Any] | None = None,
        **kwargs: Any,
    ) -> list[float]:
        return await asyncio.to_thread(score, prompts, completions, answers, states)

    return rewardkit
