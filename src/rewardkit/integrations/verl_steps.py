"""One training step of verl, seen by rewardkit: per-component metrics and the schedule's observe.

verl keeps what ``compute_score`` returns (``reward_extra_info``) in the batch's non-tensor data
but does not log it as training metrics (verl#4545). ``reward_metrics`` turns those columns back
into rewardkit's per-node statistics (the names a schedule watches, e.g. ``reward/hit/mean``);
``observe_step`` sends them to the shared state once per step, from verl's driver, so every reward
worker scores the next step with the same variables.

>>> cols = {"score": [1.0, 0.0], "reward/applies": [1.0, 1.0], "uid": ["q", "q"]}
>>> reward_metrics(cols)["reward/mean"]
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.advantage import Groups
from rewardkit.diagnostics import batch_metrics

APPLIES = "/applies"


def reward_metrics(
    columns: Mapping[str, Sequence[Any]], root: str = "reward", uid: str = "uid"
) -> dict[str, float]:
    """rewardkit's node statistics from the columns ``compute_score`` wrote (verl's
    ``batch.non_tensor_batch``): each ``<path>`` with its ``<path>/applies`` (``score`` is the
    root's value), NaN where the node did not apply; groups from ``uid``."""
    values: dict[str, np.ndarray] = {}
    for key, flags in columns.items():
        if not key.endswith(APPLIES):
            continue
        path = key[: -len(APPLIES)]
        column = columns["score" if path == root else path]
        raw = np.asarray([float(v) for v in column])
        applies = np.asarray([float(v) for v in flags]) > 0
        values[path] = np.where(applies, raw, np.nan)
    n = len(next(iter(values.values()))) if values else 0
    ids = [str(u) for u in columns[uid]] if uid in columns else [str(i) for i in range(n)]
    return batch_metrics(values, Groups.from_ids(ids), [])


def observe_step(
    step: int,
    columns: Mapping[str, Sequence[Any]],
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> dict[str, float]:
    """Advance the shared schedules with finished verl step ``step`` (from its driver, once per
    step); returns the metrics sent, ready for verl's metrics dict (under ``rewardkit/``)."""
    metrics = reward_metrics(columns)
    if server is not None:
        from rewardkit.client import RewardClient

        with RewardClient(server, token=token) as client:
            client.observe(step, metrics)
    elif actor:
        import ray

        from rewardkit.server.ray_serve import ACTOR_NAME, NAMESPACE

        name = actor if isinstance(actor, str) else ACTOR_NAME
        handle = ray.get_actor(name, namespace=NAMESPACE)
        ray.get(handle.observe.remote(step, metrics, None))
    return {f"rewardkit/{k}": v for k, v in metrics.items()}
