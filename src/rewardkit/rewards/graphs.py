"""Workflow graphs (the ComfyUI-R1 setting): read a graph from JSON and compare node and edge sets.

Two formats are read:

- canonical: ``{"nodes": [{"id": 1, "type": "KSampler"}, ...],
  "edges": [{"source": 1, "target": 2, "port": "model"}, ...]}`` (``edges`` and ``port`` optional);
- ComfyUI API: ``{"3": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "seed": 5}}}``,
  where an input ``[source_id, output_index]`` naming a node of the graph is an edge from that
  node with ``port`` = the input name, and every other input is a literal (ignored).

A graph is compared by types, not ids (ids are arbitrary): the multiset of node types and the
multiset of ``(source type, target type, port)`` edges.

>>> g = parse_graph({"1": {"class_type": "Load", "inputs": {}},
...                  "2": {"class_type": "Save", "inputs": {"images": ["1", 0]}}})
>>> sorted(g.edges)
[('Load', 'Save', 'images')]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from rewardkit.errors import GraphFormatError

# Model JSON is read strictly, as json_valid reads it (NaN, Infinity, repeated names refused).
from rewardkit.rewards.format import load_json as load_json

Edge = tuple[str, str, str | None]


@dataclass(frozen=True)
class Graph:
    """A workflow graph reduced to what is compared: node types and typed edges (multisets)."""

    nodes: Counter[str]
    edges: Counter[Edge]


def _node_id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GraphFormatError(f"{where}: a node id must be a string or an integer, got {value!r}")
    return str(value)


def _parse_canonical(obj: dict[str, Any]) -> Graph:
    nodes, edges = obj["nodes"], obj.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise GraphFormatError("'nodes' and 'edges' must be lists")
    types: dict[str, str] = {}
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise GraphFormatError(f"nodes[{i}] must be an object with a string 'type'")
        node_id = _node_id(node.get("id"), f"nodes[{i}].id")
        if node_id in types:
            raise GraphFormatError(f"nodes[{i}]: duplicate node id {node_id!r}")
        types[node_id] = node["type"]
    typed: list[Edge] = []
    for i, edge in enumerate(edges):
        if not isinstance(edge, dict):
            raise GraphFormatError(f"edges[{i}] must be an object with 'source' and 'target'")
        ends = [_node_id(edge.get(k), f"edges[{i}].{k}") for k in ("source", "target")]
        missing = [e for e in ends if e not in types]
        if missing:
            raise GraphFormatError(f"edges[{i}] refers to unknown node id {missing[0]!r}")
        port = edge.get("port")
        typed.append((types[ends[0]], types[ends[1]], None if port is None else str(port)))
    return Graph(Counter(types.values()), Counter(typed))


def _link_source(value: Any, node_ids: set[str]) -> str | None:
    """The source node id when an API input is a link ``[source_id, output_index]``."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    source, index = value
    if isinstance(source, bool) or not isinstance(source, (str, int)):
        return None
    if isinstance(index, bool) or not isinstance(index, int) or str(source) not in node_ids:
        return None
    return str(source)


def _parse_api(obj: dict[str, Any]) -> Graph:
    for node_id, node in obj.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise GraphFormatError(f"node {node_id!r} must be an object with a string 'class_type'")
        if not isinstance(node.get("inputs", {}), dict):
            raise GraphFormatError(f"node {node_id!r}: 'inputs' must be an object")
    types = {str(k): v["class_type"] for k, v in obj.items()}
    edges: list[Edge] = []
    for node_id, node in obj.items():
        for port, value in node.get("inputs", {}).items():
            source = _link_source(value, set(types))
            if source is not None:
                edges.append((types[source], types[str(node_id)], str(port)))
    return Graph(Counter(types.values()), Counter(edges))


def parse_graph(obj: Any) -> Graph:
    """A ``Graph`` from parsed JSON in the canonical or the ComfyUI API format.

    Raises ``GraphFormatError`` (a ValueError) on any other shape.

    >>> parse_graph({"nodes": [{"id": "a", "type": "T"}, {"id": "b", "type": "T"}]}).nodes
    Counter({'T': 2})
    """
    if not isinstance(obj, dict):
        raise GraphFormatError(f"a graph is a JSON object, got {type(obj).__name__}")
    if "nodes" in obj and "links" in obj and "edges" not in obj:
        # The ComfyUI editor's workflow file: reading it as canonical would drop every edge.
        raise GraphFormatError(
            "this looks like a ComfyUI UI workflow ('links'); give the API format or 'edges'"
        )
    if "nodes" in obj:
        return _parse_canonical(obj)
    return _parse_api(obj)


def multiset_f1(predicted: Counter[Any], reference: Counter[Any]) -> float:
    """Multiset F1 ``2 * |overlap| / (|predicted| + |reference|)``; two empty sets give 1.0.

    >>> multiset_f1(Counter("aab"), Counter("ab"))  # overlap {a, b}: 2 * 2 / (3 + 2)
    0.8
    """
    total = sum(predicted.values()) + sum(reference.values())
    if total == 0:
        return 1.0
    return 2 * sum((predicted & reference).values()) / total
