"""The HTTP surface on a real server: scoring, auth, limits, schema errors, state, metrics."""

from __future__ import annotations

import httpx
import pytest
from rk_servers import LADDER, TOKEN, Running, thread_server

pytestmark = pytest.mark.server


def two(prompt: str = "2+2?") -> list[dict[str, object]]:
    return [
        {"id": "a", "prompt": prompt, "completion": "4", "reference": "4"},
        {"id": "b", "prompt": prompt, "completion": "5", "reference": "4"},
    ]


def test_score_returns_rewards_components_and_group_advantages(server: Running) -> None:
    r = httpx.post(
        f"{server.url}/v1/score", json={"samples": two(), "group_size": 2}, headers=server.headers
    )
    assert r.status_code == 200
    body = r.json()
    # w starts at 0.5: the right answer earns 0.5 * 1, the wrong one 0; advantages +-1/sqrt(2)
    assert [row["reward"] for row in body["results"]] == [0.5, 0.0]
    assert body["results"][0]["components"] == {"reward/exact": 1.0}
    assert [round(row["advantage"], 3) for row in body["results"]] == [0.707, -0.707]
    assert body["metrics"]["reward/exact/mean"] == 0.5
    assert body["state_version"] == 0 and body["variables"] == {"w": 0.5}
    assert r.headers["x-rewardkit-state-version"] == "0"
    # without group_size: no advantages, no batch metrics
    plain = httpx.post(f"{server.url}/v1/score", json={"samples": two()}, headers=server.headers)
    assert "advantage" not in plain.json()["results"][0] and "metrics" not in plain.json()


def test_token_is_required_except_for_health(server: Running) -> None:
    body = {"samples": two()}
    assert httpx.post(f"{server.url}/v1/score", json=body).status_code == 401
    wrong = httpx.post(
        f"{server.url}/v1/score", json=body, headers={"Authorization": "Bearer not-the-token"}
    )
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.headers["x-rewardkit-state-version"] == "0"  # every response carries it
    assert httpx.get(f"{server.url}/v1/state").status_code == 401
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    assert httpx.get(f"{server.url}/healthz").json()["ok"] is True
    # OpenRLHF's client cannot set headers: /get_reward (only) takes ?token=
    q = {"query": ["2+2?4"], "prompts": ["2+2?"], "labels": ["4"]}
    assert httpx.post(f"{server.url}/get_reward?token={TOKEN}", json=q).status_code == 200
    assert httpx.post(f"{server.url}/get_reward?token=nope", json=q).status_code == 401
    assert httpx.post(f"{server.url}/v1/score?token={TOKEN}", json=body).status_code == 401


def test_body_and_sample_limits_are_413() -> None:
    with thread_server(max_body_bytes=2000, max_samples=3) as s:
        big = {"samples": [{"id": "a", "completion": "x" * 5000}]}
        r = httpx.post(f"{s.url}/v1/score", json=big, headers=s.headers)
        assert r.status_code == 413 and "2000 bytes" in r.json()["error"]
        many = {"samples": [{"id": str(i), "completion": "4"} for i in range(4)]}
        r = httpx.post(f"{s.url}/v1/score", json=many, headers=s.headers)
        assert r.status_code == 413 and "at most 3" in r.json()["error"]


def test_schema_errors_are_422_with_field_paths(server: Running) -> None:
    bad = {"samples": [{"id": "a", "completion": 4, "refrence": "4"}], "group_size": 0}
    r = httpx.post(f"{server.url}/v1/score", json=bad, headers=server.headers)
    assert r.status_code == 422
    paths = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert set(paths) == {"samples.0.completion", "samples.0.refrence", "group_size"}
    assert "did you mean 'reference'" in paths["samples.0.refrence"]
    r = httpx.post(f"{server.url}/v1/score", content=b"{not json", headers=server.headers)
    assert r.status_code == 422 and "not valid JSON" in r.json()["error"]
    r = httpx.post(
        f"{server.url}/v1/observe", json={"step": "3", "metrics": {}}, headers=server.headers
    )
    assert [p["path"] for p in r.json()["problems"]] == ["step"]
    r = httpx.post(
        f"{server.url}/get_reward?token={TOKEN}",
        json={"query": ["a", "b"], "prompts": ["a"], "labels": ["x", "y"]},
    )
    assert r.status_code == 422 and "one length" in r.text
    r = httpx.post(
        f"{server.url}/v1/score", json={"samples": two()[:1] * 2}, headers=server.headers
    )
    assert r.status_code == 422 and "duplicate sample id 'a'" in r.text
    r = httpx.post(
        f"{server.url}/v1/score",
        json={"samples": two()[:1], "group_size": 2},
        headers=server.headers,
    )
    assert r.status_code == 422 and r.json()["problems"][0]["path"] == "group '2+2?'"


def test_a_failing_component_never_leaks_a_traceback() -> None:
    config = {"reward": {"fn": "rk_server_components:explode"}}  # on_error: raise
    with thread_server(config) as s:
        sample = {"id": "x", "completion": "c", "meta": {"boom": True}}
        r = httpx.post(f"{s.url}/v1/score", json={"samples": [sample]}, headers=s.headers)
        assert r.status_code == 500
        assert "boom on x" in r.json()["error"] and "Traceback" not in r.text
        assert 'File "' not in r.text


