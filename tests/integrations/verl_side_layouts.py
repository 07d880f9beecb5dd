"""rewardkit's reward manager and verl's ``compute_advantage`` on EOS-terminated responses, under
``rewardkit_dual`` and under verl's own ``grpo`` (inside .venv-verl; not a test, no Ray).

``test_verl.py`` runs it as ``python verl_side_layouts.py WORK_DIR OUT.json``. WORK_DIR holds
``config.json`` (the reward program) and ``batch.json`` (uid, text, ground truth). Each response
is the character tokenizer's ids of its text followed by the EOS token. For each estimator the
manager's ``run_single`` scores every sample (as verl's reward workers do, with verl's generated
config), ``assemble_rm_scores`` writes the batch's ``rm_scores``, and verl's ``compute_advantage``
turns them into advantages. Writes rm_scores, advantages and each sample's decoded record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

PROMPT = 3


def _verl_config(estimator: str) -> Any:
    import verl
    from omegaconf import OmegaConf, open_dict

    base = Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml"
    config = OmegaConf.load(base)
    with open_dict(config):
        config.algorithm.adv_estimator = estimator
        config.reward.reward_manager.source = "importlib"
        config.reward.reward_manager.name = "RewardManager"
    return config


def _batch(rows: list[dict[str, Any]], tok: Any) -> Any:
    import torch
    from verl import DataProto

    ids = [tok(r["text"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for r in rows]
    width = max(len(i) for i in ids)
    responses = torch.zeros(len(rows), width, dtype=torch.int64)
    attention = torch.zeros(len(rows), PROMPT + width, dtype=torch.int64)
    attention[:, :PROMPT] = 1
    for k, row_ids in enumerate(ids):
        responses[k, : len(row_ids)] = torch.tensor(row_ids)
        attention[k, PROMPT : PROMPT + len(row_ids)] = 1
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
            "reward_model": np.array([{"ground_truth": r["ground_truth"]} for r in rows]),
            "extra_info": np.array([{"index": i} for i in range(len(rows))], dtype=object),
        },
    )


def run(work: Path, estimator: str) -> dict[str, Any]:
    import torch
    from verl.trainer.ppo.ray_trainer import compute_advantage
    from verl.utils import hf_tokenizer

    from rewardkit.integrations.verl import reward_manager
    from rewardkit.tasks.tokenizer import char_tokenizer

    if not (work / "tokenizer").exists():
        char_tokenizer().save_pretrained(str(work / "tokenizer"))
    tok = hf_tokenizer(str(work / "tokenizer"))
    config = json.loads((work / "config.json").read_text())
    manager_cls = reward_manager(config)
    verl_config = _verl_config(estimator)
    manager = manager_cls(config=verl_config, tokenizer=tok)
    data = _batch(json.loads((work / "batch.json").read_text()), tok)
    scores = [
        manager.loop.run_until_complete(manager.run_single(data[i : i + 1]))["reward_score"]
        for i in range(len(data))
    ]
    rm = manager_cls.assemble_rm_scores(data, scores)
    data.batch["token_level_rewards"] = rm.clone()
    adv = compute_advantage(data, adv_estimator=estimator, config=verl_config.algorithm)
    return {
        "rm_scores": rm.tolist(),
        "advantages": adv.batch["advantages"].to(torch.float64).tolist(),
        "records": [{"text": s.record["text"], "offsets": s.record["offsets"]} for s in scores],
    }


def main(work: str, out_path: str) -> None:
    import verl

    folder = Path(work)
    result = {"verl": verl.__version__}
    for estimator in ("rewardkit_dual", "grpo"):
        result[estimator] = run(folder, estimator)
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:3])
