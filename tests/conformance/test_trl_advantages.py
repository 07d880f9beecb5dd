"""TRL 1.16's own advantage code against ``rewardkit.advantage``, on 242 generated reward batches.

TRL computes advantages inside ``GRPOTrainer._generate_and_score_completions``. The test builds a
real GRPOTrainer (tiny model, CPU) whose ``_generate`` and ``_calculate_rewards`` (the two calls
that produce completions and the (N, K) reward tensor) return the case under test, then runs that
method unchanged: every line of TRL's baseline, std, eps, None handling and aggregation runs as in
training. Rewards go in as float64 (TRL's code is dtype-generic; in training they are float32),
so the comparison is about the algorithm, not about float32 rounding.

Pairs (TRL setting -> rewardkit estimator), on the first reward component with weight 1 for the
three scalings, and on all components with their weights for ``normalize_then_sum``:

- ``scale_rewards="group"`` -> ``grpo``;  ``"batch"`` -> ``batch_std``;  ``"none"`` -> ``dr_grpo``;
- ``multi_objective_aggregation="normalize_then_sum"`` -> ``gdpo``.

With ``eps: trl`` every case agrees (docs/conformance.md lists no difference). With rewardkit's
default eps (1e-6, verl's) the cases that differ are exactly those where TRL's 1e-4 changes the
result, and ``eps: trl`` makes each of them agree: item 6 of issue 10.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from tests.conformance.advantage_cases import Case, make_cases

from rewardkit.advantage import Groups, batch_std, dr_grpo, gdpo, grpo
from rewardkit.advantage.estimators import EPS, resolve_eps

torch = pytest.importorskip("torch", reason="the train extra (torch) runs TRL")
trl = pytest.importorskip("trl", reason="the trl extra runs TRL's own code")

CASES = make_cases(242)
MODES = ("group", "batch", "none", "normalize_then_sum")
ESTIMATOR = {"group": "grpo", "batch": "batch_std", "none": "dr_grpo", "normalize_then_sum": "gdpo"}
RTOL, ATOL = 1e-6, 1e-9  # float64 on both sides: only rounding differs


def _probe_class() -> type:
    class Probe(trl.GRPOTrainer):  # type: ignore[misc]
        """A GRPOTrainer whose completions and reward tensor are the case under test."""

        case: Any = None

        def _generate(self, prompts: list[Any]) -> tuple[Any, ...]:
            n = len(prompts)
            return [[1]] * n, [[2]] * n, None, ["x"] * n, None, {}, None, None

        def _calculate_rewards(self, inputs: Any, prompts: Any, *args: Any) -> Any:
            return self.case.clone()

    return Probe


@pytest.fixture(scope="module")
def trainer() -> Any:
    from datasets import Dataset

    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=16))
    args = trl.GRPOConfig(
        output_dir=tempfile.mkdtemp(),
        per_device_train_batch_size=2,
        num_generations=2,
        beta=0.0,  # no reference model: the method then runs no forward pass
        use_cpu=True,
        bf16=False,
        report_to="none",
    )
    probe = _probe_class()(
        model=model,
        reward_funcs=[_zero],
        args=args,
        processing_class=tok,
        train_dataset=Dataset.from_dict({"prompt": ["p", "p"]}),
    )
    probe.model.train()
    return probe


def _zero(completions: list[Any], **kwargs: Any) -> list[float]:
    return [0.0] * len(completions)


def trl_advantages(trainer: Any, case: Case, mode: str, dtype: Any = None) -> np.ndarray:
    """TRL's advantages for ``case`` under ``mode`` (a scale_rewards value or normalize_then_sum)."""
    if mode == "normalize_then_sum":
        rewards, weights = case.rewards, case.weights
        trainer.multi_objective_aggregation = "normalize_then_sum"
    else:
        rewards, weights = case.rewards[:, :1], (1.0,)
        trainer.multi_objective_aggregation = "sum_then_normalize"
        trainer.scale_rewards = mode
    trainer.case = torch.tensor(rewards, dtype=dtype or torch.float64)
    trainer.reward_funcs = [_zero] * len(weights)
    trainer.reward_func_names = [f"r{i}" for i in range(len(weights))]
    trainer.reward_weights = torch.tensor(weights, dtype=torch.float32)
    trainer.num_generations = case.size
    out = trainer._generate_and_score_completions([{"prompt": "p"}] * len(rewards))
    return np.asarray(out["advantages"].tolist())


