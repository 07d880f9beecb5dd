"""Per-step statistics of process rewards: how many steps, how many judged, what they earned.

A scored batch carries step values per sample (``ScoredBatch.steps[path]``: a tuple per sample, NaN
where a step was not judged, None where the node gave no steps). The trainer logs, per training
step:

- ``steps/mean_reward``: mean of the judged step values;
- ``steps/per_completion``: mean number of steps per completion (None counts as 0 steps);
- ``steps/scored_frac``: judged steps / all steps;
- ``steps/token_adv_abs_mean``: mean |A| over the tokens of the per-token advantages (only when
  some exist).

>>> nan = float("nan")
>>> m = step_stats([(1.0, 0.0), (0.5, nan, nan), None], [np.array([1.0, -3.0]), None, None])
>>> m["steps/mean_reward"], m["steps/per_completion"], m["steps/scored_frac"]
(0.5, 1.6666666666666667, 0.6)
>>> m["steps/token_adv_abs_mean"]
2.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rewardkit.program import Advantages
from rewardkit.types import ScoredBatch


def step_stats(
    steps: Sequence[Sequence[float] | None],
    per_token: Sequence[np.ndarray | None] | None = None,
) -> dict[str, float]:
    """The ``steps/*`` metrics above for one batch (NaN where there is nothing to average)."""
    values = np.array([v for row in steps if row is not None for v in row], dtype=float)
    judged = values[~np.isnan(values)]
    nan = float("nan")
    out = {
        "steps/mean_reward": float(judged.mean()) if judged.size else nan,
        "steps/per_completion": values.size / len(steps) if len(steps) else nan,
        "steps/scored_frac": judged.size / values.size if values.size else nan,
    }
    tokens = [np.asarray(a, dtype=float) for a in per_token or [] if a is not None]
    if tokens:
        flat = np.abs(np.concatenate(tokens))
        flat = flat[~np.isnan(flat)]
        out["steps/token_adv_abs_mean"] = float(flat.mean()) if flat.size else nan
    return out


def step_path(steps: Sequence[str], steps_from: str | None) -> str | None:
    """The step-valued path to report: the advantage's ``steps_from`` if present, else the last.

    >>> step_path(["a", "b"], None), step_path(["a", "b"], "a"), step_path([], None)
    ('b', 'a', None)
    """
    if steps_from is not None and steps_from in steps:
        return steps_from
    return steps[-1] if steps else None


def batch_step_stats(
    scored: ScoredBatch, adv: Advantages, steps_from: str | None
) -> dict[str, float]:
    """``step_stats`` of a scored batch's step path (none: no metrics, as without process rewards).

    >>> from rewardkit.types import Sample
    >>> s = [Sample("0", "g", "", "")]
    >>> scored = ScoredBatch(s, {"reward": np.ones(1)}, {"reward": [(1.0, 0.0)]}, {}, [])
    >>> batch_step_stats(scored, Advantages(np.zeros(1)), None)["steps/mean_reward"]
    0.5
    >>> batch_step_stats(ScoredBatch(s, {}, {}, {}, []), Advantages(np.zeros(1)), None)
    {}
    """
    path = step_path(list(scored.steps), steps_from)
    if path is None:
        return {}
    return step_stats(scored.steps[path], adv.per_token or None)
