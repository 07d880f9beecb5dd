"""Built-in synthetic tasks, tiny models built locally, and a cached supervised warm start.

- ``boxes``: the bounding box of a letter in a text grid (IoU; the MedLoc-R1 setting);
- ``countdown``: reach a target with given numbers (hierarchical reward; ChipSeek-R1);
- ``chain``: multi-step arithmetic with checkable steps (process + outcome rewards);
- ``workflow``: a JSON node graph from a description (validity, integrity, graph F1; ComfyUI-R1);
- ``lookup``: multi-turn, the answer only a tool knows (``env.py``: the environment interface);
- ``search``: multi-turn, questions of a generated knowledge base answered by searching it with a
  real embedded search engine (``search_task.py``, ``search/``; Search-R1, Atom-Searcher);
- ``reasoning_gym:<dataset>``: any of reasoning-gym's procedural datasets, judged by its own
  ``score_answer`` (``tasks/reasoning_gym.py``; needs the ``gym`` extra);
- ``jsonl``: your own data, one prompt and reference per JSON line (GSM8K-style or unit tests),
  scored by any reward program (``tasks/dataset.py``; docs/own_data.md). It needs its
  ``task_options`` (a ``path``), so it is made by ``make_task`` and is not in ``TASKS``.

The task reward components ``countdown``, ``workflow_integrity``, ``chain_step`` and
``env_reward`` are registered through the ``rewardkit.rewards`` entry point (``tasks.rewards``):
every registry lookup finds them without an import of this package.
torch and transformers are imported only by ``models`` and ``warmstart``, when used.

>>> make_task("boxes", {"size": 6}).size
6
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.tasks.base import Problem, Task, problem
from rewardkit.tasks.boxes import Boxes
from rewardkit.tasks.chain import Chain
from rewardkit.tasks.countdown import Countdown
from rewardkit.tasks.dataset import NAME as JSONL
from rewardkit.tasks.dataset import JsonlTask
from rewardkit.tasks.lookup import Lookup
from rewardkit.tasks.reasoning_gym import PREFIX, ReasoningGymTask
from rewardkit.tasks.search_task import Search
from rewardkit.tasks.workflow import Workflow

TASKS: dict[str, type[Any]] = {
    "boxes": Boxes,
    "countdown": Countdown,
    "chain": Chain,
    "workflow": Workflow,
    "lookup": Lookup,
    "search": Search,
}

__all__ = [
    "TASKS",
    "Boxes",
    "Chain",
    "Countdown",
    "JsonlTask",
    "Lookup",
    "Problem",
    "ReasoningGymTask",
    "Search",
    "Task",
    "Workflow",
    "make_task",
    "problem",
]


def make_task(name: str, options: Mapping[str, Any] | None = None) -> Task:
    """The built-in task ``name`` (or ``reasoning_gym:<dataset>``, or ``jsonl``) with keyword
    ``options``.

    >>> make_task("countdown").name
    'countdown'
    """
    if name.startswith(PREFIX):
        return ReasoningGymTask(name[len(PREFIX) :], options)
    if name == JSONL:
        return JsonlTask(options)
    if name not in TASKS:
        raise UnknownNameError("task", name, [*TASKS, JSONL, PREFIX + "<dataset>"], "task")
    try:
        task: Task = TASKS[name](**dict(options or {}))
    except (TypeError, ValueError) as exc:
        raise ConfigError([("task_options", f"{name}: {exc}")]) from None
    return task
