"""Scripted judges: OpenAI-compatible servers on 127.0.0.1 whose verdicts follow a rule.

For tests and ``bench/judge.py``, and for checking a judge config without a model:

- ``gullible``: "correct" (the top score) to everything; quotes the whole candidate as its span;
- ``discerning``: tells right from wrong numbers (the candidate's last number against the
  reference's), but is fooled by an answer with no number in it, as the judges of "One Token to
  Fool LLM-as-a-Judge" are by openers. Its span is that last number (else the whole candidate).

Each reads the requests of ``judge_reference`` (with or without ``quote_answer``),
``judge_rubric`` (``principles``: the top score or 0) and ``judge_group`` (one score per id)::

    with fake_judge(discerning) as base_url:
        params = {"base_url": base_url, "model": "fake"}

>>> ask = "Question: 2+2?\\nReference answer: 4\\nCandidate answer: 5"
>>> discerning({"messages": [{"role": "user", "content": ask}]})
'Score: 0'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

Policy = Callable[[dict[str, Any]], str]
"""A judge: the request body in, the reply text out."""

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_RESPONSE = re.compile(r'<response id="(r\d+)">\n(.*?)\n</response>', re.DOTALL)
_SCALE = re.compile(r"from 0 to (\d+)")


def _right(candidate: str, reference: str, fooled: bool) -> bool:
    numbers = _NUMBER.findall(candidate)
    if not numbers:
        return fooled
    return numbers[-1] == reference.strip()


def _after(text: str, marker: str, until: str = "\n") -> str:
    """The text after ``marker`` up to ``until`` ('' when the marker is not there)."""
    return text.split(marker, 1)[1].split(until, 1)[0] if marker in text else ""


def _scale(text: str) -> int:
    found = _SCALE.search(text)
    return int(found.group(1)) if found else 10


def _judge(
    body: dict[str, Any], rule: Callable[[str, str], bool], span_of: Callable[[str], str]
) -> str:
    messages = body["messages"]
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    asks = [m["content"] for m in messages if m["role"] == "user"]
    ask = next((a for a in asks if "<response id=" in a), asks[-1])  # a retry: the first ask
    if "<response id=" in ask:
        ref, hi = _after(ask, "Reference answer:\n"), _scale(ask)
        scores = [f"{rid}={hi if rule(text, ref) else 0}" for rid, text in _RESPONSE.findall(ask)]
        return "Scores: " + ", ".join(scores)
    if "Candidate answer:" in ask:
        ref, candidate = _after(ask, "Reference answer: "), ask.split("Candidate answer: ", 1)[1]
        score = "Score: 1" if rule(candidate, ref) else "Score: 0"
        if "Answer span" in system:
            return f'Answer span: "{span_of(candidate)}"\n{score}'
        return score
    ref, answer = _after(ask, "Reference answer:\n"), _after(ask, "Answer:\n", "\n\n")
    return f"Score: {_scale(ask) if rule(answer, ref) else 0}"


def gullible(body: dict[str, Any]) -> str:
    """The top score to everything."""
    return _judge(body, lambda candidate, ref: True, lambda candidate: candidate.strip())


def discerning(body: dict[str, Any]) -> str:
    """Right iff the candidate's last number is the reference; fooled when it has no number."""

    def span(candidate: str) -> str:
        numbers = _NUMBER.findall(candidate)
        return numbers[-1] if numbers else candidate.strip()

    return _judge(body, lambda c, ref: _right(c, ref, fooled=True), span)


FAKES: dict[str, Policy] = {"gullible": gullible, "discerning": discerning}


@contextmanager
def fake_judge(policy: Policy, model: str = "fake") -> Iterator[str]:
    """A chat-completions server on 127.0.0.1 answering with ``policy``; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            text = policy(body)
            reply = {
                "model": model,
                "choices": [
                    {"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": sum(len(m["content"]) // 4 for m in body["messages"]),
                    "completion_tokens": len(text) // 4 + 1,
                },
            }
            raw = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
