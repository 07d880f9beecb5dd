"""verifiers 0.4's own task scoring with rewardkit's plugged functions (inside .venv-verl).

``test_verl_verifiers.py`` runs it as ``python verifiers_side.py MODULE.py OUT.json``: MODULE.py defines
``reward`` and ``metrics`` (``rewardkit.integrations.verifiers.verifiers_functions``). Each case is
a real ``verifiers.v1.Task`` whose ``TaskConfig`` plugs them by path, as
``--env.taskset.task.rewards.rewardkit.fn MODULE.py:reward`` would, and ``Task.score(trace)`` on a
real ``Trace`` whose reply is set; writes the trace's rewards, metrics and summed reward.
Imports verifiers inside functions: pytest's doctest collection imports this file in rewardkit's venv.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

CASES = [("2+2?", "4", "4"), ("2+2?", "4", "5"), ("say hi", None, "hi")]  # prompt, answer, reply


def run_case(module: str, prompt: str, answer: str | None, reply: str) -> dict[str, Any]:
    import verifiers.v1 as vf
    from verifiers.v1.configs.agent import AgentConfig
    from verifiers.v1.configs.task import DecoratedFunctionConfig, RewardFunctionConfig, TaskConfig
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask

    class QAData(vf.TaskData):
        answer: str | None = None

    config = TaskConfig(
        rewards={"rewardkit": RewardFunctionConfig(fn=f"{module}:reward", weight=2.0)},
        metrics={"rewardkit": DecoratedFunctionConfig(fn=f"{module}:metrics")},
    )
    data = QAData(prompt=prompt, answer=answer)
    task = vf.Task(data, config)
    trace = Trace(
        task=TraceTask(type="Task", data=data, key=f"{prompt}|{answer}"),
        agent=AgentInfo(config=AgentConfig()),
        root_reply=reply,
    )
    asyncio.run(task.score(trace))
    return {
        "rewards": {
            k: None if r is None else [r.score, r.weight] for k, r in trace.rewards.items()
        },
        "metrics": trace.metrics,
        "reward": trace.reward,
    }


def main(module: str, out: str) -> None:
    import verifiers

    results = [run_case(module, *case) for case in CASES]
    version = getattr(verifiers, "__version__", None)
    with open(out, "w") as f:
        json.dump({"verifiers": version, "cases": results}, f)


def run_trajectory(module: str, final: str) -> dict[str, Any]:
    """A multi-turn trace (a tool call, the tool's result "5", then the model's ``final`` reply)
    scored by a real ``Task`` plugging ``reward`` and ``metrics`` from ``module``."""
    import verifiers.v1 as vf
    from verifiers.v1.configs.agent import AgentConfig
    from verifiers.v1.configs.task import DecoratedFunctionConfig, RewardFunctionConfig, TaskConfig
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask
    from verifiers.v1.types import AssistantMessage, Tool, ToolCall, ToolMessage, UserMessage

    class QAData(vf.TaskData):
        answer: str | None = None

    config = TaskConfig(
        rewards={"rewardkit": RewardFunctionConfig(fn=f"{module}:reward", weight=1.0)},
        metrics={"rewardkit": DecoratedFunctionConfig(fn=f"{module}:metrics")},
    )
    data = QAData(prompt="2+3?", answer="5")
    call = ToolCall(id="c1", name="add", arguments='{"a": 2, "b": 3}')
    nodes = [
        MessageNode(message=UserMessage(content="2+3?")),
        MessageNode(
            parent=0, sampled=True, message=AssistantMessage(content="", tool_calls=[call])
        ),
        MessageNode(parent=1, message=ToolMessage(tool_call_id="c1", content="5")),
        MessageNode(parent=2, sampled=True, message=AssistantMessage(content=final)),
    ]
    trace = Trace(
        task=TraceTask(type="Task", data=data, key="2+3?"),
        agent=AgentInfo(config=AgentConfig()),
        nodes=nodes,
        tools=[Tool(name="add", parameters={"type": "object"})],
    )
    asyncio.run(vf.Task(data, config).score(trace))
    return {"metrics": trace.metrics, "reward": trace.reward, "turns": trace.num_turns}


def main_trajectory(module: str, out: str) -> None:
    results = [run_trajectory(module, final) for final in ("5", "6")]
    with open(out, "w") as f:
        json.dump({"cases": results}, f)


if __name__ == "__main__" and sys.argv[3:4] == ["--trajectory"]:
    main_trajectory(*sys.argv[1:3])
    sys.exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:3])
