"""Structured-output rewards (the ComfyUI-R1 setting): graph F1 over workflows, JSON field match.

The completion's JSON is taken from the extracted answer, with a ```` ```json ```` fence stripped.
JSON that does not parse, or has the wrong shape, scores 0.0 (the model's fault) with the reason
in ``info``; a reference that is not a graph (``graph_f1``) or an object holding the asked fields
(``json_match``) raises ``UnjudgeableReference`` (a data problem the program counts).

>>> from rewardkit.types import Sample
>>> ref = {"nodes": [{"id": 1, "type": "Load"}, {"id": 2, "type": "Save"}],
...        "edges": [{"source": 1, "target": 2}]}
>>> out = '{"nodes": [{"id": "a", "type": "Load"}], "edges": []}'
>>> s = Sample(id="0", group="g", prompt="", completion=out, reference=ref)
>>> graph_f1(s, GraphF1Params()).value  # node F1 2/3, edge F1 0
0.3333333333333333
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.grammar import as_written
from rewardkit.rewards.grammar import within_tolerance as grammar_within
from rewardkit.rewards.graphs import Graph, load_json, multiset_f1, parse_graph
from rewardkit.types import Sample, Score

GraphLevel = Literal["node", "edge", "mean", "exact"]


class GraphF1Params(ExtractParams):
    """Parameters of ``graph_f1``: which level is the value (the others go to ``info``)."""

    level: GraphLevel = "mean"


class JsonMatchParams(ExtractParams):
    """Parameters of ``json_match``.

    ``fields`` restricts the check to these dotted paths (default: every leaf of the reference);
    a number ``got`` matches the reference's ``want`` when
    ``|got - want| <= rel_tol * |want| + abs_tol`` (``within_tolerance``: relative to the
    reference, not to the larger of the two); strings match exactly unless ``case_insensitive``.
    """

    fields: tuple[str, ...] | None = None
    abs_tol: float = Field(0.0, ge=0.0)
    rel_tol: float = Field(0.0, ge=0.0)
    case_insensitive: bool = False

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, fields: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if fields is not None and (not fields or any(not f for f in fields)):
            raise ValueError(
                "'fields' must list at least one non-empty dotted path, or be left out"
            )
        return fields


def _reference_json(reference: Any, component: str) -> Any:
    if isinstance(reference, str):
        try:
            return load_json(reference)
        except ValueError as exc:
            raise UnjudgeableReference(
                f"{component}: the reference string is not JSON ({exc}); give the reference as "
                "a JSON object or its JSON text"
            ) from None
    return reference


def _completion_json(sample: Sample, p: ExtractParams) -> tuple[Any, str | None]:
    """The completion's JSON value, or (None, reason) when there is none."""
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return None, "no answer to read JSON from"
    try:
        return load_json(answer), None
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"


def reference_graph(reference: Any) -> Graph:
    """The reference workflow graph; raises ``UnjudgeableReference`` saying why it is malformed.

    >>> reference_graph('{"nodes": []}').nodes
    Counter()
    """
    try:
        return parse_graph(_reference_json(reference, "graph_f1"))
    except ValueError as exc:
        raise UnjudgeableReference(
            f"graph_f1: malformed reference graph: {exc}; give {{'nodes': [...], 'edges': [...]}} "
            "or the ComfyUI API format"
        ) from None


@reward("graph_f1", params=GraphF1Params)
def graph_f1(sample: Sample, p: GraphF1Params) -> Score:
    """F1 of node types and typed edges against the reference workflow graph (mean by default).

    ``level``: ``node`` (node-type F1), ``edge`` (F1 of (source type, target type, port)),
    ``mean`` (their mean) or ``exact`` (1.0 when both multisets are equal).

    >>> ref = {"1": {"class_type": "A"}, "2": {"class_type": "B", "inputs": {"x": ["1", 0]}}}
    >>> out = '{"9": {"class_type": "B", "inputs": {"x": ["8", 0]}}, "8": {"class_type": "A"}}'
    >>> s = Sample(id="0", group="g", prompt="", completion=out, reference=ref)
    >>> graph_f1(s, GraphF1Params(level="exact")).value
    1.0
    """
    ref = reference_graph(sample.reference)
    obj, reason = _completion_json(sample, p)
    if reason is not None:
        return Score(0.0, info={"reason": reason})
    try:
        pred = parse_graph(obj)
    except ValueError as exc:
        return Score(0.0, info={"reason": f"not a graph: {exc}"})
    node_f1 = multiset_f1(pred.nodes, ref.nodes)
    edge_f1 = multiset_f1(pred.edges, ref.edges)
    exact = pred.nodes == ref.nodes and pred.edges == ref.edges
    values = {"node": node_f1, "edge": edge_f1, "mean": (node_f1 + edge_f1) / 2, "exact": exact}
    info = {
        "node_f1": node_f1,
        "edge_f1": edge_f1,
        "exact": exact,
        "num_nodes": sum(pred.nodes.values()),
        "num_edges": sum(pred.edges.values()),
    }
    return Score(float(values[p.level]), info=info)


