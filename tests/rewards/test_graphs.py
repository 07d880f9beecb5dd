"""Golden cases for workflow-graph parsing and multiset F1 (rewards/graphs.py)."""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.rewards.graphs import Graph, load_json, multiset_f1, parse_graph

API = {
    "4": {"class_type": "CheckpointLoader", "inputs": {"ckpt_name": "sd.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {"model": ["4", 0], "positive": ["6", 0], "seed": 5, "size": [512, 512]},
    },
}


def test_api_format_edges_are_links_to_known_nodes() -> None:
    graph = parse_graph(API)
    assert graph.nodes == Counter(["CheckpointLoader", "CLIPTextEncode", "KSampler"])
    # "size": [512, 512] names no node: a literal, not an edge
    assert graph.edges == Counter(
        [
            ("CheckpointLoader", "CLIPTextEncode", "clip"),
            ("CheckpointLoader", "KSampler", "model"),
            ("CLIPTextEncode", "KSampler", "positive"),
        ]
    )


@pytest.mark.parametrize(
    ("obj", "nodes", "edges"),
    [
        ({"nodes": []}, {}, {}),
        ({"nodes": [], "edges": []}, {}, {}),
        ({}, {}, {}),  # an empty API-format graph
        (
            {"nodes": [{"id": 1, "type": "A"}, {"id": 2, "type": "A"}], "edges": []},
            {"A": 2},  # duplicate node types are counted
            {},
        ),
        (
            {
                "nodes": [{"id": "x", "type": "A"}, {"id": "y", "type": "B"}],
                "edges": [
                    {"source": "x", "target": "y", "port": "in"},
                    {"source": "x", "target": "y"},
                ],
            },
            {"A": 1, "B": 1},
            {("A", "B", "in"): 1, ("A", "B", None): 1},
        ),
        (
            {"nodes": [{"id": 1, "type": "A"}], "edges": [{"source": "1", "target": 1}]},
            {"A": 1},
            {("A", "A", None): 1},  # ids 1 and "1" are the same node
        ),
        (
            {"1": {"class_type": "A", "inputs": {"x": [1, 0], "y": ["1", True], "z": ["2", 0]}}},
            {"A": 1},
            {("A", "A", "x"): 1},  # [id, True] and a link to an unknown node are literals
        ),
        ({"1": {"class_type": "ノード"}}, {"ノード": 1}, {}),  # unicode types, no inputs
    ],
)
def test_parse_graph_golden(obj: Any, nodes: dict[str, int], edges: dict[Any, int]) -> None:
    assert parse_graph(obj) == Graph(Counter(nodes), Counter(edges))


@pytest.mark.parametrize(
    "obj",
    [
        [],
        "graph",
        None,
        {"nodes": "x"},
        {"nodes": [{"id": 1}]},  # no type
        {"nodes": [{"type": "A"}]},  # no id
        {"nodes": [{"id": 1, "type": "A"}, {"id": 1, "type": "B"}]},  # duplicate id
        {"nodes": [{"id": True, "type": "A"}]},
        {"nodes": [{"id": 1, "type": "A"}], "edges": [{"source": 1, "target": 9}]},
        {"nodes": [{"id": 1, "type": "A"}], "edges": [[1, 1]]},
        {"nodes": [], "edges": {}},
        {"1": {"inputs": {}}},  # API node without class_type
        {"1": {"class_type": "A", "inputs": []}},
        {"1": "A"},
        {"nodes": [{"id": 1, "type": "A"}], "links": [[1, 1, 0, 1, 0, "X"]]},  # UI workflow file
    ],
)
def test_parse_graph_rejects_wrong_shapes(obj: Any) -> None:
    with pytest.raises(ValueError):
        parse_graph(obj)


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        ("", "", 1.0),  # two empty sets agree
        ("a", "", 0.0),
        ("", "a", 0.0),
        ("ab", "ab", 1.0),
        ("aab", "ab", 0.8),  # overlap 2: 2 * 2 / (3 + 2)
        ("aa", "a", 2 / 3),  # duplicates count: overlap 1
        ("abc", "xyz", 0.0),
    ],
)
def test_multiset_f1_golden(pred: str, ref: str, expected: float) -> None:
    assert multiset_f1(Counter(pred), Counter(ref)) == pytest.approx(expected)


def test_load_json_strips_a_fence_and_rejects_deep_nesting() -> None:
    assert load_json('```json\n{"nodes": []}\n```') == {"nodes": []}
    with pytest.raises(ValueError):
        load_json("[" * 100_000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN is not JSON"),
        ("[Infinity]", "Infinity is not JSON"),
        ('{"a": [1, -Infinity]}', "-Infinity is not JSON"),
        ('```json\n{"a": NaN}\n```', "NaN is not JSON"),  # the fence is stripped first
        ('{"a": 1, "b": 2, "a": 3}', "the name 'a' appears twice"),
    ],
)
def test_load_json_is_strict_rfc_8259(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_json(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": "NaN"}', {"a": "NaN"}),  # a string is fine
        ('{"NaN": 1e3}', {"NaN": 1000.0}),
        ('{"a": {"a": 1}}', {"a": {"a": 1}}),  # one name per object: no repeat
        ('[{"a": 1}, {"a": 2}]', [{"a": 1}, {"a": 2}]),
    ],
)
def test_load_json_reads_what_is_json(text: str, expected: Any) -> None:
    assert load_json(text) == expected


def _literal_paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every number, string, bool and null inside a JSON value."""
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _literal_paths(v, (*path, k))]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _literal_paths(v, (*path, i))]
    return [path]


def _replaced(obj: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(obj) if isinstance(obj, dict) else list(obj)
    copy[path[0]] = _replaced(obj[path[0]], path[1:], new)
    return copy


def test_generated_nan_and_infinity_graphs_are_never_read() -> None:
    rng = random.Random(7493)
    variants = read = 0
    for graph in (
        API,
        {
            "nodes": [{"id": 1, "type": "A"}, {"id": 2, "type": "B"}],
            "edges": [{"source": 1, "target": 2, "port": "x"}],
        },
    ):
        assert load_json(json.dumps(graph)) == graph
        for path in _literal_paths(graph):
            for constant in (math.nan, math.inf, -math.inf):
                text = json.dumps(_replaced(graph, path, constant))  # writes NaN, Infinity
                if rng.random() < 0.5:
                    text = "```json\n" + text + "\n```"
                variants += 1
                with contextlib.suppress(ValueError):
                    load_json(text)
                    read += 1
    # API has 14 literals (3 class types, 1 + 3 + 7 inputs with link items), the canonical graph
    # 7 (2 ids, 2 types, source, target, port); each takes 3 constants: 63 texts.
    assert (variants, read) == (63, 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "nodes",
                    "edges",
                    "id",
                    "type",
                    "source",
                    "target",
                    "port",
                    "class_type",
                    "inputs",
                    "1",
                    "2",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_parse_graph_never_crashes_on_json(obj: Any) -> None:
    with contextlib.suppress(ValueError):  # a clear "wrong shape" is the expected outcome
        parse_graph(obj)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_load_and_parse_never_crash_on_text(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_graph(load_json(text))


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_round_trip_through_text(obj: Any) -> None:
    try:
        expected = parse_graph(obj)
    except ValueError:
        return
    assert parse_graph(load_json(json.dumps(obj))) == expected
