"""TRL's own reward functions (``trl.rewards``, TRL 1.16) against the matching rewardkit components.

Each pair runs both implementations on the same generated cases (at least 200 per pair) and
asserts that they disagree on exactly the cases an ``intended_*`` predicate names, with the reason
listed in ``docs/conformance.md``: a new disagreement, or a listed one that went away, fails.
The agreement counts are printed in pytest's terminal summary (``record_agreement``).

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
from rewardkit.rewards.process import ReasoningStepsParams, reasoning_steps
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


Intended = Callable[[Any], str | None]


def no_difference(case: Any) -> str | None:
    del case
    return None


def check_pair(
    record: Callable[..., None],
    label: str,
    cases: list[Any],
    theirs: Callable[[Any], Any],
    mine: Callable[[Any], Any],
    intended: Intended = no_difference,
    listed: Iterable[str] = (),
) -> None:
    """Every disagreement falls under a listed intended difference (``intended`` names the one a
    case falls under), and every listed difference still occurs: the list is exact."""
    assert len(cases) >= 200, f"{label}: only {len(cases)} cases"
    agree, unexpected, seen = 0, [], set()
    for case in cases:
        a, b = theirs(case), mine(case)
        a = Unjudged if a is None else a
        if same(a, b):
            agree += 1
            continue
        reason = intended(case)
        if reason is None:
            unexpected.append((case, a, b))
        else:
            seen.add(reason)
    record(label, agree, len(cases), len(cases) - agree - len(unexpected))
    assert not unexpected, f"{label}: new disagreements (case, trl, rewardkit): {unexpected[:5]}"
    assert seen == set(listed), (
        f"{label}: listed differences that no longer occur: {set(listed) - seen}"
    )


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


def test_think_format_reward_vs_tags(record_agreement: Callable[..., None]) -> None:
    check_pair(
        record_agreement,
        "trl think_format_reward vs tags(mode=think)",
        think_cases(),
        lambda text: trl_rewards.think_format_reward(conv(text))[0],
        lambda text: ours("tags", sample(text), **THINK_PARAMS),
    )  # mode: think is TRL's rule exactly: no intended difference


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


def test_soft_overlong_punishment_vs_overlong(record_agreement: Callable[..., None]) -> None:
    def theirs(case: tuple[int, int, int]) -> float:
        max_len, cache, n = case
        return trl_rewards.get_soft_overlong_punishment(max_len, cache)([[0] * n])[0]

    def mine(case: tuple[int, int, int]) -> Any:
        max_len, cache, n = case
        return ours("overlong", sample(ids=[0] * n), max_length=max_len, cache=cache)

    label = "trl soft_overlong_punishment vs overlong"
    check_pair(record_agreement, label, overlong_cases(), theirs, mine)


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


def test_repetition_penalty_vs_repetition_on_token_ids(
    record_agreement: Callable[..., None],
) -> None:
    def theirs(case: tuple[str, int, float]) -> float:
        text, n, penalty = case
        return trl_rewards.get_repetition_penalty_reward(n, penalty)([char_ids(text)])[0]

    def mine(case: tuple[str, int, float]) -> Any:
        text, n, penalty = case
        params = {"n": n, "max_penalty": penalty, **REPETITION_PARAMS}
        return ours("repetition", sample(text, ids=char_ids(text)), **params)

    check_pair(
        record_agreement,
        "trl repetition_penalty vs repetition(unit=tokens)",
        repetition_cases(),
        theirs,
        mine,
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


JUDGE_DIFFERS = "correctness: math_equivalent and accuracy_reward differ (see their pair)"


def intended_cosine(case: tuple[str, str, int, int]) -> str | None:
    """The length formula is the same; a difference comes only from the correctness verdict,
    which test_trl_accuracy.py checks against its own list."""
    completion, solution, _, _ = case
    return JUDGE_DIFFERS if verdicts_differ(completion, solution) else None


def test_cosine_scaled_reward_vs_cosine_length(record_agreement: Callable[..., None]) -> None:
    def theirs(case: tuple[str, str, int, int]) -> Any:
        completion, solution, max_len, n = case
        fn = trl_rewards.get_cosine_scaled_reward(max_len=max_len)
        return fn(conv(completion), [solution], [[0] * n])[0]

    def mine(case: tuple[str, str, int, int]) -> Any:
        completion, solution, max_len, n = case
        s = sample(completion, ids=[0] * n, reference=solution)
        return ours("cosine_length", s, max_len=max_len, **COSINE_PARAMS)

    check_pair(
        record_agreement,
        "trl cosine_scaled_reward vs cosine_length",
        cosine_cases(),
        theirs,
        mine,
        intended_cosine,
        listed=[JUDGE_DIFFERS],  # \\boxed{x^2+1} against the reference 1+x^2
    )


# ---------------------------------------------------------------- open-r1, by its formulas
# open-r1 (src/open_r1/rewards.py at 1416fa0) is not installable here; these values are worked by
# hand from its documented rules.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # open-r1's reasoning_steps_reward: min(1, count / 3), where a marker is "Step n:"
        # anywhere, "n." at the very start of the text, "\n-" or "\n*", or "First,", "Second,",
        # "Next,", "Finally,".
        ("Step 1: a\nStep 2: b\nStep 3: c", 1.0),
        ("1. a\n2. b\n3. c", 1 / 3),  # only the "1." at the start of the text counts
        ("First, add. Next, carry. Finally, done.", 1.0),
        ("- a\n- b", 1 / 3),  # the first bullet has no newline before it
        ("x\n---\n* y", 2 / 3),  # a Markdown rule counts as a bullet
        ("Step 1:a", 1 / 3),  # no space needed after the colon
        ("first, second, next,", 0.0),  # the words are case-sensitive
        ("Step 1: Step 2: Step 3: Step 4:", 1.0),
        ("", 0.0),
    ],
)
def test_reasoning_steps_open_r1_markers(text: str, expected: float) -> None:
    result = reasoning_steps(sample(text), ReasoningStepsParams(markers="open_r1"))
    assert result.value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "n", "penalty", "expected"),
    [
        # open-r1's repetition penalty: lowercased whitespace words; penalty * (1 - unique/total)
        # n-grams; 0.0 with fewer than n words.
        ("a b a b a b", 2, -1.0, -0.6),  # ab ba ab ba ab: 2 unique of 5
        ("The the THE", 1, -1.0, -2 / 3),
        ("one two", 3, -1.0, 0.0),
        ("", 3, -1.0, 0.0),
        ("a  b\ta\nb", 2, -1.0, -1 / 3),  # ab ba ab: 2 unique of 3
        ("日本 日本 日本 日本", 2, -0.5, -1 / 3),
        ("abcabcabc", 1, -1.0, 0.0),  # one word
    ],
)
def test_repetition_words_is_open_r1s(text: str, n: int, penalty: float, expected: float) -> None:
    got = ours("repetition", sample(text, ids=[1] * 50), n=n, max_penalty=penalty)
    assert got == pytest.approx(expected)


OPEN_R1_PADDED = "x" * 141 + r"\boxed{7}"  # 150 characters


@pytest.mark.parametrize(
    ("completion", "reference", "max_len", "open_r1", "rewardkit"),
    [
        # open-r1's cosine reward counts characters and does not clamp past max_len.
        (r"\boxed{7}", "7", 18, 0.75, 0.75),  # 9 of 18 characters: the midpoint, the same
        (r"\boxed{8}", "7", 18, -0.75, -0.75),
        (r"\boxed{7}", "7", 9, 0.5, 0.5),
        # Intended: 150 characters of max_len 100. open-r1's cosine climbs back (cos(1.5 pi) = 0
        # gives 0.75, and 1.0 again at 200 characters): padding a correct answer pays. rewardkit,
        # like TRL, scores any length past max_len as max_len.
        (OPEN_R1_PADDED, "7", 100, 0.75, 0.5),
        # Intended: open-r1 pays 1.0 for a reference it cannot parse; rewardkit declines to judge.
        (r"\boxed{7}", "forty-two", 100, 1.0, Unjudged),
    ],
)
def test_cosine_length_against_open_r1(
    completion: str, reference: str, max_len: int, open_r1: Any, rewardkit: Any
) -> None:
    got = ours("cosine_length", sample(completion, reference=reference), max_len=max_len)
    assert same(got, rewardkit)
    assert (open_r1 == rewardkit) == same(got, open_r1)
