"""rewardkit's reward for OpenRLHF 0.11.2's multi-turn agents (``--train.agent_func_path``).

OpenRLHF runs an agent as ``MultiTurnAgentExecutor(AgentInstanceCls)``: for each prompt, one
instance; after every model turn ``step(states)`` returns ``rewards`` (a 1-element tensor), the
environment's feedback text and ``done``; OpenRLHF **adds up** the step rewards into the rollout's
one scalar and puts it on its last token (``openrlhf/utils/agent.py``, ``MultiTurnAgentExecutor``).
It has no per-token reward path, so per-turn credit cannot reach its loss: what it can take is a
reward per step whose sum is rewardkit's reward of the whole trajectory.

``rewardkit_agent(Env, ...)`` wraps your environment (an ``AgentInstanceBase`` subclass that
returns feedback, ``done`` and, optionally, its own reward): it keeps the trajectory as chat
messages (the prompt as ``user``, each action as ``assistant``, each feedback as ``tool`` or
``user``), the environment's rewards per turn as ``meta["env_rewards"]`` (their sum
``meta["env_reward"]``, for the ``env_reward`` component), scores the trajectory so far after each
step, through a rewardkit server (``server=URL``, the ``/v1/score`` API) or in this process
(``config=``), and returns the **difference** from the previous step's score: the step rewards add
up to the final trajectory's reward exactly, and each says what that turn changed. ``scores`` is
the trajectory's reward so far (OpenRLHF keeps the last one, for dynamic filtering);
``extra_logs`` carries every node's value under ``rewardkit/<path>``. A root that does not apply
(None) counts as 0 and is logged as ``rewardkit/no_reward`` (never silently).

In the file given to ``--train.agent_func_path``::

    from rewardkit.integrations.openrlhf_agent import agent_executor
    AgentExecutor = agent_executor(MyEnv, server="http://10.0.0.5:8000")

Needs ``openrlhf`` (its ``openrlhf.utils.agent`` imports with torch, transformers and aiohttp).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from rewardkit.program import RewardProgram
from rewardkit.replica import program_of
from rewardkit.types import Sample

__all__ = ["agent_executor", "rewardkit_agent", "trajectory_rewards"]

ENV_REWARDS, ENV_REWARD = "env_rewards", "env_reward"


def trajectory_rewards(scored_row: Mapping[str, Any]) -> tuple[float, dict[str, float]]:
    """The reward (None -> 0.0) and the logs of one server result row (``/v1/score``).

    >>> trajectory_rewards({"reward": None, "components": {"reward/a": 1.0}, "errors": []})
    (0.0, {'rewardkit/reward/a': 1.0, 'rewardkit/no_reward': 1.0, 'rewardkit/errors': 0.0})
    """
    reward = scored_row.get("reward")
    logs = {f"rewardkit/{p}": 0.0 if v is None else float(v)
            for p, v in scored_row.get("components", {}).items()}  # fmt: skip
    logs["rewardkit/no_reward"] = float(reward is None)
    logs["rewardkit/errors"] = float(len(scored_row.get("errors", [])))
    return (0.0 if reward is None else float(reward)), logs


class _Scorer:
    """Scores one trajectory: over HTTP (``rewardkit.client``) or with a program in-process."""

    def __init__(self, config: Any, server: str | None, token: str | None) -> None:
        if (config is None) == (server is None):
            raise ValueError("give one of config= (score in this process) or server= (HTTP)")
        self.program = None if config is None else program_of(config)
        self.server, self.token = server, token

    async def __call__(self, sample: Mapping[str, Any]) -> tuple[float, dict[str, float]]:
        if self.program is not None:
            return await asyncio.to_thread(self._here, sample)
        from rewardkit.client import AsyncRewardClient

        assert self.server is not None
        Sample.from_dict(sample, default_id="0")  # a malformed trajectory fails here, not there
        async with AsyncRewardClient(self.server, self.token) as client:
            answer = await client.score([{"id": "0", **sample}])
        return trajectory_rewards(answer["results"][0])

    def _here(self, sample: Mapping[str, Any]) -> tuple[float, dict[str, float]]:
        assert self.program is not None
        scored = self.program.score([Sample.from_dict(sample, default_id="0")])
        values = {
            p: None if math.isnan(float(c[0])) else float(c[0]) for p, c in scored.values.items()
        }
        reward = values.pop(scored.root)
        row = {"reward": reward, "components": values, "errors": scored.failures}
        return trajectory_rewards(row)


def rewardkit_agent(
    env: type,
    config: RewardProgram | Mapping[str, Any] | str | Path | None = None,
    server: str | None = None,
    token: str | None = None,
    feedback_role: Literal["tool", "user"] = "tool",
) -> type:
    """An OpenRLHF ``AgentInstanceBase`` subclass: ``env``'s feedback, rewardkit's step rewards
    (module doc). ``env``'s own ``rewards`` (if any) become ``meta["env_rewards"]``, one per turn.
    Needs openrlhf."""
    import torch
    from openrlhf.utils.agent import AgentInstanceBase

    if not (isinstance(env, type) and issubclass(env, AgentInstanceBase)):
        raise TypeError("env must be an openrlhf.utils.agent.AgentInstanceBase subclass")
    score = _Scorer(config, server, token)

    class RewardKitAgent(AgentInstanceBase):
        """``env`` with rewardkit's per-step reward (see ``rewardkit.integrations.openrlhf_agent``)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.env = env(*args, **kwargs)
            self.messages: list[dict[str, Any]] = []
            self.env_rewards: list[float] = []
            self.label: Any = None
            self.total = 0.0

        async def reset(self, states: dict, **kwargs: Any) -> dict:
            out = await self.env.reset(states, **kwargs)
            self.label = states.get("label")
            self.messages = [{"role": "user", "content": str(out["observation"])}]
            self.env_rewards, self.total = [], 0.0
            return out

        async def step(self, states: dict, **kwargs: Any) -> dict:
            out = dict(await self.env.step(states, **kwargs))
            own = out.get("rewards")
            self.env_rewards.append(0.0 if own is None else float(torch.as_tensor(own).sum()))
            self.messages.append({"role": "assistant", "content": str(states["action_text"])})
            feedback = str(out.get("environment_feedback") or "")
            if feedback:
                self.messages.append({"role": feedback_role, "content": feedback})
            reward, logs = await score(self.sample(states))
            out["rewards"] = torch.tensor([reward - self.total])
            out["scores"] = torch.tensor([reward])
            out["extra_logs"] = {**dict(out.get("extra_logs") or {}), **logs}
            self.total = reward
            return out

        def sample(self, states: Mapping[str, Any]) -> dict[str, Any]:
            """The trajectory so far, as the server's JSON (a Sample with ``messages``)."""
            meta = {ENV_REWARDS: list(self.env_rewards), ENV_REWARD: sum(self.env_rewards)}
            return {"messages": list(self.messages), "reference": states.get("label", self.label),
                    "meta": meta}  # fmt: skip

    RewardKitAgent.__name__ = f"RewardKit{env.__name__}"
    return RewardKitAgent


def agent_executor(
    env: type,
    config: RewardProgram | Mapping[str, Any] | str | Path | None = None,
    server: str | None = None,
    token: str | None = None,
    feedback_role: Literal["tool", "user"] = "tool",
) -> type:
    """The ``AgentExecutor`` class OpenRLHF loads from ``--train.agent_func_path`` (it calls it
    with no arguments): a ``MultiTurnAgentExecutor`` of ``rewardkit_agent(env, ...)``."""
    from openrlhf.utils.agent import MultiTurnAgentExecutor

    agent = rewardkit_agent(env, config, server, token, feedback_role)

    class AgentExecutor(MultiTurnAgentExecutor):
        def __init__(self) -> None:
            super().__init__(agent)

    return AgentExecutor
