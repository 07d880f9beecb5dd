"""Text-overlap rewards: sentence BLEU and chrF (sacrebleu) and ROUGE-L, all in [0, 1].

The hypothesis is the extracted answer; the reference is a string or a non-empty list of strings
(several references: sacrebleu uses them all, ROUGE-L takes the best). No answer scores 0.0; a
reference that is not text, or is blank (nothing any answer could match), raises
``UnjudgeableReference``.

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="the cat sat", reference="the cat sat")
>>> bleu(s, BleuParams()).value
1.0
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from pydantic import Field

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.types import Sample, Score


class BleuParams(ExtractParams):
    """Parameters of ``bleu``: sacrebleu's sentence-level options."""

    smooth_method: Literal["exp", "floor", "add-k", "none"] = "exp"
    lowercase: bool = False
    tokenize: Literal["13a", "none", "intl", "char", "zh"] = "13a"


class ChrfParams(ExtractParams):
    """Parameters of ``chrf``: character n-gram order, word n-gram order (chrF++ at 2), beta."""

    char_order: int = Field(6, ge=1)
    word_order: int = Field(0, ge=0)
    beta: int = Field(2, ge=1)


class RougeLParams(ExtractParams):
    """Parameters of ``rouge_l``: beta weighs recall against precision (1 = F1)."""

    beta: float = Field(1.0, gt=0.0)
    lowercase: bool = True


def reference_texts(reference: Any, component: str) -> list[str]:
    """The reference strings; ``UnjudgeableReference`` unless non-blank strings (one or a list).

    >>> reference_texts("a b", "bleu")
    ['a b']
    """
    texts = [reference] if isinstance(reference, str) else reference
    if not isinstance(texts, list) or not texts or not all(isinstance(r, str) for r in texts):
        raise UnjudgeableReference(
            f"{component}: the reference must be a string or a non-empty list of strings, "
            f"got {type(reference).__name__}"
        )
    if any(not r.strip() for r in texts):
        raise UnjudgeableReference(
            f"{component}: a reference is blank ({reference!r}), so no answer can match it; "
            "give non-empty reference text"
        )
    return list(texts)


def _sacrebleu() -> Any:
    # sacrebleu is a core dependency, but importing it costs time the CLI and server start avoid.
    return importlib.import_module("sacrebleu")


def _unit(percent: float) -> float:
    # sacrebleu's exp/log round trip can give 100.00000000000004 for identical text.
    return min(1.0, max(0.0, percent / 100.0))


@reward("bleu", params=BleuParams)
def bleu(sample: Sample, p: BleuParams) -> Score:
    """Sentence BLEU of the answer against the reference(s) (sacrebleu), scaled to [0, 1].

    >>> s = Sample(id="0", group="g", prompt="", completion="a b c d", reference=["x y z w"])
    >>> bleu(s, BleuParams()).value
    0.0
    """
    refs = reference_texts(sample.reference, "bleu")
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info={"reason": "no answer"})
    result = _sacrebleu().sentence_bleu(
        answer, refs, smooth_method=p.smooth_method, lowercase=p.lowercase, tokenize=p.tokenize
    )
    return Score(_unit(result.score), info={"bp": result.bp})


@reward("chrf", params=ChrfParams)
def chrf(sample: Sample, p: ChrfParams) -> Score:
    """Sentence chrF (chrF++ with word_order=2) of the answer (sacrebleu), scaled to [0, 1].

    >>> s = Sample(id="0", group="g", prompt="", completion="héllo wörld", reference="héllo wörld")
    >>> chrf(s, ChrfParams()).value
    1.0
    """
    refs = reference_texts(sample.reference, "chrf")
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info={"reason": "no answer"})
    result = _sacrebleu().sentence_chrf(
        answer, refs, char_order=p.char_order, word_order=p.word_order, beta=p.beta
    )
    return Score(_unit(result.score))


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists.

    Bit-parallel (Allison-Dix / Hyyrö): one Python big-int step per token of ``b``, so long
    completions stay fast without a quadratic table.

    >>> lcs_length("a b c d".split(), "a c x d".split())
    3
    """
    if not a or not b:
        return 0
    positions: dict[str, int] = {}
    for i, token in enumerate(a):
        positions[token] = positions.get(token, 0) | (1 << i)
    mask = (1 << len(a)) - 1
    row = mask  # a 0 bit marks a position of ``a`` that ends a longer common subsequence
    for token in b:
        matched = row & positions.get(token, 0)
        row = ((row + matched) | (row - matched)) & mask
    return len(a) - row.bit_count()


def rouge_l_f(hypothesis: list[str], reference: list[str], beta: float = 1.0) -> float:
    """ROUGE-L F-measure ``(1 + b^2) P R / (R + b^2 P)`` from the LCS of two token lists.

    >>> rouge_l_f("the cat sat".split(), "the cat sat down".split())  # P=1, R=3/4
    0.8571428571428571
    """
    lcs = lcs_length(hypothesis, reference)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(hypothesis), lcs / len(reference)
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)


@reward("rouge_l", params=RougeLParams)
def rouge_l(sample: Sample, p: RougeLParams) -> Score:
    """ROUGE-L F-measure over whitespace tokens (lowercased by default); best reference counts.

    >>> s = Sample(id="0", group="g", prompt="", completion="The cat", reference="the cat sat down")
    >>> round(rouge_l(s, RougeLParams()).value, 4)  # LCS 2: P=1, R=1/2, F=2/3
    0.6667
    """
    refs = reference_texts(sample.reference, "rouge_l")
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info={"reason": "no answer"})

    def tokens(text: str) -> list[str]:
        return (text.lower() if p.lowercase else text).split()

    ref_tokens = [tokens(r) for r in refs]
    return Score(max(rouge_l_f(tokens(answer), r, p.beta) for r in ref_tokens))
