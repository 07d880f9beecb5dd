"""Per-token advantages from step values (the dual-reward form of Euphonium / ProRAG):

    token advantage = outcome advantage + step_weight * step advantage of the token's step

Step values may be NaN (a step the scorer could not judge): such steps are left out of the
baselines and their tokens get no step advantage. Step advantages normalise the step values across the group: ``group`` pools every step of every
sample of the group; ``index`` compares the k-th step of each sample with the k-th steps of the
others. A token belongs to the step span it overlaps most (ties go to the earlier step); tokens
outside every step get the outcome advantage alone; tokens the environment wrote (a trajectory's
``env_spans``: tool outputs) get 0, whatever the estimator.

Which node's step values feed them is one rule, ``step_values_path``: the advantage config's
``steps_from`` when given (nothing when that node gave no steps in the batch), else the last node
that gave steps.

>>> token_step_index([(0, 2), (2, 4), (4, 6)], [(0, 4), (4, 6)]).tolist()
[0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from rewardkit.advantage.estimators import EPS
from rewardkit.advantage.groups import Groups
from rewardkit.types import Sample, Span, env_token_mask, token_step_index

__all__ = ["step_advantages", "step_values_path", "token_advantages", "token_step_index"]

StepBaseline = Literal["group", "index"]


def step_values_path(stepped: Iterable[str], steps_from: str | None) -> str | None:
    """The node whose step values feed the step and per-token advantages, or None.

    ``stepped``: the paths of the nodes that gave step values, in tree order (the keys of
    ``ScoredBatch.steps``); ``steps_from``: the advantage config's choice. A named node that gave
    no steps in this batch gives None, never another node's steps.

    >>> step_values_path(["a", "b"], None), step_values_path(["a", "b"], "a")
    ('b', 'a')
    >>> step_values_path(["a"], "b") is None, step_values_path([], None) is None
    (True, True)
    """
    paths = list(stepped)
    if steps_from is not None:
        return steps_from if steps_from in paths else None
    return paths[-1] if paths else None


def step_advantages(
    step_values: Sequence[Sequence[float] | None],
    groups: Groups,
    baseline: StepBaseline = "group",
    eps: float = EPS,
) -> list[np.ndarray | None]:
    """Normalise step values within each group; one array per sample (None where no steps)."""
    out: list[np.ndarray | None] = [None] * len(step_values)
    members: dict[int, list[int]] = {}
    for i, code in enumerate(groups.codes.tolist()):
        members.setdefault(code, []).append(i)
    for idx in members.values():
        rows = [(i, np.asarray(step_values[i], dtype=float)) for i in idx if step_values[i]]
        if not rows:
            continue
        if baseline == "group":
            pooled = np.concatenate([v for _, v in rows])
            pooled = pooled[~np.isnan(pooled)]
            sd = pooled.std(ddof=1) if pooled.size >= 2 else 0.0
            for i, v in rows:
                # equal step values carry no relative signal (zero, not 0/0); unjudged steps get none
                z = (v - pooled.mean()) / (sd + eps) if sd > 0 else np.zeros_like(v)
                out[i] = np.nan_to_num(z, nan=0.0)
            continue
        depth = max(v.size for _, v in rows)
        table = np.full((len(rows), depth), np.nan)
        for r, (_, v) in enumerate(rows):
            table[r, : v.size] = v
        n = (~np.isnan(table)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            # nanmean warns on a step index no sample judged; the sum/count form stays quiet
            mu = np.nansum(table, axis=0) / n
            sd = np.sqrt(np.nansum((table - mu) ** 2, axis=0) / np.maximum(n - 1, 1))
            z = np.where((n >= 2) & (sd > 0), (table - mu) / (sd + eps), 0.0)
        for r, (i, v) in enumerate(rows):
            out[i] = np.nan_to_num(z[r, : v.size], nan=0.0)
    return out


def token_advantages(
    samples: Sequence[Sample],
    outcome: np.ndarray,
    step_adv: Sequence[np.ndarray | None],
    step_spans: Sequence[Sequence[Span] | None],
    step_weight: float,
) -> list[np.ndarray | None]:
    """Per-token advantage arrays (None for a sample without token offsets)."""
    out: list[np.ndarray | None] = []
    for i, sample in enumerate(samples):
        if sample.token_offsets is None:
            out.append(None)
            continue
        adv = np.full(len(sample.token_offsets), float(outcome[i]))
        spans, steps = step_spans[i], step_adv[i]
        if spans and steps is not None:
            if len(spans) != len(steps):
                raise ValueError(
                    f"sample {sample.id!r}: {len(steps)} step values for {len(spans)} step spans"
                )
            which = token_step_index(sample.token_offsets, spans)
            inside = which >= 0
            adv[inside] += step_weight * steps[which[inside]]
        adv[env_token_mask(sample.token_offsets, sample.env_spans)] = 0.0
        out.append(adv)
    return out
