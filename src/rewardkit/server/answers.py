"""What the server answers: per-sample result rows, and OpenRLHF's ``rewards/scores/extra_logs``.

JSON has no NaN: a node that did not apply is ``null`` in the native rows. OpenRLHF needs a
number for every sample, so there a sample with no reward gets 0.0 and is counted in the
``rewardkit/no_reward`` log (never silently).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rewardkit.advantage import Advantages
from rewardkit.server.pool import ComponentTimeout
from rewardkit.types import Sample, ScoredBatch

Row = dict[str, Any]


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def result_rows(scored: ScoredBatch, adv: Advantages | None = None) -> list[Row]:
    """One row per sample: id, reward, components (path -> value), errors, unjudgeable, and the
    advantage when ``adv`` is given.

    >>> from rewardkit.program import RewardProgram
    >>> p = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    >>> result_rows(p.score([Sample(id="a", group="g", prompt="", completion="4",
    ...                             reference="4")]))[0]["reward"]
    1.0
    """
    errors, unjudgeable = scored.records_by_sample()
    rows = []
    for i, sample in enumerate(scored.samples):
        row: Row = {
            "id": sample.id,
            "reward": _num(scored.rewards[i]),
            "components": {p: _num(c[i]) for p, c in scored.values.items() if p != scored.root},
            "errors": errors.get(sample.id, []),
            "unjudgeable": unjudgeable.get(sample.id, []),
        }
        if adv is not None:
            row["advantage"] = _num(adv.per_sample[i])
        rows.append(row)
    return rows


def timeout_rows(
    samples: Sequence[Sample], exc: ComponentTimeout, value: float | None
) -> list[Row]:
    """Rows for a batch whose worker was killed for a hung component (``on_error: score``):
    every sample gets the error value and an error record naming the component."""
    record = {"path": exc.path, "type": "ComponentTimeout", "message": str(exc)}
    return [
        {"id": s.id, "reward": value, "components": {}, "errors": [record], "unjudgeable": []}
        for s in samples
    ]


def openrlhf_answer(rows: Sequence[Row], version: int) -> dict[str, Any]:
    """OpenRLHF's response: ``rewards`` and ``scores`` (one float per query) and ``extra_logs``
    (name -> one number per query, logged by its trainer as metrics).

    >>> row = {"reward": None, "components": {"reward/a": 1.0}, "errors": []}
    >>> openrlhf_answer([row], 3)["extra_logs"]["rewardkit/no_reward"]
    [1.0]
    """
    rewards = [0.0 if r["reward"] is None else float(r["reward"]) for r in rows]
    paths = sorted({p for r in rows for p in r["components"]})
    logs: dict[str, list[float]] = {
        f"rewardkit/{p}": [_or_zero(r["components"].get(p)) for r in rows] for p in paths
    }
    logs["rewardkit/no_reward"] = [float(r["reward"] is None) for r in rows]
    logs["rewardkit/errors"] = [float(len(r["errors"])) for r in rows]
    logs["rewardkit/state_version"] = [float(version)] * len(rows)
    return {"rewards": rewards, "scores": list(rewards), "extra_logs": logs}


def _or_zero(x: float | None) -> float:
    return 0.0 if x is None else float(x)
