"""Advantages on hand-computed groups, plus property tests (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.advantage import ESTIMATORS, Groups, batch_std, dr_grpo, gdpo, grpo, rloo

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
