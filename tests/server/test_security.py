"""Where the token comes from (the environment, a file, the file kept beside the state), its
minimum length, Basic auth for clients without headers (OpenRLHF's, whose logs then show no
token), and the body limit on a streamed (chunked) body."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rk_servers import TOKEN, thread_server

from rewardkit.errors import InputError
from rewardkit.server.security import TOKEN_ENV, resolve_token, token_path

pytestmark = pytest.mark.server


def test_token_from_env_then_file_then_generated(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    short, good = tmp_path / "short", tmp_path / "good"
    short.write_text("abc\n")
    good.write_text("a-token-of-enough-length\n")
    assert resolve_token(good) == ("a-token-of-enough-length", str(good))
    with pytest.raises(InputError, match="at least 16"):
        resolve_token(short)
    with pytest.raises(InputError, match="does not exist"):
        resolve_token(tmp_path / "missing")
    token, source = resolve_token(None)
    assert source == "generated" and len(token) >= 32 and token != resolve_token(None)[0]
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    assert resolve_token(good) == ("from-the-environment", TOKEN_ENV)  # the env wins
    monkeypatch.setenv(TOKEN_ENV, "short")  # the same minimum as a token file
    with pytest.raises(InputError, match=r"\$REWARDKIT_TOKEN holds 5 characters; use at least 16"):
        resolve_token(good)


def test_a_token_beside_the_state_is_written_once_then_kept(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    state = tmp_path / "state.db"
    token, source = resolve_token(None, state)
    assert source == "generated" and len(token) >= 32
    kept = token_path(state)
    assert kept == tmp_path / "state.db.token" and kept.stat().st_mode & 0o777 == 0o600
    assert resolve_token(None, state) == (token, str(kept))  # a restart reads it back
    os.chmod(kept, 0o644)
    with pytest.raises(InputError, match=r"can be read by other users.*chmod 600"):
        resolve_token(None, state)


def test_basic_auth_carries_the_token_and_openrlhf_logs_show_none(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    agent = pytest.importorskip("openrlhf.utils.agent", reason="pip install --no-deps openrlhf")
    body = {"query": ["4"], "prompts": [""], "labels": ["4"]}
    with thread_server() as s:
        host = s.url.removeprefix("http://")
        ok = httpx.post(f"http://rewardkit:{TOKEN}@{host}/get_reward", json=body)
        assert ok.status_code == 200
        wrong = httpx.post(f"http://rewardkit:not-the-token@{host}/v1/score", json={})
        assert wrong.status_code == 401
        executor = agent.SingleTurnAgentExecutor(f"http://rewardkit:{TOKEN}@{host}/get_reward")
        got = asyncio.run(executor._fetch_rewards_via_http(["4"], [""], ["4"]))
        assert got[0]["rewards"] == [0.5]
        # a refused request is what OpenRLHF logs (with its URL), five times
        wrong_token = "a-wrong-token-0123456789"
        executor = agent.SingleTurnAgentExecutor(
            f"http://rewardkit:{wrong_token}@{host}/get_reward"
        )
        capfd.readouterr()
        caplog.clear()
        with caplog.at_level(logging.INFO), pytest.raises(RuntimeError, match="5 times"):
            asyncio.run(executor._fetch_rewards_via_http(["4"], [""], ["4"]))
    logged = "".join(capfd.readouterr()) + caplog.text  # its logger's own handler, or pytest's
    assert f"{host}/get_reward" in logged and "401" in logged
    assert wrong_token not in logged


def test_a_streamed_body_over_the_limit_is_413() -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        yield b'{"samples": [{"id": "a", "completion": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}]}'

    with thread_server(max_body_bytes=2000) as s:
        r = httpx.post(f"{s.url}/v1/score", content=chunks(), headers=s.headers)
        assert r.status_code == 413 and "2000 bytes" in r.json()["error"]
        small = httpx.post(f"{s.url}/v1/score", headers=s.headers,
                           json={"samples": [{"id": "a", "completion": "4"}]})  # fmt: skip
        assert small.status_code == 200
