"""Other trainers' own reward protocols, served by ``rewardkit serve`` for its program.

**NeMo-Gym resources server** (NeMo-RL trains through it; docs/protocols.md):

- ``POST /seed_session``: ``{}`` (scoring keeps no per-rollout session).
- ``POST /verify``: the agent's verify request (``responses_create_params``, the model's
  ``response`` and the task's own fields) comes back whole, with ``reward`` and, when the
  program's root is ``weighted``, ``reward_components``: each top-level child's ``weight * value``
  (0 where it does not apply), so ``reward == sum(reward_components)`` as NeMo-RL checks before
  its GDPO reads them. Every node's value is also a top-level number ``rewardkit/<path>`` (what
  Gym's metric profiler reads) and under ``rewardkit``, with the errors and the state version.
- ``POST /aggregate_metrics``: ``mean/ max/ min/ std/`` of every numeric field, per task and
  overall; failure rows are counted, not averaged.
- ``GET /reverify_mode``: ``"stateless"``: Gym may re-verify stored rollouts (by the state then).

The sample: the output's assistant text is the completion (reasoning items are not); an output
with function calls becomes a trajectory (``messages``, with the request's ``tools``). The
reference is the first task field of ``REFERENCE_FIELDS``; the other task fields are ``meta``;
the group is ``_ng_task_index``.

A sample without a reward is not a 0: Gym's ``reward`` must be a number, so it carries 0.0 as a
placeholder with ``instance_config.mask_sample`` (NeMo-RL leaves it out of the loss) and, for a
verifier failure, ``_ng_failure_class: verifier_failed`` (what Gym's ``judge_failsafe`` does with
a failed judge: the row goes to the failures file, out of the metrics, retried on resume); an
unreadable reference is ``unjudgeable_reference`` and ``_ng_failure_terminal`` (never retried).

**slime** ``--rm-url``: ``POST /slime/rm`` with ``{prompt, response, label}`` answers the sample's
result row (``reward``, ``components``, ``errors``); slime reads it with ``--reward-key reward``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from rewardkit.compose.nodes import Metric, Weighted
from rewardkit.compose.refs import Ref
from rewardkit.errors import InputError
from rewardkit.server import jsonio
from rewardkit.server.state import ProgramState
from rewardkit.types import Sample

Row = dict[str, Any]
REFERENCE_FIELDS = ("reference", "expected_answer", "ground_truth", "answer", "label")
"""Task fields read as the reference, in this order (the first present wins)."""
_GYM_FIELDS = frozenset(
    {"responses_create_params", "response", "_ng_task_index", "_ng_rollout_index"}
)
FAILED, UNJUDGEABLE = "verifier_failed", "unjudgeable_reference"


class Scoring(Protocol):
    """What the routes need of the server's ``Service``."""

    authority: ProgramState

    async def score(
        self, samples: list[Sample], group_size: int | None = None
    ) -> tuple[int, dict[str, float], list[Row], dict[str, float | None]]: ...


def protocol_router(service: Scoring) -> APIRouter:
    """The NeMo-Gym and slime routes, scoring through ``service`` (its queue, pool and state)."""
    router = APIRouter()

    async def verify(request: Request) -> Response:
        try:
            body = await _body(request)
            sample = gym_sample(body)
        except (InputError, ValueError, TypeError) as exc:
            return _problem(422, f"invalid verify request: {exc}")
        version, variables, rows, _ = await service.score([sample])
        weights = additive_weights(service.authority, variables)
        return _json(verify_answer(body, rows[0], version, weights))

    async def slime_rm(request: Request) -> Response:
        try:
            sample = slime_sample(await _body(request))
        except (InputError, ValueError, TypeError) as exc:
            return _problem(422, f"invalid slime reward request: {exc}")
        version, _, rows, _ = await service.score([sample])
        return _json({**rows[0], "state_version": version})

    async def seed_session(request: Request) -> Response:
        return _json({})

    async def reverify_mode() -> Response:
        # Gym's reverify (nemo_gym/rollout_reverification.py) re-posts stored rows to /verify
        return Response(json.dumps("stateless"), media_type="application/json")

    async def aggregate_metrics(request: Request) -> Response:
        try:
            rows = (await _body(request)).get("verify_responses")
        except InputError as exc:
            return _problem(422, str(exc))
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
            return _problem(422, "'verify_responses' must be a list of verify responses")
        return _json(aggregate(rows))

    # With Gym's observability on, its client puts /ng-rollout/<id> before the path.
    for prefix in ("", "/ng-rollout/{rollout_id}"):
        router.add_api_route(f"{prefix}/seed_session", seed_session, methods=["POST"])
        router.add_api_route(f"{prefix}/verify", verify, methods=["POST"])
        router.add_api_route(f"{prefix}/aggregate_metrics", aggregate_metrics, methods=["POST"])
        router.add_api_route(f"{prefix}/reverify_mode", reverify_mode, methods=["GET"])
    router.add_api_route("/slime/rm", slime_rm, methods=["POST"])
    return router


