"""``RewardClient`` and ``AsyncRewardClient``: httpx clients of a ``rewardkit serve`` server.

A refused request raises (401, 413, 422 and any other error status), never returns None: a
trainer learns at the failing call, not steps later. What a restart or a full queue looks like
is retried with exponential backoff until the deadline (``Retry.deadline_s``): connection
errors and timeouts, 502, 503 (its Retry-After honoured) and 504, and a 404 or 500 that did not
come from rewardkit (Ray Serve's proxy while a replica restarts). Each call carries an
``Idempotency-Key`` that its retries reuse, so a retried request the server already answered is
answered from its record, not scored again. Every error is rewardkit's own (``ServerError`` and
its subclasses, ``ServerUnreachable``), naming the URL and the attempt; never an httpx one.
Each retry is logged at INFO on ``rewardkit.client`` (the URL without credentials).

>>> with RewardClient("http://127.0.0.1:8000", token="...") as client:  # doctest: +SKIP
...     client.score([Sample(id="a", group="q", prompt="2+2?", completion="4", reference="4")])
{'state_version': 0, 'variables': {}, 'results': [{'id': 'a', 'reward': 1.0, ...}]}
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from rewardkit.client.retry import (
    FRONT_RETRY_STATUS,
    IDEMPOTENCY_HEADER,
    OWN_HEADER,
    RETRY_STATUS,
    Retry,
    _Tries,
    public_url,
)
from rewardkit.errors import (
    InvalidRequest,
    ServerError,
    ServerUnreachable,
    TooLarge,
    Unauthorized,
    require,
)
from rewardkit.types import Sample

log = logging.getLogger("rewardkit.client")
TOKEN_ENV = "REWARDKIT_TOKEN"
_BY_STATUS: dict[int, type[ServerError]] = {401: Unauthorized, 413: TooLarge, 422: InvalidRequest}


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

    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float,
        retry: Retry | None,
        deadline_s: float | None,
    ):
        self.base_url = base_url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout
        self.retry = retry or Retry()
        if deadline_s is not None:
            self.retry = replace(self.retry, deadline_s=deadline_s)
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

    def start(self, method: str, path: str) -> tuple[_Tries, dict[str, str]]:
        """The call's attempts and its headers (the idempotency key, for writes)."""
        tries = _Tries(self.retry, public_url(self.base_url + path))
        return tries, {IDEMPOTENCY_HEADER: tries.key} if method in ("POST", "PUT") else {}

    def failed(self, tries: _Tries, exc: Exception) -> float:
        """The wait before retrying after ``exc`` (an httpx error), or rewardkit's error raised."""
        cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        wait = tries.wait() if isinstance(exc, self.httpx.TransportError) else None
        if wait is None:
            raise ServerUnreachable(tries.url, tries.count, cause) from None
        log.info("%s: attempt %d got %s; retrying in %.2f s", tries.url, tries.count, cause, wait)
        return wait

    def retry_wait(self, tries: _Tries, response: Any) -> float | None:
        """The wait before retrying after ``response``, or None: it is the answer."""
        status, own = response.status_code, OWN_HEADER in response.headers
        again = (status in RETRY_STATUS and not (own and status == 504)) or (
            status in FRONT_RETRY_STATUS and not own
        )  # rewardkit's own 504 is a component timeout: it would time out again
        wait = tries.wait(response.headers.get("retry-after")) if again else None
        if wait is not None:
            log.info(
                "%s: attempt %d got %d; retrying in %.2f s", tries.url, tries.count, status, wait
            )
        return wait

    def answer(self, response: Any, tries: _Tries) -> Any:
        status = response.status_code
        if status < 400:
            if not response.headers.get("content-type", "").startswith("application/json"):
                return response.text
            try:
                return response.json()
            except ValueError:
                message = f"an answer that is not JSON: {response.text[:200]!r}"
                raise ServerError(status, message, url=tries.url, attempts=tries.count) from None
        try:
            body = response.json()
            message, problems = str(body.get("error", body)), body.get("problems", [])
        except (ValueError, AttributeError):
            message, problems = response.text[:500], []
        raise _BY_STATUS.get(status, ServerError)(
            status, message, problems, url=tries.url, attempts=tries.count
        )


class RewardClient(_Calls):
    """Blocking client. ``token`` defaults to ``$REWARDKIT_TOKEN``; ``timeout`` is per attempt;
    ``deadline_s`` (default ``retry.deadline_s``) is how long one call may keep retrying."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 60.0,
        retry: Retry | None = None,
        deadline_s: float | None = None,
    ):
        super().__init__(base_url, token, timeout, retry, deadline_s)
        self.http = self.httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout)

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call with retries; the decoded answer, or ServerError / ServerUnreachable."""
        tries, headers = self.start(method, path)
        while True:
            try:
                response = self.http.request(
                    method, path, json=body, headers=headers, timeout=tries.timeout(self.timeout)
                )
            except self.httpx.HTTPError as exc:
                time.sleep(self.failed(tries, exc))
                continue
            wait = self.retry_wait(tries, response)
            if wait is None:
                return self.answer(response, tries)
            time.sleep(wait)

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
        deadline_s: float | None = None,
    ):
        super().__init__(base_url, token, timeout, retry, deadline_s)
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
        tries, headers = self.start(method, path)
        while True:
            try:
                response = await self.http.request(
                    method, path, json=body, headers=headers, timeout=tries.timeout(self.timeout)
                )
            except self.httpx.HTTPError as exc:
                await asyncio.sleep(self.failed(tries, exc))
                continue
            wait = self.retry_wait(tries, response)
            if wait is None:
                return self.answer(response, tries)
            await asyncio.sleep(wait)

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
