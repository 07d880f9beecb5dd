"""rewardkit's per-step rewards in OpenRLHF 0.11.2's own ``MultiTurnAgentExecutor``.

OpenRLHF's executor (``openrlhf.utils.agent``, importable without vllm) runs a scripted engine
(two model turns: a tool call, then the answer) against a toy environment wrapped by
``rewardkit_agent``, scored by a real rewardkit server on 127.0.0.1 and in-process. By hand: after
turn 1 the trajectory has no answer (0) and the environment's reward 0.5 (weight 0.5): 0.25;
after turn 2 the answer (1) and still 0.5 of environment reward: 1.25; the step rewards are the
differences, 0.25 and 1.0, and OpenRLHF's sum is 1.25.
"""

from __future__ import annotations

import asyncio
import sys
import types
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openrlhf")
pytest.importorskip("aiohttp")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for folder in (HERE, ROOT / "tests" / "server"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import torch  # noqa: E402
from openrlhf.utils.agent import AgentInstanceBase, MultiTurnAgentExecutor  # noqa: E402

from rewardkit.integrations.openrlhf_agent import agent_executor, rewardkit_agent  # noqa: E402

CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "answer", "fn": "verl_side_agent:final_answer", "weight": 1.0},
            {"name": "env", "fn": "verl_side_agent:env_turns", "weight": 0.5},
        ]
    },
    "on_error": "raise",
}
"""The final answer (1/0 on the last line) plus half the environment's reward so far."""

ACTIONS = ['<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>', "sum: 5"]


class Calculator(AgentInstanceBase):
    """A toy environment: a tool call earns 0.5 and gets the sum back; a plain reply ends it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def reset(self, states: dict, **kwargs: Any) -> dict:
        return {"observation": states["observation"]}

    async def step(self, states: dict, **kwargs: Any) -> dict:
        call = "<tool_call>" in states["action_text"]
        return {
            "rewards": torch.tensor([0.5 if call else 0.0]),
            "environment_feedback": "5" if call else "",
            "done": not call,
        }


class ScriptedEngine:
    """vLLM's ``generate`` as OpenRLHF calls it: the next scripted action, as character tokens."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer, self.turn = tokenizer, 0

    async def generate(self, tokens: list[int], params: Any, multi_modal_data: Any = None) -> Any:
        text = ACTIONS[self.turn]
        self.turn += 1
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        out = types.SimpleNamespace(token_ids=ids, text=text, finish_reason="stop", logprobs=None)
        return types.SimpleNamespace(outputs=[out])


def _run(executor_cls: type) -> dict[str, Any]:
    from rewardkit.tasks.tokenizer import char_tokenizer

    tok = char_tokenizer()
    params = types.SimpleNamespace(logprobs=None, max_tokens=512)
    executor = executor_cls()
    return dict(asyncio.run(executor.execute("2+3?", "5", params, 1024, tok, ScriptedEngine(tok))))


def _steps(agent_cls: type) -> list[float]:
    """The per-step rewards the wrapped agent returns, in OpenRLHF's call order."""
    seen: list[float] = []
    step = agent_cls.step

    async def spy(self: Any, states: dict, **kwargs: Any) -> dict:
        out = await step(self, states, **kwargs)
        seen.append(round(float(out["rewards"].item()), 6))
        return out

    agent_cls.step = spy
    return seen


@pytest.mark.server
def test_openrlhf_executor_sums_rewardkit_step_rewards_from_the_server() -> None:
    from rk_servers import TOKEN, thread_server

    with thread_server(CONFIG) as server:
        agent = rewardkit_agent(Calculator, server=server.url, token=TOKEN)
        seen = _steps(agent)

        class Executor(MultiTurnAgentExecutor):
            def __init__(self) -> None:
                super().__init__(agent)

        out = _run(Executor)
    assert seen == [0.25, 1.0]  # the differences of the trajectory's reward after each turn
    assert out["reward"] == pytest.approx(1.25)  # OpenRLHF's sum: the final trajectory's reward
    assert float(out["scores"]) == pytest.approx(1.25)
    assert out["extra_logs"]["rewardkit/reward/answer"] == 1.0
    assert out["extra_logs"]["rewardkit/reward/env"] == 0.5
    assert len(out["action_ranges"]) == 2


def test_openrlhf_executor_in_process_gives_the_same_rewards() -> None:
    out = _run(agent_executor(Calculator, config=CONFIG))
    assert out["reward"] == pytest.approx(1.25) and out["extra_logs"]["rewardkit/no_reward"] == 0.0


def test_the_wrapper_keeps_the_trajectory_as_chat_messages() -> None:
    agent = rewardkit_agent(Calculator, config=CONFIG)()
    asyncio.run(agent.reset({"observation": "2+3?", "label": "5"}))
    asyncio.run(agent.step({"action_text": ACTIONS[0], "label": "5"}))
    sample = agent.sample({"label": "5"})
    assert [m["role"] for m in sample["messages"]] == ["user", "assistant", "tool"]
    assert sample["meta"] == {"env_rewards": [0.5], "env_reward": 0.5}
    with pytest.raises(ValueError, match="one of config"):
        rewardkit_agent(Calculator)
