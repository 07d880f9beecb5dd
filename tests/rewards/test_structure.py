"""Golden cases for the structure rewards: graph_f1 and json_match."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import Sample, Score


def run(name: str, completion: str, reference: Any, **params: Any) -> Score | None:
    """Component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def value(name: str, completion: str, reference: Any, **params: Any) -> float:
    result = run(name, completion, reference, **params)
    assert result is not None
    return result.value


def canonical(types: list[str], edges: list[tuple[int, int, str | None]]) -> dict[str, Any]:
    """A canonical graph with node ids 0..n-1."""
    return {
        "nodes": [{"id": i, "type": t} for i, t in enumerate(types)],
        "edges": [{"source": s, "target": t, "port": p} for s, t, p in edges],
    }


# Load -> Encode -> Sample -> Save, plus Load -> Sample: 4 nodes, 4 edges.
REF = canonical(
    ["Load", "Encode", "Sample", "Save"],
    [(0, 1, "clip"), (1, 2, "positive"), (0, 2, "model"), (2, 3, "images")],
)
# The same workflow in the ComfyUI API format, with other ids.
REF_API = {
    "10": {"class_type": "Load", "inputs": {"name": "x.ckpt"}},
    "11": {"class_type": "Encode", "inputs": {"clip": ["10", 1], "text": "a cat"}},
    "12": {"class_type": "Sample", "inputs": {"positive": ["11", 0], "model": ["10", 0]}},
    "13": {"class_type": "Save", "inputs": {"images": ["12", 0]}},
}
# Save missing: nodes 3 of 4 (F1 = 6/7), edges 3 of 4 (F1 = 6/7).
NO_SAVE = canonical(
    ["Load", "Encode", "Sample"], [(0, 1, "clip"), (1, 2, "positive"), (0, 2, "model")]
)


# ---------------------------------------------------------------- graph_f1


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        (json.dumps(REF), REF, {}, 1.0),
        (json.dumps(REF_API), REF, {}, 1.0),  # API format against canonical: same graph
        (json.dumps(REF), json.dumps(REF_API), {}, 1.0),  # a JSON-string reference
        (json.dumps(NO_SAVE), REF, {"level": "node"}, 6 / 7),  # 2 * 3 / (3 + 4)
        (json.dumps(NO_SAVE), REF, {"level": "edge"}, 6 / 7),
        (json.dumps(NO_SAVE), REF, {}, 6 / 7),
        (json.dumps(NO_SAVE), REF, {"level": "exact"}, 0.0),
        (json.dumps(REF_API), REF_API, {"level": "exact"}, 1.0),
        # right nodes, edges without ports: node F1 1, edge F1 0 -> mean 0.5
        (
            json.dumps(canonical(["Load", "Encode", "Sample", "Save"], [(0, 1, None)])),
            REF,
            {},
            0.5,
        ),
        # duplicate node types: {Load: 2} vs {Load: 1}: node F1 2 * 1 / 3; no edges on either
        (json.dumps(canonical(["Load", "Load"], [])), canonical(["Load"], []), {}, (2 / 3 + 1) / 2),
        (json.dumps({"nodes": [], "edges": []}), {"nodes": []}, {}, 1.0),  # empty vs empty
        (json.dumps({"nodes": []}), REF, {}, 0.0),
        ("```json\n" + json.dumps(REF) + "\n```", REF, {}, 1.0),  # fenced
        ("<answer>" + json.dumps(REF) + "</answer>", REF, {"extract": "answer_tag"}, 1.0),
        (json.dumps(REF), REF, {"extract": "answer_tag"}, 0.0),  # no tag: no answer
        ("{not json", REF, {}, 0.0),
        ("[1, 2]", REF, {}, 0.0),  # JSON, but not a graph
        (json.dumps({"nodes": [{"id": 1}]}), REF, {}, 0.0),  # a node without a type
    ],
)
def test_graph_f1_golden(
    completion: str, reference: Any, params: dict[str, Any], expected: float
) -> None:
    assert value("graph_f1", completion, reference, **params) == pytest.approx(expected)


def test_graph_f1_info_has_every_level() -> None:
    result = run("graph_f1", json.dumps(NO_SAVE), REF, level="node")
    assert result is not None
    assert result.info["node_f1"] == pytest.approx(6 / 7)
    assert result.info["edge_f1"] == pytest.approx(6 / 7)
    assert result.info["exact"] is False


def test_graph_f1_invalid_completion_says_why() -> None:
    result = run("graph_f1", "{oops", REF)
    assert result is not None and result.value == 0.0
    assert "invalid JSON" in result.info["reason"]


