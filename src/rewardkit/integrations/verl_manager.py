"""A verl 0.9.1 reward manager that scores whole groups (by ``uid``) through a RewardProgram.

verl calls a manager's ``run_single`` in its reward workers, one sample at a time, and then, on the
whole batch in the trainer's process, the class method ``assemble_rm_scores(data, scores)``
(``RewardLoopManager.compute_rm_score``). ``run_single`` scores the sample alone (the value the
streaming path puts on the last token) and returns it as a float that also carries the decoded
response; ``assemble_rm_scores`` then scores every group at once with the shared state's variables
and writes dense ``rm_scores``: each step's value on that step's tokens, the outcome on the last
token (``verl.dense_rewards``). Imports verl: load it only where verl is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.integrations.verl import (
    SharedState,
    _program,
    dense_rewards,
    make_compute_score,
    register_estimators,
)
from rewardkit.program import RewardProgram
from rewardkit.rewards.steps import token_step_index
from rewardkit.types import Sample


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
    """The response as the concatenation of its tokens' texts, with each token's character span."""
    pieces = tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=True)
    offsets, at = [], 0
    for piece in pieces:
        offsets.append((at, at + len(piece)))
        at += len(piece)
    return "".join(pieces), offsets


def group_scores(
    program: RewardProgram, records: list[dict[str, Any]], width: int, missing: float = 0.0
) -> np.ndarray:
    """Score ``records`` (one per response, grouped by their uid) together: a (len, width) array
    of dense token rewards (``dense_rewards``)."""
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
    path = cfg.steps_from or next(reversed(scored.steps), None)
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
            if spans and steps
            else np.full(n, -1)
        )
        out[i, :n] = dense_rewards(outcome, steps if spans else None, which, n)
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


def dense_batch_rewards(state: SharedState, data: Any, tokenizer: Any) -> Any:
    """Dense token rewards (float32 tensor, like ``rm_scores``) for a whole verl batch, scored in
    this process by groups with the shared state's variables: for a trainer hook where verl's own
    trainer never hands the reward manager a whole batch (docs/verl.md)."""
    import torch

    state.sync()
    width = data.batch["responses"].shape[-1]
    dense = group_scores(state.program, batch_records(data, tokenizer), width)
    return torch.as_tensor(dense, dtype=torch.float32)


def build_manager(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> type:
    """The manager class for ``config`` (see ``rewardkit.integrations.verl.reward_manager``)."""
    import torch
    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

    driver = SharedState(_program(config), server, token, actor)
    # verl resolves this class in its trainer process (the TaskRunner actor), where the estimator
    # must be registered too: loading the manager registers it
    register_estimators(driver)

    class RewardkitManager(RewardManagerBase):
        """Scores each sample in verl's workers; whole groups, densely, in ``assemble_rm_scores``."""

        def __init__(self, config: Any, tokenizer: Any, compute_score: Any = None, **kwargs: Any):
            super().__init__(config, tokenizer, compute_score)
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
            record.update(ground_truth=ground_truth, meta=meta)
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
            dense = group_scores(driver.program, records, width)  # type: ignore[arg-type]
            return torch.as_tensor(dense, dtype=torch.float32)

    return RewardkitManager
