"""Length and cost rewards: a length budget, the cosine length reward, DAPO overlong punishment,
n-gram repetition penalty, and a per-sample cost against a budget.

Lengths are in tokens when the sample carries ``token_ids`` and in characters otherwise; ``info``
records the unit (``"tokens"`` or ``"chars"``). They measure the whole completion.

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="x" * 150)
>>> length_budget(s, LengthBudgetParams(target=100, slack=1.0)).value  # 50 over, floor at 200
-0.5
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from rewardkit import registry
from rewardkit.errors import InputError, UnjudgeableReference
from rewardkit.registry import Params, reward
from rewardkit.types import Sample, Score


def completion_length(sample: Sample) -> tuple[int, str]:
    """``(length, unit)``: token count when ``token_ids`` is given, else character count.

    >>> completion_length(Sample(id="0", group="g", prompt="", completion="abc", token_ids=(7,)))
    (1, 'tokens')
    """
    if sample.token_ids is not None:
        return len(sample.token_ids), "tokens"
    return len(sample.completion), "chars"


class LengthBudgetParams(Params):
    """Parameters of ``length_budget``: target length, slack fraction, and the penalty floor."""

    target: int = Field(1024, gt=0)
    slack: float = Field(0.5, gt=0.0)
    floor: float = Field(-1.0, lt=0.0)


@reward("length_budget", params=LengthBudgetParams)
def length_budget(sample: Sample, p: LengthBudgetParams) -> Score:
    """0.0 up to the target length, then linear down to ``floor`` at target*(1+slack), then flat.

    >>> s = Sample(id="0", group="g", prompt="", completion="", token_ids=tuple(range(300)))
    >>> length_budget(s, LengthBudgetParams(target=100, slack=1.0, floor=-2.0)).value
    -2.0
    """
    length, unit = completion_length(sample)
    info = {"length": length, "unit": unit}
    if length <= p.target:
        return Score(0.0, info=info)
    over = (length - p.target) / (p.target * p.slack)
    return Score(p.floor * min(1.0, over), info=info)


class OverlongParams(Params):
    """Parameters of ``overlong`` (DAPO): maximum length ``L_max`` and soft buffer ``L_cache``."""

    max_length: int = Field(16384, gt=0)
    cache: int = Field(4096, ge=0)

    @model_validator(mode="after")
    def _check_cache(self) -> OverlongParams:
        if self.cache > self.max_length:
            raise ValueError(f"cache ({self.cache}) must not exceed max_length ({self.max_length})")
        return self


@reward("overlong", params=OverlongParams)
def overlong(sample: Sample, p: OverlongParams) -> Score:
    """DAPO soft overlong punishment: 0 up to L_max - L_cache, linear to -1 at L_max, -1 beyond.

    Counts tokens; without ``token_ids`` it counts characters (``info["unit"]`` says which), so
    set ``max_length`` in the unit the samples carry.

    >>> s = Sample(id="0", group="g", prompt="", completion="", token_ids=tuple(range(90)))
    >>> overlong(s, OverlongParams(max_length=100, cache=20)).value  # (80 - 90) / 20
    -0.5
    """
    length, unit = completion_length(sample)
    start = p.max_length - p.cache
    if length <= start:
        value = 0.0
    elif length <= p.max_length:
        value = (start - length) / p.cache
    else:
        value = -1.0
    return Score(value, info={"length": length, "unit": unit})


class RepetitionParams(Params):
    """Parameters of ``repetition``: what an n-gram is made of, its size, and the (<= 0) penalty
    at full repetition (defaults: open-r1's and TRL's, 3 and -1.0)."""

    unit: Literal["words", "tokens"] = "words"
    """``words``: lowercased whitespace-separated words, as open-r1's repetition reward;
    ``tokens``: the sample's ``token_ids``, as TRL 1.16's ``get_repetition_penalty_reward``."""
    n: int = Field(3, ge=1)
    max_penalty: float = Field(-1.0, le=0.0)


@reward("repetition", params=RepetitionParams)
def repetition(sample: Sample, p: RepetitionParams) -> Score:
    """max_penalty * (1 - unique n-grams / all n-grams); 0.0 with fewer than ``n`` units.

    The default ``unit: words`` counts lowercased whitespace-separated words (open-r1's rule,
    the same on every tokenizer); ``unit: tokens`` counts the sample's token ids (TRL 1.16's rule)
    and needs ``token_ids``.

    >>> s = Sample(id="0", group="g", prompt="", completion="a b a b a b")
    >>> repetition(s, RepetitionParams(n=2)).value  # 5 bigrams, 2 unique: -(1 - 2/5)
    -0.6
    >>> s = Sample(id="0", group="g", prompt="", completion="", token_ids=(5, 5, 5, 5, 5))
    >>> repetition(s, RepetitionParams(unit="tokens", n=2)).value  # 4 bigrams, 1 unique
    -0.75
    """
    units: Sequence[object]
    if p.unit == "tokens":
        if sample.token_ids is None:
            raise InputError(
                f"repetition: unit 'tokens' needs the token ids of sample {sample.id!r}, which "
                "has none; give token_ids with the samples, or set unit: words"
            )
        units = sample.token_ids
    else:
        units = sample.completion.lower().split()
    if len(units) < p.n:
        return Score(0.0, info={"ngrams": 0, "unit": p.unit})
    ngrams = [tuple(units[i : i + p.n]) for i in range(len(units) - p.n + 1)]
    unique = len(set(ngrams))
    value = p.max_penalty * (1 - unique / len(ngrams))
    # + 0.0 turns the -0.0 of a text without repeats into 0.0 (logs and golden tables read better).
    info = {"ngrams": len(ngrams), "unique": unique, "unit": p.unit}
    return Score(value + 0.0, info=info)


class CostParams(Params):
    """Parameters of ``cost``: the meta key holding the cost, the budget, and the penalty cap."""

    key: str = "cost"
    budget: float = Field(1.0, gt=0.0)
    cap: float = Field(1.0, gt=0.0)


@reward("cost", params=CostParams)
def cost(sample: Sample, p: CostParams) -> Score | None:
    """-min(cost / budget, cap) from ``sample.meta[key]``; None when the sample has no cost.

    A cost that is not a number, or is negative, raises: it is a data error, not a free sample.

    >>> s = Sample(id="0", group="g", prompt="", completion="", meta={"cost": 0.3})
    >>> cost(s, CostParams(budget=0.6)).value
    -0.5
    """
    spent = sample.meta.get(p.key)
    if spent is None:  # absent, or null as in a table column that some rows leave empty
        return None
    if isinstance(spent, bool) or not isinstance(spent, (int, float)):
        raise TypeError(f"cost: meta[{p.key!r}] must be a number, got {type(spent).__name__}")
    if not math.isfinite(spent) or spent < 0:
        raise ValueError(f"cost: meta[{p.key!r}] must be a finite number >= 0, got {spent}")
    return Score(0.0 - min(spent / p.budget, p.cap), info={"cost": spent})


Judge = tuple[registry.Component, BaseModel]


@functools.lru_cache(maxsize=256)
def _build_judge(name: str, params_json: str) -> Judge:
    """The judge component and its validated params, built once per (name, params)."""
    component = registry.get(name)
    if component.stateful or component.batched:
        raise ValueError(f"judge {name!r} scores whole batches; give a per-sample component")
    return component, component.build_params(json.loads(params_json))


class CosineLengthParams(Params):
    """Parameters of ``cosine_length``; the defaults are open-r1's and TRL's
    ``get_cosine_scaled_reward`` (open-r1's ``max_len``, 1000; TRL has no default for it).

    ``judge`` names the registered component that decides correctness (with ``judge_params``);
    an answer is correct when the judge's value is >= ``correct_at_least``. The default judge,
    ``math_equivalent``, is math-verify, as in both peers (it needs the ``math`` extra).
    """

    judge: str = "math_equivalent"
    judge_params: dict[str, Any] = Field(default_factory=dict)
    correct_at_least: float = 0.5
    min_value_wrong: float = -1.0
    max_value_wrong: float = -0.5
    min_value_correct: float = 0.5
    max_value_correct: float = 1.0
    max_len: int = Field(1000, gt=0)

    @model_validator(mode="after")
    def _check_judge(self) -> CosineLengthParams:
        if self.min_value_wrong > self.max_value_wrong:
            raise ValueError("min_value_wrong must be <= max_value_wrong")
        if self.min_value_correct > self.max_value_correct:
            raise ValueError("min_value_correct must be <= max_value_correct")
        try:
            self.built_judge()  # an unknown judge or bad judge_params fail here, at build time
        except TypeError as exc:  # json.dumps of judge_params
            raise ValueError(f"judge_params must hold JSON values only: {exc}") from None
        return self

    def built_judge(self) -> Judge:
        """The judge component and its params (cached)."""
        return _build_judge(self.judge, json.dumps(self.judge_params, sort_keys=True))


def cosine_ramp(progress: float, at_zero: float, at_end: float) -> float:
    """Half-cosine from ``at_zero`` (progress 0) to ``at_end`` (progress >= 1).

    >>> cosine_ramp(0.5, 1.0, 0.0)
    0.5
    """
    progress = min(max(progress, 0.0), 1.0)
    return at_end + 0.5 * (at_zero - at_end) * (1.0 + math.cos(math.pi * progress))


def _judge_value(result: Any) -> float | None:
    if result is None:
        return None
    return float(result.value if isinstance(result, Score) else result)


@reward("cosine_length", params=CosineLengthParams)
def cosine_length(sample: Sample, p: CosineLengthParams) -> Score | None:
    """Cosine length reward: short correct answers score most, long wrong ones are punished least.

    Correct: ``max_value_correct`` at length 0 down to ``min_value_correct`` at ``max_len``.
    Wrong: ``min_value_wrong`` at length 0 up to ``max_value_wrong`` at ``max_len``. Lengths past
    ``max_len`` score as ``max_len`` (as TRL; open-r1 lets the cosine climb back). Lengths are
    tokens when the sample has ``token_ids`` (TRL), else characters (open-r1). None when the
    judge returns None; a reference the judge cannot read raises UnjudgeableReference with this
    component's wrong value at this length.

    >>> s = Sample(id="0", group="g", prompt="", completion="\\\\boxed{4}", reference="4",
    ...            token_ids=tuple(range(500)))
    >>> cosine_length(s, CosineLengthParams(max_len=1000)).value  # correct, half-way: 0.5 + 0.25
    0.75
    """
    length, unit = completion_length(sample)
    progress = length / p.max_len
    wrong = cosine_ramp(progress, p.min_value_wrong, p.max_value_wrong)
    judge, judge_params = p.built_judge()
    try:
        verdict = _judge_value(judge.call(sample, judge_params))
    except UnjudgeableReference as exc:
        raise UnjudgeableReference(f"cosine_length: {exc}", wrong_value=wrong) from exc
    if verdict is None:
        return None
    correct = verdict >= p.correct_at_least
    value = cosine_ramp(progress, p.max_value_correct, p.min_value_correct) if correct else wrong
    return Score(value, info={"correct": correct, "judge": verdict, "length": length, "unit": unit})
