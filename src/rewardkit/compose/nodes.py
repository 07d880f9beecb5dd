"""The nodes of the reward tree. Each node turns its children's columns into its own column.

Columns are float arrays over the batch with NaN where a node does not apply (None). Every node's
column is stored under its path (``reward``, ``reward/format``, ...), so every node is logged.

- ``weighted``: sum of weight * value over the children that apply.
- ``tiers``: hierarchy (ChipSeek-R1). Tier k counts only when every lower tier reached its
  ``pass_at``; with K tiers the value is ``(passed + credit) / K`` where ``credit`` is the first
  failed tier's ``value / pass_at`` (< 1) or, once all gates pass, the last tier's value. Bands are
  disjoint: passing one more tier always outranks any partial credit below it.
- ``gate``: ``then`` if ``when >= at_least`` else ``otherwise`` (TRL issue 4853).
- ``gated_accumulation`` (G-RA): ``outcome + step_weight * sum(steps)`` when the outcome reaches
  ``at_least``, else just the outcome; the node's steps are zeroed where the gate is closed.
- ``product``, ``clip`` (bounds on the cumulative reward), ``metric`` (logged, never rewarded).

"Does not apply" (None) never earns more than a judged wrong answer, and never opens a gate
(the table in docs/none.md): a tier that does not apply is not passed, a gate whose ``when`` does
not apply stays closed, a factor of a product that does not apply is 0. A node is None only when
none of its children applies (``weighted``, ``product``, ``tiers``), or when the child that gives
its value is None (``gate`` when open, ``gated_accumulation``'s outcome, ``clip``).

A sample on which a verifier failed (``EvalContext.verifier_failed_rows``) is None at every
composite node whatever its other children say: a missing verdict is not a wrong answer, so the
sample is not paid for its other parts and is left out of the group baseline.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rewardkit.compose.refs import Ref
from rewardkit.compose.scorer import EvalContext, LeafScorer

Num = float | Ref


def num(x: Num, ctx: EvalContext) -> float:
    """A numeric option's current value (references read the context's variables)."""
    return x.evaluate(ctx.variables) if isinstance(x, Ref) else float(x)


@dataclass
class Node:
    """Base of all nodes: a path, a weight (read by ``weighted`` and ``gdpo``) and a gate level."""

    path: str
    weight: Num = 1.0
    pass_at: Num = 1.0

    kind = "node"

    def children(self) -> Sequence[Node]:
        return ()

    def walk(self) -> Iterator[Node]:
        """Every node of the subtree, children before parents (evaluation order)."""
        for child in self.children():
            yield from child.walk()
        yield self

    def evaluate(self, ctx: EvalContext) -> np.ndarray:
        for child in self.children():
            child.evaluate(ctx)
        column = self.combine(ctx)
        if ctx.verifier_failed_rows:
            column = column.copy()
            column[sorted(ctx.verifier_failed_rows)] = np.nan
        ctx.values[self.path] = column
        return column

    def combine(self, ctx: EvalContext) -> np.ndarray:
        raise NotImplementedError

    def col(self, ctx: EvalContext) -> np.ndarray:
        return ctx.values[self.path]


@dataclass
class Leaf(Node):
    scorer: LeafScorer | None = None
    kind = "leaf"

    def evaluate(self, ctx: EvalContext) -> np.ndarray:
        assert self.scorer is not None
        self.scorer.run(self.path, ctx)
        return ctx.values[self.path]


@dataclass
class Weighted(Node):
    items: list[Node] = field(default_factory=list)
    kind = "weighted"

    def children(self) -> Sequence[Node]:
        return self.items

    def combine(self, ctx: EvalContext) -> np.ndarray:
        cols = np.stack([c.col(ctx) for c in self.items])
        weights = np.array([num(c.weight, ctx) for c in self.items])[:, None]
        total = np.nansum(cols * weights, axis=0)
        total[np.isnan(cols).all(axis=0)] = np.nan
        return total


@dataclass
class Product(Node):
    items: list[Node] = field(default_factory=list)
    kind = "product"

    def children(self) -> Sequence[Node]:
        return self.items

    def combine(self, ctx: EvalContext) -> np.ndarray:
        # A factor that does not apply certifies nothing: it counts as 0, like a judged 0.
        cols = np.stack([c.col(ctx) for c in self.items])
        total = np.prod(np.nan_to_num(cols, nan=0.0), axis=0)
        total[np.isnan(cols).all(axis=0)] = np.nan
        return total


@dataclass
class Tiers(Node):
    items: list[Node] = field(default_factory=list)
    partial: bool = True
    kind = "tiers"

    def children(self) -> Sequence[Node]:
        return self.items

    def combine(self, ctx: EvalContext) -> np.ndarray:
        # A tier that does not apply is not passed and earns no credit: the chain stops there.
        n, k = len(ctx.samples), len(self.items)
        level = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        cols = [tier.col(ctx) for tier in self.items]
        for i, (tier, v) in enumerate(zip(self.items, cols, strict=True)):
            if i == k - 1:  # the top tier has no gate: its value is the credit
                level += np.where(alive, np.clip(np.nan_to_num(v), 0.0, 1.0), 0.0)
                break
            gate = num(tier.pass_at, ctx)
            passed = np.nan_to_num(v, nan=-np.inf) >= gate
            if self.partial and gate > 0:
                # v < gate here, so the credit stays below 1 and the bands stay disjoint.
                credit = np.clip(np.nan_to_num(v) / gate, 0.0, np.nextafter(1.0, 0.0))
            else:
                credit = np.zeros(n)
            level += np.where(alive, np.where(passed, 1.0, credit), 0.0)
            alive &= passed
        out = level / k
        out[np.isnan(np.stack(cols)).all(axis=0)] = np.nan
        return out


@dataclass
class Gate(Node):
    when: Node | None = None
    then: Node | None = None
    at_least: Num = 1.0
    otherwise: Num = 0.0
    kind = "gate"

    def children(self) -> Sequence[Node]:
        return [n for n in (self.when, self.then) if n is not None]

    def combine(self, ctx: EvalContext) -> np.ndarray:
        assert self.when is not None and self.then is not None
        w, t = self.when.col(ctx), self.then.col(ctx)
        opened = np.nan_to_num(w, nan=-np.inf) >= num(self.at_least, ctx)  # None stays closed
        return np.where(opened, t, num(self.otherwise, ctx))


@dataclass
class GatedAccumulation(Node):
    outcome: Node | None = None
    steps: Node | None = None
    at_least: Num = 1.0
    step_weight: Num = 1.0
    accumulate: Literal["sum", "mean"] = "sum"
    kind = "gated_accumulation"

    def children(self) -> Sequence[Node]:
        return [n for n in (self.outcome, self.steps) if n is not None]

    def combine(self, ctx: EvalContext) -> np.ndarray:
        assert self.outcome is not None and self.steps is not None
        outcome = self.outcome.col(ctx)
        open_ = ~np.isnan(outcome) & (np.nan_to_num(outcome) >= num(self.at_least, ctx))
        step_lists = ctx.steps.get(self.steps.path, [None] * len(outcome))
        step_col = self.steps.col(ctx)
        acc = np.zeros(len(outcome))
        gated: list[tuple[float, ...] | None] = []
        for i, steps in enumerate(step_lists):
            judged = [x for x in steps or () if not np.isnan(x)]  # NaN: a step not judged
            if judged:
                acc[i] = sum(judged) if self.accumulate == "sum" else sum(judged) / len(judged)
            elif not np.isnan(step_col[i]):
                acc[i] = step_col[i]
            gated.append(
                None
                if steps is None
                else tuple(x if open_[i] or np.isnan(x) else 0.0 for x in steps)
            )
        if any(s is not None for s in gated):
            ctx.steps[self.path] = gated
            # the step spans live in the step node's info; per-token advantages read them here
            ctx.info[self.path] = ctx.info.get(self.steps.path, [{}] * len(outcome))
        return np.where(open_, outcome + num(self.step_weight, ctx) * acc, outcome)


@dataclass
class Clip(Node):
    item: Node | None = None
    min: Num | None = None
    max: Num | None = None
    kind = "clip"

    def children(self) -> Sequence[Node]:
        return [self.item] if self.item is not None else []

    def combine(self, ctx: EvalContext) -> np.ndarray:
        assert self.item is not None
        lo = -np.inf if self.min is None else num(self.min, ctx)
        hi = np.inf if self.max is None else num(self.max, ctx)
        return np.clip(self.item.col(ctx), lo, hi)


@dataclass
class Metric(Node):
    item: Node | None = None
    kind = "metric"

    def children(self) -> Sequence[Node]:
        return [self.item] if self.item is not None else []

    def combine(self, ctx: EvalContext) -> np.ndarray:
        # Logged under the child's path; the metric node itself never contributes a reward.
        return np.full(len(ctx.samples), np.nan)
