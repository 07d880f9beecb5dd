"""Caps on step rewards against step-repetition hacking.

A policy trained on a sum of per-step rewards from a learned PRM can farm reward by repeating
correct but unnecessary steps: every extra step adds a positive term. *On Designing Effective RL
Reward at Training Time for LLM Reasoning* (Gao et al., 2024) proposes two refinements that bound
the accumulated process reward of any trajectory from above, whatever its length:

- ``clip``: ``r -> min(r - eta, 0)``. A step scoring at least ``eta`` earns nothing more; a step
  below it is penalised by its shortfall. Every term is <= 0, so the sum is <= 0 and extra steps
  can only lower it. ``eta`` is the score of a step that is "good enough": with PRM probabilities
  in [0, 1], ``eta = 0.5`` penalises the steps the PRM thinks are more likely wrong than right.
- ``delta``: ``r_t -> r_t - r_{t+1}`` for t < T, ``r_T`` unchanged. The sum telescopes to ``r_1``,
  so repeating steps cannot change it; each step is credited with how much better it is than the
  step after it.

Both act on one sample's step values. NaN marks a step its scorer did not judge; it stays NaN.
For ``delta`` the judged steps form the sequence (a NaN step is skipped: the difference is taken
with the next judged step), so the judged values still sum to the first judged value.

>>> clip_steps((1.0, 0.2, 0.6), eta=0.5)
(0.0, -0.3, 0.0)
>>> delta_steps((0.75, 0.5, 1.0))
(0.25, -0.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

StepCap = Literal["none", "clip", "delta"]

Steps = tuple[float, ...]


def clip_steps(steps: Sequence[float], eta: float) -> Steps:
    """Each judged step value ``r`` becomes ``min(r - eta, 0)``; NaN stays NaN.

    >>> clip_steps((0.7, float("nan"), 0.2), eta=0.4)
    (0.0, nan, -0.2)
    """
    if not math.isfinite(eta):
        raise ValueError(f"eta must be a finite number, got {eta}")
    return tuple(r if math.isnan(r) else _tidy(min(r - eta, 0.0)) for r in map(float, steps))


def delta_steps(steps: Sequence[float]) -> Steps:
    """Each judged step value minus the next judged one; the last judged step is unchanged.

    >>> delta_steps((1.0, float("nan"), 0.25, 0.5))
    (0.75, nan, -0.25, 0.5)
    """
    values = [float(r) for r in steps]
    judged = [i for i, r in enumerate(values) if not math.isnan(r)]
    out = list(values)
    for here, after in pairwise(judged):
        out[here] = _tidy(values[here] - values[after])
    return tuple(out)


def cap_steps(steps: Sequence[float], cap: StepCap, eta: float = 0.0) -> Steps:
    """One sample's step values under ``cap`` (``none`` returns them unchanged).

    >>> cap_steps((1.0, 0.0), "delta")
    (1.0, 0.0)
    """
    if cap == "clip":
        return clip_steps(steps, eta)
    if cap == "delta":
        return delta_steps(steps)
    if cap == "none":
        return tuple(float(r) for r in steps)
    raise ValueError(f"unknown step cap {cap!r}; use none, clip or delta")


def cap_batch(
    step_values: Sequence[Sequence[float] | None], cap: StepCap, eta: float = 0.0
) -> list[Steps | None]:
    """``cap_steps`` on every sample of a batch; a sample without steps (None) stays None.

    >>> cap_batch([(0.2, 0.9), None], "clip", eta=0.5)
    [(-0.3, 0.0), None]
    """
    return [None if steps is None else cap_steps(steps, cap, eta) for steps in step_values]


def _tidy(x: float) -> float:
    return x + 0.0  # -0.0 (from min(-0.0, 0.0)) reads as 0.0