def _leaves(obj: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the non-object values (and empty objects) inside a JSON object."""
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _leaves(value, path + ".")
        else:
            yield path


_MISSING = object()


def _lookup(obj: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def within_tolerance(got: float, want: float, rel_tol: float, abs_tol: float) -> bool:
    """``|got - want| <= rel_tol * |want| + abs_tol``, with ``want`` the reference's value.

    Computed exactly on the numbers as decimals (``Fraction(repr(x))``: 0.1 is 1/10), so a bound
    is met exactly at its edge and never by a rounding error. ``math.isclose`` measures the error
    relative to the larger value instead, which lets rel_tol 0.5 pay 200 for 100. A value that is
    not finite matches only an equal one (a NaN nothing).

    >>> [within_tolerance(x, 100, rel_tol=0.1, abs_tol=0) for x in (90, 110, 111)]
    [True, True, False]
    >>> within_tolerance(200, 100, rel_tol=0.5, abs_tol=0)  # 100 > 0.5 * 100
    False
    >>> within_tolerance(13, 10, rel_tol=0.3, abs_tol=0)  # 3 <= 0.3 * 10, at the edge
    True
    """
    if not all(isinstance(x, int) or math.isfinite(x) for x in (got, want)):
        return got == want
    return grammar_within(as_written(got), as_written(want), rel_tol, abs_tol)


def values_match(got: Any, want: Any, p: JsonMatchParams) -> bool:
    """Whether two JSON values are equal under ``p``'s tolerances (recursing into lists/objects).

    >>> values_match(1.05, 1, JsonMatchParams(abs_tol=0.1))
    True
    >>> values_match(200, 100, JsonMatchParams(rel_tol=0.5))  # relative to the reference's 100
    False
    >>> values_match(True, 1, JsonMatchParams())  # a bool is not a number here
    False
    """
    if _number(got) and _number(want):
        return within_tolerance(got, want, p.rel_tol, p.abs_tol)
    if isinstance(got, str) and isinstance(want, str) and p.case_insensitive:
        return got.casefold() == want.casefold()
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(values_match(got[k], want[k], p) for k in want)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(
            values_match(a, b, p) for a, b in zip(got, want, strict=True)
        )
    return type(got) is type(want) and bool(got == want)


@reward("json_match", params=JsonMatchParams)
def json_match(sample: Sample, p: JsonMatchParams) -> Score | None:
    """Fraction of the reference object's fields (dotted paths) that the completion's JSON matches.

    An empty reference object has nothing to check: None (does not apply; a property of the
    task, the same for every completion). A reference that is not an object, or lacks a field
    of ``fields``, raises ``UnjudgeableReference``.

    >>> s = Sample(id="0", group="g", prompt="", completion='{"a": {"b": 2}, "c": "X"}',
    ...            reference={"a": {"b": 2}, "c": "x"})
    >>> json_match(s, JsonMatchParams(case_insensitive=True)).value
    1.0
    """
    ref = _reference_json(sample.reference, "json_match")
    if not isinstance(ref, dict):
        raise UnjudgeableReference(
            f"json_match: the reference must be a JSON object, got {type(ref).__name__}"
        )
    paths = list(p.fields) if p.fields is not None else list(_leaves(ref))
    unknown = [path for path in paths if _lookup(ref, path) is _MISSING]
    if unknown:
        raise UnjudgeableReference(
            f"json_match: fields {unknown} are not in the reference object; give a reference "
            "that has them, or leave 'fields' out to check every field"
        )
    if not paths:
        return None
    obj, reason = _completion_json(sample, p)
    if reason is None and not isinstance(obj, dict):
        reason = f"the answer is a JSON {type(obj).__name__}, not an object"
    if reason is not None:
        return Score(0.0, info={"reason": reason})
    wrong = [path for path in paths if not _match_path(obj, ref, path, p)]
    return Score((len(paths) - len(wrong)) / len(paths), info={"mismatched": wrong})


def _match_path(obj: dict[str, Any], ref: dict[str, Any], path: str, p: JsonMatchParams) -> bool:
    got = _lookup(obj, path)
    return got is not _MISSING and values_match(got, _lookup(ref, path), p)
