"""Many clients at once, bounded in count and time: 32 clients of 4 requests, and 500 open
connections sending batch-1 requests together (slow); every request answered exactly once,
every sample id back once, nothing lost or duplicated, no error."""

from __future__ import annotations

import asyncio
import resource
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


CONNECTIONS = 500


async def many_connections(url: str) -> tuple[Counter[str], list[str], int]:
    """CONNECTIONS clients, each on its own keep-alive connection (an aiohttp session of one
    connection), all opened first, then two batch-1 requests each, all at once."""
    aiohttp = pytest.importorskip("aiohttp")
    got: Counter[str] = Counter()
    errors: list[str] = []
    opened = 0
    all_open, go = asyncio.Event(), asyncio.Event()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def client(k: int) -> None:
        nonlocal opened
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(url, connector=connector, headers=headers) as session:
            try:
                async with session.get("/healthz") as r:
                    await r.read()
            finally:
                opened += 1
                if opened == CONNECTIONS:
                    all_open.set()
            await go.wait()
            for r in range(2):
                sample = {"id": f"c{k}-r{r}", "group": "g", "completion": "1", "reference": "1"}
                async with session.post("/v1/score", json={"samples": [sample]}) as resp:
                    if resp.status != 200:
                        errors.append(f"{resp.status}: {await resp.text()}")
                        continue
                    got.update(row["id"] for row in (await resp.json())["results"])

    tasks = [asyncio.ensure_future(client(k)) for k in range(CONNECTIONS)]
    await asyncio.wait_for(all_open.wait(), 60)
    go.set()
    done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
    errors += [repr(d) for d in done if isinstance(d, BaseException)]
    return got, errors, len(tasks)


@pytest.mark.slow
def test_500_connections_at_once_every_sample_back_once() -> None:
    """500 open connections sending at once to a server sized for them (queue limit >= the
    connections, docs/server.md): no 503, no reset, every id answered exactly once; the waiting
    requests are merged into shared batches (coalesce.py)."""
    needed = 2 * CONNECTIONS + 256  # both ends of each connection live in this process
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"open files limited to {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        config = {"reward": {"fn": "exact_match"}}
        with thread_server(config, workers=2, queue_limit=CONNECTIONS) as s:
            got, errors, clients = asyncio.run(many_connections(s.url))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert errors == []
    assert set(got) == {f"c{k}-r{r}" for k in range(clients) for r in range(2)}
    assert set(got.values()) == {1}
    assert s.service.batches.merged > 0  # some requests shared a batch
    text = s.service.metrics.render()[0].decode()
    assert "rewardkit_rejected_total 0.0" in text
