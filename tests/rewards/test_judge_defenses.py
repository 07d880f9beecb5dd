"""Extraction first and decoy-reference consistency (``judge_reference``), against scripted judges.

A gullible judge ("correct" to everything) and a discerning one (right vs wrong numbers, fooled by
an answer with no number) from ``judge.fakes``; the edge cases from the ``Stub`` of test_judge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.rewards.test_judge import Stub

from rewardkit.errors import JudgeParseError
from rewardkit.program import RewardProgram
from rewardkit.rewards.judge import decoy_reference, parse_span
from rewardkit.rewards.judge.fakes import discerning, fake_judge, gullible
from rewardkit.rewards.judge.reference import JudgeReferenceParams
from rewardkit.types import Sample

RIGHT = Sample("r", "g", "What is 12*7?", "<think>12*7 = 84</think><answer>84</answer>", "84")
WRONG = Sample("w", "g", "What is 12*7?", "<think>12*7 = 74</think><answer>74</answer>", "84")
PARAPHRASE = Sample("k", "g", "What is 12*7?", "Let us reason through this carefully.", "84")
LISTED = Sample("l", "g", "What is 12*7?", "Thought process:", "84")
BATCH = [RIGHT, WRONG, PARAPHRASE, LISTED]


@pytest.fixture(params=["gullible", "discerning"])
def judge_url(request: Any) -> Iterator[tuple[str, str]]:
    with fake_judge(gullible if request.param == "gullible" else discerning) as url:
        yield request.param, url


def score(url: str, tmp_path: Path, samples: list[Sample], **kw: Any) -> Any:
    judge = {"fn": "judge_reference", "base_url": url, "model": "fake", **kw}
    judge["cache_dir"] = str(tmp_path / "cache")
    return RewardProgram.from_dict({"reward": judge}).score(samples)


def values(scored: Any) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in scored.rewards]


def test_the_decoy_keeps_right_answers_and_fails_what_a_fooled_judge_pays(
    judge_url: tuple[str, str], tmp_path: Path
) -> None:
    name, url = judge_url
    # extract: text, prefilter off: every completion reaches the judge; the decoy alone
    whole = {"prefilter": False, "judge_sees": "completion", "quote_answer": False}
    open_ = score(url, tmp_path, BATCH, **whole, decoy=False)
    decoyed = score(url, tmp_path, BATCH, **whole, decoy=True)
    if name == "gullible":
        assert values(open_) == [1.0, 1.0, 1.0, 1.0]
        assert values(decoyed) == [None, None, None, None]  # it cannot tell anything apart
    else:
        assert values(open_) == [1.0, 0.0, 1.0, 1.0]  # fooled by the two with no number
        assert values(decoyed) == [1.0, 0.0, None, None]  # the right answer keeps its pay
        assert decoyed.info["reward"][0]["judge_decoy"] == decoy_reference("84")
        assert decoyed.info["reward"][0]["judge_calls"] == 2
        assert decoyed.info["reward"][1]["judge_calls"] == 1  # no decoy where nothing is paid
    failed = [f for f in decoyed.failures if f.error_type == "VerifierFailed"]
    assert {f.sample_id for f in failed} >= {"k", "l"}
    assert all(f.message.startswith("verifier failed (decoy_consistent)") for f in failed)
    assert decoyed.info["reward"][2] == {"verifier_failed": "decoy_consistent"}


def test_extraction_first_pays_no_span_without_content(
    judge_url: tuple[str, str], tmp_path: Path
) -> None:
    name, url = judge_url
    whole = {"prefilter": False, "judge_sees": "completion", "quote_answer": True}
    scored = score(url, tmp_path, BATCH, **whole, decoy=False)  # extraction alone
    info = scored.info["reward"]
    # the listed opener is quoted as the span, and the span has no content: not paid
    assert values(scored)[3] == 0.0 and info[3]["no_span"] == "opener_only"
    # a paraphrase is a span with content: extraction alone does not stop it (the decoy does)
    assert values(scored)[2] == 1.0
    assert values(scored)[:2] == ([1.0, 1.0] if name == "gullible" else [1.0, 0.0])
    both = score(url, tmp_path, BATCH, **whole, decoy=True)
    assert values(both)[2:] == [None, 0.0]


def test_the_three_defenses_are_the_defaults(judge_url: tuple[str, str], tmp_path: Path) -> None:
    name, url = judge_url
    params = JudgeReferenceParams(base_url=url, model="fake")
    assert (params.prefilter, params.quote_answer, params.decoy) == (True, True, True)
    scored = score(url, tmp_path, BATCH, extract="answer_tag")  # no defense named: all three
    # no <answer> tag: the pre-filter's no_answer, before any request
    assert [i.get("prefiltered") for i in scored.info["reward"][2:]] == ["no_answer"] * 2
    expected = [None, None] if name == "gullible" else [1.0, 0.0]
    assert values(scored) == [*expected, 0.0, 0.0]


@pytest.fixture
def stub() -> Iterator[Any]:
    made: list[Stub] = []

    def make(answer: Any) -> Stub:
        made.append(Stub(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_a_span_not_in_the_response_is_verifier_failed_and_a_missing_one_is_unparsed(
    stub: Any, tmp_path: Path
) -> None:
    replies = {
        "84": 'Answer span: "eighty-four"\nScore: 1',  # invented: not in the response
        "74": "Answer span: none\nScore: 1",  # says there is no answer, yet scores it 1
        "85": "Score: 1",  # the span line is missing: the verdict does not parse
    }

    def answer(body: dict[str, Any]) -> tuple[int, str, str]:
        return 200, replies[body["messages"][-1]["content"].rsplit(": ", 1)[1]], "stop"

    s = stub(answer)
    samples = [
        RIGHT,
        WRONG,
        Sample("x", "g", "What is 12*7?", "<answer>85</answer>", "84"),
    ]
    program = RewardProgram.from_dict(
        {
            "on_error": "score",
            "reward": {
                "fn": "judge_reference",
                "base_url": s.url,
                "model": "stub",
                "cache_dir": str(tmp_path),
                "extract": "answer_tag",
                "quote_answer": True,
            },
        }
    )
    scored = program.score(samples)
    assert values(scored) == [None, 0.0, 0.0]  # unparsed: on_error's error_value (0.0)
    assert scored.info["reward"][1]["no_span"] == "none_quoted"
    kinds = {f.sample_id: (f.error_type, f.message[:40]) for f in scored.failures}
    assert kinds["r"] == ("VerifierFailed", "verifier failed (span_not_in_response): ")
    assert kinds["x"][0] == "JudgeParseError" and "(no_span)" in scored.failures[1].message
    assert scored.metrics["reward/errors"] == 2.0


def test_a_verifier_failure_is_never_error_value_and_empties_the_nodes_above(
    tmp_path: Path,
) -> None:
    with fake_judge(discerning) as url:
        judge = {"fn": "judge_reference", "base_url": url, "model": "fake", "decoy": True}
        judge.update(prefilter=False, judge_sees="completion", cache_dir=str(tmp_path))
        program = RewardProgram.from_dict(
            {
                "on_error": "raise",  # a verifier failure is not an error to raise
                "error_value": 0.0,
                "reward": {
                    "weighted": [
                        {
                            "fn": "regex",
                            "pattern": ".",
                            "mode": "search",
                            "weight": 0.5,
                            "name": "shape",
                        },
                        {**judge, "name": "judge"},
                    ],
                },
            }
        )
        samples = [RIGHT, WRONG, PARAPHRASE, Sample("r2", "g", "q", "84", "84")]
        scored = program.score(samples)
    # the paraphrase: no value at the judge, none at the root either (not 0.5 for its shape)
    assert values(scored) == [1.5, 0.5, None, 1.5]
    assert math.isnan(scored.values["reward/judge"][2])
    assert not math.isnan(scored.values["reward/shape"][2])  # its own leaf is still logged
    adv = program.advantages(scored).per_sample
    rewards = np.array([1.5, 0.5, 1.5])  # the baseline is over the three that have a verdict
    assert adv[[0, 1, 3]] == pytest.approx(
        (rewards - rewards.mean()) / (rewards.std(ddof=1) + 1e-6), rel=1e-3
    )
    assert adv[2] == 0.0


def test_decoys_are_another_answer_of_the_same_type() -> None:
    cases = {
        "84": r"^\d+$",
        "-3": r"^-\d+$",
        "1,234": r"^\d,\d{3}$",
        "2.50": r"^\d+\.\d\d$",
        "3/4": r"^\d+/4$",
        "15%": r"^\d+%$",
        "(B)": r"^\([A-E]\)$",
        "True": r"^False$",
        "x^2 + 1": r"^x\^\d+ \+ \d+$",
        "Paris": r"^[A-Z][a-z]+$",
        "photosynthesis": r"^[a-z]+$",
        "巴黎": r"^黎巴$",
    }
    for ref, shape in cases.items():
        decoys = {decoy_reference(ref, seed) for seed in range(5)}
        assert all(re.match(shape, d) and d != ref for d in decoys), (ref, decoys)
        assert decoy_reference(ref, 3) == decoy_reference(ref, 3)


def test_parse_span_is_strict() -> None:
    assert parse_span('Answer span: "84"\nScore: 1') == "84"
    assert parse_span('{"answer_span": null, "score": 0}', "json") is None
    assert parse_span("Answer span: 84\nScore: 1") == "84"  # the line ends it: quotes optional
    assert parse_span('Answer span: ""\nScore: 1') == ""
    for bad, kind in [
        ("Score: 1", "no_span"),
        ('Answer span: "84"\nAnswer span: "85"\nScore: 1', "ambiguous"),
        ('{"score": 1}', "no_span"),
        ('{"answer_span": 84, "score": 1}', "no_span"),
    ]:
        with pytest.raises(JudgeParseError) as err:
            parse_span(bad, "json" if bad.startswith("{") else "score_line")
        assert err.value.kind == kind, bad
