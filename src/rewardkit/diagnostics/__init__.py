"""Diagnostics: what the rewards are doing to training, per step."""

from rewardkit.diagnostics.stats import STATS, advantage_stats, column_stats, node_stats

__all__ = ["STATS", "advantage_stats", "column_stats", "node_stats"]
