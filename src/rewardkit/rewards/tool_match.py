"""Gold tool calls and one-to-one call matching: the reference shape and ``tool_call_match``.

**The reference** of a tool-call sample (``gold_calls``) is one of:

- a list of calls, each ``{"name": str, "arguments": {...}}`` (or ``"parameters"``; arguments may
  also be the JSON text of an object, as the OpenAI API writes them, or an OpenAI
  ``{"function": {...}}`` entry);
- ``{"tool_calls": [...], "response": ...}``: the calls, and optionally the final response to the
  user (any non-null value says the gold turn answers the user; ``toolrl``'s format reads it);
- ToolRL's ground-truth text: ``<tool_call>`` blocks holding one JSON call per line, and/or a
  ``<response>...</response>``.

``None`` means the sample has no gold calls: the matching components do not apply (None). An empty
list means "no call is expected". Anything else (a call without a name, arguments that are not an
object, a string with neither tag) raises ``UnjudgeableReference``: a data problem the program
counts, never a score.

**Argument values** are equal (``values_equal``) when they are the same JSON value, with numbers
compared by value (``1 == 1.0``), booleans never equal to numbers (``true != 1``), strings equal
after stripping surrounding whitespace (case-sensitive unless ``case_insensitive``), a numeric
string never equal to a number (``"1" != 1``: a wrong type, which ``tool_schema_valid`` reports),
objects by their keys and values and lists element by element in order.

**``tool_call_match``** pairs predicted and gold calls one to one: a pair counts when the names are
equal and the arguments are equal as above; the pairing that matches the most calls is found with
``scipy.optimize.linear_sum_assignment`` (or, with ``ordered``, the longest common subsequence, so
the matched calls keep the gold order). With ``m`` matched, ``g`` gold and ``p`` predicted calls:

- ``binary``: ``1`` when ``m == g == p`` (every gold call made, nothing else), else ``0``;
- ``f1``: ``2 m / (g + p)`` (``1`` when both are empty).

Two right calls with twenty junk calls score ``f1 = 4 / 24 = 0.167``, never 1.

>>> from rewardkit.types import Sample
>>> gold = [{"name": "add", "arguments": {"a": 2, "b": 3}}]
>>> done = '<tool_call>{"name": "add", "arguments": {"a": 2.0, "b": 3}}</tool_call>'
>>> tool_call_match(Sample("0", "g", "", done, gold), ToolCallMatchParams()).value
1.0
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import Params, reward
from rewardkit.trajectory import ToolCall, parse_tool_calls, tool_calls
from rewardkit.types import Sample, Score

_RESPONSE = re.compile(r"<response>.*?</response>", re.DOTALL)


@dataclass(frozen=True)
class Gold:
    """The gold of a tool-call sample: its calls, and whether the gold turn answers the user."""

    calls: tuple[ToolCall, ...]
    response: bool = False


def gold_calls(reference: Any, component: str) -> Gold | None:
    """The gold calls of a reference (see the module docstring), None when there is none.

    >>> gold_calls({"tool_calls": [{"name": "f", "parameters": {"x": 1}}]}, "t").calls[0].arguments
    {'x': 1}
    >>> gold_calls(None, "t") is None
    True
    """
    if reference is None:
        return None
    if isinstance(reference, str):
        return _gold_text(reference, component)
    response = False
    if isinstance(reference, Mapping):
        if "tool_calls" not in reference:
            raise _bad(component, "an object reference needs a 'tool_calls' list")
        response = reference.get("response") is not None
        reference = reference["tool_calls"]
    if not isinstance(reference, list):
        raise _bad(component, f"'tool_calls' must be a list, got {type(reference).__name__}")
    calls = [_gold_call(item, i, component) for i, item in enumerate(reference)]
    return Gold(tuple(calls), response)


def _gold_text(text: str, component: str) -> Gold:
    has_call, response = "<tool_call>" in text, bool(_RESPONSE.search(text))
    if not has_call and not response:
        raise _bad(component, "a string reference is ToolRL's <tool_call>/<response> text")
    calls = parse_tool_calls(text)
    for i, call in enumerate(calls):
        if not call.name or call.arguments is None:
            raise _bad(component, f"call {i} {call.raw[:80]!r} is not a JSON call with arguments")
    return Gold(tuple(calls), response)


def _gold_call(item: Any, i: int, component: str) -> ToolCall:
    fn = item.get("function", item) if isinstance(item, Mapping) else None
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise _bad(component, f"call {i} must be an object with a non-empty 'name'")
    args = fn.get("arguments", fn.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            raise _bad(component, f"call {i}: its arguments string is not JSON") from None
    if not isinstance(args, Mapping):
        raise _bad(component, f"call {i}: 'arguments' must be an object")
    return ToolCall(fn["name"], dict(args), 0, json.dumps(item, default=str))


def _bad(component: str, why: str) -> UnjudgeableReference:
    return UnjudgeableReference(
        f"{component}: unreadable tool-call reference: {why}; give a list of "
        '{"name", "arguments"} objects, {"tool_calls": [...]}, or ToolRL\'s <tool_call> text'
    )


def values_equal(a: Any, b: Any, case_insensitive: bool = False, strip: bool = True) -> bool:
    """Two argument values are the same JSON value (see the module docstring); ``strip=False``
    compares strings as written (``toolrl``'s exact values).

    >>> values_equal(1, 1.0), values_equal(True, 1), values_equal(" Paris", "Paris")
    (True, False, True)
    >>> values_equal({"x": [1, "a"]}, {"x": [1.0, "a "]}), values_equal("1", 1)
    (True, False)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, str) and isinstance(b, str):
        a, b = (a.strip(), b.strip()) if strip else (a, b)
        return a.casefold() == b.casefold() if case_insensitive else a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(
            values_equal(a[k], b[k], case_insensitive, strip) for k in a
        )
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            values_equal(x, y, case_insensitive, strip) for x, y in zip(a, b, strict=True)
        )
    return a is None and b is None


