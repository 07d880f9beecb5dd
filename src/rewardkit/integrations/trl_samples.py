"""What TRL hands a reward function, as rewardkit Samples; and the scored parts the callback reads.

TRL calls every reward function with ``prompts``, ``completions``, ``completion_ids`` and one
list per dataset column (plus ``trainer_state``, ``log_extra``, ``log_metric``). Prompts and
completions are strings, or chats (lists of ``{"role", "content"}`` messages). Nothing here
imports TRL, so this module is tested without it.

>>> samples = to_samples(["2+2?"], ["4"], [[52]], {"reference": ["4"], "task": ["add"]})
>>> samples[0].reference, samples[0].meta["task"], samples[0].token_ids
('4', 'add', (52,))
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.advantage import Advantages
from rewardkit.errors import InputError
from rewardkit.integrations.trl_agents import is_trajectory, trajectory_samples
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch

TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments"})
"""Keyword arguments TRL adds that are not dataset columns."""


def text_of(message: Any) -> str:
    """A prompt or completion as text: a string as is, a chat as its messages' contents.

    >>> text_of([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    'hi\\nyo'
    >>> text_of([{"role": "user", "content": [{"type": "text", "text": "see"}]}])
    'see'
    """
    if isinstance(message, str):
        return message
    if isinstance(message, Mapping):
        content = message.get("content", "")
        if isinstance(content, str):
            return content
        parts = [p.get("text", "") for p in content or () if isinstance(p, Mapping)]
        return "".join(str(p) for p in parts)
    if isinstance(message, Sequence):
        return "\n".join(text_of(m) for m in message)
    return str(message)


def to_samples(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    completion_ids: Sequence[Sequence[int]] | None,
    columns: Mapping[str, Sequence[Any]],
    reference_column: str | None = "reference",
    groups: Sequence[str] | None = None,
    step: int = 0,
    tools: Sequence[Sequence[Any] | None] | None = None,
) -> list[Sample]:
    """One Sample per completion of a TRL reward call.

    ``reference_column`` names the dataset column that holds the ground truth (None: no
    reference); every other column goes to ``meta``. The group of a completion is its prompt
    text unless ``groups`` is given (the trainer subclass knows the exact groups).

    Chat completions of a run with tools (TRL passes ``environments``, or ``tools`` is given:
    the tools offered to each rollout) or with a tool call are trajectories
    (``trl_agents.trajectory_samples``): every one of the batch, so the rows read alike.
    """
    data = {k: v for k, v in columns.items() if k not in TRAINER_KWARGS}
    if reference_column is not None and reference_column not in data:
        raise InputError(
            f"the dataset has no column {reference_column!r} (columns: "
            f"{', '.join(sorted(data)) or 'none'}); pass reference_column='<the column with "
            "the ground truth>', or reference_column=None when no component reads a reference"
        )
    references = data.pop(reference_column) if reference_column is not None else None
    if len(prompts) != len(completions):
        raise InputError(f"{len(prompts)} prompts for {len(completions)} completions")
    rank = os.environ.get("RANK", "0")
    ids = [f"{step}-{rank}-{i}" for i in range(len(completions))]
    texts = [text_of(p) for p in prompts]
    metas = [{k: v[i] for k, v in data.items()} for i in range(len(completions))]
    environments = columns.get("environments")
    chats = all(not isinstance(c, str) for c in completions)
    if chats and (
        environments is not None or tools is not None or any(map(is_trajectory, completions))
    ):
        return trajectory_samples(
            prompts,
            completions,
            ids=ids,
            groups=groups if groups is not None else texts,
            references=references,
            metas=metas,
            tools=tools,
            environments=environments,
            token_ids=completion_ids,
        )
    out = []
    for i, completion in enumerate(completions):
        ids_i = completion_ids[i] if completion_ids is not None else None
        out.append(
            Sample(
                id=ids[i],
                group=groups[i] if groups is not None else texts[i],
                prompt=texts[i],
                completion=text_of(completion),
                reference=references[i] if references is not None else None,
                meta=metas[i],
                token_ids=tuple(int(t) for t in ids_i) if ids_i is not None else None,
            )
        )
    return out


@dataclass
class ScoredPart:
    """One train batch a program scored for TRL.

    ``gathered``: it already holds every rank's samples (the trainer subclass scores the
    gathered batch); otherwise it is this rank's slice. ``advantages``: what the subclass
    trained on for this batch, so the step is observed with them instead of computing them
    again.
    """

    scored: ScoredBatch
    gathered: bool = False
    advantages: Advantages | None = None


@dataclass
class Recorder:
    """The train batches one program scored since the callback last read them.

    Nothing is kept unless a callback listens (``listening``).
    """

    listening: bool = False
    pending: list[ScoredPart] = field(default_factory=list)

    def add(self, part: ScoredPart) -> None:
        if self.listening:
            self.pending.append(part)

    def take(self) -> list[ScoredPart]:
        out, self.pending = self.pending, []
        return out


_RECORDERS: weakref.WeakKeyDictionary[RewardProgram, Recorder] = weakref.WeakKeyDictionary()


def recorder(program: RewardProgram) -> Recorder:
    """The one Recorder of ``program``: the reward functions write to it, the callback reads it."""
    if program not in _RECORDERS:
        _RECORDERS[program] = Recorder()
    return _RECORDERS[program]


def all_gather(value: Any) -> list[Any]:
    """``value`` from every rank, in rank order (``[value]`` on one process)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def gathered_parts(pending: Sequence[ScoredPart]) -> list[ScoredPart]:
    """The parts of one step from every rank: rank-local ones gathered, gathered ones as is.

    Every rank calls this once per optimizer step, so the collective lines up across ranks.
    """
    whole = [part for part in pending if part.gathered]
    local = [part for part in pending if not part.gathered]
    return whole + [part for parts in all_gather(local) for part in parts]
