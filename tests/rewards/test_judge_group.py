"""``judge_group``: one call per group, validated verdicts, retries, seeded orders, against
scripted judges."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.rewards.test_judge import Stub

from rewardkit.errors import JudgeParseError
from rewardkit.program import RewardProgram
from rewardkit.rewards.judge import parse_group
from rewardkit.rewards.judge.fakes import discerning, fake_judge
from rewardkit.rewards.judge.group import JudgeGroupParams, orders
from rewardkit.types import Sample

Q = "What is 12*7?"


def group(gid: str, answers: list[str]) -> list[Sample]:
    return [Sample(f"{gid}{k}", gid, Q, a, "84") for k, a in enumerate(answers)]


@pytest.fixture
def stub() -> Iterator[Any]:
    made: list[Stub] = []

    def make(answer: Any) -> Stub:
        made.append(Stub(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def program(url: str, tmp_path: Path, on_error: str = "raise", **kw: Any) -> RewardProgram:
    judge = {"fn": "judge_group", "base_url": url, "model": "m", "backoff_s": 0, **kw}
    judge["cache_dir"] = str(tmp_path / "cache")
    return RewardProgram.from_dict({"on_error": on_error, "reward": judge})


def values(scored: Any) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), 6) for v in scored.rewards]


def test_one_call_per_group_and_the_prefilter_first(tmp_path: Path) -> None:
    samples = group("a", ["84", "74", "Let us reason.", "Thought process:"]) + group("b", ["84"])
    with fake_judge(discerning) as url:
        scored = program(url, tmp_path).score(samples)
    # the discerning judge is fooled by the answer with no number; the listed opener is
    # pre-filtered and never shown
    assert values(scored) == [1.0, 0.0, 1.0, 0.0, 1.0]
    info = scored.info["reward"]
    assert info[3] == {"prefiltered": "opener_only"}
    assert [i["judge_group_size"] for i in info[:3]] == [3, 3, 3]
    assert info[0]["judge_calls"] == pytest.approx(1 / 3)  # one call shared by three
    assert sorted(i["judge_group_positions"][0] for i in info[:3]) == [0, 1, 2]


def test_repeats_rotate_the_seeded_order(stub: Any, tmp_path: Path) -> None:
    def answer(body: dict[str, Any]) -> tuple[int, str, str]:
        ids = re.findall(r'<response id="(r\d+)">', body["messages"][1]["content"])
        return 200, "Scores: " + ", ".join(f"{i}={10 if i == 'r1' else 5}" for i in ids), "stop"

    s = stub(answer)  # a judge with position bias: the first response always scores 10
    samples = group("a", ["84", "85", "86", "87"])
    scored = program(s.url, tmp_path, repeats=4).score(samples)
    assert len(s.bodies) == 4
    info = scored.info["reward"]
    for i in info:  # each completion was first exactly once in the four rotations
        assert sorted(i["judge_group_positions"]) == [0, 1, 2, 3]
        assert sorted(i["judge_group_scores"]) == [5, 5, 5, 10]
    assert values(scored) == [0.625] * 4  # (10 + 5 + 5 + 5) / 4 / 10
    p = JudgeGroupParams(base_url="u", model="m", seed=7)
    assert orders([0, 1, 2, 3, 4], "a", p) == orders([0, 1, 2, 3, 4], "a", p)


def test_an_invalid_verdict_is_retried_with_its_reason(stub: Any, tmp_path: Path) -> None:
    replies = ["Scores: r1=8, r3=2", "Scores: r1=8, r2=2"]  # wrong ids, then valid
    s = stub(lambda body: (200, replies[len(s.bodies) - 1], "stop"))
    scored = program(s.url, tmp_path).score(group("a", ["84", "85"]))
    assert sorted(values(scored)) == [0.2, 0.8]  # type: ignore[type-var]
    retry = s.bodies[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == replies[0] and "(wrong_ids)" in retry[3]["content"]
    assert scored.info["reward"][0]["judge_invalid_verdicts"] == 1


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("Scores: r1=8, r2=11", "out_of_range"),
        ("Scores: r1=8, r2=3, r3=1", "wrong_ids"),
        ("Scores: r1=8, r1=3", "wrong_ids"),
        ("Scores: r1=8, r2=good", "bad_value"),
        ("I like the first one better.", "no_verdict"),
    ],
)
def test_invalid_twice_is_verifier_failed_never_scored(
    reply: str, kind: str, stub: Any, tmp_path: Path
) -> None:
    s = stub(lambda body: (200, reply, "stop"))
    scored = program(s.url, tmp_path, on_error="score").score(group("a", ["84", "85"]))
    assert values(scored) == [None, None]  # not on_error's error_value (0.0)
    assert len(s.bodies) == 2  # attempts: 2
    assert [f.error_type for f in scored.failures] == ["VerifierFailed"] * 2
    assert f"({kind})" in scored.failures[0].message
    assert "verifier failed (group_invalid)" in scored.failures[0].message


def test_json_verdicts_and_a_request_that_fails_for_good(stub: Any, tmp_path: Path) -> None:
    s = stub(lambda body: (200, '```json\n{"scores": {"r2": 4, "r1": 4}}\n```', "stop"))
    scored = program(s.url, tmp_path, verdict="json").score(group("a", ["84", "85"]))
    assert values(scored) == [0.4, 0.4]
    bad = stub(lambda body: (400, "no such model", ""))
    scored = program(bad.url, tmp_path, on_error="score").score(group("a", ["84", "85"]))
    assert values(scored) == [0.0, 0.0] and len(bad.bodies) == 1  # not retried, on_error's value
    assert {f.error_type for f in scored.failures} == {"JudgeRequestError"}


def test_parse_group_names_what_is_wrong() -> None:
    assert parse_group("Scores: r2: 1, r1: 0", ["r1", "r2"]) == {"r2": 1.0, "r1": 0.0}
    with pytest.raises(JudgeParseError, match=r"missing \['r2'\], unknown \['r9'\]"):
        parse_group("Scores: r1=1, r9=2", ["r1", "r2"])
    with pytest.raises(JudgeParseError) as err:
        parse_group("", ["r1"])
    assert err.value.kind == "empty"
