"""``workflow``: write a small JSON node graph from a description (the ComfyUI-R1 shape).

The description names the stages of an image pipeline in order (``load resize blur save``),
optionally with a side branch (``+preview``: a preview node fed by the last processing stage).
The answer is the canonical graph JSON read by ``graph_f1``::

    {"nodes":[{"id":1,"type":"load"},{"id":2,"type":"save"}],"edges":[{"source":1,"target":2}]}

The rule-metric hybrid reward: JSON validity -> structural integrity (``workflow_integrity``:
unique ids, edges between known nodes, no cycle) -> node/edge F1 against the reference.

>>> p = Workflow().make(np.random.default_rng(0), "small")
>>> p.reference["nodes"][0]["type"]
'load'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.registry import Params, reward
from rewardkit.rewards.graphs import load_json, multiset_f1, parse_graph
from rewardkit.rewards.structure import reference_graph
from rewardkit.tasks.base import Problem
from rewardkit.types import Sample, Score

STAGES = ("resize", "blur", "crop", "sharpen", "rotate")
SIZES = {"small": 1, "medium": 2, "large": 3}


@dataclass(frozen=True)
class Workflow:
    """Pipelines ``load -> k processing stages -> save``, with a preview branch half the time.

    >>> Workflow().categories
    ('small', 'medium', 'large')
    """

    name: str = "workflow"
    categories: tuple[str, ...] = ("small", "medium", "large")

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """A pipeline with ``SIZES[category]`` processing stages (category drawn when None)."""
        category = category or str(rng.choice(self.categories))
        middle = [str(s) for s in rng.choice(STAGES, size=SIZES[category], replace=False)]
        types = ["load", *middle, "save"]
        edges = [(i + 1, i + 2) for i in range(len(types) - 1)]
        branch = bool(rng.integers(0, 2))
        if branch:
            types.append("preview")
            edges.append((len(types) - 2, len(types)))
        graph = {
            "nodes": [{"id": i + 1, "type": t} for i, t in enumerate(types)],
            "edges": [{"source": a, "target": b} for a, b in edges],
        }
        text = " ".join(["load", *middle, "save"]) + (" +preview" if branch else "")
        return Problem(
            id="",
            prompt=f"{text}\n",
            reference=graph,
            answer=json.dumps(graph, separators=(",", ":")),
            difficulty={"nodes": len(types), "branch": branch},
            category=category,
        )

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """``node_f1`` (node types) and ``success`` (the same node and edge multisets).

        >>> ref = {"nodes": [{"id": 1, "type": "load"}], "edges": []}
        >>> Workflow().judge(ref, '{"nodes":[{"id":7,"type":"load"}],"edges":[]}')
        {'node_f1': 1.0, 'success': 1.0}
        """
        want = reference_graph(reference)  # first: an unreadable reference is not a 0
        try:
            graph = parse_graph(load_json(completion))
        except ValueError:
            return {"node_f1": 0.0, "success": 0.0}
        same = graph.nodes == want.nodes and graph.edges == want.edges
        return {"node_f1": multiset_f1(graph.nodes, want.nodes), "success": float(same)}

    def reward_config(self) -> dict[str, Any]:
        """Tiers: valid JSON -> a well-formed graph -> graph F1 with the reference."""
        return {
            "reward": {
                "tiers": [
                    {"name": "json", "fn": "json_valid"},
                    {"name": "integrity", "fn": "workflow_integrity"},
                    {"name": "fidelity", "fn": "graph_f1"},
                ]
            },
            "advantage": {"estimator": "grpo"},
        }


@reward("workflow_integrity", params=Params)
def workflow_integrity(sample: Sample, p: Params) -> Score:
    """1.0 for a well-formed canonical graph: at least one node, unique ids, edges between known
    nodes, acyclic.

    0.0 with the reason in ``info`` otherwise (invalid JSON included: the model's fault). A graph
    with no nodes is no workflow: ``{"nodes": []}`` would otherwise earn the integrity tier
    without any work.

    >>> ok = '{"nodes":[{"id":1,"type":"a"},{"id":2,"type":"b"}],"edges":[{"source":1,"target":2}]}'
    >>> workflow_integrity(Sample("0", "g", "", ok), Params()).value
    1.0
    """
    del p
    try:
        graph = load_json(sample.completion)
    except ValueError as exc:
        return Score(0.0, info={"reason": f"invalid JSON: {exc}"})
    reason = _integrity_problem(graph)
    return Score(0.0 if reason else 1.0, info={"reason": reason} if reason else {})


def _integrity_problem(graph: Any) -> str | None:
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        return "not an object with a 'nodes' list"
    if not graph["nodes"]:
        return "the graph has no nodes"
    ids = [n.get("id") if isinstance(n, dict) else None for n in graph["nodes"]]
    if any(i is None for i in ids) or len(set(map(str, ids))) != len(ids):
        return "node ids missing or repeated"
    if not all(isinstance(n.get("type"), str) for n in graph["nodes"]):
        return "a node has no string 'type'"
    edges = graph.get("edges", [])
    if not isinstance(edges, list) or not all(isinstance(e, dict) for e in edges):
        return "'edges' is not a list of objects"
    known = set(map(str, ids))
    pairs = [(str(e.get("source")), str(e.get("target"))) for e in edges]
    if any(a not in known or b not in known for a, b in pairs):
        return "an edge refers to an unknown node"
    return "the graph has a cycle" if _has_cycle(known, pairs) else None


def _has_cycle(nodes: set[str], edges: list[tuple[str, str]]) -> bool:
    # Kahn's algorithm: a cycle leaves nodes that never reach in-degree zero.
    indegree = {n: 0 for n in nodes}
    for _, b in edges:
        indegree[b] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for a, b in edges:
            if a == node:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
    return seen != len(nodes)
