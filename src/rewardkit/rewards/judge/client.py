"""An OpenAI-compatible chat client for judges: async httpx, bounded, retried, cached, counted.

``JudgeEndpoint`` (a parameter model, part of every judge's params) says where and how to ask:
``base_url`` and ``model`` from the config or from ``REWARDKIT_JUDGE_BASE_URL`` /
``REWARDKIT_JUDGE_MODEL``; the key from ``api_key`` (a secret: never printed, never logged, never in
the cache key) or from the environment variable named by ``api_key_env``. ``JudgeClient.chat_many``
sends a list of chats with at most ``max_concurrency`` in flight, a ``timeout_s`` per request, and up
to ``max_retries`` retries on 429, 5xx, timeouts and connection errors, waiting
``backoff_s * 2**attempt`` (or the server's ``Retry-After``, capped at ``max_backoff_s``).

Replies are cached on disk, one JSON file per key = sha256(base_url, model, messages, sampling
parameters), so re-scoring the same samples costs nothing. ``JudgeClient.stats`` counts requests,
cache hits, retries, timeouts, failures, tokens and cost (``price_in`` / ``price_out`` per million
tokens).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, SecretStr

from rewardkit.errors import JudgeRequestError, RewardKitError, require
from rewardkit.registry import Params

T = TypeVar("T")
DEFAULT_CACHE = Path.home() / ".cache" / "rewardkit" / "judge"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class JudgeEndpoint(Params):
    """Where the judge runs and how to call it (every judge component's params include these)."""

    base_url: str | None = None
    """``.../v1`` of an OpenAI-compatible server; default ``$REWARDKIT_JUDGE_BASE_URL``."""
    model: str | None = None
    """The model name sent with each request; default ``$REWARDKIT_JUDGE_MODEL``."""
    api_key: SecretStr | None = None
    api_key_env: str = "REWARDKIT_JUDGE_API_KEY"
    temperature: float = Field(0.0, ge=0.0)
    max_tokens: int = Field(256, ge=1)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0)
    backoff_s: float = Field(0.5, ge=0)
    max_backoff_s: float = Field(30.0, ge=0)
    max_concurrency: int = Field(8, ge=1)
    cache: bool = True
    cache_dir: str | None = None
    """Default ``$REWARDKIT_JUDGE_CACHE``, else ``~/.cache/rewardkit/judge``."""
    price_in: float = Field(0.0, ge=0)
    """Cost per million prompt tokens (any currency), for the cost counter."""
    price_out: float = Field(0.0, ge=0)


