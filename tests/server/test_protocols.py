"""NeMo-Gym's resources-server protocol and slime's remote reward model on a rewardkit server.

NeMo-Gym and slime are not installable here (neither is on the package index), so their calling
code is reproduced with the HTTP client each one uses, aiohttp, request for request:

- NeMo-Gym: the agent's verify request is ``SimpleAgentVerifyRequest.model_validate(body.model_dump()
  | {"response": model_response_json}).model_dump()`` (NVIDIA-NeMo/Gym@07d6b0d,
  responses_api_agents/simple_agent/app.py:333-344), POSTed as orjson bytes with a JSON
  content type (nemo_gym/server_utils.py:211-216), read back with ``orjson.loads`` (:282-283);
  the model's ``response`` is an OpenAI Responses-API ``Response`` (nemo_gym/openai_utils.py:615),
  built here with the ``openai`` package's own type. NeMo-RL then requires
  ``reward == sum(reward_components)`` (NVIDIA-NeMo/RL@7ea279a,
  nemo_rl/environments/nemo_gym.py:1080-1104) and masks ``instance_config.mask_sample``
  (nemo_rl/experience/rollouts.py:266-277).
- slime: ``remote_rm`` POSTs ``{"prompt", "response", "label"}`` with ``json=`` on an aiohttp
  session (64 connections, 120 s total) and takes ``await resp.json()`` as the reward
  (THUDM/slime@624b824, slime/rollout/rm_hub/__init__.py:22-52); ``--reward-key`` selects from a
  dict (slime/utils/types.py:246-247).
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import pytest
from rk_servers import TOKEN, thread_server

from rewardkit.errors import UnjudgeableReference, VerifierFailed
from rewardkit.registry import Params
from rewardkit.types import Sample

aiohttp = pytest.importorskip("aiohttp")
responses = pytest.importorskip("openai.types.responses")

pytestmark = pytest.mark.server

PROGRAM = {
    "reward": {
        "weighted": [
            {"name": "correct", "fn": "numeric", "extract": "answer_tag"},
            {"name": "format", "fn": "tags", "weight": 0.5},
        ]
    },
    "on_error": "score",
}
TOOLS = {
    "reward": {
        "weighted": [
            {"name": "schema", "fn": "tool_schema_valid"},
            {"name": "calls", "fn": "tool_use", "weight": 0.5},
        ]
    }
}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
    "strict": False,
}


def judge_lost(sample: Sample, p: Params) -> float:
    """A verifier without a verdict (a judge that timed out)."""
    raise VerifierFailed("judge_timeout", "the judge did not answer in 30 s")


def unreadable(sample: Sample, p: Params) -> float:
    """A reference the component cannot read (a data problem, not the model's)."""
    raise UnjudgeableReference(f"cannot read the reference {sample.reference!r}")


def message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def gym_response(output: list[dict[str, Any]]) -> dict[str, Any]:
    """The model server's response as NeMo-Gym's ``NeMoGymResponse`` dumps it: OpenAI's
    ``Response``, whose output may also hold Gym's ``function_call_output`` items
    (``NeMoGymFunctionCallOutput``, nemo_gym/openai_utils.py:270-280)."""
    openai_items = [o for o in output if o["type"] != "function_call_output"]
    response = responses.Response.model_validate(
        {
            "id": "resp_1",
            "created_at": 0.0,
            "model": "policy",
            "object": "response",
            "output": openai_items,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [WEATHER],
        }
    ).model_dump(mode="json")
    dumped = iter(response["output"])
    response["output"] = [
        {"id": None, "status": None, **o} if o["type"] == "function_call_output" else next(dumped)
        for o in output
    ]
    return response


def verify_body(output: list[dict[str, Any]], task: int = 7, **fields: Any) -> dict[str, Any]:
    """The verify request of NeMo-Gym's simple agent for a run request and a model response."""
    run = {
        "responses_create_params": {"input": [{"role": "user", "content": "What is 12*7?"}]},
        "_ng_task_index": task,
        "_ng_rollout_index": 0,
        **fields,
    }
    return run | {"response": gym_response(output)}


async def gym_post(url: str, body: Any) -> tuple[int, Any]:
    """NeMo-Gym's ``request``: orjson-style bytes, a JSON content type, the body read as JSON."""
    async with aiohttp.ClientSession() as session:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        async with session.post(url, data=data, headers=headers) as resp:
            return resp.status, json.loads(await resp.read())


def nemo_rl_checks(answer: dict[str, Any]) -> None:
    """What NeMo-Gym's agent and NeMo-RL require of a verify answer."""
    echoed = dict(answer["response"])  # the agent re-validates it
    echoed["output"] = [o for o in echoed["output"] if o["type"] != "function_call_output"]
    responses.Response.model_validate(echoed)
    assert isinstance(answer["reward"], float)
    parts = answer.get("reward_components")
    if parts:
        assert math.isclose(answer["reward"], sum(parts.values()), rel_tol=1e-5, abs_tol=1e-6)


def test_gym_verify_gives_the_reward_and_components_that_add_up() -> None:
    right = message("<think>12*7</think><answer>84</answer>")
    wrong = message("<think>hmm</think><answer>85</answer>")
    with thread_server(PROGRAM, token=None) as s:
        answers = [
            asyncio.run(gym_post(f"{s.url}/verify", verify_body([o], expected_answer="84")))
            for o in (right, wrong)
        ]
        status, seeded = asyncio.run(gym_post(f"{s.url}/seed_session", verify_body([right])))
        mode = httpx.get(f"{s.url}/reverify_mode").json()  # Gym's reverify asks first
    assert status == 200 and seeded == {} and mode == "stateless"
    (code_right, right_answer), (code_wrong, wrong_answer) = answers
    assert code_right == code_wrong == 200
    for answer in (right_answer, wrong_answer):
        nemo_rl_checks(answer)
        assert answer["expected_answer"] == "84" and answer["_ng_task_index"] == 7  # echoed
    # correct 1 + format 0.5 * 1; then correct 0 + format 0.5
    assert right_answer["reward"] == 1.5
    assert right_answer["reward_components"] == {"correct": 1.0, "format": 0.5}
    assert wrong_answer["reward_components"] == {"correct": 0.0, "format": 0.5}
    assert wrong_answer["rewardkit/reward/correct"] == 0.0  # unweighted, for Gym's metrics
    assert wrong_answer["rewardkit"]["errors"] == []
    assert "_ng_failure_class" not in wrong_answer


def test_gym_function_calls_are_scored_as_a_trajectory_with_the_offered_tools() -> None:
    def call(arguments: str) -> list[dict[str, Any]]:
        return [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "?"}]},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": arguments,
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            message("It is sunny."),
        ]

    def body(arguments: str) -> dict[str, Any]:
        out = verify_body(call(arguments))
        out["responses_create_params"]["tools"] = [WEATHER]
        return out

    with thread_server(TOOLS, token=None) as s:
        good = asyncio.run(gym_post(f"{s.url}/verify", body('{"city": "SF"}')))[1]
        bad = asyncio.run(gym_post(f"{s.url}/verify", body('{"town": "SF"}')))[1]
    nemo_rl_checks(good)
    nemo_rl_checks(bad)
    # one valid call, made before the answer: schema 1, tool_use 0 (no penalised call)
    assert good["reward"] == 1.0 and good["reward_components"]["schema"] == 1.0
    assert bad["reward"] == 0.0 and bad["reward_components"]["schema"] == 0.0  # 'city' missing


