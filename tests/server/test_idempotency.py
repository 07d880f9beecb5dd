"""Idempotency-Key on a real server: a retried request is answered from the record and scored
once; two copies in flight at once score once; a key reused for another request is refused; the
record keeps at most ``max_keys`` answers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from rk_servers import SLOW, thread_server

from rewardkit.server.idempotency import IdempotencyRecord

pytestmark = pytest.mark.server


def metric(url: str, headers: dict[str, str], line_start: str) -> float:
    """The value of the /metrics line that starts with ``line_start`` (0.0 when absent)."""
    text = httpx.get(f"{url}/metrics", headers=headers).text
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_retry_is_answered_from_the_record_and_scored_once() -> None:
    body = {"samples": [{"id": "a", "completion": "4", "reference": "4"}]}
    with thread_server() as s:
        headers = {**s.headers, "Idempotency-Key": "k-1"}
        first = httpx.post(f"{s.url}/v1/score", json=body, headers=headers)
        again = httpx.post(f"{s.url}/v1/score", json=body, headers=headers)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json() and first.json()["results"][0]["reward"] == 0.5
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert metric(s.url, s.headers, "rewardkit_samples_total") == 1.0  # scored once
        replays = 'rewardkit_idempotent_replays_total{how="record"}'
        assert metric(s.url, s.headers, replays) == 1.0
        other = httpx.post(f"{s.url}/v1/score", json=body, headers={**s.headers,
                                                                     "Idempotency-Key": "k-2"})  # fmt: skip
        assert "idempotent-replayed" not in other.headers  # a new key runs
        plain = httpx.post(f"{s.url}/v1/score", json=body, headers=s.headers)
        assert plain.status_code == 200  # no key: no record
        assert metric(s.url, s.headers, "rewardkit_samples_total") == 3.0


def test_a_key_reused_for_another_request_is_refused_before_it_runs() -> None:
    with thread_server() as s:
        headers = {**s.headers, "Idempotency-Key": "k-1"}
        one = {"samples": [{"id": "a", "completion": "4", "reference": "4"}]}
        two = {"samples": [{"id": "b", "completion": "5", "reference": "4"}]}
        assert httpx.post(f"{s.url}/v1/score", json=one, headers=headers).status_code == 200
        refused = httpx.post(f"{s.url}/v1/score", json=two, headers=headers)
        assert refused.status_code == 422 and "another request" in refused.json()["error"]
        assert metric(s.url, s.headers, "rewardkit_samples_total") == 1.0
        long_key = {**s.headers, "Idempotency-Key": "k" * 201}
        assert httpx.post(f"{s.url}/v1/score", json=one, headers=long_key).status_code == 422


def test_two_copies_in_flight_score_once_and_both_get_the_answer() -> None:
    body = {"samples": [{"id": "s", "completion": "c", "meta": {"sleep": 1.0, "v": 0.25}}]}
    with thread_server(SLOW) as s:
        headers = {**s.headers, "Idempotency-Key": "same"}
        answers: list[httpx.Response] = []

        def send() -> None:
            answers.append(httpx.post(f"{s.url}/v1/score", json=body, headers=headers, timeout=60))

        first = threading.Thread(target=send)
        first.start()
        while s.service.pending == 0:  # the first copy is scoring
            time.sleep(0.01)
        send()  # the second copy waits for the first one's answer
        first.join(60)
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()
        assert answers[0].json()["results"][0]["reward"] == 0.25
        assert metric(s.url, s.headers, "rewardkit_samples_total") == 1.0
        joined = 'rewardkit_idempotent_replays_total{how="joined"}'
        assert metric(s.url, s.headers, joined) == 1.0


def test_the_record_keeps_the_last_max_keys_answers_and_never_an_error() -> None:
    runs: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:  # answers 200, or 503 for "busy"
        message = await receive()
        runs.append(message["body"].decode())
        status = 503 if message["body"] == b"busy" else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": message["body"]})

    async def drive() -> None:
        transport = httpx.ASGITransport(app=IdempotencyRecord(app, max_keys=2))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for key in ("a", "b", "a", "c", "a", "b", "busy", "busy"):
                await client.post("/", content=key, headers={"Idempotency-Key": key})

    asyncio.run(drive())
    # a, b run; a replays; c runs (b is now the oldest, so out); a replays; b runs again;
    # busy runs twice (a 503 is not kept: its retry must run)
    assert runs == ["a", "b", "c", "b", "busy", "busy"]
