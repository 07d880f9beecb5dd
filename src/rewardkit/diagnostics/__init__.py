"""Diagnostics: what the rewards are doing to training, per step."""

from rewardkit.diagnostics.stats import (
    STATS,
    advantage_stats,
    batch_metrics,
    column_stats,
    node_stats,
)

__all__ = ["STATS", "advantage_stats", "batch_metrics", "column_stats", "node_stats"]
