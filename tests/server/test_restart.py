"""A server restarted mid-training on its SQLite state resumes the exact schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from rk_servers import LADDER, cli_server

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


def test_a_generated_token_is_printed_once_and_required(tmp_path: Path) -> None:
    server = cli_server(tmp_path, LADDER, "--workers", "0", "--state", str(tmp_path / "s.db"))
    try:
        assert server.token and len(server.token) >= 32
        assert sum("token" in line for line in server.output) == 1
        url = f"{server.url}/v1/state"
        assert httpx.get(url).status_code == 401
        ok = httpx.get(url, headers={"Authorization": f"Bearer {server.token}"})
        assert ok.status_code == 200
    finally:
        server.stop()
