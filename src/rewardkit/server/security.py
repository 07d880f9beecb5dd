"""Bearer-token auth and a request-body limit, as plain ASGI middleware (no FastAPI import).

The token is compared in constant time. ``/healthz`` needs none. OpenRLHF's reward client cannot
set headers, so ``/get_reward`` also accepts the token as ``?token=`` in the URL it is given.
A body over the limit is refused with 413 before the app parses it.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from rewardkit.errors import InputError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV = "REWARDKIT_TOKEN"
OPEN_PATHS = frozenset({"/healthz"})
QUERY_TOKEN_PATHS = frozenset({"/get_reward"})


def resolve_token(token_file: Path | None) -> tuple[str, str]:
    """(token, where it came from): ``$REWARDKIT_TOKEN``, else the file, else a new one.

    >>> os.environ[TOKEN_ENV] = "s3cret"; resolve_token(None)
    ('s3cret', 'REWARDKIT_TOKEN')
    >>> del os.environ[TOKEN_ENV]
    """
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env, TOKEN_ENV
    if token_file is not None:
        if not token_file.is_file():
            raise InputError(f"token file {str(token_file)!r} does not exist")
        token = token_file.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise InputError(
                f"token file {str(token_file)!r} holds {len(token)} characters; use at least 16 "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return token, str(token_file)
    return secrets.token_urlsafe(32), "generated"


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    """Answer a request from middleware, before the app sees it."""
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class BearerAuth:
    """401 unless ``Authorization: Bearer <token>`` matches (``token=None``: no auth at all)."""

    def __init__(self, app: ASGIApp, token: str | None):
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.token is None or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self._allowed(scope):
            await self.app(scope, receive, send)
            return
        await send_json(
            send,
            401,
            {
                "error": "missing or wrong bearer token: send 'Authorization: Bearer <token>' "
                "with the token the server printed at start (or its REWARDKIT_TOKEN / "
                "--token-file)"
            },
            {"WWW-Authenticate": "Bearer"},
        )

    def _allowed(self, scope: Scope) -> bool:
        assert self.token is not None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return hmac.compare_digest(value[7:].strip(), self.token)
        if scope["path"] in QUERY_TOKEN_PATHS:
            query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
            given = query.get("token", [""])[0].encode()
            return hmac.compare_digest(given, self.token)
        return False


class BodyLimit:
    """413 for a body over ``max_bytes``, whether it declares its length or streams it."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await send_json(
            send,
            413,
            {
                "error": f"request body over {self.max_bytes} bytes; send fewer samples per "
                "request or start the server with a larger --max-body-mb"
            },
        )
