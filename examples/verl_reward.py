"""The module a verl 0.9.1 run points at: rewardkit's reward function, reward manager and estimator.

verl config (docs/verl.md explains each line; the server runs with the same config file)::

    reward:
      custom_reward_function: {path: examples/verl_reward.py, name: compute_score}
      reward_manager:           # optional: whole groups, dense step rewards
        source: importlib
        name: RewardManager
        module: {path: examples/verl_reward.py}
    algorithm:
      adv_estimator: rewardkit_dual   # registered when verl loads RewardManager

    # before training, on a host every Ray worker can reach:
    #   rewardkit serve examples/configs/math_answer.yaml --host 0.0.0.0
    # and in the job's environment: REWARDKIT_SERVER=http://<host>:8000 REWARDKIT_TOKEN=<token>

Run directly (no verl, no server), it scores three answers with the local state and prints what
verl would store for each: ``python examples/verl_reward.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rewardkit.integrations.verl import make_compute_score, reward_manager

CONFIG = Path(__file__).resolve().parent / "configs" / "math_answer.yaml"
SERVER = os.environ.get("REWARDKIT_SERVER")  # unset: local state only (a dry run, not training)

compute_score = make_compute_score(CONFIG, server=SERVER)


def __getattr__(name: str) -> Any:
    # verl looks the manager up in its trainer process only; building it imports verl
    if name == "RewardManager":
        return reward_manager(CONFIG, server=SERVER)
    raise AttributeError(name)


if __name__ == "__main__":
    for answer in ("<think>2+2</think><answer>4</answer>", "<answer>5</answer>", "4"):
        print(f"{answer!r:42} -> {compute_score('gsm8k', answer, '4')}")
