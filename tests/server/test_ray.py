"""``rewardkit serve --ray --replicas 2`` on a local CPU Ray: one state actor, two replicas; after
an observe, both replicas answer with the new variables; an observe missing the watched metric is
422, as on the single-process server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rk_servers import LADDER, cli_server

pytestmark = [pytest.mark.server, pytest.mark.process, pytest.mark.ray]

pytest.importorskip("ray.serve", reason="pip install 'rewardkit[ray]'")


def test_both_replicas_score_with_the_variables_of_the_last_observe(tmp_path: Path) -> None:
    token = "ray-token-0123456789abcdef"
    headers = {"Authorization": f"Bearer {token}"}
    server = cli_server(
        tmp_path,
        LADDER,
        "--ray",
        "--replicas",
        "2",
        "--state",
        str(tmp_path / "state.db"),
        env={"REWARDKIT_TOKEN": token, "RAY_AUTH_MODE": "disabled"},
    )
    try:
        url = server.url
        assert httpx.post(f"{url}/v1/state", headers=headers).status_code == 405
        assert httpx.get(f"{url}/v1/state").status_code == 401  # the token holds on Ray too
        typo = httpx.post(  # the actor refuses it; the replica answers as the server does
            f"{url}/v1/observe",
            headers=headers,
            json={"step": 0, "metrics": {"reward/exakt/mean": 1.0}},
        )
        assert typo.status_code == 422 and "Traceback" not in typo.text
        assert "did you mean 'reward/exakt/mean'?" in typo.json()["problems"][0]["message"]
        for step in (0, 1):  # two steps at mean 1.0: w 0.5 -> 1.0
            r = httpx.post(
                f"{url}/v1/observe",
                headers=headers,
                json={"step": step, "metrics": {"reward/exact/mean": 1.0}},
            )
            assert r.status_code == 200
        assert r.json()["variables"] == {"w": 1.0} and r.json()["state_version"] == 2
        sample = {"id": "a", "prompt": "q", "completion": "4", "reference": "4"}
        seen: dict[str, set[tuple[int, float]]] = {}
        for _ in range(40):  # Serve spreads requests over the replicas
            r = httpx.post(f"{url}/v1/score", headers=headers, json={"samples": [sample]})
            body = r.json()
            seen.setdefault(r.headers["x-rewardkit-replica"], set()).add(
                (body["state_version"], body["results"][0]["reward"])
            )
            if len(seen) == 2:
                break
        assert len(seen) == 2  # two distinct replica processes answered
        assert all(answers == {(2, 1.0)} for answers in seen.values())  # both at w = 1.0
    finally:
        assert server.stop(timeout=60) == 0
