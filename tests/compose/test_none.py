""" "Does not apply" (None) in every compose node: never more credit than a judged wrong answer,
never an open gate (the table in docs/none.md), and unreadable references under each policy."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import samples

from rewardkit.errors import UnjudgeableReference
from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.types import Sample


def leaf(key: str, **kw: object) -> dict[str, object]:
    return {"fn": "test_meta", "key": key, "name": key, **kw}


def reward_of(tree: dict[str, Any], row: dict[str, Any]) -> float | None:
    value = RewardProgram.from_dict({"reward": tree}).score(samples([row])).rewards[0]
    return None if math.isnan(value) else round(float(value), 9)


# One row per node kind: the tree, and the child that is made to not apply.
TREES: dict[str, dict[str, Any]] = {
    "weighted": {"weighted": [leaf("x", weight=0.5), leaf("y", weight=2.0)]},
    "tiers": {"tiers": [leaf("x"), leaf("y")]},
    "tiers_top": {"tiers": [leaf("y"), leaf("x")]},
    "product": {"product": [leaf("x"), leaf("y")]},
    "gate_when": {"gate": {"when": leaf("x"), "then": leaf("y")}, "at_least": 0.5},
    "gated_acc_steps": {
        "gated_accumulation": {"outcome": leaf("y"), "steps": leaf("x")},
        "at_least": 0.5,
    },
}

# The documented table: the node's value when x does not apply, given y = 1.
TABLE = {
    "weighted": 2.0,  # x contributes nothing; y counts
    "tiers": 0.0,  # the first tier is not passed
    "tiers_top": 0.5,  # y passed, the top tier earns no credit
    "product": 0.0,  # a factor that does not apply counts as 0
    "gate_when": 0.0,  # the gate stays closed: otherwise (0.0)
    "gated_acc_steps": 1.0,  # the outcome alone
}


@pytest.mark.parametrize("kind", sorted(TREES))
def test_table(kind: str) -> None:
    assert reward_of(TREES[kind], {"x": None, "y": 1.0}) == TABLE[kind]


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(TREES)),
    y=st.floats(0.0, 1.0),
    wrong=st.just(0.0),
)
def test_unjudged_never_beats_judged_wrong(kind: str, y: float, wrong: float) -> None:
    unjudged = reward_of(TREES[kind], {"x": None, "y": y})
    judged = reward_of(TREES[kind], {"x": wrong, "y": y})
    assert unjudged is not None and judged is not None
    assert unjudged <= judged + 1e-12


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({"weighted": [leaf("x"), leaf("z")]}, None),
        ({"tiers": [leaf("x"), leaf("z")]}, None),
        ({"product": [leaf("x"), leaf("z")]}, None),
        ({"clip": leaf("x"), "max": 1.0}, None),
        ({"gated_accumulation": {"outcome": leaf("x"), "steps": leaf("z")}}, None),
        ({"gate": {"when": leaf("z"), "then": leaf("x")}, "at_least": 0.0}, 0.0),  # closed
    ],
)
def test_nothing_applies_gives_none(tree: dict[str, Any], expected: float | None) -> None:
    assert reward_of(tree, {"x": None, "z": None}) == expected


def test_metric_is_never_rewarded() -> None:
    tree = {"weighted": [leaf("y"), {"metric": leaf("x")}]}
    assert reward_of(tree, {"x": 1.0, "y": 0.0}) == 0.0


# --- unreadable references ---------------------------------------------------------------------


class RefParams(Params):
    wrong: float = 0.0


@reward("test_needs_number_ref", params=RefParams)
def needs_number_ref(sample: Sample, p: RefParams) -> float:
    """1.0 when the completion equals the reference number; an unreadable reference raises."""
    try:
        wanted = float(sample.reference)
    except (TypeError, ValueError):
        raise UnjudgeableReference(
            f"reference {sample.reference!r} is not a number", wrong_value=p.wrong
        ) from None
    return 1.0 if sample.completion.strip() == str(int(wanted)) else p.wrong


def _batch() -> list[Sample]:
    return [
        Sample("ok", "g", "q", "42", reference="42"),
        Sample("wrong", "g", "q", "41", reference="42"),
        Sample("bad", "g", "q", "41", reference="forty-two"),
    ]


def _program(policy: str) -> RewardProgram:
    tree = {
        "tiers": [
            {"fn": "regex", "pattern": r"^\d+$", "name": "format"},
            {"fn": "test_needs_number_ref", "wrong": -0.5, "name": "correct"},
        ]
    }
    return RewardProgram.from_dict({"reward": tree, "on_unjudgeable": policy})


def test_unjudgeable_skip_gives_no_reward_and_no_advantage() -> None:
    program = _program("skip")
    scored = program.score(_batch())
    assert scored.reward_list() == [1.0, 0.5, None]
    assert all(math.isnan(col[2]) for col in scored.values.values())
    assert scored.metrics["reward/correct/unjudgeable"] == 1.0
    assert scored.metrics["reward/format/unjudgeable"] == 0.0
    assert scored.metrics["unjudgeable/total"] == 1.0
    assert scored.metrics["unjudgeable/skipped"] == 1.0
    [record] = scored.unjudgeable
    assert (record.path, record.sample_id) == ("reward/correct", "bad")
    adv = program.advantages(scored).per_sample
    assert adv[2] == 0.0 and adv[0] > 0 > adv[1]  # left out of the baseline


def test_unjudgeable_wrong_scores_the_components_wrong_value() -> None:
    scored = _program("wrong").score(_batch())
    # the tier's value is the component's wrong value (-0.5), clipped to 0 credit: format only
    assert scored.reward_list() == [1.0, 0.5, 0.5]
    assert scored.values["reward/correct"].tolist() == [1.0, -0.5, -0.5]
    assert scored.metrics["unjudgeable/total"] == 1.0


def test_unjudgeable_raise_names_sample_component_and_fix() -> None:
    with pytest.raises(UnjudgeableReference, match=r"'bad'.*reward/correct.*on_unjudgeable"):
        _program("raise").score(_batch())


def test_readme_config_never_pays_an_unreadable_reference() -> None:
    # The case: numeric on "forty-two" or "N/A" paid 1.0 under tiers (None = passed).
    program = RewardProgram.from_yaml("examples/configs/math_answer.yaml")
    completion = "<think>6*7</think><answer>41</answer>"
    batch = [
        Sample(str(i), "g", "q", completion, reference=ref)
        for i, ref in enumerate(["forty-two", "N/A", "42"])
    ]
    scored = program.score(batch)
    adv = program.advantages(scored).per_sample
    for i in (0, 1):
        assert scored.rewards[i] != 1.0
        assert not adv[i] > 0
    assert scored.metrics["unjudgeable/total"] == 2.0
