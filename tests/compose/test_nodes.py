"""Every compose node on hand-computed columns (values come from sample.meta via test_meta)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.conftest import samples

from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram


def leaf(key: str, **kw: object) -> dict[str, object]:
    return {"fn": "test_meta", "key": key, "name": key, **kw}


def run(tree: dict[str, object], rows: list[dict[str, object]], **cfg: object) -> dict[str, list]:
    program = RewardProgram.from_dict({"reward": tree, **cfg})
    scored = program.score(samples(rows))
    return {
        p: [None if math.isnan(v) else round(float(v), 6) for v in col]
        for p, col in scored.values.items()
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1.0, 0.0, 0.5),  # 0.5*1 + 0
        (1.0, 1.0, 2.5),  # 0.5*1 + 2*1
        (None, 1.0, 2.0),  # a does not apply: only b counts
        (None, None, None),  # nothing applies -> None, never 0
        (-1.0, 0.5, 0.5),  # -0.5 + 1.0
    ],
)
def test_weighted(a: float | None, b: float | None, expected: float | None) -> None:
    tree = {"weighted": [leaf("a", weight=0.5), leaf("b", weight=2.0)]}
    assert run(tree, [{"a": a, "b": b}])["reward"] == [expected]


@pytest.mark.parametrize(
    ("fmt", "hit", "quality", "expected"),
    [
        (0.0, 0.0, 0.0, 0.0),  # failed the first tier, no partial credit
        (0.5, 1.0, 1.0, 0.5 / 3),  # partial credit 0.5 of tier 0: band [0, 1/3)
        (1.0, 0.0, 1.0, 1 / 3),  # passed format only: quality does not count
        (1.0, 1.0, 0.0, 2 / 3),  # passed format and hit, quality 0
        (1.0, 1.0, 0.6, 2.6 / 3),
        (1.0, 1.0, 1.0, 1.0),
        (None, 1.0, 0.5, 0.0),  # a tier that does not apply is not passed (no credit)
        (1.0, 1.0, None, 2 / 3),  # a top tier that does not apply earns no credit
    ],
)
def test_tiers_bands(fmt: float | None, hit: float, quality: float | None, expected: float) -> None:
    tree = {"tiers": [leaf("fmt"), leaf("hit"), leaf("quality")]}
    assert run(tree, [{"fmt": fmt, "hit": hit, "quality": quality}])["reward"] == [
        round(expected, 6)
    ]


def test_tiers_higher_tier_always_outranks_partial_credit() -> None:
    tree = {"tiers": [leaf("fmt", pass_at=0.8), leaf("hit"), leaf("quality")]}
    rows = [
        {"fmt": 0.79, "hit": 1.0, "quality": 1.0},  # just below the gate: 0.79/0.8 of band 0
        {"fmt": 0.8, "hit": 0.0, "quality": 0.0},  # passed the gate: exactly 1/3
    ]
    below, passed = run(tree, rows)["reward"]
    assert below == round(0.79 / 0.8 / 3, 6) and passed == round(1 / 3, 6)
    assert below < passed


def test_tiers_without_partial_credit() -> None:
    tree = {"tiers": [leaf("fmt"), leaf("quality")], "partial": False}
    assert run(tree, [{"fmt": 0.9, "quality": 1.0}])["reward"] == [0.0]


@pytest.mark.parametrize(
    ("when", "then", "expected"),
    [(0.4, 1.0, -0.1), (0.5, 1.0, 1.0), (0.9, 0.3, 0.3), (None, 0.7, -0.1)],  # None: closed
)
def test_gate(when: float | None, then: float, expected: float) -> None:
    tree = {"gate": {"when": leaf("w"), "then": leaf("t")}, "at_least": 0.5, "otherwise": -0.1}
    assert run(tree, [{"w": when, "t": then}])["reward"] == [expected]


def test_gated_accumulation_adds_steps_only_when_outcome_passes() -> None:
    tree = {
        "gated_accumulation": {"outcome": leaf("o"), "steps": leaf("s")},
        "at_least": 1.0,
        "step_weight": 0.5,
    }
    rows = [
        {"o": 1.0, "s": 0.5, "steps": [1.0, 0.0, 1.0]},  # 1 + 0.5 * (1 + 0 + 1) = 2.0
        {"o": 0.0, "s": 0.5, "steps": [1.0, 1.0, 1.0]},  # gate closed: outcome only
        {"o": 1.0, "s": 0.25},  # no step list: the step node's value is used, 1 + 0.5*0.25
    ]
    program = RewardProgram.from_dict({"reward": tree})
    scored = program.score(samples(rows))
    assert scored.rewards.tolist() == [2.0, 0.0, 1.125]
    # Steps of a sample whose outcome failed are zeroed, so they carry no credit downstream.
    assert scored.steps["reward"][1] == (0.0, 0.0, 0.0)
    assert scored.steps["reward"][0] == (1.0, 0.0, 1.0)


def test_product_clip_and_metric() -> None:
    tree = {
        "weighted": [
            {"clip": {"product": [leaf("a"), leaf("b")]}, "max": 0.5, "name": "capped"},
            {"metric": leaf("m")},
        ]
    }
    values = run(tree, [{"a": 0.9, "b": 0.8, "m": 7.0}, {"a": 0.5, "b": 0.4, "m": 1.0}])
    assert values["reward/capped/product"] == [0.72, 0.2]
    assert values["reward/capped"] == [0.5, 0.2]
    assert values["reward/metric/m"] == [7.0, 1.0]  # logged under its path...
    assert values["reward"] == [0.5, 0.2]  # ...and never rewarded


def test_every_node_is_logged_under_its_path() -> None:
    tree = {"weighted": [{"tiers": [leaf("a"), leaf("b")], "name": "t"}, leaf("c")]}
    values = run(tree, [{"a": 1.0, "b": 1.0, "c": 1.0}])
    assert sorted(values) == ["reward", "reward/c", "reward/t", "reward/t/a", "reward/t/b"]


def test_references_follow_variables() -> None:
    tree = {"weighted": [leaf("a", weight="${w}"), leaf("b", weight="1 - ${w}", scale="${s}")]}
    program = RewardProgram.from_dict({"reward": tree, "variables": {"w": 0.25, "s": 2.0}})
    scored = program.score(samples([{"a": 1.0, "b": 1.0}]))
    # 0.25 * 1 + 0.75 * (1 * 2) = 1.75
    assert scored.rewards.tolist() == [1.75]
    assert np.isclose(scored.metrics["schedule/w"], 0.25)


def test_gated_accumulation_skips_unjudged_steps() -> None:
    tree = {"gated_accumulation": {"outcome": leaf("o"), "steps": leaf("s")}, "at_least": 1.0}
    program = RewardProgram.from_dict({"reward": tree})
    nan = float("nan")
    scored = program.score(samples([{"o": 1.0, "s": 0.5, "steps": [1.0, nan, 1.0]}]))
    assert scored.rewards.tolist() == [3.0]  # 1 + (1 + 1); the NaN step adds nothing


def test_pair_children_are_named_by_role() -> None:
    tree = {
        "gate": {"when": {"fn": "test_meta", "key": "w"}, "then": {"fn": "test_meta", "key": "t"}},
        "at_least": 0.5,
    }
    values = run(tree, [{"w": 1.0, "t": 0.3}])
    assert (
        values["reward/when"] == [1.0]
        and values["reward/then"] == [0.3]
        and values["reward"] == [0.3]
    )
    same = {"gate": {"when": leaf("x"), "then": leaf("x")}, "at_least": 0.5}
    with pytest.raises(ConfigError, match="duplicate name 'x'"):
        RewardProgram.from_dict({"reward": same})
