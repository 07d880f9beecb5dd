"""Tool-call rewards: toolrl, tool_call_match, tool_schema_valid, tool_use (worked by hand)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import Sample, Score


def block(*calls: dict[str, Any]) -> str:
    """ToolRL's layout: one block, one JSON call per line."""
    return "<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>"


def toolrl_text(*calls: dict[str, Any], response: str | None = None) -> str:
    tail = f"\n<response>{response}</response>" if response is not None else ""
    return "<think>plan</think>\n" + block(*calls) + tail


def c(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "arguments": args}


SEARCH = c("search", q="paris", n=3)
WEATHER = c("weather", city="Oslo", unit="C")
TOOLS = (
    {"type": "function", "function": {"name": "search", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["q"]}}},
    {"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"},
                                         "unit": {"enum": ["C", "F"]}}, "required": ["city"]}},
)  # fmt: skip


def score(
    name: str, completion: str, reference: Any = None, tools: Any = None, **params: Any
) -> Score | None:
    component = get(name)
    sample = Sample("t", "g", "", completion, reference, tools=tools)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def value(name: str, completion: str, reference: Any = None, **kw: Any) -> float:
    result = score(name, completion, reference, **kw)
    assert result is not None
    return result.value


def trajectory(*turns: dict[str, Any], reference: Any = None, tools: Any = None) -> Sample:
    messages = [{"role": "user", "content": "go"}]
    for turn in turns:
        messages.append(turn)
        if turn.get("tool_calls"):
            messages.append({"role": "tool", "content": "ok"})
    return Sample.from_trajectory(messages, reference=reference, tools=tools)


def assistant(content: str, *calls: dict[str, Any]) -> dict[str, Any]:
    structured = [{"type": "function", "function": {"name": x["name"], "arguments": json.dumps(x["arguments"])}}
                  for x in calls]  # fmt: skip
    return {
        "role": "assistant",
        "content": content,
        **({"tool_calls": structured} if calls else {}),
    }


# --- toolrl -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "gold", "expected"),
    [
        # exact: format 1 + correctness 3
        ([SEARCH], [SEARCH], 4.0),
        # n wrong: S = J(names) 1 + (J(params) 1 + 1 value) = 3; S_max = 1 + (1 + 2) = 4;
        # 6 * 3/4 - 3 = 1.5; + format 1
        ([c("search", q="paris", n=5)], [SEARCH], 2.5),
        # n missing: S = 1 + (1/2 + 1) = 2.5; 6 * 2.5/4 - 3 = 0.75; + 1
        ([c("search", q="paris")], [SEARCH], 1.75),
        # one junk call more: S = J({search, weather}, {search}) 1/2 + 3 = 3.5; 6 * 3.5/4 - 3 = 2.25
        ([SEARCH, WEATHER], [SEARCH], 3.25),
        # one of two gold: S = 1/2 + 3 = 3.5; S_max = 1 + 3 + 3 = 7; 6 * 3.5/7 - 3 = 0; + 1
        ([SEARCH], [SEARCH, WEATHER], 1.0),
        # reordered: S = S_max: 3; + 1
        ([WEATHER, SEARCH], [SEARCH, WEATHER], 4.0),
        # wrong tool: S = 0: -3; + 1
        ([WEATHER], [SEARCH], -2.0),
        # name only, empty arguments: S = 1 + (0 + 0) = 1; 6 * 1/4 - 3 = -1.5; + 1
        ([c("search")], [SEARCH], -0.5),
        # "3" is not 3: like n wrong, 2.5
        ([c("search", q="paris", n="3")], [SEARCH], 2.5),
        # 3.0 is 3: exact, 4
        ([c("search", q="paris", n=3.0)], [SEARCH], 4.0),
    ],
)
def test_toolrl_golden(
    calls: list[dict[str, Any]], gold: list[dict[str, Any]], expected: float
) -> None:
    assert value("toolrl", toolrl_text(*calls), gold) == pytest.approx(expected)