def rewardkit_advantages(case: Case, mode: str, eps: float) -> np.ndarray:
    groups = Groups.from_ids(case.group_ids)
    if mode == "normalize_then_sum":
        columns = [case.rewards[:, j] for j in range(case.rewards.shape[1])]
        # gdpo reads the root reward only for "does not apply": a row where no component applies
        applies = ~np.isnan(case.rewards).all(axis=1)
        root = np.where(applies, 0.0, np.nan)
        return gdpo(columns, case.weights, root, groups, eps)
    single: dict[str, Callable[..., np.ndarray]] = {
        "group": grpo,
        "batch": batch_std,
        "none": dr_grpo,
    }
    return single[mode](case.rewards[:, 0], groups, eps)


def differing(trainer: Any, mode: str, eps: float, float32: bool = False) -> list[int]:
    """The ids of the cases where rewardkit (with ``eps``) and TRL differ under ``mode``."""
    dtype, rtol, atol = (torch.float32, 1e-4, 1e-5) if float32 else (torch.float64, RTOL, ATOL)
    out = []
    for case in CASES:
        theirs = trl_advantages(trainer, case, mode, dtype)
        ours = rewardkit_advantages(case, mode, eps)
        if not np.allclose(ours, theirs, rtol=rtol, atol=atol):
            out.append(case.id)
    return out


# Intended differences with eps: trl, per mode (docs/conformance.md): none.
INTENDED: dict[str, list[int]] = {mode: [] for mode in MODES}


@pytest.mark.parametrize("mode", MODES)
def test_trl_advantages_agree_with_eps_trl(
    trainer: Any, mode: str, record_agreement: Callable[..., None]
) -> None:
    diff = differing(trainer, mode, resolve_eps("trl"))
    pair = f"TRL {mode} vs rewardkit {ESTIMATOR[mode]} (eps: trl)"
    record_agreement(pair, len(CASES) - len(diff), len(CASES), len(INTENDED[mode]))
    assert diff == INTENDED[mode]


@pytest.mark.parametrize("mode", MODES)
def test_the_default_eps_differs_from_trl_only_by_eps(
    trainer: Any, mode: str, record_agreement: Callable[..., None]
) -> None:
    # rewardkit's default eps is verl's 1e-6 (also the value before item 6). Every case it makes
    # differ from TRL has rewards that are not all equal (eps acts only on a std that is not 0),
    # and agrees with eps: trl (the test above).
    diff = differing(trainer, mode, EPS)
    record_agreement(
        f"TRL {mode} vs rewardkit {ESTIMATOR[mode]} (default eps 1e-6)",
        len(CASES) - len(diff),
        len(CASES),
        len(diff),
    )
    if mode == "none":
        assert diff == []  # no division, no eps
        return
    assert diff, "the default eps should differ from TRL's somewhere"
    for i in diff:
        case = CASES[i]
        spread = np.nanmax(case.rewards, axis=0) - np.nanmin(case.rewards, axis=0)
        assert (spread > 0).any(), f"case {i} ({case.kind}) differs though every reward is equal"


@pytest.mark.parametrize("mode", MODES)
def test_trl_in_float32_rounds_only_small_spreads_on_large_values(trainer: Any, mode: str) -> None:
    # In training TRL holds rewards in float32. Its rounding (a relative 6e-8) then moves the
    # advantages (beyond 1e-4) exactly where the spread is tiny next to the value: 0.5 +- 1e-5
    # (low_variance, except under "none": no division) and 1e4 +- 1 (offset).
    kinds = ("offset",) if mode == "none" else ("low_variance", "offset")
    diff = differing(trainer, mode, resolve_eps("trl"), float32=True)
    assert diff == [case.id for case in CASES if case.kind in kinds]


def test_eps_moves_a_low_variance_group_by_one_advantage_unit(trainer: Any) -> None:
    # Item 6 of issue 10, by hand: rewards [0, 1e-4, 0, 0], group std 5e-5. TRL divides by
    # 5e-5 + 1e-4 (1.5e-4): the odd sample gets 7.5e-5 / 1.5e-4 = 0.5. rewardkit's default eps
    # divides by 5.1e-5: 1.4706, a difference of 0.97. With eps: trl rewardkit gives TRL's 0.5.
    case = Case(0, "by_hand", 1, 4, np.array([[0.0], [1e-4], [0.0], [0.0]]), (1.0,), np.ones(4))
    theirs = trl_advantages(trainer, case, "group")
    assert theirs.round(4).tolist() == [-0.1667, 0.5, -0.1667, -0.1667]
    ours = rewardkit_advantages(case, "group", resolve_eps("trl"))
    assert np.allclose(ours, theirs, rtol=RTOL, atol=ATOL)
    assert rewardkit_advantages(case, "group", EPS)[1] == pytest.approx(1.4706, abs=1e-4)
