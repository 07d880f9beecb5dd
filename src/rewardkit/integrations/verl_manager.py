"""A verl 0.9.1 reward manager that scores whole groups (by ``uid``) through a RewardProgram.

verl calls a manager's ``run_single`` in its reward workers, one sample at a time, and then, on the
whole batch in the trainer's process, the class method ``assemble_rm_scores(data, scores)``
(``RewardLoopManager.compute_rm_score``). ``run_single`` scores the sample alone (the value the
streaming path puts on the last token) and returns it as a float that also carries the decoded
response; ``assemble_rm_scores`` then scores every group at once with the shared state's variables
and writes ``rm_scores``: under ``adv_estimator=rewardkit_dual`` dense ones, each step's value on
that step's tokens and the outcome on the last token (``verl_estimator.dense_rewards``); under any
other estimator (verl's ``grpo`` sums a response's token rewards) the outcome alone on the last
token. ``build_manager`` imports verl: call it only where verl is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.advantage import step_values_path
from rewardkit.integrations.verl_config import DUAL, check_verl_config, setting
from rewardkit.integrations.verl_estimator import dense_rewards, register_estimators
from rewardkit.integrations.verl_score import make_compute_score
from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.types import Sample, token_step_index


class ScoredResponse(float):
    """A sample's own score that also carries its decoded response for group scoring."""

    record: dict[str, Any]

    def __new__(cls, value: float, record: dict[str, Any]) -> ScoredResponse:
        out = super().__new__(cls, value)
        out.record = record
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScoredResponse, (float(self), self.record))


def _decode(tokenizer: Any, ids: list[int]) -> tuple[str, list[tuple[int, int]]]:
    """The response as the concatenation of its tokens' texts, with each token's character span.

    A token with no text (EOS and other special tokens, decoded without them as verl does) gets
    the span of the character before it, so it belongs to the step of the token before it: the
    dense layout cannot tell an EOS from the step's last token (the outcome sits on the last
    token), and ``rewardkit_dual`` counts the last token in the step before it.
    """
    pieces = tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=True)
    offsets, at = [], 0
    for piece in pieces:
        offsets.append((at, at + len(piece)) if piece or at == 0 else (at - 1, at))
        at += len(piece)
    return "".join(pieces), offsets


def group_scores(
    program: RewardProgram,
    records: list[dict[str, Any]],
    width: int,
    missing: float = 0.0,
    dense: bool = True,
) -> np.ndarray:
    """Score ``records`` (one per response, grouped by their uid) together: a (len, width) array
    of token rewards (``dense_rewards``; ``dense=False``: the outcome alone on the last token)."""
    samples = [
        Sample(
            id=str(i),
            group=str(r["uid"]),
            prompt="",
            completion=r["text"],
            reference=r["ground_truth"],
            meta=r["meta"],
            token_ids=tuple(r["ids"]),
            token_offsets=tuple((int(a), int(b)) for a, b in r["offsets"]),
        )
        for i, r in enumerate(records)
    ]
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
        out[i, :n] = dense_rewards(outcome, steps if spans and dense else None, which, n)
    return out


def batch_records(data: Any, tokenizer: Any) -> list[dict[str, Any]]:
    """The records ``group_scores`` reads, from a whole verl batch (``DataProto`` with
    ``responses``, ``attention_mask``, ``uid``, ``reward_model``), decoded with ``tokenizer``."""
    width = data.batch["responses"].shape[-1]
    lengths = data.batch["attention_mask"][:, -width:].sum(dim=1).tolist()
    nt = data.non_tensor_batch
    records = []
    for i, n in enumerate(lengths):
        ids = [int(t) for t in data.batch["responses"][i, : int(n)].tolist()]
        text, offsets = _decode(tokenizer, ids)
        source = str(nt["data_source"][i]) if "data_source" in nt else ""
        records.append(
            {
                "uid": str(nt["uid"][i]),
                "text": text,
                "ids": ids,
                "offsets": offsets,
                "ground_truth": nt["reward_model"][i]["ground_truth"],
                "meta": {"data_source": source},
            }
        )
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
            self.score_one = make_compute_score(driver.program.to_dict(), server, token, actor)

        async def run_single(self, data: Any) -> dict[str, Any]:
            item = data[-1]
            ids_all = item.batch["responses"]
            n = int(item.batch["attention_mask"][-ids_all.shape[-1] :].sum())
            ids = [int(t) for t in ids_all[:n].tolist()]
            text, offsets = _decode(self.tokenizer, ids)
            ground_truth = item.non_tensor_batch["reward_model"]["ground_truth"]
            extra = dict(item.non_tensor_batch.get("extra_info", {}) or {})
            extra["uid"] = str(item.non_tensor_batch.get("uid", "0"))
            source = str(item.non_tensor_batch.get("data_source", ""))
            values = await self.loop.run_in_executor(
                None, lambda: self.score_one(source, text, ground_truth, extra)
            )
            meta = {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)}
            meta["data_source"] = source
            record = {"uid": extra["uid"], "text": text, "ids": ids, "offsets": offsets}
            record.update(ground_truth=ground_truth, meta=meta, estimator=self.estimator)
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
