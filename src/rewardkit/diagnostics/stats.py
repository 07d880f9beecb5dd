"""What the rewards are doing, per step: per-node statistics of a scored batch.

For every node path ``p`` of the tree (values NaN where the node did not apply):

- ``p/mean``, ``p/std`` (population), ``p/min``, ``p/max`` over applicable samples;
- ``p/zero_std_frac``: fraction of groups whose values are all equal (the vanishing-gradient
  signal: such a group contributes zero GRPO advantage);
- ``p/sparsity``: fraction of applicable values that are exactly 0;
- ``p/none_frac``: fraction of samples where the node did not apply;
- ``p/errors``: number of recorded failures under the path;
- ``p/unjudgeable``: number of samples whose reference the component at ``p`` could not read;
- ``p/verifier_failed``: of ``p/errors``, the verifier failures (``errors.VerifierFailed``: a
  judge that also paid a decoy, a quoted span not in the response, an invalid group verdict),
  given for the paths that have any; ``verifier_failed/total`` in every batch.

>>> from rewardkit.advantage.groups import Groups
>>> m = node_stats({"reward": np.array([1.0, 1.0, 0.0, 1.0])}, Groups.from_ids("aabb"), [])
>>> m["reward/mean"], m["reward/zero_std_frac"], m["reward/sparsity"]
(0.75, 0.5, 0.25)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rewardkit.advantage.groups import Groups
from rewardkit.types import Failure, ScoredBatch

STATS = (
    "mean",
    "std",
    "min",
    "max",
    "zero_std_frac",
    "sparsity",
    "none_frac",
    "errors",
    "unjudgeable",
)


def column_stats(path: str, x: np.ndarray, groups: Groups) -> dict[str, float]:
    """The statistics above for one column."""
    ok = x[~np.isnan(x)]
    nan = float("nan")
    return {
        f"{path}/mean": float(ok.mean()) if ok.size else nan,
        f"{path}/std": float(ok.std()) if ok.size else nan,
        f"{path}/min": float(ok.min()) if ok.size else nan,
        f"{path}/max": float(ok.max()) if ok.size else nan,
        f"{path}/zero_std_frac": groups.zero_variance_fraction(x),
        f"{path}/sparsity": float((ok == 0.0).mean()) if ok.size else nan,
        f"{path}/none_frac": float(1.0 - ok.size / x.size) if x.size else nan,
    }


def node_stats(
    values: Mapping[str, np.ndarray],
    groups: Groups,
    failures: Sequence[Failure],
    unjudgeable: Sequence[Failure] = (),
) -> dict[str, float]:
    """Statistics of every column plus failure and unjudgeable-reference counts per path."""
    out: dict[str, float] = {}
    for path, column in values.items():
        out.update(column_stats(path, column, groups))
        out[f"{path}/errors"] = 0.0
        out[f"{path}/unjudgeable"] = 0.0
    for stat, records in (("errors", failures), ("unjudgeable", unjudgeable)):
        for record in records:
            key = f"{record.path}/{stat}"
            out[key] = out.get(key, 0.0) + 1.0
    for record in failures:
        if record.error_type == "VerifierFailed":
            key = f"{record.path}/verifier_failed"
            out[key] = out.get(key, 0.0) + 1.0
    return out


def batch_metrics(
    values: Mapping[str, np.ndarray],
    groups: Groups,
    failures: Sequence[Failure],
    unjudgeable: Sequence[Failure] = (),
) -> dict[str, float]:
    """``node_stats`` plus the batch totals: ``errors/total``, ``unjudgeable/total`` (records)
    and ``unjudgeable/samples`` (distinct samples with an unreadable reference).

    >>> from rewardkit.advantage.groups import Groups
    >>> u = [Failure("reward", "a", "UnjudgeableReference", "not a number")]
    >>> m = batch_metrics({"reward": np.array([np.nan, 1.0])}, Groups.from_ids("gg"), [], u)
    >>> m["reward/unjudgeable"], m["unjudgeable/samples"], m["reward/none_frac"]
    (1.0, 1.0, 0.5)
    """
    out = node_stats(values, groups, failures, unjudgeable)
    out["errors/total"] = float(len(failures))
    out["verifier_failed/total"] = float(sum(f.error_type == "VerifierFailed" for f in failures))
    out["unjudgeable/total"] = float(len(unjudgeable))
    out["unjudgeable/samples"] = float(len({u.sample_id for u in unjudgeable}))
    return out


def advantage_stats(per_sample: np.ndarray, rewards: np.ndarray) -> dict[str, float]:
    """Advantage statistics: mean |A|, the fraction of exactly-zero advantages, and their spread."""
    applies = ~np.isnan(rewards)
    a = per_sample[applies]
    if not a.size:
        return {"advantage/abs_mean": float("nan"), "advantage/zero_frac": float("nan")}
    return {
        "advantage/abs_mean": float(np.abs(a).mean()),
        "advantage/std": float(a.std()),
        "advantage/zero_frac": float((np.abs(a) < 1e-9).mean()),
    }


def merge_scored(parts: Sequence[ScoredBatch], order: Sequence[int] | None = None) -> ScoredBatch:
    """Several scored batches of one step as one (``ScoredBatch.concat``), with the per-node
    statistics computed again over the whole batch: the one rule for joining scored parts (a
    trainer's refill rounds, TRL's ranks, the server's worker chunks).
    """
    merged = ScoredBatch.concat(parts, order)
    groups = Groups.from_ids(merged.group_ids())
    merged.metrics.update(batch_metrics(merged.values, groups, merged.failures, merged.unjudgeable))
    return merged