def calls_equal(pred: ToolCall, gold: ToolCall, case_insensitive: bool = False) -> bool:
    """Same tool name and equal arguments; a call whose arguments did not parse matches nothing."""
    return (
        pred.name == gold.name
        and pred.arguments is not None
        and values_equal(pred.arguments, gold.arguments, case_insensitive)
    )


def best_pairs(score: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one pairs (row, column) with the largest total ``score``, pairs scoring 0 left
    out (``linear_sum_assignment``).

    >>> best_pairs(np.array([[1.5, 1.5], [3.0, 2.0]]))
    [(0, 1), (1, 0)]
    """
    if score.size == 0:
        return []
    rows, cols = linear_sum_assignment(score, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if score[r, c] > 0]


def ordered_matches(equal: np.ndarray) -> int:
    """The most pairs matched in order (longest common subsequence over ``equal[gold, pred]``)."""
    g, p = equal.shape
    table = np.zeros((g + 1, p + 1), dtype=np.int64)
    for i in range(g):
        for j in range(p):
            best = table[i, j] + 1 if equal[i, j] else 0
            table[i + 1, j + 1] = max(best, table[i, j + 1], table[i + 1, j])
    return int(table[g, p])


class ToolCallMatchParams(Params):
    """Parameters of ``tool_call_match``.

    ``mode``: ``binary`` (every gold call made, none extra) or ``f1``; ``ordered``: matched calls
    must come in the gold order; ``case_insensitive``: string values compared without case.
    """

    mode: Literal["binary", "f1"] = "f1"
    ordered: bool = False
    case_insensitive: bool = False


@reward("tool_call_match", params=ToolCallMatchParams)
def tool_call_match(sample: Sample, p: ToolCallMatchParams) -> Score | None:
    """Predicted calls matched one to one with the gold calls (names and arguments): ``binary``
    or ``f1 = 2 m / (g + p)``; None when the reference has no gold calls.

    >>> gold = [{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": 1}}]
    >>> text = '<tool_call>{"name": "b", "arguments": {"x": 1}}</tool_call>'
    >>> tool_call_match(Sample("0", "g", "", text, gold), ToolCallMatchParams()).value  # 2*1/3
    0.6666666666666666
    """
    gold = gold_calls(sample.reference, "tool_call_match")
    if gold is None:
        return None
    pred = tool_calls(sample.messages, sample.completion)
    matched = count_matches(pred, gold.calls, p.ordered, p.case_insensitive)
    g, n = len(gold.calls), len(pred)
    if p.mode == "binary":
        value = float(matched == g == n)
    else:
        value = 1.0 if g + n == 0 else 2.0 * matched / (g + n)
    return Score(value, info={"matched": matched, "expected": g, "actual": n})


def count_matches(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], ordered: bool, case_insensitive: bool
) -> int:
    """How many predicted calls pair one to one with equal gold calls."""
    equal = np.array(
        [[calls_equal(c, want, case_insensitive) for c in pred] for want in gold], dtype=bool
    ).reshape(len(gold), len(pred))
    if ordered:
        return ordered_matches(equal)
    return len(best_pairs(equal.astype(np.float64)))


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """Multiset Jaccard similarity, 1.0 for two empty lists.

    >>> jaccard(["a", "a", "b"], ["a", "c"])  # 1 shared / (3 + 2 - 1)
    0.25
    """
    if sorted(a) == sorted(b):
        return 1.0
    left, right = {k: a.count(k) for k in a}, {k: b.count(k) for k in b}
    shared = sum(min(n, right.get(k, 0)) for k, n in left.items())
    return shared / (len(a) + len(b) - shared)


def toolrl_correctness(pred: Sequence[ToolCall], gold: Gold) -> tuple[float, dict[str, Any]]:
    """ToolRL's correctness in [-3, 3] (module docstring) and what it is made of."""
    if not gold.calls:
        return 0.0, {"reason": "no gold calls"}
    if any(not c.name or c.arguments is None for c in pred):
        return -3.0, {"reason": "a call is not a JSON call with arguments"}
    s_max = 1.0 + sum(1.0 + len(g.arguments or {}) for g in gold.calls)
    pair = np.zeros((len(gold.calls), len(pred)))
    for i, g in enumerate(gold.calls):
        for j, c in enumerate(pred):
            if c.name == g.name:
                pair[i, j] = _pair_score(c.arguments or {}, g.arguments or {})
    s = jaccard([c.name for c in pred], [g.name for g in gold.calls])
    for i, j in best_pairs(pair):
        s += float(pair[i, j])
    value = 3.0 if s >= s_max - 1e-12 else 6.0 * s / s_max - 3.0
    return value, {"S": s, "S_max": s_max}


def _pair_score(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> float:
    names = jaccard(list(gold), list(pred))
    values = sum(
        1.0 for k, v in gold.items() if k in pred and values_equal(pred[k], v, strip=False)
    )
    return names + values