def gym_sample(body: Mapping[str, Any]) -> Sample:
    """The Sample of a NeMo-Gym verify request (see the module docstring).

    >>> s = gym_sample({"responses_create_params": {"input": "2+2?"}, "expected_answer": "4",
    ...     "response": {"output": [{"type": "message", "role": "assistant",
    ...                              "content": [{"type": "output_text", "text": "4"}]}]}})
    >>> s.prompt, s.completion, s.reference
    ('2+2?', '4', '4')
    """
    params, response = body.get("responses_create_params"), body.get("response")
    if not isinstance(params, Mapping) or not isinstance(response, Mapping):
        raise InputError("'responses_create_params' and 'response' must be JSON objects")
    prompt = _input_messages(params)
    turns = _output_messages(response.get("output") or [])
    reference = next((body[k] for k in REFERENCE_FIELDS if k in body), None)
    meta = {k: v for k, v in body.items() if k not in _GYM_FIELDS and k not in REFERENCE_FIELDS}
    task, rollout = body.get("_ng_task_index"), body.get("_ng_rollout_index")
    prompt_text = "\n".join(str(m.get("content") or "") for m in prompt)
    group = prompt_text if task is None else f"task-{task}"
    sid = str(response.get("id") or "") if rollout is None else f"{group}/{rollout}"
    if any(m.get("tool_calls") or m["role"] == "tool" for m in prompt + turns):
        tools = params.get("tools")
        return Sample.from_dict(
            {"id": sid, "group": group, "messages": prompt + turns, "reference": reference}
            | {"meta": meta, **({"tools": list(tools)} if tools else {})}
        )
    completion = "\n".join(str(m["content"]) for m in turns if m["role"] == "assistant")
    return Sample(sid, group, prompt_text, completion, reference=reference, meta=meta)


def _text(content: Any) -> str:
    """A Responses-API content: a string, or parts whose ``text`` are joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _input_messages(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The prompt as chat messages: ``instructions`` as the system message, then ``input``."""
    out = (
        [{"role": "system", "content": params["instructions"]}]
        if params.get("instructions")
        else []
    )
    given = params.get("input")
    if isinstance(given, str):
        return [*out, {"role": "user", "content": given}]
    if not isinstance(given, list):
        raise InputError("'responses_create_params.input' must be a string or a list of items")
    return out + _output_messages(given)


