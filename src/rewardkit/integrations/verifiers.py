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
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.types import Sample

__all__ = ["verifiers_functions"]

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
    task form one group; each trace is scored alone, as verifiers calls it).
    """
    shared = StateReplica.connect(config, server, token, actor)
    cache: OrderedDict[str, dict[str, float | None]] = OrderedDict()

    def score(task: Any, trace: Any) -> dict[str, float | None]:
        shared.sync()
        record = getattr(trace, "task", None)
        group = getattr(record, "key", None) or getattr(record, "hash", None) or "task"
        sample = Sample(
            id=str(trace.id),
            group=str(group),
            prompt=str(getattr(task, "prompt_text", "") or ""),
            completion=str(trace.last_reply),
            reference=getattr(task, answer_field, None),
        )
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
