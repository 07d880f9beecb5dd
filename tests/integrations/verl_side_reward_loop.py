"""verl 0.9.1's own reward loop with rewardkit's reward (inside .venv-verl; not a test).

``test_verl.py`` runs it as ``python verl_side_reward_loop.py WORK_DIR SERVER_URL TOKEN OUT.json``.
WORK_DIR holds ``reward_module.py`` (the module a verl user points at: ``compute_score`` and
``RewardManager`` built by rewardkit for the server at ``$RK_SERVER``) and ``batch.json`` (the
responses, token ids of a character tokenizer, with uids and ground truths). It starts Ray with
2 CPUs and verl's real ``RewardLoopManager`` with 2 ``RewardLoopWorker`` actors, twice:

- ``naive`` (2 ``RewardLoopWorker`` actors): verl's naive manager calling rewardkit's ``compute_score``: ``compute_rm_score``,
  then a ``POST /v1/observe`` of two good steps (raising the ladder), then ``compute_rm_score``
  again; writes each call's rm_scores, reward_extra_info and the pids of the scoring workers.
- ``rewardkit`` (1 worker): rewardkit's group-aware manager (``source=importlib``): its dense rm_scores;
  then verl's ``compute_advantage`` with ``adv_estimator=rewardkit_dual`` on those rewards.
- ``actor`` (2 workers): the same as ``naive`` with the state in rewardkit's named Ray actor
  (``rewardkit_state``), created here, observed through the actor instead of the server.
- ``down`` (1 worker): ``compute_score`` pointed at a closed port; what verl's driver raises.
Imports verl inside functions: pytest's doctest collection imports this file in rewardkit's venv.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

PROMPT = 3  # prompt tokens in front of every response


def _config(work: Path, manager: str, module: str = "reward_module.py", workers: int = 2) -> Any:
    import verl
    from omegaconf import OmegaConf, open_dict

    base = Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml"
    config = OmegaConf.load(base)
    with open_dict(config):
        config.actor_rollout_ref.model.path = str(work / "tokenizer")
        config.actor_rollout_ref.model.tokenizer_path = str(work / "tokenizer")
        config.reward.num_workers = workers
        config.reward.custom_reward_function.path = str(work / module)
        config.reward.custom_reward_function.name = "compute_score"
        if manager == "rewardkit":
            config.reward.reward_manager.source = "importlib"
            config.reward.reward_manager.name = "RewardManager"
            config.reward.reward_manager.module.path = str(work / "reward_module.py")
    return config


def _tokenizer(work: Path) -> Any:
    from rewardkit.tasks.tokenizer import char_tokenizer

    if not (work / "tokenizer").exists():
        char_tokenizer().save_pretrained(str(work / "tokenizer"))
    from verl.utils import hf_tokenizer

    return hf_tokenizer(str(work / "tokenizer"))


def _batch(work: Path) -> Any:
    import torch
    from verl import DataProto

    tok = _tokenizer(work)
    rows = json.loads((work / "batch.json").read_text())
    for r in rows:
        r["ids"] = tok(r["text"], add_special_tokens=False)["input_ids"]
    width = max(len(r["ids"]) for r in rows)
    responses = torch.zeros(len(rows), width, dtype=torch.int64)
    attention = torch.zeros(len(rows), PROMPT + width, dtype=torch.int64)
    attention[:, :PROMPT] = 1
    for i, r in enumerate(rows):
        responses[i, : len(r["ids"])] = torch.tensor(r["ids"])
        attention[i, PROMPT : PROMPT + len(r["ids"])] = 1
    return DataProto.from_dict(
        tensors={
            "prompts": torch.ones(len(rows), PROMPT, dtype=torch.int64),
            "responses": responses,
            "attention_mask": attention,
            "response_mask": attention[:, PROMPT:].clone(),
        },
        non_tensors={
            "uid": np.array([r["uid"] for r in rows], dtype=object),
            "data_source": np.array(["rk"] * len(rows), dtype=object),
            "reward_model": np.array(
                [{"ground_truth": r["ground_truth"]} for r in rows], dtype=object
            ),
            "extra_info": np.array([{"index": i} for i in range(len(rows))], dtype=object),
        },
    )


def _extra(out: Any) -> dict[str, list[Any]]:
    keys = out.meta_info["reward_extra_keys"]
    return {
        k: [v.item() if hasattr(v, "item") else v for v in out.non_tensor_batch[k]] for k in keys
    }


def run_naive(work: Path, url: str, token: str) -> dict[str, Any]:
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    from rewardkit.client import RewardClient

    manager = RewardLoopManager(_config(work, "naive"))
    data = _batch(work)
    calls = []
    for phase in ("before", "after"):
        t0 = time.perf_counter()
        out = manager.compute_rm_score(data)
        calls.append(
            {
                "phase": phase,
                "seconds": time.perf_counter() - t0,
                "rm_scores": out.batch["rm_scores"].tolist(),
                "extra": _extra(out),
            }
        )
        if phase == "before":
            with RewardClient(url, token=token) as client:
                for step in (0, 1):
                    client.observe(step, {"reward/exact/mean": 1.0})
    return {"calls": calls}


def run_rewardkit(work: Path) -> dict[str, Any]:
    import torch
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager
    from verl.trainer.ppo.ray_trainer import compute_advantage

    verl_config = _config(work, "rewardkit", workers=1)
    verl_config.algorithm.adv_estimator = "rewardkit_dual"
    manager = RewardLoopManager(verl_config)
    data = _batch(work)
    out = manager.compute_rm_score(data)
    rm = out.batch["rm_scores"]
    # the same batch scored in this process, as a trainer hook would (no reward workers)
    from rewardkit.integrations.verl_manager import dense_batch_rewards
    from rewardkit.replica import StateReplica

    config = json.loads((work / "config.json").read_text())
    state = StateReplica.connect(config, server=os.environ["RK_SERVER"])
    hook = dense_batch_rewards(state, data, _tokenizer(work))
    data.batch["token_level_rewards"] = rm.clone()
    adv = compute_advantage(data, adv_estimator="rewardkit_dual", config={})
    return {
        "rm_scores": rm.tolist(),
        "hook_rm_scores": hook.tolist(),
        "extra": _extra(out),
        "advantages": adv.batch["advantages"].to(torch.float64).tolist(),
    }


def run_actor(work: Path) -> dict[str, Any]:
    import ray
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    from rewardkit.server.ray_serve import ACTOR_NAME, NAMESPACE, StateOwner

    config = json.loads((work / "config.json").read_text())
    owner = ray.remote(num_cpus=0)(StateOwner).options(name=ACTOR_NAME, namespace=NAMESPACE)
    actor = owner.remote(config, str(work / "actor_state.db"))
    manager = RewardLoopManager(_config(work, "naive", "reward_actor.py"))
    data = _batch(work)
    calls = []
    for phase in ("before", "after"):
        out = manager.compute_rm_score(data)
        calls.append({"phase": phase, "extra": _extra(out)})
        if phase == "before":
            for step in (0, 1):
                ray.get(actor.observe.remote(step, {"reward/exact/mean": 1.0}, None))
    ray.kill(actor)
    return {"calls": calls}


def run_down(work: Path) -> dict[str, Any]:
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    manager = RewardLoopManager(_config(work, "naive", "reward_down.py", workers=1))
    try:
        out = manager.compute_rm_score(_batch(work))
    except Exception as exc:  # what verl's driver sees when a worker's reward raised
        return {"raised": type(exc).__name__, "message": str(exc)[-3000:]}
    return {"raised": None, "rm_scores": out.batch["rm_scores"].tolist()}


def main(work: str, url: str, token: str, out_path: str) -> None:
    import ray
    import verl

    folder = Path(work)
    t0 = time.perf_counter()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=True,
        runtime_env={
            "env_vars": {
                "RK_SERVER": url,
                "REWARDKIT_TOKEN": token,
                "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            }
        },
    )
    result: dict[str, Any] = {"verl": verl.__version__, "ray_init_s": time.perf_counter() - t0}
    _tokenizer(folder)
    try:
        os.environ["RK_SERVER"], os.environ["REWARDKIT_TOKEN"] = url, token
        mode = os.environ.get("RK_MODE", "all")
        if mode in ("all", "naive"):
            result["naive"] = run_naive(folder, url, token)
        if mode in ("all", "rewardkit"):
            result["rewardkit"] = run_rewardkit(folder)
        if mode in ("all", "actor"):
            result["actor"] = run_actor(folder)
        if mode in ("all", "down"):
            result["down"] = run_down(folder)
    finally:
        ray.shutdown()
    result["total_s"] = time.perf_counter() - t0
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:5])
