"""A verl 0.9.1 reward manager that scores whole groups (by ``uid``) through a RewardProgram.

verl calls a manager's ``run_single`` in its reward workers, one sample at a time, and then, on the
whole batch in the trainer's process, the class method ``assemble_rm_scores(data, scores)``
(``RewardLoopManager.compute_rm_score``). ``run_single`` scores the sample alone (the value the
streaming path puts on the last token) and returns it as a float that also carries the decoded
response; ``assemble_rm_scores`` then scores every group at once with the shared state's variables
and writes ``rm_scores``: under ``adv_estimator=rewardkit_dual`` dense ones, each step's value on
that step's tokens and the outcome on the last token (``verl_estimator.dense_rewards``); under any
other estimator (verl's ``grpo`` sums a response's token rewards) the outcome alone on the last
token. A response of verl's tool agent loop (a ``response_mask`` with 0 on the tools' tokens, or
``turn_scores`` / ``tool_rewards``) is scored as a trajectory: its turns are its steps, its tools'
tokens get 0, verl's rewards are ``meta["env_rewards"]`` per turn (``verl_agent``). ``build_manager``
imports verl: call it only where verl is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.advantage import step_values_path
from rewardkit.integrations.verl_agent import (
    decode_tokens,
    last_model_token,
    record_sample,
    rollout_rewards,
)
from rewardkit.integrations.verl_config import DUAL, check_verl_config, setting
from rewardkit.integrations.verl_estimator import dense_rewards, register_estimators
from rewardkit.integrations.verl_score import make_compute_score
from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.types import token_step_index


class ScoredResponse(float):
    """A sample's own score that also carries its decoded response for group scoring."""

    record: dict[str, Any]

    def __new__(cls, value: float, record: dict[str, Any]) -> ScoredResponse:
        out = super().__new__(cls, value)
        out.record = record
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScoredResponse, (float(self), self.record))


def group_scores(
    program: RewardProgram,
    records: list[dict[str, Any]],
    width: int,
    missing: float = 0.0,
    dense: bool = True,
) -> np.ndarray:
    """Score ``records`` (one per response, grouped by their uid) together: a (len, width) array
    of token rewards (``dense_rewards``; ``dense=False``: the outcome alone on the last token)."""
    if any("mask" in r for r in records):  # an agent's batch: every response is a trajectory
        records = [r if "mask" in r else {**r, "mask": [1] * len(r["ids"])} for r in records]
    samples = [record_sample(i, r) for i, r in enumerate(records)]
    scored = program.score(samples)
    cfg = program.config.advantage
    path = step_values_path(scored.steps, cfg.steps_from)
    out = np.zeros((len(records), width))
    for i, sample in enumerate(samples):
        outcome = float(scored.rewards[i])
        outcome = missing if np.isnan(outcome) else outcome
        steps = scored.steps[path][i] if path in scored.steps else None
        info = scored.info.get(path or "", [{}] * len(samples))[i] or {}
        spans = sample.steps or info.get("spans")
        n = len(records[i]["ids"])
        which = (
            token_step_index(sample.token_offsets or (), [tuple(s) for s in spans])
            if spans and steps and dense
            else np.full(n, -1)
        )
        steps = steps if spans and dense else None
        out[i, :n] = dense_rewards(outcome, steps, which, n, last_model_token(records[i]))
    return out


