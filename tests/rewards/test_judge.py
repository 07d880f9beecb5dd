"""The judge client and components against a scripted OpenAI-compatible server on 127.0.0.1.

The server answers from a script: a list of (status, reply text, finish_reason) used in turn, or
a function of the request body. It counts the requests and keeps the headers it saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rewardkit.program import RewardProgram
from rewardkit.rewards.judge import (
    PARSE_FAILURES,
    JudgeClient,
    JudgeEndpoint,
    JudgeParseError,
    JudgeRequestError,
    parse_verdict,
)
from rewardkit.types import Sample

Reply = tuple[int, str, str]  # status, text, finish_reason


class Stub:
    """A scripted chat-completions server."""

    def __init__(self, answer: Callable[[dict[str, Any]], Reply]):
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.bodies.append(body)
                stub.headers.append(dict(self.headers))
                status, text, finish = stub.answer(body)
                data = {
                    "choices": [
                        {"message": {"role": "assistant", "content": text}, "finish_reason": finish}
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 10},
                }
                raw = json.dumps(data if status == 200 else {"error": text}).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) hangs up before the answer: not an error here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def scripted(replies: list[Reply]) -> Callable[[dict[str, Any]], Reply]:
    queue = list(replies)
    return lambda body: queue.pop(0)


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    made: list[Stub] = []

    def make(answer: Callable[[dict[str, Any]], Reply]) -> Stub:
        made.append(Stub(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def endpoint(url: str, tmp_path: Path, **kw: Any) -> JudgeEndpoint:
    base = {"base_url": url, "model": "stub", "cache_dir": str(tmp_path / "cache"), "backoff_s": 0}
    return JudgeEndpoint(**{**base, **kw})


CHAT = [{"role": "user", "content": "2+2?"}]


def test_429_and_5xx_are_retried_then_succeed(stub: Any, tmp_path: Path) -> None:
    s = stub(
        scripted(
            [
                (429, "slow down", ""),
                (503, "busy", ""),
                (500, "oops", ""),
                (200, "Score: 1", "stop"),
            ]
        )
    )
    client = JudgeClient(endpoint(s.url, tmp_path))
    (reply,) = client.chat_many([CHAT])
    assert not isinstance(reply, Exception) and reply.text == "Score: 1"
    assert (client.stats.requests, client.stats.retries, client.stats.failures) == (4, 3, 0)
    assert (client.stats.prompt_tokens, client.stats.completion_tokens) == (100, 10)


def test_retries_run_out_and_400_is_not_retried(stub: Any, tmp_path: Path) -> None:
    s = stub(scripted([(502, "a", ""), (502, "b", ""), (400, "bad request", "")]))
    client = JudgeClient(endpoint(s.url, tmp_path, max_retries=1))
    (reply,) = client.chat_many([CHAT])
    assert isinstance(reply, JudgeRequestError) and "after 2 attempt(s): HTTP 502" in str(reply)
    (reply,) = client.chat_many([CHAT])
    assert isinstance(reply, JudgeRequestError) and "after 1 attempt(s): HTTP 400" in str(reply)
    assert (client.stats.requests, client.stats.failures) == (3, 2)


def test_timeout_is_counted_and_retried(tmp_path: Path, stub: Any) -> None:
    slow = threading.Event()

    def answer(body: dict[str, Any]) -> Reply:
        slow.wait(0.5)
        return 200, "Score: 1", "stop"

    s = stub(answer)
    client = JudgeClient(endpoint(s.url, tmp_path, timeout_s=0.05, max_retries=1))
    (reply,) = client.chat_many([CHAT])
    assert isinstance(reply, JudgeRequestError) and "timed out" in str(reply)
    assert (client.stats.timeouts, client.stats.retries) == (2, 1)


def test_cache_hit_on_repeat_and_key_covers_params(stub: Any, tmp_path: Path) -> None:
    s = stub(lambda body: (200, "Score: 1", "stop"))
    client = JudgeClient(endpoint(s.url, tmp_path, price_in=1.0, price_out=2.0))
    first = client.chat_many([CHAT, [{"role": "user", "content": "3+3?"}]])
    again = client.chat_many([CHAT])
    assert [r.cached for r in first if not isinstance(r, Exception)] == [False, False]
    assert not isinstance(again[0], Exception) and again[0].cached
    assert (len(s.bodies), client.stats.cache_hits) == (2, 1)
    assert client.stats.cost == pytest.approx(2 * (100 * 1.0 + 10 * 2.0) / 1e6)
    hotter = JudgeClient(endpoint(s.url, tmp_path, temperature=0.7))
    hotter.chat_many([CHAT])
    assert len(s.bodies) == 3  # another temperature is another key


def test_api_key_is_sent_but_never_shown(stub: Any, tmp_path: Path, monkeypatch: Any) -> None:
    s = stub(lambda body: (401, "no", ""))
    ep = endpoint(s.url, tmp_path, api_key="sk-very-secret")
    client = JudgeClient(ep)
    (reply,) = client.chat_many([CHAT])
    assert s.headers[0]["Authorization"] == "Bearer sk-very-secret"
    shown = repr(ep) + str(ep) + ep.model_dump_json() + str(reply)
    assert "sk-very-secret" not in shown
    monkeypatch.setenv("MY_JUDGE_KEY", "sk-from-env")
    JudgeClient(endpoint(s.url, tmp_path, api_key_env="MY_JUDGE_KEY")).chat_many([CHAT])
    assert s.headers[1]["Authorization"] == "Bearer sk-from-env"


def test_endpoint_from_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("REWARDKIT_JUDGE_BASE_URL", "http://127.0.0.1:1/v1/")
    monkeypatch.setenv("REWARDKIT_JUDGE_MODEL", "env-model")
    client = JudgeClient(JudgeEndpoint())
    assert (client.url, client.model) == ("http://127.0.0.1:1/v1/chat/completions", "env-model")
    monkeypatch.delenv("REWARDKIT_JUDGE_MODEL")
    with pytest.raises(Exception, match="REWARDKIT_JUDGE_MODEL"):
        JudgeClient(JudgeEndpoint())


# One judge reply per parse failure class (judge_reference, binary, score_line unless noted).
FAILING: dict[str, tuple[str, str, str]] = {
    "empty": ("  \n", "stop", "score_line"),
    "truncated": ("The candidate answer is", "length", "score_line"),
    "no_verdict": ("The answer looks right to me.", "stop", "score_line"),
    "ambiguous": ("Score: 1\nOn second thought\nScore: 0", "stop", "score_line"),
    "malformed_json": ('{"score": 1,,}', "stop", "json"),
    "schema": ('{"verdict": 1}', "stop", "json"),
    "bad_value": ("Score: maybe", "stop", "score_line"),
    "out_of_range": ("Score: 7", "stop", "score_line"),
}


def test_parse_failure_classes_are_all_covered() -> None:
    # no_span and wrong_ids come from parse_span and parse_group (tests/rewards/test_judge_v2.py)
    assert set(FAILING) | {"no_span", "wrong_ids"} == set(PARSE_FAILURES)
    for kind, (text, finish, fmt) in FAILING.items():
        with pytest.raises(JudgeParseError) as err:
            parse_verdict(text, n=1, fmt=fmt, finish_reason=finish)  # type: ignore[arg-type]
        assert err.value.kind == kind


@pytest.mark.parametrize("kind", list(FAILING))
def test_every_parse_failure_is_recorded_never_scored(kind: str, stub: Any, tmp_path: Path) -> None:
    text, finish, fmt = FAILING[kind]
    s = stub(lambda body: (200, text, finish))
    program = RewardProgram.from_dict(
        {
            "on_error": "score",
            "reward": {"fn": "judge_reference", **_ep(s.url, tmp_path), "verdict": fmt},
        }
    )
    scored = program.score([Sample("s1", "g", "2+2?", "It is 4.", reference="4")])
    (failure,) = scored.failures
    assert (failure.path, failure.sample_id, failure.error_type) == (
        "reward",
        "s1",
        "JudgeParseError",
    )
    assert f"({kind})" in failure.message and repr(text.strip()[:20])[1:-1] in failure.message


def _ep(url: str, tmp_path: Path) -> dict[str, Any]:
    return {"base_url": url, "model": "stub", "cache_dir": str(tmp_path / "c"), "backoff_s": 0}


def honest(body: dict[str, Any]) -> Reply:
    """A judge that quotes the candidate and scores 1 iff it is the reference (the decoy too)."""
    ask = body["messages"][-1]["content"]
    ref = ask.split("Reference answer: ", 1)[1].split("\n", 1)[0]
    candidate = ask.split("Candidate answer: ", 1)[1]
    return 200, f'Equivalent?\nAnswer span: "{candidate}"\nScore: {int(candidate == ref)}', "stop"


def test_judge_reference_verdicts_and_what_the_judge_sees(stub: Any, tmp_path: Path) -> None:
    s = stub(honest)
    program = RewardProgram.from_dict(
        {"reward": {"fn": "judge_reference", **_ep(s.url, tmp_path), "extract": "answer_tag"}}
    )
    samples = [
        Sample("a", "g", "2+2?", "Thought process: easy.<answer>4</answer>", reference="4"),
        Sample("b", "g", "2+2?", "<answer>5</answer>", reference="4"),
        Sample("c", "g", "2+2?", "Thought process:<answer>:</answer>", reference="4"),
        Sample("d", "g", "2+2?", "no tag at all, 4", reference="4"),
    ]
    scored = program.score(samples)
    assert list(scored.rewards) == [1.0, 0.0, 0.0, 0.0]
    info = scored.info["reward"]
    assert [i.get("prefiltered") for i in info] == [None, None, "punctuation_only", "no_answer"]
    # the defaults: extraction first (the quoted span) and the decoy (asked where it pays)
    assert (info[0]["judge_span"], info[0]["judge_calls"], info[0]["judge_decoy_score"]) == (
        "4",
        2,
        0,
    )
    assert (info[1]["judge_span"], info[1]["judge_calls"]) == ("5", 1)
    assert len(s.bodies) == 3  # the pre-filtered answers never reach the judge; one decoy
    # the requests run concurrently: find the one for sample a by its candidate and reference
    seen = next(
        c
        for b in s.bodies
        if (c := b["messages"][-1]["content"]).endswith(": 4") and "answer: 4\n" in c
    )
    assert seen.endswith("Candidate answer: 4") and "Thought process" not in seen
    assert [m["role"] for m in s.bodies[0]["messages"]] == [
        "system",
        *["user", "assistant"] * 3,  # few-shot: right, wrong, and one that states nothing
        "user",
    ]
    assert "Answer span" in s.bodies[0]["messages"][0]["content"]
    assert info[0]["judge_prompt_tokens"] == 200  # the verdict's request and the decoy's


def test_graded_rubric_and_checklist_values(stub: Any, tmp_path: Path) -> None:
    replies = {
        "rubric": "Score: 10, 5",
        "principles": '```json\n{"scores": [8]}\n```',
        "check": "Score: yes, no, yes",
    }

    def answer(body: dict[str, Any]) -> Reply:
        user = body["messages"][1]["content"]
        key = "principles" if "principles" in user else "check" if "satisfy" in user else "rubric"
        return 200, replies[key], "stop"

    s = stub(answer)
    ep = _ep(s.url, tmp_path)
    sample = Sample(
        "a",
        "g",
        "Write a haiku.",
        "An old silent pond",
        meta={"checklist": ["5-7-5", {"text": "rhymes", "weight": 2}, "nature"]},
    )
    criteria = [{"text": "form", "weight": 3}, {"text": "imagery", "weight": 1}]
    rubric = RewardProgram.from_dict({"reward": {"fn": "judge_rubric", **ep, "criteria": criteria}})
    assert rubric.score([sample]).rewards[0] == pytest.approx((3 * 10 + 1 * 5) / (4 * 10))
    principles = RewardProgram.from_dict(
        {"reward": {"fn": "judge_rubric", **ep, "principles": ["be brief"], "verdict": "json"}}
    )
    assert principles.score([sample]).rewards[0] == pytest.approx(0.8)
    check = RewardProgram.from_dict({"reward": {"fn": "judge_checklist", **ep}})
    assert check.score([sample]).rewards[0] == pytest.approx((1 + 0 + 1) / (1 + 2 + 1))


def test_missing_reference_or_checklist_is_unjudgeable(stub: Any, tmp_path: Path) -> None:
    s = stub(lambda body: (200, "Score: 1", "stop"))
    for fn in ("judge_reference", "judge_checklist"):
        program = RewardProgram.from_dict({"reward": {"fn": fn, **_ep(s.url, tmp_path)}})
        scored = program.score([Sample("a", "g", "q", "an answer")])
        assert scored.unjudgeable and scored.unjudgeable[0].error_type == "UnjudgeableReference"
    assert s.bodies == []


def test_scoring_from_inside_a_running_event_loop(stub: Any, tmp_path: Path) -> None:
    # e.g. a program scored in an async server handler: the judge runs on a helper thread's loop
    s = stub(honest)
    program = RewardProgram.from_dict({"reward": {"fn": "judge_reference", **_ep(s.url, tmp_path)}})

    async def handler() -> float:
        return float(program.score([Sample("a", "g", "2+2?", "4", reference="4")]).rewards[0])

    assert asyncio.run(handler()) == 1.0
    assert len(s.bodies) == 2  # the verdict and the decoy, both from the helper thread's loop
