"""The FastAPI app of ``rewardkit serve``: score, OpenRLHF's /get_reward, observe, state, health.

``build_app`` returns the ASGI app wrapped in its guards (outermost first): the state-version
header and request metrics, bearer auth, the body limit. Scoring runs in the worker pool (or in
this process with ``workers=0``); a full queue is 503 with Retry-After; a failure is JSON with
no traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rewardkit.errors import ConfigError, InputError, RewardKitError, config_error, require
from rewardkit.protocol import wire_metrics
from rewardkit.server.answers import openrlhf_answer, result_rows, timeout_rows
from rewardkit.server.metrics import RequestMetrics, ServerMetrics
from rewardkit.server.pool import ComponentTimeout, RemoteError, ScoringPool, WorkerDied
from rewardkit.server.schema import ObserveRequest, OpenRLHFRequest, ScoreRequest, StatePut
from rewardkit.server.security import ASGIApp, BearerAuth, BodyLimit
from rewardkit.server.state import ProgramState, StaleVersion
from rewardkit.types import Sample

require("fastapi", "server")  # this module is the server: FastAPI is its dependency
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse, Response  # noqa: E402

log = logging.getLogger("rewardkit.server")
M = TypeVar("M", bound=BaseModel)
VERSION_HEADER = "X-RewardKit-State-Version"
Answer = tuple[int, dict[str, float], list[dict[str, Any]], dict[str, float | None]]
"""What scoring answers: (state version, variables, one row per sample, batch metrics)."""


@dataclass(frozen=True)
class ServerSettings:
    """How a server guards and runs its work."""

    token: str | None
    """Bearer token every request but /healthz must carry; None only with --insecure-no-auth."""
    workers: int = 0
    """Scoring processes; 0 scores in the server process (no timeout can be enforced there)."""
    timeout_s: float | None = 30.0
    """Longest a batch may take on a worker before the worker is killed (ComponentTimeout)."""
    max_body_bytes: int = 16 * 1024 * 1024
    max_samples: int = 4096
    """Most samples in one request (413 above)."""
    queue_limit: int = 64
    """Most scoring requests admitted at once (running + waiting); more get 503 + Retry-After."""


class HTTPProblem(Exception):
    """An error answered as JSON with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ):
        self.status, self.message, self.headers = status, message, headers or {}
        self.problems = [{"path": p, "message": m} for p, m in problems]
        super().__init__(message)


class Service:
    """The server's work: the state authority, the pool, the queue bound and the metrics."""

    def __init__(self, authority: ProgramState, settings: ServerSettings):
        self.authority = authority
        self.settings = settings
        self.pool: ScoringPool | None = None
        self.pending = 0
        self.metrics = ServerMetrics(self.live)
        # Scoring threads of their own: requests waiting for a worker never hold up observe,
        # state and metrics, which run on asyncio's default threads.
        self._threads = ThreadPoolExecutor(settings.queue_limit, thread_name_prefix="rk-score")

    def live(self) -> dict[str, Any]:
        version, _, variables = self.authority.snapshot()
        replaced = self.pool.replaced if self.pool else 0
        return {
            "state_version": version,
            "queue_depth": self.pending,
            "workers_replaced": replaced,
            "variables": variables,
        }

    def start(self) -> None:
        if self.settings.workers > 0:
            config = self.authority.program.to_dict()
            self.pool = ScoringPool(config, self.settings.workers, self.settings.timeout_s)

    def stop(self) -> None:
        self._threads.shutdown(wait=True)
        if self.pool is not None:
            self.pool.close()

    async def score(self, samples: list[Sample], group_size: int | None = None) -> Answer:
        """(version, variables, rows, batch metrics) for a batch, through the bounded queue."""
        if self.pending >= self.settings.queue_limit:
            self.metrics.rejected.inc()
            raise HTTPProblem(
                503,
                f"server busy: {self.pending} requests queued; retry shortly",
                headers={"Retry-After": "1"},
            )
        self.pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._score, samples, group_size)
        finally:
            self.pending -= 1

    def _score(self, samples: list[Sample], group_size: int | None) -> Answer:
        program = self.authority.program
        try:
            if self.pool is None:
                version, variables, scored = self.authority.score_here(samples)
            else:
                version, state, variables = self.authority.snapshot()
                scored = self.pool.score_many(samples, version, state)
        except ComponentTimeout as exc:
            self.metrics.component_errors.labels(exc.path, "ComponentTimeout").inc(len(samples))
            if program.config.on_error != "score":
                raise HTTPProblem(504, str(exc)) from None
            version, _, variables = self.authority.snapshot()
            return version, variables, timeout_rows(samples, exc, program.config.error_value), {}
        except (RemoteError, WorkerDied, RewardKitError) as exc:
            raise HTTPProblem(500, f"scoring failed: {exc}") from None
        self.metrics.count_batch(scored)
        if group_size is None:
            return version, variables, result_rows(scored), {}
        adv = self.authority.advantages(scored)
        batch = wire_metrics({**scored.metrics, **adv.metrics})
        return version, variables, result_rows(scored, adv), batch


