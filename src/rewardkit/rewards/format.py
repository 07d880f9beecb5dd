"""Format signals: does the completion have the shape the task asks for?

- ``regex``: the completion matches a pattern;
- ``tags``: the R1 ``<think>...</think><answer>...</answer>`` layout (strict or per-tag credit), or
  TRL's ``think_format_reward`` rule (``mode: think``);
- ``json_valid``: the answer parses as strict JSON (RFC 8259; ``load_json``) and validates
  against a JSON Schema when given;
- ``boxed``: a non-empty ``\\boxed{...}`` answer is present.

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="<think>a</think><answer>4</answer>")
>>> tags(s, TagsParams()).value
1.0
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Literal, NoReturn

from jsonschema import SchemaError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from pydantic import Field, field_validator, model_validator

from rewardkit.registry import Params, reward
from rewardkit.rewards.extract import ExtractParams, extract_answer, last_boxed
from rewardkit.types import Sample, Score


class RegexParams(Params):
    """Parameters of ``regex``: the pattern, how it must match, and its flags."""

    pattern: str
    mode: Literal["full", "search"] = "full"
    ignorecase: bool = False
    dotall: bool = False
    multiline: bool = False
    strip: bool = True
    """Remove whitespace around the completion first (models often end with a newline)."""

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from None
        return pattern

    def compiled(self) -> re.Pattern[str]:
        """The pattern compiled with the chosen flags (``re`` caches compiled patterns)."""
        flags = re.RegexFlag(0)
        if self.ignorecase:
            flags |= re.IGNORECASE
        if self.dotall:
            flags |= re.DOTALL
        if self.multiline:
            flags |= re.MULTILINE
        return re.compile(self.pattern, flags)


@reward("regex", params=RegexParams)
def regex(sample: Sample, p: RegexParams) -> float:
    """1.0 when the completion matches ``pattern`` (mode full or search), else 0.0.

    >>> s = Sample(id="0", group="g", prompt="", completion="Answer: 42\\n")
    >>> regex(s, RegexParams(pattern=r"Answer: \\d+"))
    1.0
    """
    text = sample.completion.strip() if p.strip else sample.completion
    compiled = p.compiled()
    found = compiled.fullmatch(text) if p.mode == "full" else compiled.search(text)
    return 1.0 if found else 0.0


_TAG_NAME = re.compile(r"[A-Za-z][\w.-]*")


class TagsParams(Params):
    """Parameters of ``tags``: which rule (``mode``), and the two tag names.

    ``strict``: the whole think/answer layout; ``soft``: 1/4 per tag; ``think``: TRL's
    ``think_format_reward`` (the answer tag is not used).
    """

    mode: Literal["strict", "soft", "think"] = "strict"
    think_tag: str = "think"
    answer_tag: str = "answer"

    @model_validator(mode="after")
    def _check_tags(self) -> TagsParams:
        for tag in (self.think_tag, self.answer_tag):
            if not _TAG_NAME.fullmatch(tag):
                raise ValueError(
                    f"tag name {tag!r} is not valid: give a bare name such as 'think' "
                    "(a letter, then letters, digits, '_', '-' or '.'), without angle brackets"
                )
        if self.think_tag == self.answer_tag:
            raise ValueError(f"think_tag and answer_tag are both {self.think_tag!r}; give two tags")
        return self

    def markers(self) -> tuple[str, str, str, str]:
        """The four literal tags, in layout order."""
        t, a = self.think_tag, self.answer_tag
        return f"<{t}>", f"</{t}>", f"<{a}>", f"</{a}>"


@reward("tags", params=TagsParams)
def tags(sample: Sample, p: TagsParams) -> Score:
    """The R1 think/answer layout: strict (1 or 0) or soft (1/4 per tag present exactly once);
    or mode ``think``, TRL 1.16's ``think_format_reward``.

    Tags are matched case-sensitively. Strict mode allows whitespace between and around the two
    blocks and nothing else outside them; each tag must appear exactly once. Think mode gives 1.0
    when the completion starts with ``<think>`` (no whitespace before it), holds no other
    ``<think>``, and closes it; anything may follow, so it pays the format alone (an empty
    ``<think></think>`` scores 1.0): pair it with an answer component.

    >>> s = Sample(id="0", group="g", prompt="", completion="<think>x</think> 4 </answer>")
    >>> tags(s, TagsParams(mode="soft")).value  # <answer> is missing: 3 of 4 tags
    0.75
    >>> tags(s, TagsParams(mode="think")).value
    1.0
    """
    markers = p.markers()
    counts = {m: sample.completion.count(m) for m in markers}
    info: dict[str, Any] = {"counts": counts}
    if p.mode == "soft":
        return Score(sum(0.25 for c in counts.values() if c == 1), info=info)
    if p.mode == "think":
        return _think_only(sample.completion, markers[0], markers[1], info)
    if any(c != 1 for c in counts.values()):
        return Score(0.0, info={**info, "reason": "each tag must appear exactly once"})
    # Every tag occurs once, so the non-greedy groups cannot swallow another tag.
    open_t, close_t, open_a, close_a = (re.escape(m) for m in markers)
    layout = rf"\s*{open_t}.*?{close_t}\s*{open_a}.*?{close_a}\s*"
    if re.fullmatch(layout, sample.completion, re.DOTALL):
        return Score(1.0, info=info)
    reason = "text outside the think/answer blocks, or blocks in the wrong order"
    return Score(0.0, info={**info, "reason": reason})


def _think_only(text: str, open_t: str, close_t: str, info: dict[str, Any]) -> Score:
    # A closing tag cannot overlap the opening one at the start, so counting finds it after it.
    if not text.startswith(open_t):
        return Score(0.0, info={**info, "reason": f"the completion does not start with {open_t}"})
    if info["counts"][open_t] != 1:
        return Score(0.0, info={**info, "reason": f"{open_t} appears more than once"})
    if info["counts"][close_t] == 0:
        return Score(0.0, info={**info, "reason": f"{open_t} is never closed by {close_t}"})
    return Score(1.0, info=info)


class JsonValidParams(ExtractParams):
    """Parameters of ``json_valid``: which part is the JSON, and an optional JSON Schema."""

    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _check_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                validator_for(schema).check_schema(schema)
            except SchemaError as exc:
                raise ValueError(f"schema is not a valid JSON Schema: {exc.message}") from None
        return schema


# The content of a fence may not contain another fence, so two blocks are never read as one.
_WHOLE_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n?((?:(?!```).)*)```", re.DOTALL | re.I)
_JSON_FENCE = re.compile(r"```[ \t]*json[ \t]*\n(.*?)```", re.DOTALL | re.I)


def strip_json_fence(text: str) -> str:
    """The JSON inside a Markdown code fence: the whole text if it is one fence, else the last
    ```json block, else the text unchanged.

    >>> strip_json_fence('```json\\n{"a": 1}\\n```')
    '{"a": 1}'
    """
    whole = _WHOLE_FENCE.fullmatch(text.strip())
    if whole:
        return whole.group(1).strip()
    blocks = _JSON_FENCE.findall(text)
    return blocks[-1].strip() if blocks else text


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(
        f"{name} is not JSON: RFC 8259 has no NaN or Infinity (Python's json reads them); "
        "write a finite number, or null"
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        twice = next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        raise ValueError(
            f"the name {twice!r} appears twice in one object: readers disagree on which value "
            "counts (RFC 8259 section 4), so give each name once"
        )
    return obj


def load_json(text: str) -> Any:
    """The strict JSON (RFC 8259) in ``text``, a code fence stripped first; ValueError if none.

    Python's ``json`` also reads ``NaN``, ``Infinity`` and ``-Infinity``, and keeps the last of
    two equal names in an object; a model's answer gets neither: a NaN compares unequal to
    everything and a repeated name is a second answer. Too deep a nesting is a ValueError too.

    >>> load_json("```json\\n[1, 2]\\n```")
    [1, 2]
    >>> load_json('{"a": NaN}')
    Traceback (most recent call last):
    ...
    ValueError: NaN is not JSON: RFC 8259 has no NaN or Infinity (Python's json reads them); ...
    """
    try:
        return json.loads(
            strip_json_fence(text), parse_constant=_refuse_constant, object_pairs_hook=_object
        )
    except RecursionError:
        raise ValueError("JSON is nested too deeply to read") from None


@reward("json_valid", params=JsonValidParams)
def json_valid(sample: Sample, p: JsonValidParams) -> Score:
    """1.0 when the answer is strict JSON (``load_json``), valid against ``schema`` if given.

    >>> s = Sample(id="0", group="g", prompt="", completion='```json\\n{"a": 1}\\n```')
    >>> json_valid(s, JsonValidParams(schema={"required": ["a"]})).value
    1.0
    """
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info={"reason": f"no answer found (extract: {p.extract})"})
    try:
        value = load_json(answer)
    except ValueError as exc:
        return Score(0.0, info={"reason": f"not JSON: {exc}"})
    if p.json_schema is not None:
        validator = validator_for(p.json_schema)(p.json_schema)
        error = best_match(validator.iter_errors(value))
        if error is not None:
            where = "/".join(map(str, error.absolute_path)) or "(root)"
            return Score(0.0, info={"reason": f"schema: {error.message} at {where}"})
    return Score(1.0)


@reward("boxed", params=Params)
def boxed(sample: Sample, p: Params) -> Score:
    """1.0 when the completion ends its work with a non-empty ``\\boxed{...}`` answer, else 0.0.

    The last ``\\boxed{...}`` (or ``\\fbox{...}``) counts; unbalanced braces count as absent.

    >>> boxed(Sample(id="0", group="g", prompt="", completion="so \\\\boxed{7}"), Params()).value
    1.0
    """
    del p
    content = last_boxed(sample.completion)
    if content is None:
        return Score(0.0, info={"reason": "no complete \\boxed{...}"})
    if not content:
        return Score(0.0, info={"reason": "\\boxed{} is empty"})
    return Score(1.0, info={"answer": content})