def _output_messages(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Responses-API items as OpenAI chat messages: a message is its role and text, a
    ``function_call`` an assistant tool call (merged into the assistant turn before it), a
    ``function_call_output`` a tool message; reasoning items are left out."""
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InputError(f"a response item is a JSON object, got {type(item).__name__}")
        kind = item.get("type", "message")
        if kind == "message":
            out.append(
                {"role": str(item.get("role", "user")), "content": _text(item.get("content"))}
            )
        elif kind == "function_call":
            call = {"id": item.get("call_id"), "type": "function"}
            call["function"] = {"name": item["name"], "arguments": item.get("arguments", "")}
            if not out or out[-1]["role"] != "assistant":
                out.append({"role": "assistant", "content": ""})
            out[-1].setdefault("tool_calls", []).append(call)
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            out.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": text})
    return out


def additive_weights(authority: ProgramState, variables: Mapping[str, float]) -> dict[str, float]:
    """Top-level child path -> its weight now, when the root is ``weighted`` (its value is then
    the sum of ``weight * value``); empty for any other root (no part adds up to the reward)."""
    tree = authority.program.tree
    if not isinstance(tree, Weighted):
        return {}
    weights = {}
    for child in tree.items:
        if not isinstance(child, Metric):
            w = child.weight
            weights[child.path] = w.evaluate(variables) if isinstance(w, Ref) else float(w)
    return weights


def verify_answer(
    body: Mapping[str, Any], row: Row, version: int, weights: Mapping[str, float]
) -> dict[str, Any]:
    """The verify response: the request, ``reward``, ``reward_components`` and rewardkit's
    record of the sample (see the module docstring)."""
    status = row_status(row)
    info = {k: row[k] for k in ("components", "errors", "unjudgeable")}
    info |= {"status": status, "state_version": version}
    out: dict[str, Any] = {**body, "rewardkit": info}
    out.update({f"rewardkit/{p}": v for p, v in row["components"].items() if v is not None})
    if row["reward"] is not None:
        out["reward"] = float(row["reward"])
        if weights:
            parts = {p: w * (row["components"].get(p) or 0.0) for p, w in weights.items()}
            out["reward_components"] = {p.rsplit("/", 1)[-1]: v for p, v in parts.items()}
        return out
    out["reward"] = 0.0  # Gym's field is a number: a placeholder, masked and flagged below
    out["instance_config"] = {**(body.get("instance_config") or {}), "mask_sample": True}
    out["rewardkit/no_reward"] = 1.0
    if status == "verifier_failed":
        first = next((e for e in row["errors"] if e["type"] == "VerifierFailed"), row["errors"][0])
        out["_ng_failure_class"] = FAILED
        out["_ng_failure_verifier_error"] = f"{first['path']}: {first['type']}: {first['message']}"
    elif status == "unjudgeable":
        out["_ng_failure_class"], out["_ng_failure_terminal"] = UNJUDGEABLE, True
    return out


def row_status(row: Row) -> str:
    """How the sample ended: the row's ``status`` (``server.answers``), else read from it."""
    if "status" in row:
        return str(row["status"])
    if row["reward"] is not None:
        return "error" if row["errors"] else "scored"
    if row["errors"]:
        return "verifier_failed"
    return "unjudgeable" if row["unjudgeable"] else "not_applicable"


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Gym's aggregate metrics of verify responses: ``group_level_metrics`` per task,
    ``agent_metrics`` over all, ``key_metrics`` (the means); failures counted apart.

    >>> aggregate([{"_ng_task_index": 0, "reward": 1.0}, {"_ng_task_index": 0, "reward": 0.0}])[
    ...     "agent_metrics"]["mean/reward"]
    0.5
    """
    good = [r for r in rows if r.get("_ng_failure_class") is None]
    tasks: dict[Any, list[Mapping[str, Any]]] = {}
    for r in good:
        tasks.setdefault(r.get("_ng_task_index", 0), []).append(r)
    order = sorted(
        tasks, key=lambda t: (not isinstance(t, int | float), t if _number(t) else str(t))
    )
    groups = [{"_ng_task_index": t, **_stats(tasks[t])} for t in order]
    agent = {**_stats(good), "failed/count": float(len(rows) - len(good))}
    key = {k: v for k, v in agent.items() if k.startswith("mean/")}
    return {"group_level_metrics": groups, "agent_metrics": agent, "key_metrics": key}


def _stats(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    names = sorted({k for r in rows for k, v in r.items() if _number(v) and not k.startswith("_")})
    out: dict[str, float] = {}
    for name in names:
        xs = [float(r[name]) for r in rows if _number(r.get(name))]
        mean = sum(xs) / len(xs)
        out |= {f"mean/{name}": mean, f"max/{name}": max(xs), f"min/{name}": min(xs)}
        out[f"std/{name}"] = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
    return out


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def slime_sample(body: Mapping[str, Any]) -> Sample:
    """The Sample of slime's remote reward request ``{prompt, response, label}``; a chat prompt
    (a list of messages) is its messages' text joined by newlines."""
    unknown = set(body) - {"prompt", "response", "label"}
    if unknown:
        raise InputError(f"unknown field(s) {sorted(unknown)}; slime sends prompt, response, label")
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        prompt = "\n".join(_text(m.get("content")) for m in prompt if isinstance(m, Mapping))
    if not isinstance(prompt, str) or not isinstance(body.get("response"), str):
        raise InputError("'prompt' must be a string or a list of messages, 'response' a string")
    return Sample("0", prompt, prompt, body["response"], reference=body.get("label"))


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of the request, or InputError."""
    try:
        body = jsonio.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InputError(f"the body is a JSON {type(body).__name__}, not an object")
    return body


def _problem(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


def _json(body: Mapping[str, Any]) -> Response:
    return Response(jsonio.dumps(body), media_type="application/json")
