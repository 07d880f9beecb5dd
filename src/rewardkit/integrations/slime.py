"""slime's custom reward model and reward post-process, scoring with a rewardkit program.

slime (THUDM/slime) loads both by dotted path (docs/protocols.md)::

    --custom-rm-path rewardkit.integrations.slime.rm --reward-key reward
    --custom-reward-post-process-path rewardkit.integrations.slime.post_process

``rm`` is what slime awaits as ``rm(args, sample)`` for one rollout and, with ``--group-rm`` (or a
generate function that returns several samples), as ``rm(args, samples)`` for a whole group: the
group is scored in one batch, so group-aware components see all of it. The reward of a sample is
rewardkit's result row (``reward``, ``components``, ``errors``, ``unjudgeable``), a dict that
``--reward-key reward`` reads.

The program: ``args.rewardkit_url`` or ``$REWARDKIT_URL`` scores through a ``rewardkit serve``
server (the one state authority when the program has schedules; token from ``$REWARDKIT_TOKEN``),
else ``args.rewardkit_program`` or ``$REWARDKIT_PROGRAM`` (a YAML path) is loaded in this
process, which then refuses a program with schedules or curricula (nothing here would advance them).

A sample without a reward (a verifier failed, or nothing applied) has ``reward: None``: never a
0. slime's own normalization needs a number for every sample, so ``post_process`` takes its place:
the group baseline (mean, and std with ``--grpo-std-normalization``) is over the samples that have
a reward, a sample without one gets advantage 0 and ``remove_sample`` (out of the loss), and its
raw reward is logged as 0.0.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rewardkit.client import TOKEN_ENV, AsyncRewardClient
from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.results import result_rows
from rewardkit.types import Sample

URL_ENV, PROGRAM_ENV = "REWARDKIT_URL", "REWARDKIT_PROGRAM"
NORMALIZED = ("grpo", "gspo", "cispo", "reinforce_plus_plus_baseline")
"""slime's estimators whose rewards are group-normalized (``--rewards-normalization``)."""
STD_NORMALIZED = ("grpo", "gspo", "cispo")
Row = dict[str, Any]


async def rm(args: Any, sample: Any) -> Row | list[Row]:
    """The reward of one slime ``Sample`` (a result row), or of a list of them (one batch).

    >>> row = await rm(args, sample)  # doctest: +SKIP
    >>> row["reward"], row["components"]  # doctest: +SKIP
    (1.0, {'reward/correct': 1.0})
    """
    many = isinstance(sample, list | tuple)
    items = list(sample) if many else [sample]
    rows = await score_rows(args, [to_sample(s, i) for i, s in enumerate(items)])
    return rows if many else rows[0]


def to_sample(item: Any, position: int = 0) -> Sample:
    """rewardkit's Sample of a slime ``Sample``: ``response`` is the completion, ``label`` the
    reference, ``metadata`` the meta; rollouts of one ``group_index`` form one group (else those
    of one prompt); a chat prompt (a list of messages) is its messages' text.

    >>> import types
    >>> to_sample(types.SimpleNamespace(prompt=[{"role": "user", "content": "2+2?"}],
    ...     response="4", label="4", metadata={}, index=3, group_index=0))
    Sample(id='3', group='group-0', prompt='2+2?', completion='4', reference='4', ...)
    """
    prompt = item.prompt
    if isinstance(prompt, list):
        prompt = "\n".join(str(m.get("content") or "") for m in prompt if isinstance(m, Mapping))
    group_index = getattr(item, "group_index", None)
    index = getattr(item, "index", None)
    meta = item.metadata if isinstance(getattr(item, "metadata", None), Mapping) else {}
    return Sample(
        id=str(position if index is None else index),
        group=str(prompt) if group_index is None else f"group-{group_index}",
        prompt=str(prompt),
        completion=str(item.response or ""),
        reference=item.label,
        meta=dict(meta),
    )


async def score_rows(args: Any, samples: list[Sample]) -> list[Row]:
    """One result row per sample, from the server (``rewardkit_url``) or this process."""
    url = getattr(args, "rewardkit_url", None) or os.environ.get(URL_ENV)
    if url:
        async with AsyncRewardClient(url, os.environ.get(TOKEN_ENV)) as client:
            answer = await client.score(samples)
        return list(answer["results"])
    path = getattr(args, "rewardkit_program", None) or os.environ.get(PROGRAM_ENV)
    if not path:
        raise ConfigError(
            f"no rewardkit program for slime: set {PROGRAM_ENV} to a program YAML (or "
            f"{URL_ENV} to a 'rewardkit serve' URL)"
        )
    program, thread = _local(str(path))
    scored = await asyncio.get_running_loop().run_in_executor(thread, program.score, samples)
    return result_rows(scored)


@functools.cache
def _local(path: str) -> tuple[RewardProgram, ThreadPoolExecutor]:
    """The program of ``path``, loaded once, and the one thread that scores with it (slime
    awaits many rewards at once; the program scores one batch at a time)."""
    program = RewardProgram.from_yaml(path)
    if program.config.schedules or program.config.curricula:
        raise ConfigError(
            f"{path}: a program with schedules or curricula needs one state authority that "
            f"advances them; serve it ('rewardkit serve') and set {URL_ENV}"
        )
    return program, ThreadPoolExecutor(1, thread_name_prefix="rk-slime")


def post_process(args: Any, samples: Sequence[Any]) -> tuple[list[float], list[float]]:
    """slime's ``(raw_rewards, rewards)`` with samples without a reward left out of the group
    baseline (see the module docstring). Groups are slime's: ``n_samples_per_prompt`` consecutive
    samples when they divide the batch, else one group of all.

    >>> import types
    >>> args = types.SimpleNamespace(reward_key="reward", n_samples_per_prompt=3,
    ...     advantage_estimator="grpo", rewards_normalization=True, grpo_std_normalization=False)
    >>> s = [types.SimpleNamespace(reward={"reward": r}, remove_sample=False) for r in (1.0, 0.0, None)]
    >>> post_process(args, s), s[2].remove_sample
    (([1.0, 0.0, 0.0], [0.5, -0.5, 0.0]), True)
    """
    key = getattr(args, "reward_key", None)
    values: list[float | None] = []
    for s in samples:
        value = s.reward[key] if key and isinstance(s.reward, Mapping) else s.reward
        values.append(None if value is None else float(value))
        if value is None:
            s.remove_sample = True
    raw = [0.0 if v is None else v for v in values]
    estimator = getattr(args, "advantage_estimator", "grpo")
    if estimator not in NORMALIZED or not getattr(args, "rewards_normalization", True):
        return raw, list(raw)
    n = int(getattr(args, "n_samples_per_prompt", 0) or 0)
    size = n if n > 0 and len(values) % n == 0 else max(len(values), 1)
    scale = estimator in STD_NORMALIZED and bool(getattr(args, "grpo_std_normalization", True))
    out: list[float] = []
    for start in range(0, len(values), size):
        out += _normalized(values[start : start + size], scale)
    return raw, out


def _normalized(group: list[float | None], scale: bool) -> list[float]:
    """``(r - mean) / (std + 1e-6)`` over the rewards present (std unbiased, as torch's, and 0
    for fewer than two); 0.0 for a missing one."""
    present = [v for v in group if v is not None]
    if not present:
        return [0.0] * len(group)
    mean = sum(present) / len(present)
    var = sum((v - mean) ** 2 for v in present) / (len(present) - 1) if len(present) > 1 else 0.0
    div = math.sqrt(var) + 1e-6 if scale else 1.0
    return [0.0 if v is None else (v - mean) / div for v in group]