async def parse(request: Request, model: type[M]) -> M:
    """The request body as ``model``, or a 422 listing every problem at its field path."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPProblem(422, f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = config_error(exc, model).problems
        raise HTTPProblem(422, f"invalid {model.__name__}", problems) from None


def create_app(service: Service) -> FastAPI:
    """The FastAPI app (without the guards; see ``build_app``)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        await asyncio.to_thread(service.start)
        try:
            yield
        finally:
            await asyncio.to_thread(service.stop)  # uvicorn has drained the requests in flight

    app = FastAPI(title="rewardkit", lifespan=lifespan, docs_url=None, redoc_url=None)
    limit = service.settings.max_samples

    def too_many(n: int) -> None:
        if n > limit:
            raise HTTPProblem(413, f"{n} samples in one request; at most {limit} (--max-samples)")

    @app.exception_handler(HTTPProblem)
    async def problem(request: Request, exc: HTTPProblem) -> Any:
        body: dict[str, Any] = {"error": exc.message}
        if exc.problems:
            body["problems"] = exc.problems
        return JSONResponse(body, exc.status, headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Any:
        log.exception("unhandled error on %s", request.url.path)  # the traceback stays here
        return JSONResponse({"error": "internal server error; see the server log"}, 500)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        pool = service.pool
        return {
            "ok": True,
            "state_version": service.authority.version,
            "workers": 0 if pool is None else len(pool.pids()),
        }

    @app.get("/metrics")
    async def metrics() -> Any:
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type)

    @app.post("/v1/score")
    async def score(request: Request) -> Response:
        req = await parse(request, ScoreRequest)
        too_many(len(req.samples))
        samples = _samples(req)
        _check_groups(samples, req.group_size)
        version, variables, rows, batch = await service.score(samples, req.group_size)
        body = {"state_version": version, "variables": variables, "results": rows}
        return _json(body if req.group_size is None else {**body, "metrics": batch})

    @app.post("/get_reward")
    async def get_reward(request: Request) -> Response:
        req = await parse(request, OpenRLHFRequest)
        too_many(len(req.query))
        version, _, rows, _ = await service.score(req.to_samples())
        return _json(openrlhf_answer(rows, version))

    @app.post("/v1/observe")
    async def observe(request: Request) -> dict[str, Any]:
        req = await parse(request, ObserveRequest)
        try:
            samples = None if req.samples is None else req.samples.to_step_samples()
            done = await asyncio.to_thread(
                service.authority.observe, req.step, req.metrics, req.outcomes, samples
            )
        except ConfigError as exc:  # a watched metric missing: the schedule would never move
            message = f"observe failed: step {req.step} was not observed"
            raise HTTPProblem(422, message, exc.problems) from None
        except (InputError, KeyError, TypeError, ValueError) as exc:
            raise HTTPProblem(422, f"observe failed: {exc}") from None
        if not done.replayed:
            for alert in done.alerts:
                service.metrics.alerts.labels(alert["source"]).inc()
        _, _, variables = service.authority.snapshot()
        return {
            "state_version": done.version,
            "events": done.events,
            "replayed": done.replayed,
            "variables": variables,
            "alerts": done.alerts,
            "stop": done.stop,
        }

    @app.get("/v1/state")
    async def get_state() -> dict[str, Any]:
        version, state, variables = service.authority.snapshot()
        return {"state_version": version, "state": state, "variables": variables}

    @app.put("/v1/state")
    async def put_state(request: Request) -> dict[str, Any]:
        req = await parse(request, StatePut)
        try:
            version = await asyncio.to_thread(service.authority.replace, req.state, req.if_version)
        except StaleVersion as exc:
            raise HTTPProblem(409, str(exc)) from None
        except ConfigError as exc:
            raise HTTPProblem(422, "state does not fit this program", exc.problems) from None
        except InputError as exc:
            raise HTTPProblem(422, str(exc)) from None
        _, _, variables = service.authority.snapshot()
        return {"state_version": version, "variables": variables}

    return app


def _json(body: dict[str, Any]) -> Response:
    """A JSON response without FastAPI's per-value encoder pass (the rows are plain already)."""
    return Response(json.dumps(body, allow_nan=False).encode(), media_type="application/json")


def _samples(req: ScoreRequest) -> list[Sample]:
    out, problems = [], []
    for i, sample in enumerate(req.samples):
        try:
            out.append(sample.to_sample())
        except ValueError as exc:
            problems.append((f"samples.{i}", str(exc)))
    if problems:
        raise HTTPProblem(422, "invalid ScoreRequest", problems)
    return out


def _check_groups(samples: Sequence[Sample], size: int | None) -> None:
    if size is None:
        return
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.group] = counts.get(s.group, 0) + 1
    wrong = [
        (f"group {g!r}", f"{n} samples, not group_size={size}")
        for g, n in counts.items()
        if n != size
    ]
    if wrong:
        raise HTTPProblem(422, "group_size: send whole groups", wrong)


def build_app(service: Service) -> ASGIApp:
    """The app with its guards: version header and metrics, then auth, then the body limit."""
    app = create_app(service)
    endpoints = frozenset(str(getattr(route, "path", "")) for route in app.routes)
    guarded = BearerAuth(BodyLimit(app, service.settings.max_body_bytes), service.settings.token)
    version = lambda: service.authority.version  # noqa: E731
    return RequestMetrics(guarded, service.metrics, version, endpoints, VERSION_HEADER)