def response_record(
    tokenizer: Any,
    ids: list[int],
    uid: str,
    ground_truth: Any,
    meta: dict[str, Any],
    mask: list[int] | None = None,
    non_tensor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One decoded response as ``group_scores`` reads it. With the response ``mask`` of an agent
    loop (0 on the tools' tokens), the record is a trajectory (``verl_agent.record_sample``) and
    carries verl's ``turn_scores`` and ``tool_rewards`` from ``non_tensor``."""
    text, offsets, starts = decode_tokens(tokenizer, ids, mask if _has_env(mask) else None)
    record: dict[str, Any] = {"uid": uid, "text": text, "ids": ids, "offsets": offsets}
    record["starts"] = starts
    record.update(ground_truth=ground_truth, meta=meta)
    scores, tools = rollout_rewards(non_tensor or {})
    if _has_env(mask) or scores or tools:
        record.update(mask=mask or [1] * len(ids), turn_scores=scores, tool_rewards=tools)
    return record


def _has_env(mask: list[int] | None) -> bool:
    return mask is not None and 0 in mask


def batch_records(data: Any, tokenizer: Any) -> list[dict[str, Any]]:
    """The records ``group_scores`` reads, from a whole verl batch (``DataProto`` with
    ``responses``, ``attention_mask``, ``uid``, ``reward_model``; an agent loop's batch also
    ``response_mask``, ``turn_scores`` and ``tool_rewards``), decoded with ``tokenizer``."""
    width = data.batch["responses"].shape[-1]
    lengths = data.batch["attention_mask"][:, -width:].sum(dim=1).tolist()
    masks = data.batch.get("response_mask", None)
    nt = data.non_tensor_batch
    records = []
    for i, n in enumerate(lengths):
        ids = [int(t) for t in data.batch["responses"][i, : int(n)].tolist()]
        mask = None if masks is None else [int(v) for v in masks[i, : int(n)].tolist()]
        source = str(nt["data_source"][i]) if "data_source" in nt else ""
        row = {k: nt[k][i] for k in ("turn_scores", "tool_rewards") if k in nt}
        truth = nt["reward_model"][i]["ground_truth"]
        meta = {"data_source": source}
        records.append(response_record(tokenizer, ids, str(nt["uid"][i]), truth, meta, mask, row))
    return records


def dense_batch_rewards(state: StateReplica, data: Any, tokenizer: Any, dense: bool = True) -> Any:
    """Token rewards (float32 tensor, like ``rm_scores``) for a whole verl batch, scored in this
    process by groups with the shared state's variables: for a trainer hook where verl's own
    trainer never hands the reward manager a whole batch (docs/verl.md). ``dense=False`` for an
    estimator other than ``rewardkit_dual``: the outcome alone on the last token."""
    import torch

    state.sync()
    width = data.batch["responses"].shape[-1]
    rewards = group_scores(state.program, batch_records(data, tokenizer), width, dense=dense)
    return torch.as_tensor(rewards, dtype=torch.float32)


def build_manager(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> type:
    """A verl reward manager class (``reward.reward_manager.source=importlib``) scoring whole
    groups by uid with ``config``; loading it registers ``rewardkit_dual``. Needs verl."""
    import torch
    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

    driver = StateReplica.connect(config, server, token, actor)
    # verl resolves this class in its trainer process (the TaskRunner actor), where the estimator
    # must be registered too: loading the manager registers it
    register_estimators(driver)

    class RewardKitManager(RewardManagerBase):
        """Scores each sample in verl's workers; whole groups, densely, in ``assemble_rm_scores``."""

        def __init__(self, config: Any, tokenizer: Any, compute_score: Any = None, **kwargs: Any):
            super().__init__(config, tokenizer, compute_score)
            check_verl_config(config)
            self.estimator = str(setting(config, "algorithm.adv_estimator"))
            given = driver.program.config.model_dump(mode="python", exclude_unset=True)
            self.score_one = make_compute_score(given, server, token, actor)

        async def run_single(self, data: Any) -> dict[str, Any]:
            item = data[-1]
            ids_all = item.batch["responses"]
            n = int(item.batch["attention_mask"][-ids_all.shape[-1] :].sum())
            ids = [int(t) for t in ids_all[:n].tolist()]
            # the batch path has the response mask; verl's streaming path does not (outcome only)
            masks = item.batch.get("response_mask", None)
            mask = None if masks is None else [int(v) for v in masks[:n].tolist()]
            nt = item.non_tensor_batch
            ground_truth = nt["reward_model"]["ground_truth"]
            extra = dict(nt.get("extra_info", {}) or {})
            extra["uid"] = str(nt.get("uid", "0"))
            scores, tools = rollout_rewards(nt)
            extra.update(turn_scores=scores, tool_rewards=tools)
            source = str(nt.get("data_source", ""))
            meta = {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)}
            meta["data_source"] = source
            record = response_record(
                self.tokenizer, ids, extra["uid"], ground_truth, meta, mask, nt
            )
            if "mask" in record:
                sample = record_sample(0, record)
                score_sample = self.score_one.score_sample  # type: ignore[attr-defined]
                call = lambda: score_sample(sample)  # noqa: E731
            else:
                call = lambda: self.score_one(source, record["text"], ground_truth, extra)  # noqa: E731
            values = await self.loop.run_in_executor(None, call)
            record["estimator"] = self.estimator
            return {
                "reward_score": ScoredResponse(values["score"], record),
                "reward_extra_info": values,
            }

        @classmethod
        def assemble_rm_scores(cls, data: Any, scores: list[float]) -> Any:
            records = [getattr(s, "record", None) for s in scores]
            if any(r is None for r in records):  # not ours: verl's own layout
                return super().assemble_rm_scores(data, scores)
            driver.sync()
            width = data.batch["responses"].shape[-1]
            # verl's own estimators (grpo sums a response's token rewards) get the outcome alone
            dense = all(r.get("estimator") == DUAL for r in records)  # type: ignore[union-attr]
            rewards = group_scores(driver.program, records, width, dense=dense)  # type: ignore[arg-type]
            return torch.as_tensor(rewards, dtype=torch.float32)

    return RewardKitManager
