"""Advantages on hand-computed groups, plus property tests (hypothesis)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import samples

from rewardkit.advantage import ESTIMATORS, Groups, batch_std, dr_grpo, gdpo, grpo, rloo
from rewardkit.advantage.estimators import EPS, EPS_PRESETS, resolve_eps
from rewardkit.config import AdvantageConfig
from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram

NAN = float("nan")


def test_grpo_by_hand() -> None:
    # group a: [1, 0] mean 0.5, std (ddof=1) 0.7071 -> +-0.7071; group b: all equal -> 0
    adv = grpo(np.array([1.0, 0.0, 1.0, 1.0]), Groups.from_ids(["a", "a", "b", "b"]))
    assert adv.round(4).tolist() == [0.7071, -0.7071, 0.0, 0.0]


def test_dr_grpo_and_rloo_by_hand() -> None:
    r = np.array([3.0, 1.0, 2.0])  # one group, mean 2
    g = Groups.from_ids(["a"] * 3)
    assert dr_grpo(r, g).tolist() == [1.0, -1.0, 0.0]
    # leave-one-out: 3 - mean(1, 2) = 1.5; 1 - mean(3, 2) = -1.5; 2 - mean(3, 1) = 0
    assert rloo(r, g).tolist() == [1.5, -1.5, 0.0]


def test_batch_std_by_hand() -> None:
    r = np.array([2.0, 0.0, 4.0, 4.0])
    # group means 1 and 4; batch std (ddof=1) of [2,0,4,4] = sqrt(11/3) = 1.9149
    adv = batch_std(r, Groups.from_ids("aabb"), eps=0.0)
    assert adv.round(4).tolist() == [0.5222, -0.5222, 0.0, 0.0]


def test_none_is_excluded_from_the_baseline_and_gets_zero() -> None:
    r = np.array([1.0, 0.0, NAN, 0.0])  # a None reward must not pull the mean toward 0
    g = Groups.from_ids("aaaa")
    # applicable: [1, 0, 0] mean 1/3, std (ddof=1) 0.57735
    adv = grpo(r, g)
    assert adv[2] == 0.0
    assert adv.tolist() == pytest.approx([1.1547, -0.5774, 0.0, -0.5774], abs=1e-4)
    assert dr_grpo(r, g).round(4).tolist() == [0.6667, -0.3333, 0.0, -0.3333]


def test_single_sample_groups_carry_no_signal() -> None:
    r = np.array([1.0, 0.0])
    g = Groups.from_ids(["a", "b"])
    for name, fn in ESTIMATORS.items():
        assert fn(r, g, 1e-6).tolist() == [0.0, 0.0], name


def test_gdpo_normalises_each_component_before_the_sum() -> None:
    # Component x has a huge scale; without per-component normalisation it would dominate.
    x = np.array([100.0, 0.0, 100.0, 0.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    g = Groups.from_ids("aabb")
    # per-group grpo: x -> [.7071, -.7071, .7071, -.7071]; y -> [-.7071, .7071, .7071, -.7071]
    # sum -> [0, 0, 1.4142, -1.4142]; batch-normalise (mean 0, std 1.1547) -> [0, 0, 1.2247, -1.2247]
    adv = gdpo([x, y], [1.0, 1.0], x + y, g)
    assert adv.round(4).tolist() == [0.0, 0.0, 1.2247, -1.2247]


rewards = st.lists(
    st.one_of(st.floats(-10, 10, allow_nan=False), st.just(NAN)), min_size=2, max_size=24
)


@settings(max_examples=200, deadline=None)
@given(rewards, st.integers(1, 4), st.floats(-5, 5, allow_nan=False))
def test_properties(values: list[float], group_size: int, shift: float) -> None:
    r = np.array(values)
    g = Groups.from_ids([str(i // group_size) for i in range(len(r))])
    for name, fn in ESTIMATORS.items():
        adv = fn(r, g, 1e-6)
        assert np.isfinite(adv).all(), name
        assert (adv[np.isnan(r)] == 0.0).all(), name  # None -> no gradient
        # adding a constant to every reward changes nothing
        assert np.allclose(adv, fn(r + shift, g, 1e-6), atol=1e-5), name
    adv = grpo(r, g)
    for code in range(g.count):
        members = (g.codes == code) & ~np.isnan(r)
        if members.sum() >= 2:
            assert abs(adv[members].mean()) < 1e-6  # zero group mean


def test_every_estimator_is_registered() -> None:
    assert set(ESTIMATORS) == {"grpo", "dr_grpo", "batch_std", "rloo"}


def test_groups_preserve_first_appearance_order() -> None:
    g = Groups.from_ids(["q2", "q1", "q2"])
    assert g.codes.tolist() == [0, 1, 0] and g.count == 2


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, 1.0, 0.0, 1.0], 0.5), ([1.0, 1.0, 1.0, 1.0], 1.0), ([1.0, NAN, 0.0, 1.0], 0.0)],
)
def test_zero_variance_fraction(values: list[float], expected: float) -> None:
    # with [1, NaN | 0, 1]: group a has one applicable value (not eligible), group b differs
    assert Groups.from_ids("aabb").zero_variance_fraction(np.array(values)) == expected


# -- eps: an explicit option with the peers' values by name (issue 10, item 6) ----------------------


def test_eps_presets_are_the_peers_values() -> None:
    # TRL 1.16 GRPOTrainer: (r - mean) / (std + 1e-4); verl 0.9.1 core_algos: epsilon=1e-6
    assert EPS_PRESETS == {"trl": 1e-4, "verl": 1e-6}
    assert EPS == EPS_PRESETS["verl"] == AdvantageConfig().eps
    assert resolve_eps("trl") == 1e-4 and resolve_eps(0.01) == 0.01


@pytest.mark.parametrize(
    ("value", "message"),
    [("tlr", "did you mean 'trl'"), ("openrlhf", "trl (0.0001), verl (1e-06)"), (0.0, "positive")],
)
def test_an_unknown_eps_preset_names_the_presets(value: str | float, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        resolve_eps(value)


def test_an_eps_preset_by_name_in_a_program_config() -> None:
    # One group [0, 1e-4, 0, 0]: mean 2.5e-5, std 5e-5. eps: trl divides by 1.5e-4 (TRL's result,
    # checked against TRL itself in tests/conformance): 7.5e-5 / 1.5e-4 = 0.5 and
    # -2.5e-5 / 1.5e-4 = -1/6. The default (verl's 1e-6) divides by 5.1e-5: 1.4706 and -0.4902.
    rows = [{"v": 0.0}, {"v": 1e-4}, {"v": 0.0}, {"v": 0.0}]
    by_name = {}
    for eps in ("trl", "verl", 1e-4):
        program = RewardProgram.from_dict(
            {"reward": {"fn": "test_meta"}, "advantage": {"eps": eps}}
        )
        adv = program.advantages(program.score(samples(rows, group_size=4))).per_sample
        by_name[eps] = adv.round(4).tolist()
    assert by_name["trl"] == by_name[1e-4] == [-0.1667, 0.5, -0.1667, -0.1667]
    assert by_name["verl"] == [-0.4902, 1.4706, -0.4902, -0.4902]


def test_an_unknown_eps_preset_is_a_config_error_at_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        RewardProgram.from_dict({"reward": {"fn": "test_meta"}, "advantage": {"eps": "trll"}})
    [(path, message)] = info.value.problems
    assert path == "advantage.eps" and "did you mean 'trl'" in message