def test_toolrl_best_pairing() -> None:
    # gold f(a=1), f(a=1, b=2); calls f(a=1, b=2), f(a=1, b=9). Pair scores: (g1, p1) 1/2 + 1,
    # (g1, p2) 1/2 + 1, (g2, p1) 1 + 2, (g2, p2) 1 + 1. Best pairing (g1, p2) + (g2, p1):
    # S = 1 + 1.5 + 3 = 5.5; S_max = 1 + 2 + 3 = 6; 6 * 5.5/6 - 3 = 2.5
    gold = [c("f", a=1), c("f", a=1, b=2)]
    result = score("toolrl", toolrl_text(c("f", a=1, b=2), c("f", a=1, b=9)), gold)
    assert result is not None and result.info["S"] == 5.5 and result.value == pytest.approx(3.5)


@pytest.mark.parametrize(
    ("text", "reference", "fmt", "correct"),
    [
        ("<think>x</think>\n<tool_call>\nnot json\n</tool_call>", [SEARCH], 1.0, -3.0),
        ("<think>x</think>", [SEARCH], 0.0, -3.0),  # no call at all: S = 0
        (block(SEARCH), [SEARCH], 0.0, 3.0),  # no <think>
        (toolrl_text(SEARCH) + " done", [SEARCH], 0.0, 3.0),  # text after the block
        (
            toolrl_text(SEARCH) + "\n" + block(SEARCH),
            [SEARCH],
            0.0,
            2.25,
        ),  # two blocks: S = 1/2 + 3; 6 * 3.5/4 - 3
        (toolrl_text(SEARCH, response="hi"), {"tool_calls": [SEARCH], "response": "hi"}, 1.0, 3.0),
        (toolrl_text(SEARCH), {"tool_calls": [SEARCH], "response": "hi"}, 0.0, 3.0),
        (
            "<think>x</think>\n<response>hi</response>",
            {"tool_calls": [], "response": "hi"},
            1.0,
            0.0,
        ),
        (toolrl_text(SEARCH), "<tool_call>\n" + json.dumps(SEARCH) + "\n</tool_call>", 1.0, 3.0),
    ],
)
def test_toolrl_format_and_failures(text: str, reference: Any, fmt: float, correct: float) -> None:
    result = score("toolrl", text, reference)
    assert result is not None
    assert (result.info["format"], result.info["correctness"]) == (fmt, pytest.approx(correct))
    assert result.value == pytest.approx(fmt + correct)


def test_toolrl_trajectory_turns() -> None:
    sample = trajectory(
        assistant("<think>find it</think>", SEARCH),
        assistant("<think>weather too</think>", WEATHER),
        assistant("no think\n<response>Sunny</response>"),
        reference=[SEARCH, WEATHER],
    )
    result = get("toolrl").fn(sample, get("toolrl").build_params({}))
    # turns: calls with think 1, calls with think 1, response without think 0: format 0; exact 3
    assert result.steps == (1.0, 1.0, 0.0)
    assert (result.info["format"], result.value) == (0.0, 3.0)


def test_toolrl_not_applicable_and_unjudgeable() -> None:
    assert score("toolrl", toolrl_text(SEARCH), None) is None
    for bad in ([{"arguments": {}}], {"calls": []}, "just text", [{"name": "f", "arguments": [1]}],
                [{"name": "f", "arguments": "{oops"}], "<tool_call>\nnot json\n</tool_call>", 7):  # fmt: skip
        with pytest.raises(UnjudgeableReference, match="unreadable tool-call reference"):
            score("toolrl", toolrl_text(SEARCH), bad)