def test_observe_is_idempotent_per_step_and_moves_the_variables(server: Running) -> None:
    def observe(step: int) -> dict[str, object]:
        r = httpx.post(
            f"{server.url}/v1/observe",
            headers=server.headers,
            json={"step": step, "metrics": {"reward/exact/mean": 1.0}},
        )
        assert r.status_code == 200
        return r.json()  # type: ignore[no-any-return]

    assert observe(0)["events"] == [] and server.service.authority.version == 1
    first = observe(1)  # window of 2 steps at mean 1.0 >= 0.5: raise 0.5 -> 1.0
    assert [(e["old"], e["new"]) for e in first["events"]] == [(0.5, 1.0)]
    again = observe(1)  # a trainer's retry: same events, nothing changes
    assert again["replayed"] and again["events"] == first["events"]
    assert again["state_version"] == first["state_version"] == 2
    scored = httpx.post(f"{server.url}/v1/score", json={"samples": two()}, headers=server.headers)
    assert scored.json()["results"][0]["reward"] == 1.0 and scored.json()["state_version"] == 2


def test_observe_with_a_misspelt_watched_metric_is_422_and_changes_nothing(
    server: Running,
) -> None:
    r = httpx.post(
        f"{server.url}/v1/observe",
        headers=server.headers,
        json={"step": 0, "metrics": {"reward/exakt/mean": 1.0}},
    )
    assert r.status_code == 422 and "Traceback" not in r.text
    body = r.json()
    assert body["error"] == "observe failed: step 0 was not observed"
    [problem] = body["problems"]
    assert problem["path"] == "schedules.w.watch"
    assert "'reward/exact/mean' (did you mean 'reward/exakt/mean'?)" in problem["message"]
    assert "POST /v1/observe must carry every metric a schedule watches" in problem["message"]
    assert server.service.authority.version == 0  # nothing observed, nothing written
    assert server.service.authority.program.step == 0


def test_observe_takes_null_for_a_statistic_that_is_not_finite(server: Running) -> None:
    r = httpx.post(
        f"{server.url}/v1/observe",
        headers=server.headers,
        json={"step": 0, "metrics": {"reward/exact/mean": None, "reward/std": None}},
    )
    assert r.status_code == 200 and r.json()["state_version"] == 1
    assert r.json()["events"] == []  # a step where the node applied to nothing moves nothing


def test_state_get_put_is_versioned(server: Running) -> None:
    got = httpx.get(f"{server.url}/v1/state", headers=server.headers).json()
    assert got["state_version"] == 0 and got["state"]["schedules"]["w"]["value"] == 0.5
    state = got["state"]
    state["schedules"]["w"].update(level=2, value=2.0)
    put = httpx.put(
        f"{server.url}/v1/state", headers=server.headers, json={"state": state, "if_version": 0}
    )
    assert put.status_code == 200 and put.json() == {"state_version": 1, "variables": {"w": 2.0}}
    stale = httpx.put(
        f"{server.url}/v1/state", headers=server.headers, json={"state": state, "if_version": 0}
    )
    assert stale.status_code == 409 and "version is 1" in stale.json()["error"]
    alien = httpx.put(
        f"{server.url}/v1/state",
        headers=server.headers,
        json={"state": {"schedules": {"nope": {}}}},
    )
    assert (
        alien.status_code == 422 and alien.json()["problems"][0]["path"] == "state.schedules.nope"
    )
    assert httpx.get(f"{server.url}/v1/state", headers=server.headers).json()["state_version"] == 1


def test_metrics_in_prometheus_text(server: Running) -> None:
    httpx.post(f"{server.url}/v1/score", json={"samples": two()}, headers=server.headers)
    httpx.post(f"{server.url}/v1/score", json={"samples": []}, headers=server.headers)
    text = httpx.get(f"{server.url}/metrics", headers=server.headers).text
    assert 'rewardkit_requests_total{code="200",endpoint="/v1/score"} 1.0' in text
    assert 'rewardkit_requests_total{code="422",endpoint="/v1/score"} 1.0' in text
    assert 'rewardkit_request_seconds_count{endpoint="/v1/score"} 2.0' in text
    assert "rewardkit_samples_total 2.0" in text
    assert 'rewardkit_variable{name="w"} 0.5' in text
    assert "rewardkit_state_version 0.0" in text


def test_a_config_without_schedules_serves_too() -> None:
    with thread_server({"reward": {"fn": "exact_match"}}, token=None) as s:  # no auth at all
        r = httpx.post(f"{s.url}/v1/score", json={"samples": two()})
        assert r.json()["variables"] == {} and r.json()["results"][1]["reward"] == 0.0
    assert LADDER["schedules"]  # the shared config is left as it was


def test_a_trajectory_is_scored_from_its_messages(server: Running) -> None:
    def trajectory(sample_id: str, final: str) -> dict[str, object]:
        call = {"type": "function", "function": {"name": "calc", "arguments": '{"e": "2+2"}'}}
        return {
            "id": sample_id,
            "reference": "4",
            "tools": [{"type": "function", "function": {"name": "calc", "parameters": {}}}],
            "messages": [
                {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": "4"},
                {"role": "assistant", "content": final},
            ],
        }

    body = {"samples": [trajectory("a", "4"), trajectory("b", "5")], "group_size": 2}
    r = httpx.post(f"{server.url}/v1/score", json=body, headers=server.headers)
    assert r.status_code == 200, r.text
    # the tool's "4" is not the model's answer: only the trajectory that answers 4 is paid
    assert [row["reward"] for row in r.json()["results"]] == [0.5, 0.0]
    bad = {"samples": [{"id": "a", "messages": [{"role": "robot", "content": "x"}]}]}
    r = httpx.post(f"{server.url}/v1/score", json=bad, headers=server.headers)
    assert r.status_code == 422 and "role 'robot'" in r.text
    neither = {"samples": [{"id": "a", "prompt": "p"}]}
    r = httpx.post(f"{server.url}/v1/score", json=neither, headers=server.headers)
    assert r.status_code == 422 and "give 'completion', or 'messages'" in r.text
