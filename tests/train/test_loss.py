"""The clipped surrogate, the k3 KL and the three aggregations, with numbers checked by hand."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rewardkit.train.loss import LossSettings, aggregate, policy_loss  # noqa: E402

PER_TOKEN = torch.tensor([[1.0, 1.0, 0.0], [4.0, 0.0, 0.0]])
MASK = torch.tensor([[1, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("grpo", 2.5),  # sequence means 1 and 4, then their mean
        ("dr_grpo", 1.0),  # token sum 6 / (2 sequences * 3 max tokens)
        ("dapo", 2.0),  # token sum 6 / 3 tokens
    ],
)
def test_aggregation(how: str, expected: float) -> None:
    assert aggregate(PER_TOKEN, MASK, how, 3).item() == pytest.approx(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("log_ratio", "advantage", "loss", "clipped"),
    [
        (0.0, 1.0, -1.0, 0.0),  # ratio 1: -A
        (math.log(1.5), 1.0, -1.2, 1.0),  # ratio 1.5 > 1.2: clipped to 1.2 for A > 0
        (math.log(1.5), -1.0, 1.5, 0.0),  # A < 0: the unclipped (worse) term is kept
        (math.log(0.5), -1.0, 0.8, 1.0),  # ratio 0.5 < 0.8 with A < 0: clipped to 0.8
    ],
)
def test_clipped_surrogate(log_ratio: float, advantage: float, loss: float, clipped: float) -> None:
    logp = torch.tensor([[log_ratio]])
    value, stats = policy_loss(
        logp, torch.zeros(1, 1), torch.tensor([advantage]), torch.ones(1, 1), LossSettings()
    )
    assert value.item() == pytest.approx(loss)
    assert stats["clip_frac"] == clipped


def test_clip_higher_widens_only_the_upper_side() -> None:
    logp = torch.tensor([[math.log(1.25)]])
    settings = LossSettings(clip_eps=0.2, clip_eps_high=0.28)
    value, _ = policy_loss(logp, torch.zeros(1, 1), torch.tensor([1.0]), torch.ones(1, 1), settings)
    assert value.item() == pytest.approx(-1.25)  # 1.25 < 1.28: not clipped


def test_kl_to_the_reference() -> None:
    logp = torch.zeros(1, 1)
    ref = torch.tensor([[math.log(2.0)]])  # k3 = e^d - d - 1 = 2 - ln 2 - 1
    settings = LossSettings(kl_beta=0.5)
    value, stats = policy_loss(logp, logp, torch.tensor([0.0]), torch.ones(1, 1), settings, ref)
    assert stats["kl"] == pytest.approx(1.0 - math.log(2.0))
    assert value.item() == pytest.approx(0.5 * (1.0 - math.log(2.0)))


def test_per_token_advantages_weigh_each_token() -> None:
    logp = torch.zeros(1, 2, requires_grad=True)
    adv = torch.tensor([[2.0, -1.0]])
    value, _ = policy_loss(logp, logp.detach(), adv, torch.ones(1, 2), LossSettings())
    value.backward()
    assert logp.grad is not None
    assert logp.grad.tolist() == [[-1.0, 0.5]]  # -A / 2 tokens
