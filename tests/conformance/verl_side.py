"""Run verl 0.9.1's own advantage estimators on the conformance cases (inside .venv-verl).

Not a test: ``test_verl_advantages.py`` runs it with ``.venv-verl/bin/python`` (verl pins a
transformers that rewardkit's venv cannot have) as

    python verl_side.py CASES.json OUT.json

CASES.json is a list of ``advantage_cases.Case.to_json()`` objects. Each case goes through
``verl.trainer.ppo.core_algos`` the way ``ray_trainer.compute_advantage`` calls it: the reward sits
on the last response token of a (N, T) ``token_level_rewards``, ``index`` is the uid array, and
GDPO reads its components from ``non_tensor_batch`` under ``algorithm.gdpo_reward_keys`` with
``gdpo_reward_weights``. Writes, per case, each estimator's advantage of every sample (its value
on the first response token: verl broadcasts one value over the response), NaN as null.
Needs only verl and its import dependencies; it does not import rewardkit.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import torch

PROMPT = 2  # prompt tokens in front of every response (GDPO finds the last response token with it)


def _masks(lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(lengths)
    mask = torch.tensor([[1] * n + [0] * (width - n) for n in lengths], dtype=torch.int64)
    attention = torch.cat([torch.ones(len(lengths), PROMPT, dtype=torch.int64), mask], dim=1)
    return mask, attention


def _on_last_token(values: list[float], lengths: list[int]) -> torch.Tensor:
    out = torch.zeros(len(values), max(lengths), dtype=torch.float64)
    for i, (v, n) in enumerate(zip(values, lengths, strict=True)):
        out[i, n - 1] = v
    return out


def _first_token(adv: torch.Tensor) -> list[float | None]:
    return [None if math.isnan(v) else v for v in adv[:, 0].tolist()]


def run_case(case: dict[str, Any]) -> dict[str, list[float | None]]:
    # imported here: pytest's doctest collection imports this file in rewardkit's venv, no verl
    from verl.trainer.ppo import core_algos

    rows = [[math.nan if v is None else v for v in row] for row in case["rewards"]]
    lengths = case["lengths"]
    n, k = len(rows), len(rows[0])
    index = np.array([f"g{i // case['size']}" for i in range(n)], dtype=object)
    mask, attention = _masks(lengths)
    first = _on_last_token([row[0] for row in rows], lengths)
    out: dict[str, list[float | None]] = {}
    for name, norm in (("grpo", True), ("dr_grpo", False)):
        adv, _ = core_algos.compute_grpo_outcome_advantage(
            token_level_rewards=first.clone(),
            response_mask=mask,
            index=index,
            norm_adv_by_std_in_grpo=norm,
        )
        out[name] = _first_token(adv)
    rloo = core_algos.get_adv_estimator_fn("rloo")
    adv, _ = rloo(token_level_rewards=first.clone(), response_mask=mask, config={}, index=index)
    out["rloo"] = _first_token(adv)
    keys = [f"r{j}" for j in range(k)]
    config = {"gdpo_reward_keys": keys, "gdpo_reward_weights": case["weights"]}
    components = {key: np.array([row[j] for row in rows]) for j, key in enumerate(keys)}
    gdpo = core_algos.get_adv_estimator_fn("gdpo")
    adv, _ = gdpo(
        token_level_rewards=first.clone(),
        response_mask=mask,
        config=config,
        index=index,
        non_tensor_batch={"uid": index, **components},
        batch={"prompts": torch.zeros(n, PROMPT, dtype=torch.int64), "attention_mask": attention},
    )
    out["gdpo"] = _first_token(adv)
    return out


def main(cases_path: str, out_path: str) -> None:
    with open(cases_path) as f:
        cases = json.load(f)
    import verl

    results = {"verl": verl.__version__, "cases": [run_case(case) for case in cases]}
    with open(out_path, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
