"""32 concurrent clients, bounded in count (128 requests) and time: every request answered
exactly once, every sample id back once, nothing lost or duplicated."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from rk_servers import TOKEN, thread_server

from rewardkit.client import AsyncRewardClient

pytestmark = pytest.mark.server

CLIENTS, REQUESTS, SAMPLES = 32, 4, 8


async def one_client(url: str, c: int) -> list[tuple[list[str], list[str], list[Any]]]:
    out = []
    async with AsyncRewardClient(url, token=TOKEN, timeout=60) as client:
        for r in range(REQUESTS):
            sent = [
                {
                    "id": f"c{c}-r{r}-s{i}",
                    "prompt": f"q{c}",
                    "completion": str(i % 2),
                    "reference": "1",
                }
                for i in range(SAMPLES)
            ]
            body = await client.score(sent)
            got = [row["id"] for row in body["results"]]
            out.append(([s["id"] for s in sent], got, [row["reward"] for row in body["results"]]))
    return out


async def all_clients(url: str) -> list[Any]:
    jobs = [one_client(url, c) for c in range(CLIENTS)]
    return await asyncio.wait_for(asyncio.gather(*jobs), timeout=120)  # a bound, not a check


def test_32_concurrent_clients_get_every_sample_back_once() -> None:
    with thread_server({"reward": {"fn": "exact_match"}}, workers=2) as s:
        results = asyncio.run(all_clients(s.url))
    text = s.service.metrics.render()[0].decode()
    answers = [a for client in results for a in client]
    assert len(answers) == CLIENTS * REQUESTS
    for sent, got, rewards in answers:
        assert got == sent  # each answer holds exactly its request's ids, in order
        assert rewards == [float(i % 2) for i in range(SAMPLES)]
    ids = Counter(i for _, got, _ in answers for i in got)
    assert len(ids) == CLIENTS * REQUESTS * SAMPLES and set(ids.values()) == {1}
    assert (
        f'rewardkit_requests_total{{code="200",endpoint="/v1/score"}} {CLIENTS * REQUESTS}.0'
        in text
    )
    assert "rewardkit_rejected_total 0.0" in text
