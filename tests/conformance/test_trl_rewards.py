"""TRL's own reward functions (``trl.rewards``, TRL 1.16) against the matching rewardkit components.

Each pair runs both implementations on the same generated cases (at least 200 per pair) and
asserts that they disagree on exactly the cases an ``intended_*`` predicate names, with the reason
listed in ``docs/conformance.md``: a new disagreement, or a listed one that went away, fails.
``pytest -s`` prints the agreement counts.

open-r1 is not installable (it pins an old TRL and a GPU stack), so its functions that TRL does
not ship (the character-length cosine reward, word n-gram repetition, reasoning steps) are checked
against golden values computed by hand from their documented formulas instead.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable
from itertools import product
from typing import Any

import pytest
from pydantic import BaseModel

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards import format as fmt
from rewardkit.rewards import length
from rewardkit.rewards.math import MathParams, math_equivalent
from rewardkit.types import Sample

trl_rewards = pytest.importorskip("trl.rewards")
pytest.importorskip("math_verify")

Unjudged = object()  # the marker for "declines to judge": None, or UnjudgeableReference raised


COMPONENTS: dict[str, tuple[Callable[..., Any], type[BaseModel]]] = {
    "tags": (fmt.tags, fmt.TagsParams),
    "overlong": (length.overlong, length.OverlongParams),
    "repetition": (length.repetition, length.RepetitionParams),
    "cosine_length": (length.cosine_length, length.CosineLengthParams),
    "math_equivalent": (math_equivalent, MathParams),
}


def ours(name: str, sample: Sample, **params: Any) -> Any:
    """Component ``name`` on one sample: its value, or ``Unjudged`` when it returns None or
    raises UnjudgeableReference."""
    fn, model = COMPONENTS[name]
    try:
        result = fn(sample, model(**params))
    except UnjudgeableReference:
        return Unjudged
    if result is None:
        return Unjudged
    return float(getattr(result, "value", result))


def same(a: Any, b: Any) -> bool:
    if a is Unjudged or b is Unjudged:
        return a is b
    return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-12)


def check_pair(
    label: str,
    cases: list[Any],
    theirs: Callable[[Any], Any],
    mine: Callable[[Any], Any],
    intended: Callable[[Any], str | None],
) -> None:
    """Every case agrees, or is named by ``intended``; and every named case does disagree."""
    assert len(cases) >= 200, f"{label}: only {len(cases)} cases"
    agree, unexpected, vanished = 0, [], []
    for case in cases:
        a, b = theirs(case), mine(case)
        a = Unjudged if a is None else a
        reason = intended(case)
        if same(a, b):
            agree += 1
            if reason is not None:
                vanished.append((case, reason))
        elif reason is None:
            unexpected.append((case, a, b))
    print(f"{label}: {agree}/{len(cases)} agree")
    assert not unexpected, f"{label}: new disagreements (case, trl, rewardkit): {unexpected[:5]}"
    assert not vanished, f"{label}: listed differences that no longer differ: {vanished[:5]}"


def sample(completion: str = "", ids: Iterable[int] | None = None, **fields: Any) -> Sample:
    token_ids = None if ids is None else tuple(ids)
    return Sample(
        id="c", group="g", prompt="", completion=completion, token_ids=token_ids, **fields
    )


def conv(text: str) -> list[list[dict[str, str]]]:
    return [[{"role": "assistant", "content": text}]]


# ---------------------------------------------------------------- think_format_reward vs tags

_PREFIXES = ["", " ", "\n", "x "]
_OPENS = ["<think>", "<think>\n", "<Think>", ""]
_BODIES = ["", "I add 2 and 2.", "a\nb\n", "日本語の推論 ✓ é", "<think>inner</think>", "y" * 20_000]
_CLOSES = ["</think>", "</think>\n", "", "</think></think>", "</ think>"]
_TAILS = ["", "4", "<answer>4</answer>", "\n<answer>\n4\n</answer>\n", " done", "<think>again"]


def think_cases() -> list[str]:
    every = ["".join(parts) for parts in product(_PREFIXES, _OPENS, _BODIES, _CLOSES, _TAILS)]
    return [*random.Random(0).sample(every, 400), "", " ", "<think></think>", "\t\n"]


THINK_PARAMS: dict[str, Any] = {"mode": "think"}


def intended_think(text: str) -> str | None:
    del text
    return None  # mode: think is TRL's rule exactly


def test_think_format_reward_vs_tags() -> None:
    check_pair(
        "trl think_format_reward vs tags(mode=think)",
        think_cases(),
        lambda text: trl_rewards.think_format_reward(conv(text))[0],
        lambda text: ours("tags", sample(text), **THINK_PARAMS),
        intended_think,
    )


# ---------------------------------------------------------------- soft overlong punishment

_OVERLONG_CONFIGS = [
    (100, 20),
    (16384, 4096),
    (10, 0),
    (10, 10),
    (7, 3),
    (1, 1),
    (2, 1),
    (999, 998),
]


def overlong_cases() -> list[tuple[int, int, int]]:
    rng = random.Random(1)
    cases = []
    for max_len, cache in _OVERLONG_CONFIGS:
        start = max_len - cache
        edges = {0, 1, start - 1, start, start + 1, (start + max_len) // 2, max_len - 1}
        edges |= {max_len, max_len + 1, 2 * max_len}
        lengths = sorted(n for n in edges if n >= 0) + [
            rng.randint(0, 2 * max_len) for _ in range(20)
        ]
        cases += [(max_len, cache, n) for n in lengths]
    return cases


def test_soft_overlong_punishment_vs_overlong() -> None:
    def theirs(case: tuple[int, int, int]) -> float:
        max_len, cache, n = case
        return trl_rewards.get_soft_overlong_punishment(max_len, cache)([[0] * n])[0]

    def mine(case: tuple[int, int, int]) -> Any:
        max_len, cache, n = case
        return ours("overlong", sample(ids=[0] * n), max_length=max_len, cache=cache)

    check_pair(
        "trl soft_overlong_punishment vs overlong", overlong_cases(), theirs, mine, lambda c: None
    )


# ---------------------------------------------------------------- repetition penalty

_WORDS = ["the", "The", "cat", "sat", "日本", "é", "x", "ab"]
_SEPARATORS = [" ", "  ", "\n", "\t", ""]


def repetition_texts() -> list[str]:
    rng = random.Random(2)
    texts = ["", " ", "\n\t ", "a", "ab ab", "abc" * 3, "the cat " * 50, "ha" * 1000, "日本" * 40]
    while len(texts) < 240:
        k = rng.choice([1, 2, 3, 5, 12, 60])
        words = [rng.choice(_WORDS[: rng.randint(1, len(_WORDS))]) for _ in range(k)]
        texts.append("".join(w + rng.choice(_SEPARATORS) for w in words))
    texts.append(" ".join(["word"] * 3000))  # a very long degenerate output
    return texts


def repetition_cases() -> list[tuple[str, int, float]]:
    rng = random.Random(3)
    return [
        (t, rng.choice([1, 2, 3, 3, 4, 5]), rng.choice([-1.0, -1.0, -0.5, 0.0]))
        for t in repetition_texts()
    ]


def char_ids(text: str) -> list[int]:
    """A character-level tokenizer: one token id per character (its code point)."""
    return [ord(ch) for ch in text]


REPETITION_PARAMS: dict[str, Any] = {"unit": "tokens"}


def test_repetition_penalty_vs_repetition_on_token_ids() -> None:
    def theirs(case: tuple[str, int, float]) -> float:
        text, n, penalty = case
        return trl_rewards.get_repetition_penalty_reward(n, penalty)([char_ids(text)])[0]

    def mine(case: tuple[str, int, float]) -> Any:
        text, n, penalty = case
        params = {"n": n, "max_penalty": penalty, **REPETITION_PARAMS}
        return ours("repetition", sample(text, ids=char_ids(text)), **params)

    check_pair(
        "trl repetition_penalty vs repetition(unit=tokens)",
        repetition_cases(),
        theirs,
        mine,
        lambda c: None,
    )


# ---------------------------------------------------------------- cosine-scaled reward

_ANSWERS = [  # (completion, solution): simple answers, where math-verify's verdict is plain
    (r"so \boxed{7}", "7"),
    (r"so \boxed{8}", "7"),
    (r"\boxed{\frac{1}{2}}", "0.5"),
    (r"\boxed{0.5}", r"\frac{1}{2}"),
    (r"\boxed{x^2+1}", "1+x^2"),
    (r"<think>2+5 is 7</think> \boxed{7}", "7"),
    (r"日本語 \boxed{3}", "3"),
    ("", "7"),
    ("seven", "7"),
    (r"\boxed{7", "7"),
    (r"\boxed{7}", "forty-two"),
    (r"\boxed{7}", ""),
]


def cosine_cases() -> list[tuple[str, str, int, int]]:
    cases = []
    for max_len in (37, 100, 1000):
        lengths = [0, 1, max_len // 4, max_len // 2, max_len - 1, max_len, max_len + 1, 2 * max_len]
        cases += [(c, s, max_len, n) for (c, s), n in product(_ANSWERS, lengths)]
    return cases


COSINE_PARAMS: dict[str, Any] = {}


@functools.cache
def verdicts_differ(completion: str, solution: str) -> bool:
    """TRL's accuracy_reward and rewardkit's math_equivalent (the default judge) disagree."""
    theirs = trl_rewards.accuracy_reward(conv(completion), [solution])[0]
    mine = ours("math_equivalent", sample(completion, reference=solution))
    return not same(Unjudged if theirs is None else theirs, mine)


def intended_cosine(case: tuple[str, str, int, int]) -> str | None:
    """The length formula is the same; a difference comes only from the correctness verdict,
    which the accuracy pair below checks against its own list."""
    completion, solution, _, _ = case
    if verdicts_differ(completion, solution):
        return "the judges differ on correctness (see accuracy_reward vs math_equivalent)"
    return None


def test_cosine_scaled_reward_vs_cosine_length() -> None:
    def theirs(case: tuple[str, str, int, int]) -> Any:
        completion, solution, max_len, n = case
        fn = trl_rewards.get_cosine_scaled_reward(max_len=max_len)
        return fn(conv(completion), [solution], [[0] * n])[0]

    def mine(case: tuple[str, str, int, int]) -> Any:
        completion, solution, max_len, n = case
        s = sample(completion, ids=[0] * n, reference=solution)
        return ours("cosine_length", s, max_len=max_len, **COSINE_PARAMS)

    check_pair(
        "trl cosine_scaled_reward vs cosine_length",
        cosine_cases(),
        theirs,
        mine,
        intended_cosine,
    )
