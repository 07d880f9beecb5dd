"""Advantage tensors, and one update moving log-probs in the direction of the advantages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rewardkit.advantage import advantage_matrix  # noqa: E402
from rewardkit.tasks.models import TinyModelSpec, build_tiny_model  # noqa: E402
from rewardkit.train.config import TrainConfig  # noqa: E402
from rewardkit.train.loss import token_logprobs  # noqa: E402
from rewardkit.train.rollout import sample_completions  # noqa: E402
from rewardkit.train.update import learning_rate, update_policy  # noqa: E402


@pytest.mark.parametrize(
    ("per_sample", "per_token", "expected"),
    [
        ([1.0, -1.0], [None, None], [[1.0, 1.0], [-1.0, -1.0]]),
        ([1.0, -1.0], [None, np.array([0.5])], [[1.0, 1.0], [0.5, 0.0]]),  # past its tokens: 0
        ([float("nan"), 2.0], [], [[0.0, 0.0], [2.0, 2.0]]),  # NaN: the sample is not pushed
    ],
)
def test_advantage_matrix(
    per_sample: list[float], per_token: list[object], expected: list[list[float]]
) -> None:
    got = advantage_matrix(np.array(per_sample), per_token, 2)  # type: ignore[arg-type]
    assert got.tolist() == expected


@pytest.mark.parametrize("aggregation", ["grpo", "dr_grpo", "dapo"])
def test_update_raises_positive_advantage_samples(aggregation: Any) -> None:
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64), seed=0)
    gen = torch.Generator().manual_seed(0)
    r = sample_completions(model, tok, ["ab:"], 4, 5, 1.0, gen)
    adv = np.array([1.0, -1.0, 1.0, -1.0])
    cfg = TrainConfig(lr=1e-3, group_size=4, loss_aggregation=aggregation)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)

    def seq_logp() -> np.ndarray:
        with torch.no_grad():
            lp = token_logprobs(model, r.prompt_ids, r.prompt_mask, r.completion_ids, 1.0, 4)
        return (lp * r.completion_mask).sum(1).numpy()

    before = seq_logp()
    stats = update_policy(model, optimizer, r, advantage_matrix(adv, [], 5), cfg)
    change = seq_logp() - before
    assert float((adv * change).sum()) > 0
    assert stats["grad_norm"] > 0


def test_warmup_sets_the_optimizer_learning_rate_of_each_step() -> None:
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64), seed=0)
    r = sample_completions(model, tok, ["ab:"], 2, 3, 1.0, torch.Generator().manual_seed(0))
    cfg = TrainConfig(lr=1e-3, group_size=2, warmup_steps=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    seen = []
    for step in (0, 1, 3, 9):  # any step: a resumed run picks the schedule up where it was
        stats = update_policy(model, optimizer, r, np.ones((2, 3)), cfg, step=step)
        seen.append((stats["lr"], optimizer.param_groups[0]["lr"]))
    assert seen == [(2.5e-4, 2.5e-4), (5e-4, 5e-4), (1e-3, 1e-3), (1e-3, 1e-3)]
    assert learning_rate(TrainConfig(lr=1e-3), 0) == 1e-3  # no warm-up by default
