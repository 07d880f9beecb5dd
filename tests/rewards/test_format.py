"""Golden cases for the format signals: regex, tags, json_valid, boxed."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import ConfigError
from rewardkit.registry import get
from rewardkit.rewards.format import strip_json_fence
from rewardkit.types import Sample, Score


def score(name: str, completion: str, **params: Any) -> float:
    """The value of component ``name`` on one completion, with params validated as in a config."""
    component = get(name)
    result = component.fn(
        Sample(id="t", group="g", prompt="", completion=completion),
        component.build_params(params),
    )
    return result.value if isinstance(result, Score) else float(result)


# ---------------------------------------------------------------- regex


@pytest.mark.parametrize(
    ("completion", "params", "expected"),
    [
        ("Answer: 42", {"pattern": r"Answer: \d+"}, 1.0),
        ("Answer: 42\n", {"pattern": r"Answer: \d+"}, 1.0),  # strip removes the newline
        ("Answer: 42\n", {"pattern": r"Answer: \d+", "strip": False}, 0.0),
        ("So. Answer: 42", {"pattern": r"Answer: \d+"}, 0.0),  # full mode: whole text
        ("So. Answer: 42", {"pattern": r"Answer: \d+", "mode": "search"}, 1.0),
        ("answer: 42", {"pattern": r"Answer: \d+"}, 0.0),
        ("answer: 42", {"pattern": r"Answer: \d+", "ignorecase": True}, 1.0),
        ("a\nb", {"pattern": "a.b"}, 0.0),  # '.' skips newlines without dotall
        ("a\nb", {"pattern": "a.b", "dotall": True}, 1.0),
        ("x\nDone", {"pattern": "^Done$", "mode": "search"}, 0.0),
        ("x\nDone", {"pattern": "^Done$", "mode": "search", "multiline": True}, 1.0),
        ("", {"pattern": ".*"}, 1.0),
    ],
)
def test_regex_golden(completion: str, params: dict[str, Any], expected: float) -> None:
    assert score("regex", completion, **params) == expected


@pytest.mark.parametrize(
    "params",
    [{"pattern": "(unclosed"}, {"pattern": "a", "mode": "match"}, {}, {"pattern": "a", "x": 1}],
)
def test_regex_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("regex").build_params(params)


# ---------------------------------------------------------------- tags

GOOD = "<think>2+2 is 4</think><answer>4</answer>"


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (GOOD, 1.0),
        ("\n <think>\nwork\n</think>\n\n<answer>\n4\n</answer>\n", 1.0),  # whitespace is fine
        ("<think></think><answer></answer>", 1.0),  # empty blocks still have the layout
        ("Sure! " + GOOD, 0.0),  # text before
        (GOOD + " Done.", 0.0),  # text after
        ("<think>a</think> so <answer>4</answer>", 0.0),  # text between
        ("<answer>4</answer><think>a</think>", 0.0),  # wrong order
        ("<think>a</think><answer>4</answer><answer>5</answer>", 0.0),  # answer twice
        ("<think>a<answer>4</answer></think>", 0.0),  # nested
        ("<THINK>a</THINK><answer>4</answer>", 0.0),  # tags are case-sensitive
        ("4", 0.0),
    ],
)
def test_tags_strict_golden(completion: str, expected: float) -> None:
    assert score("tags", completion) == expected


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (GOOD, 1.0),
        ("<think>a</think> 4 </answer>", 0.75),  # <answer> missing: 3 of 4 tags once
        ("Sure! " + GOOD + " Done.", 1.0),  # soft mode ignores text outside
        ("<answer>4</answer><think>a</think>", 1.0),  # and order
        ("<think>a</think><think>b</think><answer>4</answer>", 0.5),  # think tags twice: no credit
        ("<think>a", 0.25),
        ("plain text", 0.0),
    ],
)
def test_tags_soft_golden(completion: str, expected: float) -> None:
    assert score("tags", completion, mode="soft") == expected


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        # mode think is TRL 1.16's think_format_reward: the text starts with <think>, holds no
        # other <think>, and closes it; anything after the close is free.
        ("<think>\nreasoning\n</think>\nThe answer is 4.", 1.0),
        ("<think></think>", 1.0),  # a format signal: the empty layout earns it
        ("<think>a</think><answer>4</answer>", 1.0),
        ("<think>a</think>b</think>", 1.0),  # a second close is allowed
        (" <think>a</think>4", 0.0),  # nothing, not even whitespace, before <think>
        ("<think>a<think>b</think>", 0.0),  # a second <think>
        ("<think>a</think>4<think>", 0.0),
        ("<think>reasoning, never closed", 0.0),
        ("<THINK>a</THINK>", 0.0),
        ("", 0.0),
    ],
)
def test_tags_think_golden(completion: str, expected: float) -> None:
    assert score("tags", completion, mode="think") == expected


def test_tags_think_uses_the_custom_think_tag() -> None:
    assert score("tags", "<r>a</r> 4", mode="think", think_tag="r") == 1.0
    assert score("tags", "<think>a</think> 4", mode="think", think_tag="r") == 0.0


def test_tags_custom_names() -> None:
    text = "<reasoning>a</reasoning><final>4</final>"
    assert score("tags", text, think_tag="reasoning", answer_tag="final") == 1.0
    assert score("tags", text) == 0.0
    assert score("tags", "<r>a</r><final>4</final>", think_tag="r", answer_tag="final") == 1.0


def test_tags_soft_info_counts_every_tag() -> None:
    component = get("tags")
    sample = Sample(id="t", group="g", prompt="", completion="<think>a</think></think>")
    result = component.fn(sample, component.build_params({"mode": "soft"}))
    assert result.info["counts"] == {"<think>": 1, "</think>": 2, "<answer>": 0, "</answer>": 0}


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "loose"},
        {"think_tag": "<think>"},  # brackets are added by the component
        {"think_tag": ""},
        {"answer_tag": "my answer"},
        {"think_tag": "same", "answer_tag": "same"},
    ],
)
def test_tags_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("tags").build_params(params)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/thinkasw \n")) | st.characters(), max_size=80))
def test_tags_never_crash(text: str) -> None:
    assert score("tags", text) in (0.0, 1.0)
    assert 0.0 <= score("tags", text, mode="soft") <= 1.0
    assert score("tags", text, mode="think") in (0.0, 1.0)


# ---------------------------------------------------------------- json_valid

SCHEMA = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("completion", "params", "expected"),
    [
        ('{"a": 1}', {}, 1.0),
        ("[1, 2, 3]", {}, 1.0),
        ("42", {}, 1.0),  # any JSON value counts without a schema
        ('{"a": 1,}', {}, 0.0),  # trailing comma
        ("{'a': 1}", {}, 0.0),  # single quotes are not JSON
        ('```json\n{"a": 1}\n```', {}, 1.0),
        ('Here it is:\n```json\n{"a": 1}\n```\nDone.', {}, 1.0),  # the fenced block is read
        ('```python\n{"a": 1}\n```', {}, 0.0),  # a non-JSON fence stays
        ('<answer>{"a": 1}</answer>', {"extract": "answer_tag"}, 1.0),
        ("no tag", {"extract": "answer_tag"}, 0.0),
        ('{"a": 1}', {"schema": SCHEMA}, 1.0),
        ('{"a": "1"}', {"schema": SCHEMA}, 0.0),  # wrong type
        ('{"b": 1}', {"schema": SCHEMA}, 0.0),  # missing required key
        ("[" * 100_000, {}, 0.0),  # too deep for the parser: not JSON, no crash
        ("", {}, 0.0),
    ],
)
def test_json_valid_golden(completion: str, params: dict[str, Any], expected: float) -> None:
    assert score("json_valid", completion, **params) == expected


def test_json_valid_info_says_why() -> None:
    component = get("json_valid")
    p = component.build_params({"schema": SCHEMA})
    result = component.fn(Sample(id="t", group="g", prompt="", completion='{"b": 1}'), p)
    assert "'a' is a required property" in result.info["reason"]
    result = component.fn(Sample(id="t", group="g", prompt="", completion="{oops"), p)
    assert result.info["reason"].startswith("not JSON")


# A number in [0, 10]: NaN passes both bounds (every comparison with NaN is false), so before
# strict parsing '{"score": NaN}' was paid 1.0 against this schema.
SCORE_SCHEMA = {
    "type": "object",
    "required": ["score"],
    "properties": {"score": {"type": "number", "minimum": 0, "maximum": 10}},
}


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ('{"score": 7.5}', 1.0),
        ('{"score": NaN}', 0.0),  # not JSON (RFC 8259), though Python's json reads it
        ('{"score": Infinity}', 0.0),
        ('{"score": -Infinity}', 0.0),
        ('```json\n{"score": NaN}\n```', 0.0),  # a fence changes nothing
        ('{"score": 7, "score": 3}', 0.0),  # a repeated name: which is the answer?
        ('{"score": 7, "note": "NaN"}', 1.0),  # the string "NaN" is JSON
        ('{"score": 7, "note": {"score": 3}}', 1.0),  # one name per object: no repeat
    ],
)
def test_json_valid_is_strict_rfc_8259(completion: str, expected: float) -> None:
    assert score("json_valid", completion, schema=SCORE_SCHEMA) == expected


def test_json_valid_says_why_nan_is_refused() -> None:
    component = get("json_valid")
    sample = Sample(id="t", group="g", prompt="", completion="[1, NaN]")
    result = component.fn(sample, component.build_params({}))
    assert result.value == 0.0
    assert "NaN is not JSON" in result.info["reason"]
    assert "write a finite number, or null" in result.info["reason"]


NON_JSON_CONSTANTS = ["NaN", "Infinity", "-Infinity"]
# '<>' is the hole for one value; every document is valid JSON once the hole holds a number.
NON_JSON_DOCUMENTS = [
    "<>",
    "[<>]",
    '{"a": <>}',
    '{"a": [1, <>, 3]}',
    "[[[<>]]]",
    '{"a": 1, "b": <>, "c": "x"}',
    '{"NaN": <>}',  # a name "NaN" is a string: only the value is a hole
    "  <>  ",
    '```json\n{"a": <>}\n```',
    "Here:\n```json\n[<>]\n```",
]


def test_generated_non_json_constants_are_never_paid() -> None:
    rng = random.Random(8259)
    variants = paid = right = 0
    for doc in NON_JSON_DOCUMENTS:
        for constant in NON_JSON_CONSTANTS:
            for space in ("", " ", "\n", "\t"):
                bad = doc.replace("<>", space + constant + space)
                json.loads(strip_json_fence(bad))  # Python's own json reads every one of them
                variants += 1
                paid += score("json_valid", bad) != 0.0
        value = rng.choice(["1.5", "-2", "0", "null", '"NaN"', "1e3", "[]"])
        right += score("json_valid", doc.replace("<>", value)) == 1.0
    assert (variants, paid, right) == (120, 0, 10)


@pytest.mark.parametrize(
    "params",
    [
        {"schema": {"type": "objec"}},  # not a JSON Schema type
        {"schema": {"required": "a"}},  # required must be a list
        {"schema": "not a dict"},
        {"extract": "regex"},  # regex extraction needs a pattern
    ],
)
def test_json_valid_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("json_valid").build_params(params)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('```\n{"a": 1}\n```', '{"a": 1}'),
        ('```JSON {"a": 1}```', '{"a": 1}'),
        ("x ```json\n[1]\n``` y ```json\n[2]\n```", "[2]"),  # the last json block
        ("plain", "plain"),
    ],
)
def test_strip_json_fence(text: str, expected: str) -> None:
    assert strip_json_fence(text) == expected


# ---------------------------------------------------------------- boxed


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("so \\boxed{42}", 1.0),
        ("\\boxed{\\frac{1}{2}}", 1.0),  # nested braces
        ("\\fbox{7}", 1.0),
        ("\\boxed{}", 0.0),  # empty
        ("\\boxed{ }", 0.0),  # blank
        ("\\boxed{42", 0.0),  # unbalanced
        ("boxed{42}", 0.0),  # no backslash
        ("the answer is 42", 0.0),
        ("\\boxed{1} then \\boxed{}", 0.0),  # the last box is the answer, and it is empty
    ],
)
def test_boxed_golden(completion: str, expected: float) -> None:
    assert score("boxed", completion) == expected


def test_boxed_takes_no_params() -> None:
    with pytest.raises(ConfigError):
        get("boxed").build_params({"extract": "boxed"})
