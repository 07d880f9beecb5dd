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


if __name__ == "__main__":
    main(*sys.argv[1:3])
