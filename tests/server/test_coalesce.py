"""Requests merged into one scoring batch (server/coalesce.py): each answered with its own rows,
ids and error records; the groups of different requests kept apart; a bad request fails alone;
a request with ``group_size`` scored alone. A first slow request holds the only slot (scoring in
the server process) while the others arrive, so they wait together and are merged."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from rk_servers import TOKEN, thread_server

pytestmark = pytest.mark.server

GROUPS = {"reward": {"fn": "rk_server_components:group_count"}}
"""Each sample's reward: how many samples of its scoring call share its group."""
PARTS = [
    {"name": "slow", "fn": "rk_server_components:slow", "weight": 0.0},
    {"name": "check", "fn": "rk_server_components:explode"},
]


def sample(i: int = 0, **meta: Any) -> dict[str, Any]:
    return {"id": str(i), "group": "g", "completion": "x", "meta": meta}


async def burst(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """The first body alone, then the others together while it is scored."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        first = asyncio.ensure_future(client.post("/v1/score", json=bodies[0]))
        await asyncio.sleep(0.15)
        rest = await asyncio.gather(*(client.post("/v1/score", json=b) for b in bodies[1:]))
        return [await first, *rest]


def test_merged_requests_keep_their_ids_and_groups() -> None:
    bodies = [{"samples": [sample(sleep=0.6)]}] + [{"samples": [sample()]} for _ in range(10)]
    bodies.append({"samples": [sample(0), sample(1)], "group_size": 2})
    with thread_server(GROUPS, workers=0) as s:
        answers = asyncio.run(burst(s.url, bodies))
    assert [a.status_code for a in answers] == [200] * len(bodies)
    for answer in answers[:-1]:  # every request's group "g" scored as its own group of one
        assert [(r["id"], r["reward"]) for r in answer.json()["results"]] == [("0", 1.0)]
    grouped = answers[-1].json()
    assert [(r["id"], r["reward"]) for r in grouped["results"]] == [("0", 2.0), ("1", 2.0)]
    assert [r["advantage"] for r in grouped["results"]] == [0.0, 0.0]
    assert s.service.batches.merged >= 2  # the ten waited together


def test_a_bad_request_fails_alone() -> None:
    config = {"reward": {"weighted": PARTS}, "on_error": "raise"}
    bodies = [{"samples": [sample(sleep=0.6)]}] + [{"samples": [sample()]} for _ in range(8)]
    bodies[4] = {"samples": [sample(boom=True)]}
    with thread_server(config, workers=0) as s:
        answers = asyncio.run(burst(s.url, bodies))
    codes = [a.status_code for a in answers]
    assert codes == [200] * 4 + [500] + [200] * 4
    assert "boom on 0" in answers[4].json()["error"]
    assert all(a.json()["results"][0]["reward"] == 1.0 for i, a in enumerate(answers) if i != 4)
    assert s.service.batches.merged >= 2


def test_error_records_name_the_id_the_request_sent() -> None:
    config = {"reward": {"weighted": PARTS}, "on_error": "score"}
    bodies = [{"samples": [sample(sleep=0.6)]}] + [{"samples": [sample(7)]} for _ in range(6)]
    bodies[3] = {"samples": [sample(7, boom=True)]}
    with thread_server(config, workers=0) as s:
        answers = asyncio.run(burst(s.url, bodies))
    rows = [a.json()["results"][0] for a in answers]
    assert [r["id"] for r in rows] == ["0"] + ["7"] * 6
    assert [r["status"] for r in rows] == ["scored"] * 3 + ["error"] + ["scored"] * 3
    (error,) = rows[3]["errors"]
    assert "boom on 7" in error["message"] and "\x1f" not in str(rows)
    assert s.service.batches.merged >= 2


async def together(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        return list(await asyncio.gather(*(client.post("/v1/score", json=b) for b in bodies)))


def test_a_window_gathers_requests_sent_together_and_no_coalesce_never_merges() -> None:
    bodies = [{"samples": [sample()]} for _ in range(6)]
    with thread_server(GROUPS, workers=0, coalesce_window_s=0.2) as s:
        answers = asyncio.run(together(s.url, bodies))
    assert [a.json()["results"][0]["reward"] for a in answers] == [1.0] * 6
    assert s.service.batches.merged >= 2  # the first waited for company
    bodies = [{"samples": [sample(sleep=0.3)]}] + [{"samples": [sample()]} for _ in range(5)]
    with thread_server(GROUPS, workers=0, coalesce=False) as s:
        answers = asyncio.run(burst(s.url, bodies))
    assert [a.json()["results"][0]["reward"] for a in answers] == [1.0] * 6
    assert s.service.batches.merged == 0
