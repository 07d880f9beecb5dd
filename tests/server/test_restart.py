"""A server restarted mid-training on its SQLite state resumes the exact schedule; a client that
retries rides through a kill -9 and restart without losing a request; a generated token is kept
for restarts."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from rk_servers import LADDER, cli_server

from rewardkit.client import Retry, RewardClient
from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.server.state import ProgramState, StateStore

pytestmark = [pytest.mark.server, pytest.mark.process]

# Window 2, raise when the window mean >= 0.5 (after a raise the older half is dropped):
STREAM = [0.2, 0.3, 0.9, 0.8, 0.1, 0.2, 0.7, 0.6, 0.9, 0.9]


def uninterrupted() -> list[list[dict[str, Any]]]:
    program = RewardProgram.from_dict(LADDER)
    return [
        [e.as_dict() for e in program.observe(step, {"reward/exact/mean": m})]
        for step, m in enumerate(STREAM)
    ]


def observe(url: str, headers: dict[str, str], step: int) -> dict[str, Any]:
    r = httpx.post(
        f"{url}/v1/observe",
        headers=headers,
        json={"step": step, "metrics": {"reward/exact/mean": STREAM[step]}},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_restart_mid_training_gives_the_events_of_an_uninterrupted_run(tmp_path: Path) -> None:
    expected = uninterrupted()
    assert sum(map(len, expected)) >= 2  # the stream does move the ladder
    state = str(tmp_path / "state.db")
    token = {"REWARDKIT_TOKEN": "restart-token-0123456789"}
    headers = {"Authorization": "Bearer restart-token-0123456789"}
    first = cli_server(tmp_path, LADDER, "--workers", "0", "--state", state, env=token)
    try:
        got = [observe(first.url, headers, step)["events"] for step in range(5)]
        before = httpx.get(f"{first.url}/v1/state", headers=headers).json()
    finally:
        first.stop()
    second = cli_server(tmp_path, LADDER, "--workers", "0", "--state", state, env=token)
    try:
        after = httpx.get(f"{second.url}/v1/state", headers=headers).json()
        assert after == before  # same version, state and variables
        retry = observe(second.url, headers, 4)  # the trainer retries its last step
        assert retry["replayed"] and retry["events"] == got[4]
        got += [observe(second.url, headers, step)["events"] for step in range(5, len(STREAM))]
        final = httpx.get(f"{second.url}/v1/state", headers=headers).json()
    finally:
        second.stop()
    assert got == expected
    assert final["state_version"] == len(STREAM)
    program = RewardProgram.from_dict(LADDER)
    for step, m in enumerate(STREAM):
        program.observe(step, {"reward/exact/mean": m})
    assert final["state"] == program.state_dict() and final["variables"] == program.variables


def test_a_state_file_of_another_config_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    ProgramState(RewardProgram.from_dict(LADDER), StateStore(state)).store.close()
    other = RewardProgram.from_dict({**LADDER, "on_error": "raise"})
    with pytest.raises(ConfigError, match="written for a different config"):
        ProgramState(other, StateStore(state))


def test_a_generated_token_is_printed_once_kept_and_required_after_a_restart(
    tmp_path: Path,
) -> None:
    state = str(tmp_path / "s.db")
    server = cli_server(tmp_path, LADDER, "--workers", "0", "--state", state)
    try:
        token = server.token
        assert token and len(token) >= 32
        assert sum("token" in line for line in server.output) == 1
        url = f"{server.url}/v1/state"
        assert httpx.get(url).status_code == 401
        ok = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        server.stop()
    kept = tmp_path / "s.db.token"
    assert kept.read_text().strip() == token and kept.stat().st_mode & 0o777 == 0o600
    again = cli_server(tmp_path, LADDER, "--workers", "0", "--state", state)
    try:
        assert again.token is None and not any(token in line for line in again.output)
        url = f"{again.url}/v1/state"
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert (
            httpx.get(url, headers={"Authorization": "Bearer not-the-kept-token"}).status_code
            == 401
        )
    finally:
        again.stop()


def test_a_retrying_client_loses_nothing_when_the_server_is_killed_and_restarted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rewardkit.client")
    with socket.socket() as probe:  # the restarted server must come back on the same port
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    token = "restart-token-0123456789"
    args = ("--workers", "0", "--state", str(tmp_path / "state.db"), "--port", port)
    first = cli_server(tmp_path, LADDER, *args, env={"REWARDKIT_TOKEN": token})
    done: list[tuple[list[float], list[dict[str, Any]]]] = []
    sample = {"id": "a", "completion": "4", "reference": "4"}
    scored_step_3, killed = threading.Event(), threading.Event()

    def trainer() -> None:
        retry = Retry(backoff_s=0.05, max_wait_s=0.5, deadline_s=120)
        with RewardClient(first.url, token=token, retry=retry) as client:
            for step, mean in enumerate(STREAM):
                rewards = [r["reward"] for r in client.score([sample])["results"]]
                if step == 3:  # step 3's observe goes to a dead server, then to the new one
                    scored_step_3.set()
                    killed.wait(60)
                events = client.observe(step, {"reward/exact/mean": mean})["events"]
                done.append((rewards, events))

    thread = threading.Thread(target=trainer)
    thread.start()
    try:
        assert scored_step_3.wait(60)
        first.stop(signal.SIGKILL)  # no drain, no goodbye
        killed.set()
        second = cli_server(tmp_path, LADDER, *args, env={"REWARDKIT_TOKEN": token})
        thread.join(180)
    finally:
        killed.set()
        first.stop()
    try:
        with RewardClient(second.url, token=token) as client:
            final = client.state()
    finally:
        second.stop()
    assert any("retrying" in r.getMessage() for r in caplog.records)  # it did wait it out
    assert [events for _, events in done] == uninterrupted()  # every step, observed once
    program = RewardProgram.from_dict(LADDER)
    for step, mean in enumerate(STREAM):  # each reward is the one its step's weight gives
        assert done[step][0] == [program.variables["w"]]
        program.observe(step, {"reward/exact/mean": mean})
    assert final["state_version"] == len(STREAM) and final["state"] == program.state_dict()
