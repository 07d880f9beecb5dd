"""The Ray Serve path without a Ray cluster: two ``Replica`` bodies share one ``StateOwner`` (the
actor's body) through a stand-in for ``ray``; after an observe sent to one replica, the other
scores with the new variables. The real 2-replica Serve run is ``test_ray.py`` (slow)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rk_servers import LADDER, TOKEN
from starlette.requests import Request

from rewardkit.server import ray_serve
from rewardkit.server.app import ServerSettings


class Method:
    """``actor.method.remote(...)`` runs the method at once; ``ray.get`` returns the value."""

    def __init__(self, fn: Any):
        self.remote = fn


class Actor:
    def __init__(self, owner: ray_serve.StateOwner):
        for name in ("version", "snapshot", "observe", "replace"):
            setattr(self, name, Method(getattr(owner, name)))


def call(replica: ray_serve.Replica, method: str, path: str, body: Any = None) -> Any:
    """One HTTP request through ``Replica.__call__``, as Serve's proxy hands it over."""
    raw = b"" if body is None else json.dumps(body).encode()
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1),
        "headers": [(b"authorization", f"Bearer {TOKEN}".encode()),
                    (b"content-type", b"application/json")],
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    response = asyncio.run(replica(Request(scope, receive)))
    return response.status_code, dict(response.headers), json.loads(response.body)


def test_a_replica_scores_with_the_state_another_replica_observed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = ray_serve.StateOwner(LADDER, str(tmp_path / "state.db"))
    fake_ray = SimpleNamespace(get=lambda value: value, get_actor=lambda *a, **k: Actor(owner))
    monkeypatch.setattr(ray_serve, "require", lambda module, extra: fake_ray)
    settings = vars(ServerSettings(token=TOKEN))
    first, second = ray_serve.Replica(LADDER, settings), ray_serve.Replica(LADDER, settings)
    sample = {"id": "a", "prompt": "q", "completion": "4", "reference": "4"}
    code, headers, body = call(second, "POST", "/v1/score", {"samples": [sample]})
    assert code == 200 and body["results"][0]["reward"] == 0.5  # w = 0.5 at version 0
    assert headers["x-rewardkit-state-version"] == "0" and "x-rewardkit-replica" in headers
    for step in (0, 1):
        code, _, body = call(first, "POST", "/v1/observe",
                             {"step": step, "metrics": {"reward/exact/mean": 1.0}})  # fmt: skip
    assert body["variables"] == {"w": 1.0} and owner.state.version == 2
    code, headers, body = call(second, "POST", "/v1/score", {"samples": [sample]})
    assert body["results"][0]["reward"] == 1.0 and body["state_version"] == 2
    assert headers["x-rewardkit-state-version"] == "2"
    code, _, body = call(second, "PUT", "/v1/state", {"state": {}, "if_version": 0})
    assert code == 409  # the actor is the one writer: a stale version is refused