def test_a_verifier_failure_is_flagged_as_gym_flags_a_failed_judge_never_paid() -> None:
    program = {
        "reward": {
            "weighted": [
                {"name": "format", "fn": "tags"},
                {"name": "judge", "fn": "test_protocols:judge_lost"},
            ]
        }
    }
    body = verify_body([message("<think>x</think><answer>84</answer>")], expected_answer="84")
    with thread_server(program, token=None) as s:
        status, answer = asyncio.run(gym_post(f"{s.url}/ng-rollout/r-1/verify", body))
    assert status == 200
    nemo_rl_checks(answer)
    assert answer["_ng_failure_class"] == "verifier_failed"  # Gym: to the failures file, retried
    assert "judge_timeout" in answer["_ng_failure_verifier_error"]
    assert answer["instance_config"] == {"mask_sample": True}  # NeMo-RL: out of the loss
    assert answer["reward"] == 0.0 and "reward_components" not in answer  # a placeholder
    assert answer["rewardkit/no_reward"] == 1.0
    assert answer["rewardkit"]["errors"][0]["type"] == "VerifierFailed"
    assert answer["rewardkit"]["status"] == "verifier_failed"


def test_an_unreadable_reference_is_a_terminal_failure_never_retried() -> None:
    program = {"reward": {"weighted": [{"name": "read", "fn": "test_protocols:unreadable"}]}}
    body = verify_body([message("<answer>84</answer>")], expected_answer="eighty-four?")
    with thread_server(program, token=None) as s:
        status, answer = asyncio.run(gym_post(f"{s.url}/verify", body))
    assert status == 200 and answer["reward"] == 0.0
    assert answer["_ng_failure_class"] == "unjudgeable_reference"
    assert answer["_ng_failure_terminal"] is True and answer["instance_config"]["mask_sample"]


