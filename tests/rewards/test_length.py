"""Golden cases for the length and cost rewards: length_budget, overlong, repetition, cost,
cosine_length."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from rewardkit.errors import ConfigError, InputError, UnjudgeableReference
from rewardkit.registry import StatefulReward, get, reward
from rewardkit.types import Sample, Score


def make(completion: str = "", tokens: int | None = None, **fields: Any) -> Sample:
    token_ids = None if tokens is None else tuple(range(tokens))
    return Sample(
        id="t", group="g", prompt="", completion=completion, token_ids=token_ids, **fields
    )


def run(name: str, sample: Sample, **params: Any) -> Score | None:
    """Component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def value(name: str, sample: Sample, **params: Any) -> float:
    result = run(name, sample, **params)
    assert result is not None
    return result.value


@reward("test_length_verdict")
def verdict(sample: Sample, p: Any) -> float | None:
    """A judge for these tests: meta["verdict"], or None when it is not given."""
    return sample.meta.get("verdict")


class _StatefulJudge(StatefulReward):
    def score_batch(self, samples: Sequence[Sample], params: Any) -> list[float]:
        return [1.0 for _ in samples]


reward("test_length_stateful")(_StatefulJudge)


# ---------------------------------------------------------------- length_budget


@pytest.mark.parametrize(
    ("sample", "params", "expected", "unit"),
    [
        # target 100, slack 0.5: 0 up to 100, linear to the floor -1 at 150, flat after
        (make(tokens=0), {"target": 100}, 0.0, "tokens"),
        (make(tokens=100), {"target": 100}, 0.0, "tokens"),
        (make(tokens=101), {"target": 100}, -0.02, "tokens"),  # 1 / 50
        (make(tokens=125), {"target": 100}, -0.5, "tokens"),
        (make(tokens=150), {"target": 100}, -1.0, "tokens"),
        (make(tokens=1000), {"target": 100}, -1.0, "tokens"),
        (make("x" * 125), {"target": 100}, -0.5, "chars"),  # no token ids: characters
        (make("x" * 125, tokens=10), {"target": 100}, 0.0, "tokens"),  # token ids win
        (make(tokens=150), {"target": 100, "slack": 1.0, "floor": -2.0}, -1.0, "tokens"),
        (make(tokens=300), {"target": 100, "slack": 1.0, "floor": -2.0}, -2.0, "tokens"),
        (make("ü" * 12), {"target": 10, "slack": 0.2}, -1.0, "chars"),  # characters, not bytes
    ],
)
def test_length_budget_golden(
    sample: Sample, params: dict[str, Any], expected: float, unit: str
) -> None:
    result = run("length_budget", sample, **params)
    assert result is not None
    assert result.value == pytest.approx(expected)
    assert result.info["unit"] == unit


@pytest.mark.parametrize(
    "params", [{"target": 0}, {"slack": 0}, {"floor": 0.0}, {"floor": 0.5}, {"budget": 5}]
)
def test_length_budget_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("length_budget").build_params(params)


# ---------------------------------------------------------------- overlong


@pytest.mark.parametrize(
    ("length", "params", "expected"),
    [
        # L_max 100, L_cache 20: 0 up to 80, (80 - len) / 20 up to 100, -1 beyond
        (0, {}, 0.0),
        (80, {}, 0.0),
        (81, {}, -0.05),
        (90, {}, -0.5),
        (100, {}, -1.0),
        (101, {}, -1.0),
        (100, {"cache": 0}, 0.0),  # no soft buffer: a hard cliff after L_max
        (101, {"cache": 0}, -1.0),
        (50, {"cache": 100}, -0.5),  # the buffer is the whole range
    ],
)
def test_overlong_golden(length: int, params: dict[str, Any], expected: float) -> None:
    merged = {"max_length": 100, "cache": 20, **params}
    assert value("overlong", make(tokens=length), **merged) == pytest.approx(expected)


def test_overlong_falls_back_to_characters() -> None:
    result = run("overlong", make("x" * 90), max_length=100, cache=20)
    assert result is not None
    assert result.value == pytest.approx(-0.5)
    assert result.info["unit"] == "chars"


@pytest.mark.parametrize(
    "params", [{"max_length": 0}, {"cache": -1}, {"max_length": 10, "cache": 11}]
)
def test_overlong_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("overlong").build_params(params)


# ---------------------------------------------------------------- repetition


