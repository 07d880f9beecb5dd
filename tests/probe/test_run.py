"""The probe's verdicts on small configs, checked by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rewardkit.errors import InputError
from rewardkit.probe import probe
from rewardkit.program import RewardProgram
from rewardkit.registry import Params
from rewardkit.types import Sample

MATH = [
    Sample("a", "a", "What is 12*7?", "<think>12*7 = 84</think><answer>84</answer>", "84"),
    Sample("b", "b", "Half of 3?", "<think>3/2</think>\n<answer>1.5</answer>", "1.5"),
]
BARE = [
    Sample("a", "a", "12*7?", "84", "84"),
    Sample("b", "b", "Capital of France?", "Paris", "Paris"),
]


def verdicts(config: dict[str, Any], samples: list[Sample], **kw: Any) -> dict[str, str]:
    report = probe(RewardProgram.from_dict(config), samples, **kw)
    return {r.name: r.verdict for r in report.results}


def test_a_format_reward_alone_pays_every_mutation_that_keeps_the_tags() -> None:
    # tags (strict) is 1.0 for any completion with one <think> block then one <answer> block,
    # whatever they hold: every mutation that keeps the layout earns the correct 1.0.
    got = verdicts({"reward": {"fn": "tags", "mode": "strict"}}, MATH)
    # mutations of tool calls, RTL designs... do not apply to these samples
    got = {name: verdict for name, verdict in got.items() if verdict != "n/a"}
    assert got == {
        "empty": "ok",
        "format_only": "pays",
        "punctuation": "ok",
        "reasoning_opener": "ok",
        "repeated_answer": "pays",
        "two_answers": "pays",
        "answer_in_think": "pays",
        "prompt_copy": "pays",
        "long_padding": "pays",
        "wrong_answer": "pays",
        "hedge_words": "pays",
        "disown": "pays",
        "prompt_expression": "pays",
        "box_hedge": "pays",
        "fraction_parts": "pays",
    }


def test_a_lone_leaf_is_named_as_the_node_that_pays() -> None:
    report = probe(
        RewardProgram.from_dict({"reward": {"fn": "tags", "mode": "strict"}}),
        MATH,
        ["wrong_answer"],
    )
    (result,) = report.results
    assert result.pays == ["a", "b"] and result.paid_by == {"reward": 2}


def test_exact_match_on_the_whole_text_passes_every_mutation() -> None:
    got = verdicts({"reward": {"fn": "exact_match"}}, BARE)
    # a bare answer has no tags to keep and no wrapper to move the answer out of
    assert got.pop("format_only") == got.pop("answer_in_think") == "n/a"
    # the rest is ok where it applies (mutations of tool calls do not apply to bare answers)
    assert {verdict for verdict in got.values() if verdict != "n/a"} == {"ok"}
    assert got["wrong_answer"] == got["empty"] == "ok"


def test_grpo_advantages_of_one_group_by_hand() -> None:
    # group: correct 1, empty 0, wrong 0 -> mean 1/3, std (ddof=1) sqrt(1/3)
    program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    report = probe(program, BARE[:1], ["empty", "wrong_answer"])
    std = math.sqrt(1 / 3)
    assert report.correct == [1.0]
    assert report.correct_advantages[0] == pytest.approx((2 / 3) / std, abs=1e-5)
    for result in report.results:
        assert result.rewards == [0.0] and result.verdict == "ok"
        assert result.advantages[0] == pytest.approx(-(1 / 3) / std, abs=1e-5)


def test_weighted_format_and_answer_pays_a_well_formatted_wrong_answer_less() -> None:
    config = {
        "reward": {
            "weighted": [
                {"name": "format", "fn": "tags", "mode": "strict", "weight": 0.2},
                {"name": "correct", "fn": "exact_match", "extract": "answer_tag"},
            ]
        }
    }
    report = probe(RewardProgram.from_dict(config), MATH)
    assert report.failing() == []
    wrong = next(r for r in report.results if r.name == "wrong_answer")
    assert wrong.rewards == [0.2, 0.2] and wrong.correct == [1.2, 1.2]
    # the format node pays it as much as the correct answer; the answer node nothing
    assert wrong.paid_by == {"reward/format": 2} and wrong.partial_by == {}


def test_tiers_report_the_lower_tier_that_still_pays() -> None:
    config = {
        "reward": {
            "tiers": [
                {"name": "format", "fn": "tags", "mode": "strict"},
                {"name": "correct", "fn": "exact_match", "extract": "answer_tag"},
            ]
        }
    }
    report = probe(RewardProgram.from_dict(config), MATH, ["format_only", "wrong_answer"])
    for result in report.results:
        assert result.rewards == [0.5, 0.5] and result.verdict == "ok"
        assert result.paid_by == {"reward/format": 2}


def test_a_node_under_metric_is_logged_not_paying() -> None:
    config = {
        "reward": {
            "weighted": [
                {"name": "correct", "fn": "exact_match", "extract": "answer_tag"},
                {"metric": {"name": "format", "fn": "tags", "mode": "strict"}, "name": "logged"},
            ]
        }
    }
    report = probe(RewardProgram.from_dict(config), MATH, ["wrong_answer"])
    assert report.results[0].paid_by == {}


def answer_or_none(sample: Sample, p: Params) -> float | None:
    """None ("does not apply") when there is no <answer> tag; 1.0 for a right one, else 0.0."""
    if "<answer>" not in sample.completion:
        return None
    return float(sample.completion.endswith(f"<answer>{sample.reference}</answer>"))


def test_a_mutation_with_no_reward_escapes() -> None:
    config = {"reward": {"fn": "tests.probe.test_run:answer_or_none"}}
    report = probe(RewardProgram.from_dict(config), MATH, ["empty", "wrong_answer"])
    empty, wrong = report.results
    assert (empty.verdict, empty.escapes, empty.advantages) == ("escapes", ["a", "b"], [0.0, 0.0])
    assert wrong.verdict == "ok" and [r.name for r in report.failing()] == ["empty"]
    assert report.failing(allowed=["empty"]) == []


def judged_unless_na(sample: Sample, p: Params) -> float | None:
    """None for the reference "N/A", else whether the completion is the reference."""
    return None if sample.reference == "N/A" else float(sample.completion == sample.reference)


def test_a_sample_whose_correct_completion_is_unjudged_is_left_out() -> None:
    config = {"reward": {"fn": "tests.probe.test_run:judged_unless_na"}}
    samples = [*BARE, Sample("c", "c", "p", "x", "N/A")]
    report = probe(RewardProgram.from_dict(config), samples)
    assert report.unjudged == ["c"] and report.correct == [1.0, 1.0]
    assert all(r.applied <= 2 for r in report.results) and report.failing() == []


def test_no_samples_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no samples"):
        probe(RewardProgram.from_dict({"reward": {"fn": "exact_match"}}), [])


def test_a_correct_completion_that_earns_nothing_is_pointed_out() -> None:
    # the "correct" completion is wrong: it earns 0, so every mutation ties with it
    wrong = [Sample("a", "a", "12*7?", "85", "84")]
    report = probe(RewardProgram.from_dict({"reward": {"fn": "exact_match"}}), wrong, ["empty"])
    assert report.unpaid == [0] and report.results[0].verdict == "pays"
