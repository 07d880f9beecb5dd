"""Bearer-token auth and a request-body limit, as plain ASGI middleware (no FastAPI import).

The token comes from ``$REWARDKIT_TOKEN``, else ``--token-file``, else the token file beside the
state file (``<state>.token``, mode 0600), which is written with a new token on the first start
and read on every restart, so clients keep working across restarts. Every token has at least
16 characters, and none is ever logged or put in an error message.

The token is compared in constant time. ``/healthz`` needs none. Besides ``Authorization:
Bearer <token>``, HTTP Basic auth with the token as password is accepted: a client that cannot
set headers (OpenRLHF's) is given ``http://rewardkit:<token>@host:port/get_reward``, which its
HTTP library turns into a header and strips from the URL it logs. ``/get_reward`` also accepts
``?token=`` (older setups; that URL ends up in the client's logs). A body over the limit is
refused with 413 before the app parses it.
"""

from __future__ import annotations

import base64
import binascii
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


MIN_TOKEN_CHARS = 16
MAKE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def resolve_token(token_file: Path | None, state: Path | None = None) -> tuple[str, str]:
    """(token, where it came from): ``$REWARDKIT_TOKEN``, else ``token_file``, else the token
    file beside ``state`` (kept from an earlier start, or "generated" into it now), else a new
    token that lives as long as the process.

    >>> os.environ[TOKEN_ENV] = "s3cret-0123456789"; resolve_token(None)
    ('s3cret-0123456789', 'REWARDKIT_TOKEN')
    >>> del os.environ[TOKEN_ENV]
    """
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return _long_enough(env, f"${TOKEN_ENV}"), TOKEN_ENV
    if token_file is not None:
        if not token_file.is_file():
            raise InputError(f"token file {str(token_file)!r} does not exist")
        token = token_file.read_text(encoding="utf-8").strip()
        return _long_enough(token, f"token file {str(token_file)!r}"), str(token_file)
    if state is None:
        return secrets.token_urlsafe(32), "generated"
    return _kept_token(token_path(state))


def token_path(state: Path) -> Path:
    """Where the token of the server with state file ``state`` is kept.

    >>> token_path(Path("runs/rewardkit-state.db")).as_posix()
    'runs/rewardkit-state.db.token'
    """
    return state.with_name(state.name + ".token")


def _kept_token(path: Path) -> tuple[str, str]:
    """The token in ``path`` (owner-only), or a new one written there (mode 0600)."""
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise InputError(
                f"token file {str(path)!r} can be read by other users (mode {mode:o}); "
                f"chmod 600 {path}"
            ) from None
        kept = path.read_text(encoding="utf-8").strip()
        return _long_enough(kept, f"token file {str(path)!r}"), str(path)
    except OSError as exc:
        raise InputError(f"cannot write the token file {str(path)!r}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token, "generated"


def _long_enough(token: str, where: str) -> str:
    if len(token) < MIN_TOKEN_CHARS:
        raise InputError(
            f"{where} holds {len(token)} characters; use at least {MIN_TOKEN_CHARS} ({MAKE_TOKEN})"
        )
    return token


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
            if name != b"authorization":
                continue
            scheme, _, given = bytes(value).partition(b" ")
            if scheme.lower() == b"bearer":
                return hmac.compare_digest(given.strip(), self.token)
            if scheme.lower() == b"basic":  # any user name, the token as password
                return hmac.compare_digest(_basic_password(given.strip()), self.token)
        if scope["path"] in QUERY_TOKEN_PATHS:
            query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
            given = query.get("token", [""])[0].encode()
            return hmac.compare_digest(given, self.token)
        return False


def _basic_password(credentials: bytes) -> bytes:
    """The password of HTTP Basic ``credentials`` (base64 of ``user:password``); b"" if malformed.

    >>> _basic_password(base64.b64encode(b"rewardkit:s3cret"))
    b's3cret'
    """
    try:
        decoded = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        return b""
    return decoded.partition(b":")[2]


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
        await self.app(scope, replayed(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send) -> None:
        await send_json(
            send,
            413,
            {
                "error": f"request body over {self.max_bytes} bytes; send fewer samples per "
                "request or start the server with a larger --max-body-mb"
            },
        )


def replayed(body: bytes, receive: Receive) -> Receive:
    """An ASGI ``receive`` that gives an app a body already read (whole, in one message), then
    passes on what the client sends next (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
