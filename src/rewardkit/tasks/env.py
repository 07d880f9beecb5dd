"""The environment of a multi-turn task: reset with a problem, then one step per assistant turn.

The shape is that of TRL's ``environment_factory`` and SkyRL's text environments: the trainer
makes one environment object per rollout, calls ``reset(problem)`` (its optional return is a
first observation, appended before the model's first turn), then, each time an assistant turn
ends with a ``</tool_call>``, ``step(calls)`` with the turn's parsed tool calls
(``rewardkit.trajectory.parse_tool_calls``). A ``StepOutcome`` carries

- ``observation``: the tool results the environment writes back, one string per tool message
  (a plain string is one message), rendered ``<tool_response>...</tool_response>`` in the
  trajectory; every token of it is environment-written: never sampled, no advantage, no loss;
- ``reward``: an optional reward of that turn (a float, or None); the trainer keeps one per
  assistant turn in the sample's ``meta["env_rewards"]`` and ``env_reward`` makes them per-turn
  values, so the per-turn credit of the advantage config applies;
- ``done``: the episode is over (the trainer stops the rollout after this observation).

A turn that ends without a tool call (eos) ends the episode: the environment is not stepped.
``tools`` are the OpenAI function schemas offered (the sample's ``tools``). A ``ToolEnv``
subclass gets both from its methods: every method named in ``tool_names`` is a tool, called with
the call's arguments as keywords, and whatever it returns (or the error it raises) is the result.

Example: a calculator the model calls as ``<tool_call>{"name": "add", "arguments": {"a": 2,
"b": 3}}</tool_call>``:

>>> from rewardkit.trajectory import parse_tool_calls
>>> class Calculator(ToolEnv):
...     tool_names = ("add",)
...     def add(self, a: int, b: int) -> str:
...         "Add two integers."
...         return str(a + b)
>>> env = Calculator()
>>> env.reset(None) is None
True
>>> env.step(parse_tool_calls('<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}'
...                           '</tool_call>'))
StepOutcome(observation=('5',), reward=None, done=False)
>>> env.tools[0]["function"]["parameters"]["required"]
['a', 'b']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rewardkit.trajectory import ToolCall

__all__ = ["Environment", "StepOutcome", "ToolEnv", "environment_factory", "observation_text"]


@dataclass(frozen=True)
class StepOutcome:
    """What the environment writes back after one assistant turn (module doc).

    >>> StepOutcome("42").messages()
    [{'role': 'tool', 'content': '42'}]
    """

    observation: str | tuple[str, ...]
    reward: float | None = None
    done: bool = False

    def messages(self) -> list[dict[str, str]]:
        """The observation as OpenAI ``tool`` messages, one per result."""
        parts = (self.observation,) if isinstance(self.observation, str) else self.observation
        return [{"role": "tool", "content": str(p)} for p in parts]


@runtime_checkable
class Environment(Protocol):
    """One rollout's environment: ``reset(problem)`` once, then ``step(calls)`` per tool turn."""

    @property
    def tools(self) -> Sequence[Mapping[str, Any]]:
        """The tools offered, as OpenAI function schemas."""
        ...

    def reset(self, problem: Any) -> str | None:
        """Start an episode for ``problem``; an optional first observation (a user message)."""
        ...

    def step(self, calls: Sequence[ToolCall]) -> StepOutcome:
        """Run one turn's tool calls; their results, an optional reward, and whether it is over."""
        ...


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}


class ToolEnv:
    """An ``Environment`` whose tools are its methods named in ``tool_names`` (module doc).

    A call of an unknown tool, with arguments that are not a JSON object, or that the method
    rejects (``TypeError``, ``ValueError``, ``KeyError``) gets ``error: ...`` as its result, as a
    real tool would answer; ``reward`` (override it) gives the turn's reward from its calls and
    results (default None).
    """

    tool_names: tuple[str, ...] = ()

    def reset(self, problem: Any) -> str | None:
        """Keep the problem (``self.problem``); no first observation."""
        self.problem = problem
        return None

    @property
    def tools(self) -> list[dict[str, Any]]:
        """An OpenAI function schema per tool method, from its signature and docstring."""
        return [tool_schema(getattr(self, name)) for name in self.tool_names]

    def step(self, calls: Sequence[ToolCall]) -> StepOutcome:
        results = tuple(self.call(c) for c in calls) or ("error: no tool call could be read",)
        return StepOutcome(results, self.reward(calls, results), done=False)

    def call(self, call: ToolCall) -> str:
        """The result of one call (an ``error: ...`` string when it cannot run)."""
        if call.name not in self.tool_names:
            return f"error: unknown tool {call.name!r}"
        if call.arguments is None:
            return "error: arguments must be a JSON object"
        try:
            return str(getattr(self, call.name)(**call.arguments))
        except (TypeError, ValueError, KeyError) as exc:
            # str(KeyError) quotes its message; the message itself reads better
            return f"error: {exc.args[0] if isinstance(exc, KeyError) and exc.args else exc}"

    def reward(self, calls: Sequence[ToolCall], results: Sequence[str]) -> float | None:
        """The reward of a turn (None: this environment gives no per-turn rewards)."""
        return None


def tool_schema(method: Callable[..., Any]) -> dict[str, Any]:
    """The OpenAI function schema of a method: its name, docstring's first line and parameters.

    >>> def lookup(key: str) -> str:
    ...     "The value stored under key."
    >>> tool_schema(lookup)["function"]["parameters"]["properties"]
    {'key': {'type': 'string'}}
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, param in inspect.signature(method).parameters.items():
        annotation = param.annotation
        if isinstance(annotation, str):  # postponed annotations: the builtin names only
            annotation = {"int": int, "float": float, "str": str, "bool": bool}.get(annotation)
        kind = _JSON_TYPES.get(annotation)
        properties[name] = {"type": kind} if kind else {}
        if param.default is inspect.Parameter.empty:
            required.append(name)
    doc = inspect.getdoc(method) or ""
    return {
        "type": "function",
        "function": {
            "name": method.__name__,
            "description": doc.splitlines()[0] if doc else "",
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def environment_factory(task: Any) -> Callable[[], Environment] | None:
    """The task's environment factory (its ``environment`` method), or None for a single-turn
    task.

    >>> from rewardkit.tasks.boxes import Boxes
    >>> environment_factory(Boxes()) is None
    True
    """
    factory = getattr(task, "environment", None)
    return factory if callable(factory) else None


def observation_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The environment's messages as the trajectory renders them, with the newlines that join
    them to the turns before and after (``rewardkit.trajectory.render``): all of it is written by
    the environment.

    >>> observation_text([{"role": "tool", "content": "5"}])
    '\\n<tool_response>5</tool_response>\\n'
    """
    parts = [
        f"<tool_response>{m.get('content') or ''}</tool_response>"
        if m.get("role") == "tool"
        else str(m.get("content") or "")
        for m in messages
    ]
    return "\n" + "\n".join(parts) + "\n"