@pytest.mark.parametrize(
    ("completion", "params", "expected"),
    [
        ("", {}, 0.0),
        ("a b", {}, 0.0),  # shorter than n
        ("a b c", {}, 0.0),  # one trigram, unique
        ("a b c a b c", {}, -0.25),  # abc bca cab abc: 3 unique of 4
        ("A b c a B C", {}, -0.25),  # lowercased
        ("a a a a", {"n": 1}, -0.75),  # 1 unique of 4
        ("a a a a", {"n": 1, "max_penalty": -0.5}, -0.375),
        ("a b a b a b", {"n": 2}, -0.6),  # ab ba ab ba ab: 2 unique of 5
        ("猫 猫 猫 猫", {"n": 1}, -0.75),
        ("a  b\n\nc", {}, 0.0),  # any whitespace separates tokens
        ("a a a a", {"n": 1, "max_penalty": 0.0}, 0.0),
    ],
)
def test_repetition_golden(completion: str, params: dict[str, Any], expected: float) -> None:
    assert value("repetition", make(completion), **params) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ids", "params", "expected"),
    [
        # unit tokens counts token-id n-grams, as TRL 1.16 does: the text is not read.
        ((1, 2, 3, 4), {"n": 2}, 0.0),
        ((5, 5, 5, 5, 5), {"n": 2}, -0.75),  # 4 bigrams, 1 unique (TRL's own docstring example)
        ((1, 2, 1, 2, 1, 2), {}, -0.5),  # 121 212 121 212: 2 unique of 4
        ((7, 7), {}, 0.0),  # shorter than n
        ((), {"n": 1}, 0.0),
    ],
)
def test_repetition_counts_token_ids(
    ids: tuple[int, ...], params: dict[str, Any], expected: float
) -> None:
    sample = Sample(id="t", group="g", prompt="", completion="no repeats here", token_ids=ids)
    assert value("repetition", sample, unit="tokens", **params) == pytest.approx(expected)


def test_repetition_words_is_the_default_even_with_token_ids() -> None:
    sample = Sample(id="t", group="g", prompt="", completion="a a a a", token_ids=(1, 2, 3, 4))
    result = run("repetition", sample, n=1)
    assert result is not None
    assert result.value == pytest.approx(-0.75)
    assert result.info["unit"] == "words"


def test_repetition_tokens_without_token_ids_says_how_to_fix() -> None:
    with pytest.raises(InputError, match="unit: words"):
        run("repetition", make("a a a a"), unit="tokens")


@pytest.mark.parametrize(
    "params", [{"n": 0}, {"max_penalty": 0.5}, {"ngram_size": 3}, {"unit": "chars"}]
)
def test_repetition_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("repetition").build_params(params)


# ---------------------------------------------------------------- cost


@pytest.mark.parametrize(
    ("meta", "params", "expected"),
    [
        ({"cost": 0.25}, {}, -0.25),
        ({"cost": 0}, {}, 0.0),
        ({"cost": 2}, {}, -1.0),  # capped at 1
        ({"cost": 2}, {"budget": 4}, -0.5),
        ({"cost": 3}, {"cap": 2.0}, -2.0),
        ({"cost": 0.5}, {"cap": 2.0}, -0.5),
        ({"usd": 0.1}, {"key": "usd", "budget": 0.2}, -0.5),
    ],
)
def test_cost_golden(meta: dict[str, Any], params: dict[str, Any], expected: float) -> None:
    assert value("cost", make(meta=meta), **params) == pytest.approx(expected)


@pytest.mark.parametrize("meta", [{}, {"cost": None}, {"other": 1.0}])
def test_cost_missing_does_not_apply(meta: dict[str, Any]) -> None:
    assert run("cost", make(meta=meta)) is None


@pytest.mark.parametrize(
    ("cost", "error"),
    [
        ("0.5", TypeError),
        (True, TypeError),
        ([1], TypeError),
        (-1, ValueError),
        (math.nan, ValueError),
    ],
)
def test_cost_bad_value_raises(cost: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="cost"):
        run("cost", make(meta={"cost": cost}))


@pytest.mark.parametrize("params", [{"budget": 0}, {"cap": 0}, {"cap": -1}])
def test_cost_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("cost").build_params(params)


# ---------------------------------------------------------------- cosine_length

HALF_WAY_WRONG = -0.5 - 0.25 * (1 + math.sqrt(2) / 2)  # progress 1/4: cos(pi/4) = sqrt(2)/2


