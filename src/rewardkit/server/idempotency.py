"""``Idempotency-Key``: a retried request is answered from the server's record, not run again.

A client that lost an answer (a reset connection, a timeout, a proxy's 502) sends the same
request again with the same key (``rewardkit.client`` does, for every POST and PUT). The record
keeps the answers of the last ``max_keys`` keys (2xx answers only, at most ``max_bytes`` of
bodies, least recently used first out), and a request whose key is still running waits for that
run's answer instead of starting a second one, so two copies of a request score once. The same
key sent with another method, path or body is a client bug: 422, nothing runs.

The record is in memory, per process: after a restart (or on another Ray Serve replica) a retry
runs again, which gives the same answer since scoring is pure and observe is idempotent per step.
``rewardkit_idempotent_replays_total{how}`` counts answers from the ``record`` and ``joined`` runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import require
from rewardkit.server.security import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    replayed,
    send_json,
)

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_CHARS = 200
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Recorded:
    """One answer as sent: status, headers and body, and the request it answered."""

    fingerprint: bytes
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


class IdempotencyRecord:
    """ASGI middleware keeping the answers of requests that carry an ``Idempotency-Key``.

    >>> async def app(scope, receive, send): ...
    >>> IdempotencyRecord(app, max_keys=2).max_keys
    2
    """

    def __init__(
        self,
        app: ASGIApp,
        registry: Any = None,
        max_keys: int = 4096,
        max_bytes: int = 64 * 1024 * 1024,
    ):
        prom = require("prometheus_client", "server")
        self.app, self.max_keys, self.max_bytes = app, max_keys, max_bytes
        self.done: OrderedDict[str, Recorded] = OrderedDict()
        self.running: dict[str, tuple[bytes, asyncio.Future[Recorded | None]]] = {}
        self.bytes = 0
        self.replays = prom.Counter(
            "rewardkit_idempotent_replays",
            "retried requests answered from the record or by joining the same request in flight",
            ["how"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_CHARS:
            message = f"Idempotency-Key of {len(key)} characters; at most {MAX_KEY_CHARS}"
            await send_json(send, 422, {"error": message})
            return
        body = await _read_body(receive)
        if body is None:  # the client went away before it finished sending
            return
        fingerprint = _fingerprint(scope, body)
        while True:
            recorded = self.done.get(key)
            if recorded is not None:
                self.done.move_to_end(key)
                await self._replay(send, recorded, fingerprint, "record")
                return
            if key not in self.running:
                break
            their_fingerprint, future = self.running[key]
            if their_fingerprint != fingerprint:
                await _mismatch(send)
                return
            joined = await asyncio.shield(future)
            if joined is not None:
                await self._replay(send, joined, fingerprint, "joined")
                return  # else that run ended without an answer: run this one
        await self._run(key, fingerprint, scope, (body, receive), send)

    async def _run(self, key: str, fingerprint: bytes, scope: Scope,
                   request: tuple[bytes, Receive], send: Send) -> None:  # fmt: skip
        future: asyncio.Future[Recorded | None] = asyncio.get_running_loop().create_future()
        self.running[key] = (fingerprint, future)
        recorded = Recorded(fingerprint)
        body, receive = request
        receive_body = replayed(body, receive)

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                recorded.status = message["status"]
                recorded.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                recorded.chunks.append(message.get("body", b""))
                recorded.complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive_body, capture)
        finally:
            del self.running[key]
            future.set_result(recorded if recorded.complete else None)
            if recorded.complete and 200 <= recorded.status < 300:
                self._keep(key, recorded)

    def _keep(self, key: str, recorded: Recorded) -> None:
        self.done[key] = recorded
        self.bytes += len(recorded.body)
        while self.done and (len(self.done) > self.max_keys or self.bytes > self.max_bytes):
            _, oldest = self.done.popitem(last=False)
            self.bytes -= len(oldest.body)

    async def _replay(self, send: Send, recorded: Recorded, fingerprint: bytes, how: str) -> None:
        if recorded.fingerprint != fingerprint:
            await _mismatch(send)
            return
        self.replays.labels(how).inc()
        headers = [*recorded.headers, (REPLAYED_HEADER, b"true")]
        await send({"type": "http.response.start", "status": recorded.status, "headers": headers})
        await send({"type": "http.response.body", "body": recorded.body})


def _key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") not in WRITES:
        return None
    for name, value in scope.get("headers", []):
        if name == HEADER:
            return bytes(value).decode("latin-1").strip() or None
    return None


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _fingerprint(scope: Scope, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.digest()


async def _mismatch(send: Send) -> None:
    message = (
        "this Idempotency-Key was sent before with another request; use a new key for each "
        "request and the same key only for its retries"
    )
    await send_json(send, 422, {"error": message})