@dataclass
class JudgeStats:
    """Counters of one client, summed over every call (the judge's diagnostics)."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    timeouts: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ChatReply:
    """One judge reply: its text, why it stopped, its token counts, and whether it was cached."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost: float
    cached: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class JudgeClient:
    """Sends chats to one endpoint. One instance per endpoint config keeps the counters.

    >>> JudgeClient(JudgeEndpoint(base_url="http://127.0.0.1:9/v1", model="m")).url
    'http://127.0.0.1:9/v1/chat/completions'
    """

    def __init__(self, endpoint: JudgeEndpoint):
        base = endpoint.base_url or os.environ.get("REWARDKIT_JUDGE_BASE_URL")
        model = endpoint.model or os.environ.get("REWARDKIT_JUDGE_MODEL")
        if not base or not model:
            raise RewardKitError(
                "judge endpoint not set: give base_url and model in the params, or set "
                "REWARDKIT_JUDGE_BASE_URL and REWARDKIT_JUDGE_MODEL"
            )
        self.endpoint = endpoint
        self.model = model
        self.url = base.rstrip("/") + "/chat/completions"
        cache = endpoint.cache_dir or os.environ.get("REWARDKIT_JUDGE_CACHE") or DEFAULT_CACHE
        self.cache_dir = Path(cache) if endpoint.cache else None
        self.stats = JudgeStats()
        self._lock = threading.Lock()

    def _headers(self) -> dict[str, str]:
        key = self.endpoint.api_key.get_secret_value() if self.endpoint.api_key else None
        key = key or os.environ.get(self.endpoint.api_key_env)
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _body(self, messages: Sequence[dict[str, str]]) -> dict[str, Any]:
        e = self.endpoint
        return {
            "model": self.model,
            "messages": list(messages),
            "temperature": e.temperature,
            "max_tokens": e.max_tokens,
        }

    def cache_key(self, body: dict[str, Any]) -> str:
        """sha256 of the URL and the request body (model, messages, sampling; never the key)."""
        blob = json.dumps([self.url, body], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def chat_many(self, chats: Sequence[Sequence[dict[str, str]]]) -> list[ChatReply | Exception]:
        """Each chat's reply, or the exception that ended it (in order); blocks until all done."""
        return run_sync(self._gather(chats))

    async def _gather(self, chats: Sequence[Sequence[dict[str, str]]]) -> list[Any]:
        httpx = require("httpx", "judge")
        gate = asyncio.Semaphore(self.endpoint.max_concurrency)
        timeout = httpx.Timeout(self.endpoint.timeout_s)
        async with httpx.AsyncClient(timeout=timeout, headers=self._headers()) as http:

            async def one(chat: Sequence[dict[str, str]]) -> ChatReply:
                async with gate:
                    return await self._chat(http, self._body(chat))

            return list(await asyncio.gather(*(one(c) for c in chats), return_exceptions=True))

    async def _chat(self, http: Any, body: dict[str, Any]) -> ChatReply:
        key = self.cache_key(body)
        cached = self._cache_get(key)
        if cached is not None:
            with self._lock:
                self.stats.cache_hits += 1
            return cached
        data = await self._post(http, body)
        reply = self._reply(data)
        self._cache_put(key, data)
        return reply

    async def _post(self, http: Any, body: dict[str, Any]) -> dict[str, Any]:
        httpx = require("httpx", "judge")
        e = self.endpoint
        for attempt in range(e.max_retries + 1):
            last = attempt == e.max_retries
            wait = min(e.backoff_s * 2**attempt, e.max_backoff_s)
            with self._lock:
                self.stats.requests += 1
                self.stats.retries += attempt > 0
            try:
                resp = await http.post(self.url, json=body)
            except httpx.TimeoutException as exc:
                with self._lock:
                    self.stats.timeouts += 1
                problem: str = f"timed out after {e.timeout_s:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"connection failed: {type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return dict(resp.json())
                problem = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code not in RETRY_STATUS:
                    last = True
                wait = min(_retry_after(resp) or wait, e.max_backoff_s)
            if last:
                with self._lock:
                    self.stats.failures += 1
                raise JudgeRequestError(
                    f"judge request to {self.url} failed after {attempt + 1} attempt(s): {problem}"
                )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    def _reply(self, data: dict[str, Any], cached: bool = False) -> ChatReply:
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise JudgeRequestError(f"judge reply is not a chat completion: {exc!r}") from None
        usage = data.get("usage") or {}
        p_in, p_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        cost = (p_in * self.endpoint.price_in + p_out * self.endpoint.price_out) / 1e6
        if not cached:
            with self._lock:
                self.stats.prompt_tokens += p_in
                self.stats.completion_tokens += p_out
                self.stats.cost += cost
        return ChatReply(text, choice.get("finish_reason"), p_in, p_out, cost, cached)

    def _cache_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, key: str) -> ChatReply | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return self._reply(json.loads(path.read_text()), cached=True)
        except (OSError, ValueError, JudgeRequestError):
            return None  # a torn or foreign file is a miss, rewritten below

    def _cache_put(self, key: str, data: dict[str, Any]) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)  # atomic: a concurrent reader sees the old file or the whole new one


def _retry_after(resp: Any) -> float | None:
    try:
        return float(resp.headers.get("retry-after", ""))
    except ValueError:
        return None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, also when an event loop is running
    in this thread (e.g. inside the server): then it runs on a fresh loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="rewardkit-judge")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


_CLIENTS: dict[str, JudgeClient] = {}


def client_for(endpoint: JudgeEndpoint) -> JudgeClient:
    """The shared client of an endpoint config (so its counters add up across batches)."""
    secret = endpoint.api_key.get_secret_value() if endpoint.api_key else ""
    # The dump shows a SecretStr as '**********': the key's digest tells two keys apart.
    key = endpoint.model_dump_json() + hashlib.sha256(secret.encode()).hexdigest()
    if key not in _CLIENTS:
        _CLIENTS[key] = JudgeClient(endpoint)
    return _CLIENTS[key]
