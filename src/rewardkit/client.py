"""``RewardClient`` and ``AsyncRewardClient``: httpx clients of a ``rewardkit serve`` server.

A refused request raises (401, 413, 422 and any other error status), never returns None: a
trainer learns at the failing call, not steps later. 503 (a full queue; its Retry-After is
honoured) and connection errors are retried with exponential backoff; every request is safe to
repeat (scoring is pure and observe is idempotent per step).

>>> with RewardClient("http://127.0.0.1:8000", token="...") as client:  # doctest: +SKIP
...     client.score([Sample(id="a", group="q", prompt="2+2?", completion="4", reference="4")])
{'state_version': 0, 'variables': {}, 'results': [{'id': 'a', 'reward': 1.0, ...}]}
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rewardkit.errors import (
    InvalidRequest,
    ServerError,
    TooLarge,
    Unauthorized,
    require,
)
from rewardkit.types import Sample

TOKEN_ENV = "REWARDKIT_TOKEN"
RETRY_STATUS = frozenset({503})


_BY_STATUS: dict[int, type[ServerError]] = {401: Unauthorized, 413: TooLarge, 422: InvalidRequest}


@dataclass(frozen=True)
class Retry:
    """How many times to retry and how long to wait: ``backoff_s * 2**attempt``, at most
    ``max_wait_s`` (a 503's Retry-After, when larger, is used instead)."""

    attempts: int = 5
    backoff_s: float = 0.2
    max_wait_s: float = 5.0

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before retry number ``attempt`` (0-based).

        >>> Retry(backoff_s=0.5).wait(2), Retry().wait(0, "3")
        (2.0, 3.0)
        """
        delay = min(self.max_wait_s, self.backoff_s * 2**attempt)
        if retry_after is not None and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return delay


def sample_json(sample: Sample | Mapping[str, Any]) -> dict[str, Any]:
    """A Sample as the server's JSON (a mapping passes through).

    >>> sample_json(Sample(id="a", group="g", prompt="p", completion="c"))["completion"]
    'c'
    """
    if isinstance(sample, Mapping):
        return dict(sample)
    data = asdict(sample)
    data["meta"] = dict(sample.meta)
    return {k: v for k, v in data.items() if v is not None or k == "reference"}


class _Calls:
    """Request bodies and answer checks shared by the sync and async clients."""

    def __init__(self, base_url: str, token: str | None, timeout: float, retry: Retry | None):
        self.base_url = base_url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout
        self.retry = retry or Retry()
        self.httpx = require("httpx", "server")

    @staticmethod
    def score_body(
        samples: Sequence[Sample | Mapping[str, Any]], group_size: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"samples": [sample_json(s) for s in samples]}
        if group_size is not None:
            body["group_size"] = group_size
        return body

    @staticmethod
    def observe_body(
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Sequence[Mapping[str, Any]] | None,
    ) -> dict[str, Any]:
        """The body of ``POST /v1/observe``; a metric that is not finite (or None) is null.

        >>> _Calls.observe_body(3, {"reward/mean": 0.5, "reward/p/mean": float("nan")}, None)
        {'step': 3, 'metrics': {'reward/mean': 0.5, 'reward/p/mean': None}}
        """
        from rewardkit.protocol import wire_metrics

        plain = {k: math.nan if v is None else float(v) for k, v in metrics.items()}
        body: dict[str, Any] = {"step": step, "metrics": wire_metrics(plain)}
        if outcomes is not None:
            body["outcomes"] = [dict(o) for o in outcomes]
        return body

    def retryable(self, response: Any) -> bool:
        return response.status_code in RETRY_STATUS

    def answer(self, response: Any) -> Any:
        if response.status_code < 400:
            ctype = response.headers.get("content-type", "")
            return response.json() if ctype.startswith("application/json") else response.text
        try:
            body = response.json()
            message, problems = str(body.get("error", body)), body.get("problems", [])
        except ValueError:
            message, problems = response.text[:500], []
        raise _BY_STATUS.get(response.status_code, ServerError)(
            response.status_code, message, problems
        )


class RewardClient(_Calls):
    """Blocking client. ``token`` defaults to ``$REWARDKIT_TOKEN``; ``timeout`` is per request."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 60.0,
        retry: Retry | None = None,
    ):
        super().__init__(base_url, token, timeout, retry)
        self.http = self.httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout)

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call with retries; the decoded answer, or ServerError / httpx.TransportError."""
        for attempt in range(self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                response = self.http.request(method, path, json=body)
            except self.httpx.TransportError:
                if last:
                    raise
                time.sleep(self.retry.wait(attempt))
                continue
            if last or not self.retryable(response):
                return self.answer(response)
            time.sleep(self.retry.wait(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # pragma: no cover

    def score(
        self, samples: Sequence[Sample | Mapping[str, Any]], group_size: int | None = None
    ) -> dict[str, Any]:
        """Rewards, node values and errors per sample; with ``group_size``, advantages too."""
        return self.request("POST", "/v1/score", self.score_body(samples, group_size))

    def get_reward(
        self, query: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]
    ) -> dict[str, Any]:
        """OpenRLHF's call: ``rewards``, ``scores`` and ``extra_logs``."""
        body = {"query": list(query), "prompts": list(prompts), "labels": list(labels)}
        return self.request("POST", "/get_reward", body)

    def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Advance the schedules with finished step ``step``; the events come back."""
        return self.request("POST", "/v1/observe", self.observe_body(step, metrics, outcomes))

    def state(self) -> dict[str, Any]:
        """``{"state_version", "state", "variables"}``."""
        return self.request("GET", "/v1/state")

    def put_state(self, state: Mapping[str, Any], if_version: int | None = None) -> dict[str, Any]:
        """Load a whole state (a checkpoint's); 409 (ServerError) when ``if_version`` is stale."""
        return self.request("PUT", "/v1/state", {"state": dict(state), "if_version": if_version})

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/healthz")


class AsyncRewardClient(_Calls):
    """The same calls for asyncio code (``await client.score(...)``)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 60.0,
        retry: Retry | None = None,
    ):
        super().__init__(base_url, token, timeout, retry)
        self.http = self.httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout
        )

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call with retries (see RewardClient.request)."""
        for attempt in range(self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                response = await self.http.request(method, path, json=body)
            except self.httpx.TransportError:
                if last:
                    raise
                await asyncio.sleep(self.retry.wait(attempt))
                continue
            if last or not self.retryable(response):
                return self.answer(response)
            await asyncio.sleep(self.retry.wait(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # pragma: no cover

    async def score(
        self, samples: Sequence[Sample | Mapping[str, Any]], group_size: int | None = None
    ) -> dict[str, Any]:
        return await self.request("POST", "/v1/score", self.score_body(samples, group_size))

    async def get_reward(
        self, query: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]
    ) -> dict[str, Any]:
        body = {"query": list(query), "prompts": list(prompts), "labels": list(labels)}
        return await self.request("POST", "/get_reward", body)

    async def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body = self.observe_body(step, metrics, outcomes)
        return await self.request("POST", "/v1/observe", body)

    async def state(self) -> dict[str, Any]:
        return await self.request("GET", "/v1/state")

    async def put_state(
        self, state: Mapping[str, Any], if_version: int | None = None
    ) -> dict[str, Any]:
        body = {"state": dict(state), "if_version": if_version}
        return await self.request("PUT", "/v1/state", body)

    async def health(self) -> dict[str, Any]:
        return await self.request("GET", "/healthz")