calls_st = st.lists(
    st.builds(
        lambda name, args: {"name": name, "arguments": args},
        st.sampled_from(["a", "b", "c"]),
        st.dictionaries(
            st.sampled_from(["x", "y", "z"]),
            st.integers(0, 3) | st.sampled_from(["u", "v"]),
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=4,
)


@given(calls_st)
@settings(max_examples=60, deadline=None)
def test_toolrl_exact_gold_always_scores_three(gold: list[dict[str, Any]]) -> None:
    result = score("toolrl", toolrl_text(*gold), gold)
    assert result is not None and (result.info["format"], result.info["correctness"]) == (1.0, 3.0)


@given(calls_st, calls_st)
@settings(max_examples=60, deadline=None)
def test_toolrl_correctness_in_range(
    gold: list[dict[str, Any]], calls: list[dict[str, Any]]
) -> None:
    result = score("toolrl", toolrl_text(*calls), gold)
    assert result is not None and -3.0 <= result.info["correctness"] <= 3.0


# --- tool_call_match ----------------------------------------------------------------------------


def test_two_right_calls_and_twenty_junk_do_not_score_one() -> None:
    junk = [c(f"junk{i}", k=i) for i in range(20)]
    text = toolrl_text(SEARCH, WEATHER, *junk)
    # f1 = 2 * 2 / (2 + 22) = 1/6; binary: extra calls, 0
    assert value("tool_call_match", text, [SEARCH, WEATHER]) == pytest.approx(1 / 6)
    assert value("tool_call_match", text, [SEARCH, WEATHER], mode="binary") == 0.0


@pytest.mark.parametrize(
    ("calls", "gold", "params", "expected"),
    [
        ([SEARCH], [SEARCH], {}, 1.0),
        ([c("search", q=" paris ", n=3.0)], [SEARCH], {}, 1.0),  # stripped, 3.0 == 3
        ([c("search", q="Paris", n=3)], [SEARCH], {}, 0.0),  # case counts by default
        ([c("search", q="Paris", n=3)], [SEARCH], {"case_insensitive": True}, 1.0),
        ([c("search", q="paris", n="3")], [SEARCH], {}, 0.0),  # "3" is a string
        ([c("f", on=True)], [c("f", on=1)], {}, 0.0),  # true is not 1
        ([c("f", o={"a": [1, {"b": 2}]})], [c("f", o={"a": [1.0, {"b": 2}]})], {}, 1.0),
        ([c("f", o={"a": [{"b": 2}, 1]})], [c("f", o={"a": [1, {"b": 2}]})], {}, 0.0),  # list order
        ([c("search")], [SEARCH], {}, 0.0),  # the gold name with empty arguments
        ([SEARCH, SEARCH], [SEARCH], {}, 2 / 3),  # a repeat: 2 * 1 / (1 + 2)
        ([WEATHER, SEARCH], [SEARCH, WEATHER], {}, 1.0),
        ([WEATHER, SEARCH], [SEARCH, WEATHER], {"ordered": True}, 0.5),  # LCS 1: 2 * 1 / 4
        ([WEATHER, SEARCH], [SEARCH, WEATHER], {"ordered": True, "mode": "binary"}, 0.0),
        ([SEARCH, WEATHER], [SEARCH, WEATHER], {"ordered": True, "mode": "binary"}, 1.0),
        ([], [], {}, 1.0),  # nothing expected, nothing made
        ([SEARCH], [], {}, 0.0),
    ],
)
def test_tool_call_match_cases(
    calls: list[dict[str, Any]], gold: list[dict[str, Any]], params: dict[str, Any], expected: float
) -> None:
    text = toolrl_text(*calls) if calls else "<think>x</think>"
    assert value("tool_call_match", text, gold, **params) == pytest.approx(expected)


def test_tool_call_match_reads_messages_and_non_json_blocks() -> None:
    sample = trajectory(
        assistant("", SEARCH), assistant("<answer>done</answer>"), reference=[SEARCH]
    )
    result = get("tool_call_match").fn(
        sample, get("tool_call_match").build_params({"mode": "binary"})
    )
    assert result.value == 1.0
    assert value("tool_call_match", "<tool_call>oops</tool_call>", [SEARCH]) == 0.0
    assert score("tool_call_match", toolrl_text(SEARCH), None) is None


@given(calls_st, calls_st, st.sampled_from(["junk", "a"]))
@settings(max_examples=80, deadline=None)
def test_an_unmatched_call_never_raises_f1(gold: list[Any], calls: list[Any], name: str) -> None:
    extra = {"name": name, "arguments": {"never": "in gold"}}
    before = value("tool_call_match", toolrl_text(*calls), gold)
    after = value("tool_call_match", toolrl_text(*calls, extra), gold)
    assert after <= before


# --- tool_schema_valid --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "params", "expected", "violation"),
    [
        ([SEARCH, WEATHER], {}, 1.0, None),
        ([c("search", q="paris", n="3")], {}, 0.0, "search: n: '3' is not of type 'integer'"),
        ([c("search", q="paris", n=True)], {}, 0.0, "search: n: True is not of type 'integer'"),
        ([c("search", n=3)], {}, 0.0, "search: (arguments): 'q' is a required property"),
        (
            [c("weather", city="Oslo", unit="K")],
            {},
            0.0,
            "weather: unit: 'K' is not one of ['C', 'F']",
        ),
        ([c("search", q="x", debug=1)], {}, 0.0, "search: (arguments): Additional properties"),
        ([c("search", q="x", debug=1)], {"extra_arguments": "allow"}, 1.0, None),
        ([c("delete_all")], {}, 0.0, "'delete_all' is not an offered tool"),
        ([SEARCH, c("search", q=1)], {"mode": "fraction"}, 0.5, "search: q: 1 is not of type"),
        ([], {}, 1.0, None),
    ],
)
def test_tool_schema_valid(
    calls: list[Any], params: dict[str, Any], expected: float, violation: str | None
) -> None:
    text = toolrl_text(*calls) if calls else "<think>x</think>"
    result = score("tool_schema_valid", text, tools=TOOLS, **params)
    assert result is not None and result.value == expected
    if violation is None:
        assert "violation" not in result.info
    else:
        assert result.info["violation"].startswith(violation)


def test_tool_schema_valid_edges() -> None:
    assert score("tool_schema_valid", toolrl_text(SEARCH)) is None  # no tools offered
    assert value("tool_schema_valid", "<tool_call>oops</tool_call>", tools=TOOLS) == 0.0
    bad = ({"name": "f", "parameters": {"type": "nonsense"}},)
    with pytest.raises(UnjudgeableReference, match="not a valid JSON Schema"):
        score("tool_schema_valid", toolrl_text(c("f")), tools=bad)
    sample = trajectory(
        assistant("", SEARCH), assistant("", c("search", q=2)), assistant("done"), tools=TOOLS
    )
    result = get("tool_schema_valid").fn(sample, get("tool_schema_valid").build_params({}))
    assert result.value == 0.0 and result.steps[:2] == (1.0, 0.0)


# --- tool_use -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        (toolrl_text(SEARCH, WEATHER), {}, 0.0),
        (toolrl_text(SEARCH, SEARCH, SEARCH), {}, -0.5),  # two repeats * 0.25
        (toolrl_text(*[SEARCH] * 30), {}, -1.0),  # 29 repeats: capped at -1
        (toolrl_text(SEARCH, WEATHER, c("now")), {"max_calls": 2}, -0.25),  # one over budget
        (toolrl_text(SEARCH, response="x") + "\n" + block(WEATHER), {}, -0.25),  # after </response>
        ("<answer>4</answer>" + block(SEARCH), {}, -0.25),  # after </answer>
        (block(SEARCH) + "<answer>4</answer>", {}, 0.0),
        ("no calls", {}, 0.0),
    ],
)
def test_tool_use(text: str, params: dict[str, Any], expected: float) -> None:
    assert value("tool_use", text, **params) == pytest.approx(expected)


def test_tool_use_trajectory_call_after_the_answer_turn() -> None:
    sample = trajectory(assistant("", SEARCH), assistant("It is 4."), assistant("", WEATHER))
    result = get("tool_use").fn(sample, get("tool_use").build_params({}))
    assert (result.value, result.steps, result.info["after_answer"]) == (
        -0.25,
        (0.0, 0.0, -0.25),
        1,
    )


@given(calls_st)
@settings(max_examples=60, deadline=None)
def test_tool_use_never_pays_for_calls(calls: list[Any]) -> None:
    assert -1.0 <= value("tool_use", toolrl_text(*calls)) <= 0.0
    more = value("tool_use", toolrl_text(*calls, *calls))  # every call again: never better
    assert more <= value("tool_use", toolrl_text(*calls))
