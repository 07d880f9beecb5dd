"""Per training step statistics beyond the reward tree's: completions and process-reward steps.

``training_step_stats`` is what the trainer logs for a step, in one call (over every rollout of
the step, refill rounds and dropped groups included):

- ``train/completion_tokens``: mean completion length in tokens (eos included);
- ``train/truncated_frac``: fraction of completions that hit ``max_new_tokens`` without eos;
- the ``steps/*`` metrics of ``batch_step_stats`` (none without process rewards).

A scored batch carries step values per sample (``ScoredBatch.steps[path]``: a tuple per sample, NaN
where a step was not judged, None where the node gave no steps). The node reported is the one whose
steps feed the advantages (``rewardkit.advantage.step_values_path``). ``step_stats`` gives:

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

from rewardkit.advantage import Advantages, step_values_path
from rewardkit.types import ScoredBatch


def training_step_stats(
    scored: ScoredBatch,
    adv: Advantages,
    steps_from: str | None,
    lengths: np.ndarray,
    truncated: Sequence[bool],
) -> dict[str, float]:
    """Everything the trainer logs about a step's rollouts beyond the tree (module doc).

    ``lengths``: completion tokens of every rollout; ``truncated``: whether each ran out of tokens.

    >>> from rewardkit.types import Sample
    >>> s = [Sample("0", "g", "", ""), Sample("1", "g", "", "")]
    >>> scored = ScoredBatch(s, {"reward": np.ones(2)}, {"reward": [(1.0,), None]}, {}, [])
    >>> m = training_step_stats(scored, Advantages(np.zeros(2)), None, np.array([3, 4]), [0, 1])
    >>> m["train/completion_tokens"], m["train/truncated_frac"], m["steps/per_completion"]
    (3.5, 0.5, 0.5)
    """
    return {**rollout_stats(lengths, truncated), **batch_step_stats(scored, adv, steps_from)}


def rollout_stats(lengths: np.ndarray, truncated: Sequence[bool]) -> dict[str, float]:
    """Mean completion length and truncated fraction.

    The mean is taken in float32, as the trainer has always logged it (the lengths are token
    counts, so the float32 sum is exact and only the division rounds).

    >>> rollout_stats(np.array([11, 11, 12, 11, 11]), [True, False, True, False, False])
    {'train/completion_tokens': 11.199999809265137, 'train/truncated_frac': 0.4}
    """
    return {
        "train/completion_tokens": float(np.asarray(lengths, dtype=np.float32).mean()),
        "train/truncated_frac": float(np.mean(truncated)),
    }


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


def batch_step_stats(
    scored: ScoredBatch, adv: Advantages, steps_from: str | None
) -> dict[str, float]:
    """``step_stats`` of the steps that feed the advantages (``step_values_path``); no metrics
    when there are none (as without process rewards, or when ``steps_from`` gave no steps).

    >>> from rewardkit.types import Sample
    >>> s = [Sample("0", "g", "", "")]
    >>> scored = ScoredBatch(s, {"reward": np.ones(1)}, {"reward": [(1.0, 0.0)]}, {}, [])
    >>> batch_step_stats(scored, Advantages(np.zeros(1)), None)["steps/mean_reward"]
    0.5
    >>> batch_step_stats(ScoredBatch(s, {}, {}, {}, []), Advantages(np.zeros(1)), None)
    {}
    """
    path = step_values_path(scored.steps, steps_from)
    if path is None:
        return {}
    return step_stats(scored.steps[path], adv.per_token or None)
