"""Per-step measures of the completions themselves, for the detectors that need more than metrics.

``step_signals`` reads one step's completions, their group ids, root rewards, verifier verdicts
and top-level component values, and returns ``monitor/...`` metrics:

- ``monitor/unverified_share``: the share of the (positive) reward paid to completions the
  verifier rejects (format-only wins);
- ``monitor/repeat_ngram_frac``: mean fraction of repeated character 4-grams per completion;
- ``monitor/identical_group_frac``: share of groups whose completions are all the same text;
- ``monitor/steps_per_completion``: mean number of non-empty lines (reasoning steps);
- ``monitor/dominance/<component>``: squared correlation of the component's group-centred
  values with the root's, i.e. the share of the advantage variance it explains alone.

>>> s = StepSamples(["a=1", "a=1", "xx", "yy"], ["g0", "g0", "g1", "g1"], [1.0, 1.0, 1.0, 0.0],
...                 [True, True, False, False])
>>> m = step_signals(s)
>>> m["monitor/unverified_share"], m["monitor/identical_group_frac"]
(0.3333333333333333, 0.5)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NGRAM = 4
"""Length of the character n-grams whose repetition is measured."""


@dataclass
class StepSamples:
    """One step's completions as the monitor reads them (one entry per completion).

    ``correct``: the verifier's verdict per completion (None: unknown). ``components``: top-level
    component name -> value per completion (NaN where it did not apply).
    """

    completions: Sequence[str]
    groups: Sequence[str]
    rewards: Sequence[float]
    correct: Sequence[bool] | None = None
    components: Mapping[str, Sequence[float]] = field(default_factory=dict)


def repeated_ngram_frac(text: str, n: int = NGRAM) -> float:
    """Fraction of a text's character n-grams that already occurred earlier in it.

    >>> repeated_ngram_frac("abcabcabc", 3)
    0.5714285714285714
    >>> repeated_ngram_frac("abc", 4)
    0.0
    """
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def step_signals(s: StepSamples) -> dict[str, float]:
    """The ``monitor/...`` metrics of one step (module doc)."""
    out: dict[str, float] = {}
    rewards = np.asarray(s.rewards, dtype=float)
    if s.correct is not None and len(rewards):
        paid = np.where(np.isfinite(rewards), np.clip(rewards, 0.0, None), 0.0)
        wrong = ~np.asarray(s.correct, dtype=bool)
        total = float(paid.sum())
        out["monitor/unverified_share"] = float(paid[wrong].sum() / total) if total > 0 else 0.0
    if s.completions:
        out["monitor/repeat_ngram_frac"] = float(
            np.mean([repeated_ngram_frac(t) for t in s.completions])
        )
        out["monitor/steps_per_completion"] = float(
            np.mean([sum(1 for line in t.splitlines() if line.strip()) for t in s.completions])
        )
        texts: dict[str, set[str]] = defaultdict(set)
        for g, t in zip(s.groups, s.completions, strict=True):
            texts[g].add(t)
        out["monitor/identical_group_frac"] = float(np.mean([len(v) == 1 for v in texts.values()]))
    out.update(_dominance(s.groups, rewards, s.components))
    return out


def _centred(groups: Sequence[str], values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float)
    for g in set(groups):
        rows = np.array([i for i, x in enumerate(groups) if x == g])
        out[rows] -= np.nanmean(values[rows]) if np.isfinite(values[rows]).any() else 0.0
    return out


def _dominance(
    groups: Sequence[str], rewards: np.ndarray, components: Mapping[str, Sequence[float]]
) -> dict[str, float]:
    """Squared correlation of each component with the root, within groups (what GRPO sees)."""
    if len(components) < 2 or not len(rewards):
        return {}
    root = _centred(groups, rewards)
    out = {}
    for name, values in components.items():
        comp = _centred(groups, np.nan_to_num(np.asarray(values, dtype=float)))
        ok = np.isfinite(root) & np.isfinite(comp)
        a, b = root[ok], comp[ok]
        denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
        out[f"monitor/dominance/{name}"] = float((a * b).sum() / denom) ** 2 if denom > 0 else 0.0
    return out


def from_scored(scored: Any, correct: Sequence[bool] | None) -> StepSamples:
    """A StepSamples from a ``ScoredBatch`` (and the verifier's verdicts, when known).

    Top-level components are the root's direct children (``reward/<name>``).
    """
    root = scored.root
    children = {
        path.split("/")[1]: list(values)
        for path, values in scored.values.items()
        if path.startswith(root + "/") and path.count("/") == 1
    }
    return StepSamples(
        completions=[x.completion for x in scored.samples],
        groups=[x.group for x in scored.samples],
        rewards=list(scored.rewards),
        correct=list(correct) if correct is not None else None,
        components=children,
    )
