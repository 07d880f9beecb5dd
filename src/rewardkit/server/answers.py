"""What the server answers: the per-sample result rows (``rewardkit.results``: how each sample
ended, in ``status``), and OpenRLHF's ``rewards/scores/extra_logs``.

OpenRLHF needs a number for every sample, so there a sample with no reward gets 0.0 and is counted
in the ``rewardkit/no_reward`` log (never silently), a verifier failure in
``rewardkit/verifier_failed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardkit.results import STATUSES, Row, cause_of, failed_path, result_rows, status_of

__all__ = [
    "STATUSES",
    "Row",
    "cause_of",
    "failed_path",
    "openrlhf_answer",
    "result_rows",
    "status_of",
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
    logs["rewardkit/verifier_failed"] = [float(r.get("status") == "verifier_failed") for r in rows]
    logs["rewardkit/state_version"] = [float(version)] * len(rows)
    return {"rewards": rewards, "scores": list(rewards), "extra_logs": logs}


def _or_zero(x: float | None) -> float:
    return 0.0 if x is None else float(x)
