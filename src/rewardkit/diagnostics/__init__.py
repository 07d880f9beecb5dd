"""Diagnostics: what the rewards are doing to training, per step.

- ``stats``: per-node statistics of a scored batch, and of its advantages;
- ``steps``: what the trainer logs about a step's rollouts beyond the tree (completion lengths,
  truncation, process-reward steps), ``training_step_stats``.
"""

from rewardkit.diagnostics.stats import (
    STATS,
    advantage_stats,
    batch_metrics,
    column_stats,
    merge_scored,
    node_stats,
)
from rewardkit.diagnostics.steps import batch_step_stats, step_stats, training_step_stats

__all__ = [
    "STATS",
    "advantage_stats",
    "batch_metrics",
    "batch_step_stats",
    "column_stats",
    "merge_scored",
    "node_stats",
    "step_stats",
    "training_step_stats",
]
