"""Step-reward caps (Clip, Delta) on hand-computed rows, and their upper-bound properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.advantage.caps import cap_batch, cap_steps, clip_steps, delta_steps

NAN = math.nan


def same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Equal element-wise, NaN equal to NaN."""
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(
    ("steps", "eta", "expected"),
    [
        ((1.0, 0.25, 0.75), 0.5, (0.0, -0.25, 0.0)),  # above eta: 0; below: the shortfall
        ((0.5, 0.5), 0.5, (0.0, 0.0)),  # exactly eta earns nothing and loses nothing
        ((1.0, 0.0), 1.0, (0.0, -1.0)),  # eta = 1 on [0, 1] scores: a shift down by one
        ((0.25, NAN, 1.0), 0.5, (-0.25, NAN, 0.0)),  # an unjudged step stays unjudged
        ((2.0, -1.0), 0.0, (0.0, -1.0)),  # eta = 0: min(r, 0)
        ((), 0.5, ()),
    ],
)
def test_clip_by_hand(steps: tuple[float, ...], eta: float, expected: tuple[float, ...]) -> None:
    assert same(clip_steps(steps, eta), expected)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((0.75, 0.5, 1.0), (0.25, -0.5, 1.0)),  # r1 - r2, r2 - r3, r3
        ((1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 1.0)),  # repeating a good step earns nothing
        ((0.5,), (0.5,)),
        ((1.0, NAN, 0.25, 0.5), (0.75, NAN, -0.25, 0.5)),  # NaN skipped: 1.0 - 0.25
        ((NAN, 0.5, 0.25), (NAN, 0.25, 0.25)),
        ((NAN, NAN), (NAN, NAN)),
        ((), ()),
    ],
)
def test_delta_by_hand(steps: tuple[float, ...], expected: tuple[float, ...]) -> None:
    assert same(delta_steps(steps), expected)


def test_cap_steps_and_cap_batch() -> None:
    assert cap_steps((0.25, 1.0), "none") == (0.25, 1.0)
    assert cap_steps((0.25, 1.0), "clip", eta=0.5) == (-0.25, 0.0)
    assert cap_steps((0.25, 1.0), "delta") == (-0.75, 1.0)
    assert cap_batch([(1.0, 0.5), None, ()], "delta") == [(0.5, 0.5), None, ()]
    with pytest.raises(ValueError, match="unknown step cap"):
        cap_steps((1.0,), "square")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        clip_steps((1.0,), math.nan)


values = st.one_of(st.floats(-10, 10, allow_nan=False), st.just(NAN))


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=20))
def test_delta_sum_is_the_first_judged_step(steps: list[float]) -> None:
    judged = [r for r in steps if not math.isnan(r)]
    out = delta_steps(steps)
    assert [math.isnan(r) for r in out] == [math.isnan(r) for r in steps]
    total = math.fsum(r for r in out if not math.isnan(r))
    assert total == pytest.approx(judged[0] if judged else 0.0, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=20), st.floats(-5, 5, allow_nan=False))
def test_clip_sum_is_at_most_zero(steps: list[float], eta: float) -> None:
    out = clip_steps(steps, eta)
    assert [math.isnan(r) for r in out] == [math.isnan(r) for r in steps]
    assert all(r <= 0.0 for r in out if not math.isnan(r))
    assert math.fsum(r for r in out if not math.isnan(r)) <= 0.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.integers(1, 5))
def test_repeating_steps_cannot_raise_the_capped_sum(steps: list[float], times: int) -> None:
    """The hack: repeat the trajectory's best step. Raw sums grow; capped sums do not."""
    padded = [*steps[:-1], *[max(steps)] * times, steps[-1]]
    assert sum(delta_steps(padded)) == pytest.approx(sum(delta_steps(steps)))
    assert sum(clip_steps(padded, 0.5)) <= sum(clip_steps(steps, 0.5)) + 1e-12
