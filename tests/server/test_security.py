"""Where the token comes from, and the body limit on a streamed (chunked) body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rk_servers import thread_server

from rewardkit.errors import InputError
from rewardkit.server.security import TOKEN_ENV, resolve_token

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
