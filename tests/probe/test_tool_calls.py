"""Tool-call mutations: what each writes, and the example config pays each less than the truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rewardkit.cli.probe import load_program
from rewardkit.cli.score import read_samples
from rewardkit.probe import MUTATIONS, locate_answer, probe
from rewardkit.probe import tool_calls as tc
from rewardkit.program import RewardProgram
from rewardkit.trajectory import tool_calls
from rewardkit.types import Sample

ROOT = Path(__file__).resolve().parents[2]
TOOL_MUTATIONS = [
    "junk_calls",
    "repeated_call",
    "schema_breaking_arguments",
    "call_after_answer",
    "empty_arguments",
]
ADD = {"name": "add", "arguments": {"a": 2, "b": 3}}
TEXT = (
    '<think>add</think>\n<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>'
)


def single(completion: str = TEXT, reference: Any = (ADD,)) -> Sample:
    return Sample("s", "g", "2+3?", completion, list(reference))


def trajectory() -> Sample:
    return Sample.from_trajectory(
        [
            {"role": "user", "content": "2+3?"},
            {"role": "assistant", "content": "<think>add</think>", "tool_calls": [
                {"type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'}}]},
            {"role": "tool", "content": "5"},
            {"role": "assistant", "content": "<think>done</think>\n<response>5</response>"},
        ],
        id="t",
        reference=[ADD],
    )  # fmt: skip


def calls_of(result: Any) -> list[tuple[str, Any]]:
    if isinstance(result, Sample):
        found = tool_calls(result.messages, result.completion)
    else:
        found = tool_calls(None, result)
    return [(c.name, c.arguments) for c in found]


def test_every_tool_mutation_is_registered() -> None:
    assert set(TOOL_MUTATIONS) <= set(MUTATIONS)


def test_what_each_mutation_writes_on_a_single_turn_completion() -> None:
    answer = locate_answer(single())
    junk = calls_of(tc.junk_calls(answer))
    assert junk[0] == ("add", {"a": 2, "b": 3}) and len(junk) == 21
    assert calls_of(tc.repeated_call(answer)) == [("add", {"a": 2, "b": 3})] * 20
    assert calls_of(tc.schema_breaking_arguments(answer)) == [
        ("add", {"a": "not a number", "b": "not a number"})
    ]
    assert calls_of(tc.empty_arguments(answer)) == [("add", {})]
    assert tc.call_after_answer(answer) is None  # no final answer in the completion
    answered = locate_answer(single(TEXT + "\n<response>5</response>"))
    after = tc.call_after_answer(answered)
    assert isinstance(after, str) and after.endswith(json.dumps(ADD) + "\n</tool_call>")
    assert after.index("</response>") < after.rindex("<tool_call>")


def test_what_each_mutation_writes_on_a_trajectory() -> None:
    answer = locate_answer(trajectory())
    repeated = tc.repeated_call(answer)
    assert isinstance(repeated, Sample) and len(calls_of(repeated)) == 20
    after = tc.call_after_answer(answer)
    assert isinstance(after, Sample) and after.messages is not None
    assert after.messages[-1]["role"] == "assistant" and calls_of(after)[-1] == (
        "add",
        {"a": 2, "b": 3},
    )
    assert [c.turn for c in tool_calls(after.messages, after.completion)] == [0, 2]


def test_no_calls_and_no_gold_means_not_applicable() -> None:
    answer = locate_answer(Sample("n", "g", "hi", "<answer>hello</answer>", "hello"))
    assert all(MUTATIONS[name].fn(answer) is None for name in TOOL_MUTATIONS)


def test_the_example_config_pays_every_tool_mutation_less() -> None:
    samples, bad = read_samples(ROOT / "examples" / "data" / "tool_calls.jsonl", strict=True)
    assert not bad and any(s.messages for s in samples) and any(s.messages is None for s in samples)
    report = probe(
        load_program(ROOT / "examples" / "configs" / "tool_calls.yaml"), samples, TOOL_MUTATIONS
    )
    assert report.unjudged == [] and report.correct == [6.0] * len(samples)  # 4 + 1 + 1 + 0
    for result in report.results:
        assert result.verdict == "ok", result.name
        assert result.applied == (2 if result.name == "call_after_answer" else len(samples))
        assert max(result.rewards) < 6.0


def test_a_reward_that_counts_calls_is_caught() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "tests.probe.test_tool_calls:calls_made"}})
    report = probe(
        program, [single(), trajectory()], ["junk_calls", "repeated_call", "empty_arguments"]
    )
    verdicts = {r.name: r.verdict for r in report.results}
    assert verdicts == {"junk_calls": "pays", "repeated_call": "pays", "empty_arguments": "pays"}


def calls_made(sample: Sample, p: Any) -> float:
    """The farmable reward the issue warns about: one point per call, at most 1."""
    del p
    return min(1.0, float(len(tool_calls(sample.messages, sample.completion))))
