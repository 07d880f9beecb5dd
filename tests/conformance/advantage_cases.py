"""Generated reward batches for the advantage conformance tests (TRL and verl).

Every case is a batch of ``groups x size`` samples (consecutive samples share a group, the layout
both peers use) with ``k`` reward components and their weights. Kinds cover what a reward batch
looks like in training: 0/1 rewards (ties, all-equal groups), a few tied levels, continuous
rewards, whole groups of equal rewards, None rewards (NaN, including whole groups and groups with
one judged sample), one-sample groups, big (1e6) and tiny (1e-12, below any eps) scales, low variance (spread 1e-5
around 0.5), a large offset with unit spread, and a batch of one group. Each case also carries
response lengths for verl (which puts the reward on the last response token): ``lengths`` is all
ones for half the cases and random in 1..8 for the others.

>>> cases = make_cases(20)
>>> len(cases), cases[0].rewards.shape[0] == cases[0].groups * cases[0].size
(20, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = (
    "binary",
    "levels",
    "continuous",
    "equal_groups",
    "none",
    "singletons",
    "big",
    "tiny",
    "low_variance",
    "offset",
    "one_group",
)
WEIGHTS = (0.25, 0.5, 1.0, 2.0, 3.0)  # exact in float32, so TRL's and verl's weight tensors match


@dataclass(frozen=True)
class Case:
    """One reward batch: ``rewards`` is (groups * size, k), NaN where a component does not apply."""

    id: int
    kind: str
    groups: int
    size: int
    rewards: np.ndarray
    weights: tuple[float, ...]
    lengths: np.ndarray

    @property
    def group_ids(self) -> list[str]:
        return [f"g{i // self.size}" for i in range(self.groups * self.size)]

    def to_json(self) -> dict[str, Any]:
        # NaN is not JSON: None stands for it
        rows = [[None if np.isnan(v) else float(v) for v in row] for row in self.rewards]
        return {
            "id": self.id,
            "size": self.size,
            "rewards": rows,
            "weights": list(self.weights),
            "lengths": self.lengths.tolist(),
        }


def _values(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if kind == "binary":
        return (rng.random(shape) < rng.random()).astype(float)
    if kind == "levels":
        return rng.choice([0.0, 0.5, 1.0], size=shape)
    if kind == "big":
        return rng.normal(size=shape) * 1e6
    if kind == "tiny":
        return rng.normal(size=shape) * 1e-12
    if kind == "low_variance":
        return 0.5 + rng.normal(size=shape) * 1e-5
    if kind == "offset":
        return 1e4 + rng.normal(size=shape)
    return rng.normal(size=shape)


def make_case(index: int, rng: np.random.Generator) -> Case:
    """The case of ``index`` (its kind cycles through KINDS)."""
    kind = KINDS[index % len(KINDS)]
    size = 1 if kind == "singletons" else int(rng.choice([2, 3, 4, 8, 16]))
    groups = 1 if kind == "one_group" else int(rng.integers(2, 7))
    k = int(rng.integers(1, 4))
    n = groups * size
    values = _values(kind, (n, k), rng)
    if kind == "equal_groups":
        values = np.repeat(rng.choice([0.0, 0.25, 1.0, 3.0], size=(groups, k)), size, axis=0)
    if kind == "none":
        values[rng.random((n, k)) < 0.3] = np.nan
        values[rng.random(n) < 0.15] = np.nan  # rows where no component applies
        values[: min(size, n)] = np.where(rng.random() < 0.5, np.nan, values[: min(size, n)])
    weights = tuple(float(w) for w in rng.choice(WEIGHTS, size=k))
    lengths = np.ones(n, dtype=int) if index % 2 == 0 else rng.integers(1, 9, size=n)
    return Case(index, kind, groups, size, values, weights, lengths)


def make_cases(count: int, seed: int = 20261130) -> list[Case]:
    """``count`` cases from one seeded generator (the same list on every run)."""
    rng = np.random.default_rng(seed)
    return [make_case(i, rng) for i in range(count)]