@pytest.mark.parametrize("reference", [None, "{not json", [1, 2], {"nodes": [{"id": 1}]}])
def test_graph_f1_malformed_reference_raises(reference: Any) -> None:
    with pytest.raises(UnjudgeableReference, match="reference"):
        run("graph_f1", json.dumps(REF), reference)


@pytest.mark.parametrize("params", [{"level": "graph"}, {"levels": "node"}])
def test_graph_f1_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("graph_f1").build_params(params)


# ---------------------------------------------------------------- json_match

REF_OBJ = {"name": "Ada", "age": 36, "address": {"city": "London", "zip": "N1"}}


@pytest.mark.parametrize(
    ("answer", "params", "expected"),
    [
        (REF_OBJ, {}, 1.0),
        ({**REF_OBJ, "extra": 1}, {}, 1.0),  # extra fields are not checked
        ({"name": "Ada", "age": 36}, {}, 0.5),  # 2 of 4 leaves (name, age, address.city, .zip)
        ({"name": "ada", "age": 36.0, "address": {"city": "LONDON", "zip": "N1"}}, {}, 0.5),
        (
            {"name": "ada", "age": 36.0, "address": {"city": "LONDON", "zip": "N1"}},
            {"case_insensitive": True},
            1.0,
        ),
        ({**REF_OBJ, "age": 37}, {}, 0.75),
        ({**REF_OBJ, "age": 37}, {"abs_tol": 1}, 1.0),
        ({**REF_OBJ, "age": 37}, {"rel_tol": 0.01}, 0.75),  # 1/37 is 2.7%
        ({**REF_OBJ, "age": "36"}, {}, 0.75),  # a string is not a number
        ({"name": "Ada"}, {"fields": ["name"]}, 1.0),
        ({"address": {"city": "London"}}, {"fields": ["address.city", "age"]}, 0.5),
        ({**REF_OBJ, "address": "London"}, {}, 0.5),  # an object where one was expected
        ([REF_OBJ], {}, 0.0),  # a list, not an object
    ],
)
def test_json_match_golden(answer: Any, params: dict[str, Any], expected: float) -> None:
    assert value("json_match", json.dumps(answer), REF_OBJ, **params) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ({"ok": True}, {"ok": True}, 1.0),
        ({"ok": 1}, {"ok": True}, 0.0),  # a bool is not a number
        ({"v": None}, {"v": None}, 1.0),
        ({}, {"v": None}, 0.0),  # missing is not null
        ({"v": [1, 2.0]}, {"v": [1, 2]}, 1.0),  # lists compared element-wise
        ({"v": [2, 1]}, {"v": [1, 2]}, 0.0),
        ({"v": {}}, {"v": {}}, 1.0),  # an empty object is a leaf
        ({"é": "ü"}, {"é": "ü"}, 1.0),
    ],
)
def test_json_match_value_kinds(answer: Any, reference: Any, expected: float) -> None:
    assert value("json_match", json.dumps(answer), reference) == expected


def test_json_match_unparseable_and_empty_reference() -> None:
    assert value("json_match", "not json", REF_OBJ) == 0.0
    assert value("json_match", '```json\n{"name": "Ada"}\n```', {"name": "Ada"}) == 1.0
    assert run("json_match", "{}", {}) is None  # nothing to check


@pytest.mark.parametrize("reference", [None, [1], "not json", '"a string"'])
def test_json_match_malformed_reference_raises(reference: Any) -> None:
    with pytest.raises(UnjudgeableReference, match="reference"):
        run("json_match", "{}", reference)


def test_json_match_field_missing_from_reference_raises() -> None:
    with pytest.raises(UnjudgeableReference, match="not in the reference"):
        run("json_match", "{}", REF_OBJ, fields=["address.country"])


# ---------------------------------------------------------------- tolerance


