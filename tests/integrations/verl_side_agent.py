"""A multi-turn batch as verl 0.9.1's tool agent loop hands it on, through rewardkit's reward manager
and verl's ``compute_advantage`` (inside .venv-verl; not a test, no Ray).

``test_verl_agent.py`` runs it as ``python verl_side_agent.py WORK_DIR OUT.json``; WORK_DIR holds
``config.json`` (the reward program). Each rollout is built in the layout of the agent loop's
``_postprocess``: ``responses`` (the model's turns and the tools' replies, character tokens, EOS
after the last turn), ``response_mask`` (0 on the tools' tokens), ``attention_mask``, and the
non-tensor ``turn_scores`` and ``tool_rewards`` (object arrays), ``__num_turns__``, ``uid``. For
``rewardkit_dual`` and verl's ``grpo``: the manager's ``run_single`` per rollout (as verl's reward
workers call it), ``assemble_rm_scores`` on the batch, verl's ``compute_advantage``. Also the
components the test config names (``verl_side_agent:final_answer``, ``:env_turns``): verl is
imported inside functions only, so rewardkit's venv imports this file too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.registry import Params
from rewardkit.types import Sample, Score

PROMPT = 3
CALL = '<tool_call>{"name": "lookup", "arguments": {"q": "x"}}</tool_call>'
REPLY = "\n<tool_response>found</tool_response>\n"

# uid, [(text, written by the model?)], turn_scores, tool_rewards: per-turn env rewards by hand
ROLLOUTS: list[tuple[str, list[tuple[str, bool]], list[float], list[float]]] = [
    ("g0", [(CALL, True), (REPLY, False), ("ans 42", True)], [], [0.5]),  # [0.5, 0]
    ("g0", [(CALL + CALL, True), (REPLY, False), (CALL, True), (REPLY, False), ("7", True)],
     [], [1.0, -0.5, 0.25]),  # two calls then one: [0.5, 0.25, 0]
    ("g0", [("ans 42", True)], [], []),  # no tool: one turn, [0]
    ("g1", [(CALL, True), (REPLY, False), ("42", True)], [0.2, 0.3], [1.0]),  # [1.2, 0.3]
    ("g1", [(CALL, True), (REPLY, False), ("no", True)], [], [-1.0]),  # [-1, 0]
]  # fmt: skip
TURN_VALUES = [[0.5, 0.0], [0.5, 0.25, 0.0], [0.0], [1.2, 0.3], [-1.0, 0.0]]


def final_answer(sample: Sample, p: Params) -> float:
    """1.0 when the last line of the completion ends with the reference, else 0.0."""
    last = sample.completion.rstrip().split("\n")[-1]
    return float(last.endswith(str(sample.reference)))


def env_turns(sample: Sample, p: Params) -> Score | None:
    """verl's environment rewards: the rollout's sum, one step value per turn."""
    if "env_reward" not in sample.meta:
        return None
    turns = sample.meta.get("env_rewards")
    return Score(float(sample.meta["env_reward"]), steps=None if turns is None else tuple(turns))


def _batch(tok: Any) -> Any:
    import torch
    from verl import DataProto

    ids, masks = [], []
    for _, parts, _, _ in ROLLOUTS:
        row, mask = [], []
        for text, model in parts:
            piece = tok(text, add_special_tokens=False)["input_ids"]
            row += piece
            mask += [int(model)] * len(piece)
        ids.append([*row, tok.eos_token_id])
        masks.append([*mask, 1])
    width = max(len(i) for i in ids)
    n = len(ROLLOUTS)
    responses = torch.zeros(n, width, dtype=torch.int64)
    response_mask = torch.zeros(n, width, dtype=torch.int64)
    attention = torch.zeros(n, PROMPT + width, dtype=torch.int64)
    attention[:, :PROMPT] = 1
    for k, (row_ids, mask) in enumerate(zip(ids, masks, strict=True)):
        responses[k, : len(row_ids)] = torch.tensor(row_ids)
        response_mask[k, : len(mask)] = torch.tensor(mask)
        attention[k, PROMPT : PROMPT + len(row_ids)] = 1

    def column(values: list[Any]) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    return DataProto.from_dict(
        tensors={
            "prompts": torch.ones(n, PROMPT, dtype=torch.int64),
            "responses": responses,
            "response_mask": response_mask,
            "attention_mask": attention,
        },
        non_tensors={
            "uid": np.array([r[0] for r in ROLLOUTS], dtype=object),
            "data_source": np.array(["rk"] * n, dtype=object),
            "reward_model": np.array([{"ground_truth": "42"} for _ in ROLLOUTS]),
            "extra_info": np.array([{"index": i} for i in range(n)], dtype=object),
            "__num_turns__": np.array([len(r[1]) + 1 for r in ROLLOUTS], dtype=np.int32),
            "turn_scores": column([r[2] for r in ROLLOUTS]),
            "tool_rewards": column([r[3] for r in ROLLOUTS]),
        },
    )


def run(work: Path, estimator: str) -> dict[str, Any]:
    import torch
    from verl.trainer.ppo.ray_trainer import compute_advantage
    from verl.utils import hf_tokenizer
    from verl_side_layouts import _verl_config

    from rewardkit.integrations.verl import reward_manager
    from rewardkit.tasks.tokenizer import char_tokenizer

    if not (work / "tokenizer").exists():
        char_tokenizer().save_pretrained(str(work / "tokenizer"))
    tok = hf_tokenizer(str(work / "tokenizer"))
    manager_cls = reward_manager(json.loads((work / "config.json").read_text()))
    verl_config = _verl_config(estimator)
    manager = manager_cls(config=verl_config, tokenizer=tok)
    data = _batch(tok)
    results = [
        manager.loop.run_until_complete(manager.run_single(data[i : i + 1]))
        for i in range(len(data))
    ]
    scores = [r["reward_score"] for r in results]
    rm = manager_cls.assemble_rm_scores(data, scores)
    data.batch["token_level_rewards"] = rm.clone()
    adv = compute_advantage(data, adv_estimator=estimator, config=verl_config.algorithm)
    keep = ("text", "ids", "offsets", "starts", "mask", "turn_scores", "tool_rewards", "uid")
    return {
        "rm_scores": rm.tolist(),
        "advantages": adv.batch["advantages"].to(torch.float64).tolist(),
        "response_mask": data.batch["response_mask"].tolist(),
        "records": [{k: s.record[k] for k in keep if k in s.record} for s in scores],
        "single": [float(s) for s in scores],
        "extra": [r["reward_extra_info"] for r in results],
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
