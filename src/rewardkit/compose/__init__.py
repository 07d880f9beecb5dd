"""Composition: several scores -> one reward, as a tree whose every node is logged by path."""

from rewardkit.compose.api import (
    clip,
    gate,
    gated_accumulation,
    leaf,
    metric,
    product,
    tiers,
    weighted,
)
from rewardkit.compose.build import TreeBuilder
from rewardkit.compose.nodes import Node
from rewardkit.compose.scorer import EvalContext

__all__ = [
    "EvalContext",
    "Node",
    "TreeBuilder",
    "clip",
    "gate",
    "gated_accumulation",
    "leaf",
    "metric",
    "product",
    "tiers",
    "weighted",
]