@pytest.mark.parametrize(
    ("completion", "tokens", "expected"),
    [
        # the default judge, math_equivalent, reads the last \boxed{}; max_len 1000.
        # Correct: 1.0 at 0 down to 0.5 at 1000.
        (r"\boxed{4}", 0, 1.0),
        (r"\boxed{4}", 500, 0.75),  # cos(pi/2) = 0: the midpoint
        (r"\boxed{4}", 1000, 0.5),
        (r"\boxed{4}", 5000, 0.5),  # past max_len: as at max_len
        (r"\boxed{4.0}", 500, 0.75),  # math-verify: 4.0 is 4
        # Wrong: -1.0 at 0 up to -0.5 at 1000 (long wrong answers are punished least).
        ("5", 0, -1.0),
        ("5", 500, -0.75),
        ("5", 1000, -0.5),
        ("5", 250, HALF_WAY_WRONG),
        ("", 0, -1.0),  # no answer is wrong
        ("4", 0, -1.0),  # not boxed: no answer for math_equivalent
    ],
)
def test_cosine_length_golden(completion: str, tokens: int, expected: float) -> None:
    sample = make(completion, tokens=tokens, reference="4")
    assert value("cosine_length", sample) == pytest.approx(expected)


def test_cosine_length_judge_params_and_characters() -> None:
    # 18 characters, max_len 36: progress 1/2 -> 0.75; the judge reads the answer tag.
    sample = make("<answer>4</answer>", reference="4")
    params = {"judge_params": {"extract": "answer_tag"}, "max_len": 36}
    result = run("cosine_length", sample, **params)
    assert result is not None
    assert result.value == pytest.approx(0.75)
    assert result.info == {"correct": True, "judge": 1.0, "length": 18, "unit": "chars"}


def test_cosine_length_judges_with_math_verify_by_default() -> None:
    # open-r1 and TRL decide correctness with math-verify: 0.5 is the reference 1/2.
    # (exact_match, the old default, called it wrong: -0.75.)
    sample = make(r"\boxed{0.5}", tokens=500, reference="1/2")
    assert value("cosine_length", sample) == pytest.approx(0.75)
    assert get("cosine_length").build_params({}).judge == "math_equivalent"


def test_cosine_length_defaults_are_the_peers() -> None:
    inspect = pytest.importorskip("inspect")
    trl_rewards = pytest.importorskip("trl.rewards")
    theirs = inspect.signature(trl_rewards.get_cosine_scaled_reward).parameters
    params = get("cosine_length").build_params({})
    for name in ("min_value_wrong", "max_value_wrong", "min_value_correct", "max_value_correct"):
        assert getattr(params, name) == theirs[name].default, name
    assert params.max_len == 1000  # open-r1's default; TRL's max_len has none


@reward("test_length_unjudgeable")
def unjudgeable(sample: Sample, p: Any) -> float:
    """A judge for these tests that cannot read any reference."""
    raise UnjudgeableReference(f"cannot read {sample.reference!r}")


def test_cosine_length_unjudgeable_reference_carries_the_wrong_value() -> None:
    # A reference the judge cannot read is never a pass: the policy that scores it as wrong
    # gets this component's wrong value at this length (-0.75 half-way), not the judge's 0.0.
    sample = make(tokens=500, reference="forty-two")
    with pytest.raises(UnjudgeableReference, match="forty-two") as caught:
        run("cosine_length", sample, judge="test_length_unjudgeable")
    assert caught.value.wrong_value == pytest.approx(-0.75)


@pytest.mark.parametrize(
    ("verdict", "params", "expected"),
    [
        (1.0, {}, 1.0),
        (0.4, {}, -1.0),  # below correct_at_least 0.5
        (0.4, {"correct_at_least": 0.3}, 1.0),
        (True, {}, 1.0),
        (1.0, {"max_value_correct": 2.0, "min_value_correct": 2.0}, 2.0),
    ],
)
def test_cosine_length_custom_judge(verdict: Any, params: dict[str, Any], expected: float) -> None:
    sample = make(tokens=0, meta={"verdict": verdict})
    assert value("cosine_length", sample, judge="test_length_verdict", **params) == expected


def test_cosine_length_does_not_apply_when_the_judge_does_not() -> None:
    assert run("cosine_length", make(tokens=10), judge="test_length_verdict") is None


@pytest.mark.parametrize(
    "params",
    [
        {"judge": "exact_macth"},  # unknown judge
        {"judge_params": {"extract": "everything"}},  # invalid for exact_match
        {"judge_params": {"nonsense": 1}},
        {"judge": "test_length_stateful"},
        {"min_value_wrong": 0.0, "max_value_wrong": -1.0},
        {"min_value_correct": 1.0, "max_value_correct": 0.5},
        {"max_len": 0},
    ],
)
def test_cosine_length_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("cosine_length").build_params(params)


def test_cosine_length_unknown_judge_suggests_a_name() -> None:
    with pytest.raises(ConfigError, match="exact_match"):
        get("cosine_length").build_params({"judge": "exact_macth"})


def test_cosine_length_judge_params_must_be_json() -> None:
    with pytest.raises(ConfigError, match="JSON"):
        get("cosine_length").build_params({"judge_params": {"case": {1, 2}}})