def test_aggregate_metrics_averages_scored_rows_and_counts_failures() -> None:
    rows = [
        {"_ng_task_index": 0, "reward": 1.0, "rewardkit/reward/correct": 1.0},
        {"_ng_task_index": 0, "reward": 0.0, "rewardkit/reward/correct": 0.0},
        {"_ng_task_index": 1, "reward": 0.5, "rewardkit/reward/correct": 1.0},
        {"_ng_task_index": 1, "reward": 0.0, "_ng_failure_class": "verifier_failed"},
    ]
    with thread_server(PROGRAM, token=None) as s:
        status, out = asyncio.run(
            gym_post(f"{s.url}/aggregate_metrics", {"verify_responses": rows})
        )
        bad = asyncio.run(gym_post(f"{s.url}/aggregate_metrics", {"verify_responses": 3}))
    assert status == 200
    agent = out["agent_metrics"]
    assert agent["mean/reward"] == 0.5 and agent["max/reward"] == 1.0  # (1 + 0 + 0.5) / 3
    assert agent["failed/count"] == 1.0
    assert out["key_metrics"]["mean/rewardkit/reward/correct"] == pytest.approx(2 / 3)
    assert [g["mean/reward"] for g in out["group_level_metrics"]] == [0.5, 0.5]
    assert bad[0] == 422


def test_gym_verify_refuses_a_request_without_the_response_with_422() -> None:
    with thread_server(PROGRAM, token=None) as s:
        status, body = asyncio.run(gym_post(f"{s.url}/verify", {"responses_create_params": {}}))
    assert status == 422 and "responses_create_params" in body["error"]


async def slime_remote_rm(url: str, payload: dict[str, Any]) -> Any:
    """slime's ``remote_rm`` without its retry loop: one POST, ``raise_for_status``, the JSON."""
    connector = aiohttp.TCPConnector(limit=64, enable_cleanup_closed=True)
    timeout = aiohttp.ClientTimeout(total=120)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        session.post(url, json=payload) as resp,
    ):
        resp.raise_for_status()
        return await resp.json()


def with_token(url: str) -> str:
    """The URL a client that sends no headers is given: the token as Basic-auth password."""
    return url.replace("http://", f"http://rewardkit:{TOKEN}@")


def test_gym_client_reaches_a_server_with_a_token_through_the_host_it_is_given() -> None:
    # Gym builds f"http://{host}:{port}" from the server's config (server_utils.py:326-327)
    body = verify_body([message("<answer>84</answer>")], expected_answer="84")
    with thread_server(PROGRAM) as s:
        refused = asyncio.run(gym_post(f"{s.url}/verify", body))
        status, answer = asyncio.run(gym_post(f"{with_token(s.url)}/verify", body))
    assert refused[0] == 401
    assert status == 200 and answer["reward_components"]["correct"] == 1.0


def test_slime_rm_url_answers_a_dict_that_reward_key_reward_reads() -> None:
    prompt = [{"role": "user", "content": "What is 12*7?"}]  # slime's chat prompts are lists
    with thread_server(PROGRAM) as s:
        rm_url = f"{with_token(s.url)}/slime/rm"  # --rm-url
        rewards = [
            asyncio.run(slime_remote_rm(rm_url, {"prompt": p, "response": r, "label": "84"}))
            for p, r in (
                (prompt, "<think>12*7</think><answer>84</answer>"),
                ("What is 12*7?", "<answer>85</answer>"),
            )
        ]
    reward_key = "reward"  # --reward-key reward: sample.reward[args.reward_key]
    assert [r[reward_key] for r in rewards] == [1.5, 0.0]
    assert rewards[0]["components"] == {"reward/correct": 1.0, "reward/format": 1.0}
    assert rewards[1]["state_version"] == 0