# |got - want| <= rel_tol * |want| + abs_tol, relative to the reference's want; edges included.
@pytest.mark.parametrize(
    ("got", "want", "rel_tol", "abs_tol", "expected"),
    [
        (150, 100, 0.5, 0, 1.0),  # 50 <= 0.5 * 100
        (200, 100, 0.5, 0, 0.0),  # 100 > 50 (math.isclose paid it: 100 <= 0.5 * 200)
        (50, 100, 0.5, 0, 1.0),  # 50 <= 50
        (49, 100, 0.5, 0, 0.0),  # 51 > 50
        (100, 200, 0.5, 0, 1.0),  # 100 <= 0.5 * 200: the bound follows the reference
        (110, 100, 0.1, 0, 1.0),  # 10 <= 10, at the edge
        (90, 100, 0.1, 0, 1.0),
        (111, 100, 0.1, 0, 0.0),  # 11 > 10 (math.isclose paid it: 11 <= 0.1 * 111)
        (89, 100, 0.1, 0, 0.0),
        (-110, -100, 0.1, 0, 1.0),  # |want| = 100
        (-111, -100, 0.1, 0, 0.0),
        (13, 10, 0.3, 0, 1.0),  # 3 <= 3/10 * 10 (the binary 0.3 is a little under 3/10)
        (0.0001, 0, 0.5, 0, 0.0),  # rel_tol * |0| = 0: no room around a zero reference
        (2.5, 2, 0, 0.5, 1.0),  # abs_tol alone: 0.5 <= 0.5
        (1.5, 2, 0, 0.5, 1.0),
        (2.51, 2, 0, 0.5, 0.0),
        (0.5, 0, 0, 0.5, 1.0),
        (1.1, 1.0, 0, 0.1, 1.0),  # 0.1 <= 0.1 as decimals (in floats 1.1 - 1.0 > 0.1)
        (1.2, 1.0, 0, 0.1, 0.0),
        (111, 100, 0.1, 1, 1.0),  # both added: 11 <= 10 + 1
        (112, 100, 0.1, 1, 0.0),  # 12 > 11
        (89, 100, 0.1, 1, 1.0),
        (88.9, 100, 0.1, 1, 0.0),  # 11.1 > 11
    ],
)
def test_json_match_tolerance_is_relative_to_the_reference(
    got: float, want: float, rel_tol: float, abs_tol: float, expected: float
) -> None:
    completion = json.dumps({"x": got})
    assert value("json_match", completion, {"x": want}, rel_tol=rel_tol, abs_tol=abs_tol) == (
        expected
    )


def test_generated_answers_just_outside_the_tolerance_are_never_paid() -> None:
    rng = random.Random(20250)
    wrong = paid = right = isclose_paid = 0
    for _ in range(400):
        want = Fraction(rng.randint(-100_000, 100_000), 100)  # -1000.00 .. 1000.00
        rel_tol = rng.choice(["0", "0.01", "0.05", "0.1", "0.3", "0.5", "1"])
        abs_tol = rng.choice(["0", "0", "0.5", "1", "2.25"])
        bound = Fraction(rel_tol) * abs(want) + Fraction(abs_tol)
        params = {"rel_tol": float(rel_tol), "abs_tol": float(abs_tol)}
        reference = {"x": float(want)}
        for sign in (1, -1):
            for got in (want + sign * bound, want + sign * bound / 2):  # the edge, and inside
                right += value("json_match", _number_json(got), reference, **params) == 1.0
            got = want + sign * (bound + Fraction(1, 100))  # one cent outside
            wrong += 1
            paid += value("json_match", _number_json(got), reference, **params) != 0.0
            isclose_paid += math.isclose(float(got), float(want), **params)
    assert (wrong, paid, right) == (800, 0, 1600)
    assert isclose_paid == 301  # the old rule (math.isclose) paid 301 of the 800


def _number_json(x: Fraction) -> str:
    """{"x": x} with x written exactly as a decimal (x has a power-of-ten denominator)."""
    return '{"x": ' + str(Decimal(x.numerator) / Decimal(x.denominator)) + "}"


# ---------------------------------------------------------------- strict JSON

NAN_LITERAL = {**REF_API, "13": {"class_type": "Save", "inputs": {"images": ["12", 0], "q": 0}}}


@pytest.mark.parametrize(
    ("name", "completion", "reference"),
    [
        # a literal input is ignored by graph_f1, so before strict JSON this was an exact match
        ("graph_f1", json.dumps(NAN_LITERAL).replace('"q": 0', '"q": NaN'), REF_API),
        ("graph_f1", json.dumps(REF_API).replace('"x.ckpt"', "Infinity"), REF_API),
        # an extra field is not checked by json_match, so before strict JSON this paid 1.0
        ("json_match", json.dumps({**REF_OBJ, "extra": 0}).replace("0}", "NaN}"), REF_OBJ),
        ("json_match", json.dumps(REF_OBJ).replace("36", "-Infinity"), REF_OBJ),
        ("json_match", '{"name": "Ada", "name": "Bob"}', {"name": "Ada"}),  # a repeated name
    ],
)
def test_non_json_completions_score_zero(name: str, completion: str, reference: Any) -> None:
    result = run(name, completion, reference)
    assert result is not None and result.value == 0.0
    assert "invalid JSON" in result.info["reason"]


def test_a_reference_with_nan_is_unjudgeable() -> None:
    with pytest.raises(UnjudgeableReference, match="NaN is not JSON"):
        run("json_match", '{"x": 1}', '{"x": NaN}')


@pytest.mark.parametrize(
    "params", [{"fields": []}, {"fields": [""]}, {"abs_tol": -1}, {"rel_tol": -0.1}, {"tol": 1}]
)
def test_json_match_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("json_match").build_params(params)
