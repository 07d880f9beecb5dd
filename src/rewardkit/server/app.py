"""The FastAPI app of ``rewardkit serve``: score, OpenRLHF's /get_reward, observe, state, health.

``build_app`` returns the ASGI app wrapped in its guards (outermost first): the state-version
header and request metrics, bearer auth, the body limit. Scoring runs in the worker pool (or in
this process with ``workers=0``) through ``service.Service``; a full queue is 503 with
Retry-After; a failure is JSON with no traceback; a sample that fails is a row with its status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rewardkit.errors import ConfigError, InputError, config_error, require
from rewardkit.server import jsonio
from rewardkit.server.answers import openrlhf_answer
from rewardkit.server.idempotency import IdempotencyRecord
from rewardkit.server.metrics import RequestMetrics
from rewardkit.server.schema import ObserveRequest, OpenRLHFRequest, ScoreRequest, StatePut
from rewardkit.server.security import ASGIApp, BearerAuth, BodyLimit
from rewardkit.server.service import HTTPProblem, ServerSettings, Service  # noqa: F401 (re-exported)
from rewardkit.server.state import StaleVersion
from rewardkit.types import Sample

require("fastapi", "server")  # this module is the server: FastAPI is its dependency
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse, Response  # noqa: E402

log = logging.getLogger("rewardkit.server")
M = TypeVar("M", bound=BaseModel)
VERSION_HEADER = "X-RewardKit-State-Version"


async def parse(request: Request, model: type[M]) -> M:
    """The request body as ``model``, or a 422 listing every problem at its field path."""
    try:
        body = jsonio.loads(await request.body())
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
            "workers": 0 if pool is None else len(pool.pids()),  # asked of the OS
            "workers_expected": 0 if pool is None else pool.size,
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

    from rewardkit.server.protocols import protocol_router  # NeMo-Gym's and slime's own routes

    app.include_router(protocol_router(service))
    return app


def _json(body: dict[str, Any]) -> Response:
    """A JSON response without FastAPI's per-value encoder pass (the rows are plain already)."""
    return Response(jsonio.dumps(body), media_type="application/json")


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
    once = IdempotencyRecord(app, service.metrics.registry)  # a retry is answered once
    guarded = BearerAuth(BodyLimit(once, service.settings.max_body_bytes), service.settings.token)
    version = lambda: service.authority.version  # noqa: E731
    return RequestMetrics(guarded, service.metrics, version, endpoints, VERSION_HEADER)
