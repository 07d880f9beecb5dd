"""TRL's tool-calling rollouts (``GRPOTrainer(tools=..., environment_factory=...)``) as trajectories.

With tools, TRL hands a reward function each completion as a list of chat messages: assistant
turns (``tool_calls`` with ``arguments`` as a dict) and the ``tool`` results it appended. Here
such a rollout becomes ONE ``Sample.from_trajectory`` (rewardkit's fixed rendering; the assistant
turns are its steps, the tool results its ``env_spans``), with the tools offered as JSON schemas,
and the environment's ``get_reward()`` in ``meta`` (``env_reward``, and ``env_rewards``: one per
assistant turn, the value on the last) where the registered ``env_reward`` component reads it,
so it composes, logs and schedules like any other component.

TRL also turns an environment's ``get_reward`` into a reward column of its own (weight 1, named
after the class). ``reward_in_program(factory)`` hides it from TRL, so the environment's reward
reaches training once, through the program; ``RewardKitGRPOTrainer`` does this itself.

``align_tokens`` lays TRL's completion tokens (model turns and tool results, told apart by TRL's
``tool_mask``) over the rendered trajectory: each run of model tokens over its assistant turn,
each run of tool-result tokens over that turn's tool results. The alignment is exact per turn
(a turn's value lands on that turn's tokens, a tool token is always environment-written); inside
a turn it is exact only where the decoded tokens spell the rendered text (plain text turns),
else spread evenly (tool-call turns: TRL's template writes the call differently).

Nothing here imports TRL.

>>> [s] = trajectory_samples(
...     [[{"role": "user", "content": "2+3?"}]],
...     [[{"role": "assistant", "content": "", "tool_calls": [
...         {"type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 3}}}]},
...       {"role": "tool", "name": "add", "content": "5"},
...       {"role": "assistant", "content": "<answer>5</answer>"}]])
>>> print(s.completion)
<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>
<tool_response>5</tool_response>
<answer>5</answer>
>>> s.steps, s.env_spans
(((0, 69), (103, 121)), ((70, 102),))
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rewardkit.rewards.env import ENV_REWARD, ENV_REWARDS
from rewardkit.types import Sample, Span

__all__ = [
    "ENV_REWARD",
    "ENV_REWARDS",
    "align_tokens",
    "check_env_reward",
    "environment_reward",
    "environment_tools",
    "is_trajectory",
    "reward_in_program",
    "tool_schemas",
    "trajectory_samples",
]

# From TRL: meta ENV_REWARD is the environment's get_reward() of the whole rollout, and
# ENV_REWARDS holds it on the last turn (TRL asks for the reward after the rollout).

_HIDDEN = "_rewardkit_get_reward"
_NOT_TOOLS = ("reset", "get_reward")


def is_trajectory(completion: Any) -> bool:
    """Whether a TRL completion is a multi-turn rollout: a message list with a tool call, a tool
    result or more than one message.

    >>> is_trajectory([{"role": "assistant", "content": "4"}])
    False
    >>> is_trajectory([{"role": "assistant", "content": "", "tool_calls": [{"function": {}}]}])
    True
    """
    if isinstance(completion, str) or not isinstance(completion, Sequence):
        return False
    messages = [m for m in completion if isinstance(m, Mapping)]
    return len(messages) > 1 or any(
        m.get("tool_calls") or m.get("role") == "tool" for m in messages
    )


def environment_tools(environment: Any) -> list[Callable[..., Any]]:
    """The environment's tools as TRL sees them: its public methods but ``reset`` and
    ``get_reward``."""
    return [
        getattr(environment, name)
        for name, _ in inspect.getmembers(type(environment), predicate=inspect.isfunction)
        if name not in _NOT_TOOLS and not name.startswith("_")
    ]


_SCHEMAS: dict[Any, dict[str, Any]] = {}


def tool_schemas(tools: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """Tools as OpenAI function schemas: a mapping is kept as is, a function (or method) goes
    through ``transformers.utils.get_json_schema``, as TRL renders it into the prompt.

    >>> tool_schemas([{"type": "function", "function": {"name": "f"}}])[0]["function"]["name"]
    'f'
    """
    out = []
    for tool in tools:
        if isinstance(tool, Mapping):
            out.append(dict(tool))
            continue
        key = getattr(tool, "__func__", tool)  # one schema per function, not per bound method
        if key not in _SCHEMAS:
            from transformers.utils import get_json_schema

            _SCHEMAS[key] = get_json_schema(tool)
        out.append(_SCHEMAS[key])
    return tuple(out)


def environment_reward(environment: Any) -> float | None:
    """The environment's ``get_reward()`` (hidden or not; awaited when async), or None when it
    has none."""
    fn = getattr(type(environment), _HIDDEN, None)
    if fn is not None:
        value = fn(environment)
    else:
        get = getattr(environment, "get_reward", None)
        if not callable(get):
            return None
        value = get()
    if inspect.isawaitable(value):
        value = asyncio.run(_wait(value))
    return None if value is None else float(value)


async def _wait(awaitable: Any) -> Any:
    return await awaitable


def reward_in_program(factory: Any) -> Any:
    """An ``environment_factory`` whose environments keep ``get_reward`` from TRL.

    TRL adds a reward column of weight 1 for every environment with a ``get_reward`` method; the
    environments this factory makes hide it (their class is a subclass with ``get_reward = None``
    that keeps the method under another name), so the reward reaches training once: through the
    program's ``env_reward`` component. A dict of factories (TRL's multi-environment form) is
    wrapped entry by entry.

    >>> class Env:
    ...     def reset(self, **kwargs): pass
    ...     def get_reward(self): return 1.0
    >>> env = reward_in_program(Env)()
    >>> env.get_reward is None, environment_reward(env)
    (True, 1.0)
    """
    if isinstance(factory, Mapping):
        return {name: RewardInProgram(f) for name, f in factory.items()}
    return RewardInProgram(factory)


class RewardInProgram:
    """One environment factory wrapped by ``reward_in_program`` (picklable)."""

    def __init__(self, factory: Callable[[], Any]):
        self.factory = factory

    def __call__(self) -> Any:
        environment = self.factory()
        cls = type(environment)
        if callable(getattr(cls, "get_reward", None)):
            environment.__class__ = _hidden_reward_class(cls)
        return environment


_HIDDEN_CLASSES: dict[type, type] = {}


def _hidden_reward_class(cls: type) -> type:
    if cls not in _HIDDEN_CLASSES:
        attrs = {"get_reward": None, _HIDDEN: cls.get_reward, "__module__": cls.__module__}  # type: ignore[attr-defined]
        attrs["__doc__"] = cls.__doc__
        _HIDDEN_CLASSES[cls] = type(cls.__name__, (cls,), attrs)
    return _HIDDEN_CLASSES[cls]


def check_env_reward(program: Any, environments: Sequence[Any]) -> None:
    """ConfigError when an environment owns a reward (``get_reward``) that no component of the
    program reads: hidden from TRL, it would never reach training."""
    from rewardkit.errors import ConfigError

    owners = sorted({type(e).__name__ for e in environments if _owns_reward(e)})
    if owners and not any(
        leaf.scorer is not None and leaf.scorer.component.name == ENV_REWARD
        for leaf in program.leaves()
    ):
        raise ConfigError(
            f"environment {', '.join(owners)} has get_reward() but the program has no "
            f"'{ENV_REWARD}' component, so its reward would be dropped; add "
            f"{{name: env, fn: {ENV_REWARD}}} to the program's reward (it reads "
            f"meta[{ENV_REWARDS!r}]: the get_reward() value on the last turn)"
        )


def _owns_reward(environment: Any) -> bool:
    cls = type(environment)
    return getattr(cls, _HIDDEN, None) is not None or callable(getattr(cls, "get_reward", None))


def env_meta(reward: float | None, turns: int) -> dict[str, Any]:
    """The ``meta`` entries of an environment's rollout reward: ``env_reward``, and
    ``env_rewards`` with the reward on the last of ``turns`` assistant turns.

    >>> env_meta(1.0, 2)
    {'env_reward': 1.0, 'env_rewards': [None, 1.0]}
    >>> env_meta(None, 2)
    {}
    """
    if reward is None:
        return {}
    return {ENV_REWARD: reward, ENV_REWARDS: [None] * max(turns - 1, 0) + [reward]}


def trajectory_samples(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    *,
    ids: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    references: Sequence[Any] | None = None,
    metas: Sequence[Mapping[str, Any]] | None = None,
    tools: Sequence[Sequence[Any] | None] | None = None,
    environments: Sequence[Any] | None = None,
    token_ids: Sequence[Sequence[int] | None] | None = None,
) -> list[Sample]:
    """One ``Sample.from_trajectory`` per rollout: the prompt's messages then the completion's.

    ``tools[i]`` are the tools offered to rollout i (functions or schemas; default: its
    environment's methods); ``environments[i]``'s ``get_reward()`` goes into ``meta``
    (``env_meta``). A string prompt is one user message.
    """
    out = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
        head = prompt if not isinstance(prompt, str) else [{"role": "user", "content": prompt}]
        env = environments[i] if environments is not None else None
        offered = tools[i] if tools is not None else None
        if offered is None and env is not None:
            offered = environment_tools(env)
        sample = Sample.from_trajectory(
            [*head, *completion],
            id=ids[i] if ids is not None else str(i),
            group=groups[i] if groups is not None else None,
            reference=references[i] if references is not None else None,
            meta=metas[i] if metas is not None else None,
            tools=tool_schemas(offered) if offered else None,
        )
        extra = env_meta(environment_reward(env), len(sample.steps or ())) if env else {}
        ids_i = token_ids[i] if token_ids is not None else None
        out.append(
            dataclasses.replace(
                sample,
                meta={**sample.meta, **extra},
                token_ids=None if ids_i is None else tuple(int(t) for t in ids_i),
            )
        )
    return out


def align_tokens(sample: Sample, tool_mask: Sequence[int], tokenizer: Any) -> Sample:
    """The trajectory sample with ``token_offsets``: TRL's completion tokens laid over the
    rendered trajectory, per turn (see the module docstring).

    ``tool_mask`` is TRL's (1: the model wrote the token, 0: a tool result). When its runs do
    not match the trajectory's turns (a template that renders a turn in pieces), the sample is
    returned without offsets: it then gets one advantage per token, and the tool tokens get
    none through TRL's mask.
    """
    ids = sample.token_ids
    if ids is None or sample.steps is None or len(tool_mask) != len(ids):
        return sample
    runs = _runs(tool_mask)
    spans = _segment_spans(sample, [wrote for wrote, _, _ in runs])
    if spans is None:
        return sample
    offsets: list[Span] = []
    for (_, start, end), span in zip(runs, spans, strict=True):
        pieces = tokenizer.batch_decode([[t] for t in ids[start:end]], skip_special_tokens=True)
        offsets += _lay(pieces, span, sample.completion)
    return dataclasses.replace(sample, token_offsets=tuple(offsets))


def _runs(mask: Sequence[int]) -> list[tuple[bool, int, int]]:
    """``(model wrote it, start, end)`` of each run of equal mask values."""
    runs: list[tuple[bool, int, int]] = []
    for i, m in enumerate(mask):
        if runs and runs[-1][0] == bool(m):
            runs[-1] = (runs[-1][0], runs[-1][1], i + 1)
        else:
            runs.append((bool(m), i, i + 1))
    return runs


def _segment_spans(sample: Sample, kinds: Sequence[bool]) -> list[Span] | None:
    """The character span of each run: the i-th model run is the i-th assistant turn, a tool run
    the environment's spans between that turn and the next. None when they do not match."""
    turns = list(sample.steps or ())
    env = sorted(sample.env_spans or ())
    spans: list[Span] = []
    turn = -1
    for wrote in kinds:
        if wrote:
            turn += 1
            if turn >= len(turns):
                return None
            spans.append(turns[turn])
            continue
        if turn < 0:
            return None
        lo = turns[turn][1]
        hi = turns[turn + 1][0] if turn + 1 < len(turns) else len(sample.completion)
        inside = [s for s in env if lo <= s[0] and s[1] <= hi]
        if not inside:
            return None
        spans.append((inside[0][0], inside[-1][1]))
    return spans if turn == len(turns) - 1 else None


def _lay(pieces: Sequence[str], span: Span, text: str) -> list[Span]:
    """Character spans for the tokens of one run inside ``span``: exact where the pieces spell
    the span's text, else spread evenly (each token at least one character when there is one)."""
    start, end = span
    if "".join(pieces) == text[start:end]:
        out, at = [], start
        for piece in pieces:
            out.append((at, at + len(piece)))
            at += len(piece)
        return out
    n, length = len(pieces), end - start
    spread = []
    for k in range(n):
        a = start + k * length // n
        b = start + (k + 1) * length // n
        spread.append((a, min(max(b, a + 1), end)) if length else (start, start))
    return spread
