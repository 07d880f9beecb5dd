"""One training step of verl, seen by rewardkit: per-component metrics and the schedule's observe.

verl keeps what ``compute_score`` returns (``reward_extra_info``) in the batch's non-tensor data
but does not log it as training metrics (verl#4545). ``reward_metrics`` turns those columns back
into rewardkit's per-node statistics (the names a schedule watches, e.g. ``reward/hit/mean``), and
``advantage_metrics`` adds the program's ``advantage/*`` statistics; ``observe_step`` sends them
to the shared state once per step, from verl's driver, where the one step protocol
(``rewardkit.protocol.StepProtocol``) checks every watched metric and advances the schedules, so
every reward worker scores the next step with the same variables.

>>> cols = {"score": [1.0, 0.0], "reward/applies": [1.0, 1.0], "uid": ["q", "q"]}
>>> reward_metrics(cols)["reward/mean"]
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.diagnostics import merge_scored
from rewardkit.program import RewardProgram
from rewardkit.protocol import StepProtocol, wire_metrics
from rewardkit.replica import StateReplica, program_of, source_of
from rewardkit.types import Sample, ScoredBatch

APPLIES = "/applies"
NOTE = (
    "Under verl, observe_step sends the node statistics of compute_score's columns, and the "
    "advantage/* statistics only when given config= (the reward program)"
)


def scored_columns(
    columns: Mapping[str, Sequence[Any]], root: str = "reward", uid: str = "uid"
) -> ScoredBatch:
    """The scored batch in the columns ``compute_score`` wrote (verl's
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
    samples = [Sample(id=str(i), group=g, prompt="", completion="") for i, g in enumerate(ids)]
    return ScoredBatch(samples=samples, values=values, steps={}, info={}, failures=[], root=root)


def reward_metrics(
    columns: Mapping[str, Sequence[Any]], root: str = "reward", uid: str = "uid"
) -> dict[str, float]:
    """rewardkit's node statistics from the columns ``compute_score`` wrote (NaN where a node
    applied to no sample)."""
    return dict(merge_scored([scored_columns(columns, root, uid)]).metrics)


def advantage_metrics(
    program: RewardProgram, columns: Mapping[str, Sequence[Any]]
) -> dict[str, float]:
    """The ``advantage/*`` statistics of ``program.advantages`` on the step's outcomes (the
    per-sample advantages of the program's estimator, as ``rewardkit_dual`` uses them)."""
    scored = scored_columns(columns)
    return dict(program.advantages(scored).metrics)


def observe_step(
    step: int,
    columns: Mapping[str, Sequence[Any]],
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
    config: RewardProgram | Mapping[str, Any] | str | Path | None = None,
) -> dict[str, float]:
    """Advance the shared schedules with finished verl step ``step`` (from its driver, once per
    step); returns the metrics, ready for verl's metrics dict (under ``rewardkit/``).

    With ``config`` (the reward program), the ``advantage/*`` statistics are computed too (at
    the shared state's variables) and every watched metric is checked here before sending;
    without it, the state owner's step protocol checks them: a schedule watching a metric the
    step did not report is a ``ConfigError`` (from the server: ``InvalidRequest``), never a
    step silently skipped. A statistic that is not finite is sent as JSON null.
    """
    metrics = reward_metrics(columns)
    source = source_of(server, token, actor)
    if config is not None:
        replica = StateReplica(program_of(config), source)
        replica.sync()
        metrics.update(advantage_metrics(replica.program, columns))
        StepProtocol(replica.program, note=NOTE).check_reported(step, metrics)
    if source is not None:
        source.observe(step, wire_metrics(metrics), None, None)
    return {f"rewardkit/{k}": v for k, v in metrics.items()}
