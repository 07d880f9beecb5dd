"""Strict parsing of a judge's answer: a final ``Score:`` line, or one JSON object.

A judge's answer that does not parse is never a 0 and never a pass: ``parse_verdict`` raises
``JudgeParseError`` with its ``kind``, and the program records it as a failure of the component on
that sample, with the judge's raw text in the message. The kinds:

- ``empty``: the judge said nothing;
- ``truncated``: the judge stopped at its token limit (``finish_reason: length``);
- ``no_verdict``: no final ``Score:`` line / no JSON object;
- ``ambiguous``: two ``Score:`` lines that disagree;
- ``malformed_json``: the JSON object does not load;
- ``schema``: the JSON does not match the schema (missing key, wrong type, wrong count);
- ``bad_value``: a value that is not a number / not yes or no;
- ``out_of_range``: a number outside the scale;
- ``no_span``: extraction first (``parse_span``): no ``Answer span:`` line / ``answer_span`` key
  (or one that is not a string or null);
- ``wrong_ids``: a group verdict (``parse_group``) whose ids are not exactly the responses' ids.

>>> parse_verdict("The answer matches.\\nScore: 1", n=1, lo=0, hi=1)
[1.0]
>>> parse_verdict('{"scores": [true, false]}', n=2, kind="yes_no", fmt="json")
[1.0, 0.0]
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from rewardkit.errors import JudgeParseError

VerdictFormat = Literal["score_line", "json"]
ValueKind = Literal["number", "yes_no"]
PARSE_FAILURES = (
    "empty",
    "truncated",
    "no_verdict",
    "ambiguous",
    "malformed_json",
    "schema",
    "bad_value",
    "out_of_range",
    "no_span",
    "wrong_ids",
)

_SCORE_LINE = re.compile(r"^\W*score\W*:\s*(.*?)\W*$", re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_SPAN_LINE = re.compile(r"^\W*answer span\W*:\s*(.*?)\s*$", re.IGNORECASE)
_QUOTED = re.compile(r'^"(.*)"$|^“(.*)”$', re.DOTALL)
_GROUP_LINE = re.compile(r"^\W*scores\W*:\s*(.*?)\W*$", re.IGNORECASE)
_YES = {"yes", "y", "true", "1", "pass", "correct"}
_NO = {"no", "n", "false", "0", "fail", "incorrect"}


def parse_verdict(
    text: str,
    *,
    n: int,
    fmt: VerdictFormat = "score_line",
    kind: ValueKind = "number",
    lo: float = 0.0,
    hi: float = 1.0,
    finish_reason: str | None = None,
) -> list[float]:
    """The ``n`` values of a judge's verdict (yes/no as 1.0/0.0), or JudgeParseError.

    ``score_line``: the last non-empty line is ``Score: v1, v2, ...``. ``json``: one object
    ``{"scores": [v1, v2, ...]}`` (``{"score": v}`` when n is 1), fenced or bare, at the end.
    """
    if not text.strip():
        raise JudgeParseError("empty", "the judge returned no text", text)
    if finish_reason == "length":
        raise JudgeParseError("truncated", "the judge hit its max_tokens before a verdict", text)
    items = _json_items(text, n) if fmt == "json" else _line_items(text)
    if len(items) != n:
        raise JudgeParseError("schema", f"expected {n} value(s), got {len(items)}", text)
    return [_value(item, kind, lo, hi, text) for item in items]


def _line_items(text: str) -> list[Any]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    verdicts = [m.group(1) for m in map(_SCORE_LINE.match, lines) if m]
    last = _SCORE_LINE.match(lines[-1])
    if last is None:
        raise JudgeParseError("no_verdict", "the last line is not 'Score: ...'", text)
    if len({v.strip().lower() for v in verdicts}) > 1:
        raise JudgeParseError("ambiguous", f"{len(verdicts)} different Score lines", text)
    return [item.strip() for item in last.group(1).split(",")]


def _json_items(text: str, n: int) -> list[Any]:
    obj = _json_object(text)
    if "scores" in obj and isinstance(obj["scores"], list):
        return list(obj["scores"])
    if n == 1 and "score" in obj:
        return [obj["score"]]
    want = '"scores": [...]' + (' or "score"' if n == 1 else "")
    raise JudgeParseError("schema", f"the JSON object has no {want}", text)


def _json_object(text: str) -> dict[str, Any]:
    fenced = _FENCE.findall(text)
    body = fenced[-1].strip() if fenced else text.strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise JudgeParseError("no_verdict", "no JSON object in the answer", text)
    try:
        obj = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise JudgeParseError("malformed_json", str(exc), text) from None
    if not isinstance(obj, dict):
        raise JudgeParseError("schema", "the JSON is not an object", text)
    return obj


def _value(item: Any, kind: ValueKind, lo: float, hi: float, text: str) -> float:
    if kind == "yes_no":
        word = str(item).strip().strip(".").lower()
        if isinstance(item, bool) or word in _YES | _NO:
            return 1.0 if (item is True or word in _YES) else 0.0
        raise JudgeParseError("bad_value", f"{item!r} is not yes or no", text)
    if isinstance(item, bool):
        raise JudgeParseError("bad_value", f"{item!r} is not a number", text)
    try:
        value = float(str(item).strip().rstrip("."))
    except ValueError:
        raise JudgeParseError("bad_value", f"{item!r} is not a number", text) from None
    if not lo <= value <= hi:
        raise JudgeParseError("out_of_range", f"{value:g} is outside [{lo:g}, {hi:g}]", text)
    return value


def parse_span(text: str, fmt: VerdictFormat = "score_line") -> str | None:
    """The answer span the judge quoted (None for ``none`` / ``null``), or JudgeParseError.

    ``score_line``: one line ``Answer span: "..."`` (or ``Answer span: none``) before the score;
    the span is the rest of that line, its double quotes (asked for) taken off when present.
    ``json``: the object's ``"answer_span"``, a string or null.

    >>> parse_span('Answer span: "84"\\nScore: 1'), parse_span('Answer span: none\\nScore: 0')
    ('84', None)
    """
    if fmt == "json":
        obj = _json_object(text)
        if "answer_span" not in obj:
            raise JudgeParseError("no_span", 'the JSON object has no "answer_span"', text)
        span = obj["answer_span"]
        if span is None or isinstance(span, str):
            return span
        raise JudgeParseError("no_span", f"answer_span {span!r} is not a string or null", text)
    spans = {m.group(1) for m in map(_SPAN_LINE.match, text.splitlines()) if m}
    if not spans:
        raise JudgeParseError("no_span", "no 'Answer span: \"...\"' line", text)
    if len(spans) > 1:
        raise JudgeParseError("ambiguous", f"{len(spans)} different Answer span lines", text)
    (raw,) = spans
    if raw.strip(".").lower() in ("none", "null"):
        return None
    quoted = _QUOTED.match(raw)
    if quoted is None:  # the line ends the span: quotes are asked for, not needed
        return raw
    return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)


def parse_group(
    text: str,
    ids: list[str],
    *,
    fmt: VerdictFormat = "score_line",
    hi: float = 10.0,
    finish_reason: str | None = None,
) -> dict[str, float]:
    """One score in [0, hi] per id of a group verdict, or JudgeParseError.

    ``score_line``: the last line is ``Scores: r1=7, r2=3`` (``:`` also accepted for ``=``).
    ``json``: ``{"scores": {"r1": 7, "r2": 3}}``. Every id exactly once, no other.

    >>> parse_group("r2 is better.\\nScores: r1=3, r2=9", ["r1", "r2"])
    {'r1': 3.0, 'r2': 9.0}
    """
    if not text.strip():
        raise JudgeParseError("empty", "the judge returned no text", text)
    if finish_reason == "length":
        raise JudgeParseError("truncated", "the judge hit its max_tokens before a verdict", text)
    pairs = _json_pairs(text) if fmt == "json" else _line_pairs(text)
    named = [k for k, _ in pairs]
    if sorted(named) != sorted(ids):
        missing, extra = set(ids) - set(named), set(named) - set(ids)
        dupes = {k for k in named if named.count(k) > 1}
        detail = f"missing {sorted(missing)}, unknown {sorted(extra)}, repeated {sorted(dupes)}"
        raise JudgeParseError("wrong_ids", f"expected one score for each of {ids}: {detail}", text)
    return {k: _value(v, "number", 0.0, hi, text) for k, v in pairs}


def _line_pairs(text: str) -> list[tuple[str, Any]]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = _GROUP_LINE.match(lines[-1])
    if last is None:
        raise JudgeParseError("no_verdict", "the last line is not 'Scores: ...'", text)
    pairs = []
    for item in last.group(1).split(","):
        key, sep, value = item.replace(":", "=").partition("=")
        if not sep:
            raise JudgeParseError("schema", f"{item.strip()!r} is not 'id=score'", text)
        pairs.append((key.strip(), value.strip()))
    return pairs


def _json_pairs(text: str) -> list[tuple[str, Any]]:
    scores = _json_object(text).get("scores")
    if not isinstance(scores, dict):
        raise JudgeParseError("schema", 'the JSON object has no "scores": {id: score}', text)
    return [(str(k), v) for k, v in scores.items()]
