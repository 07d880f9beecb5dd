"""Normalising answers and reading references, shared by the answer components.

``normalise`` applies the options of ``MatchParams`` (case, whitespace, punctuation, articles) to
an answer and to each reference alike; ``reference_strings`` reads a reference that is a string,
a number or a list of acceptable answers, and raises ``UnjudgeableReference`` on anything else
(a data problem, which the program counts and handles by its ``on_unjudgeable`` policy).

>>> normalise("  The  Answer! ", MatchParams(punctuation=True, articles=True))
'answer'
>>> reference_strings(["Paris", 3.0], "exact_match")
['Paris', '3']
"""

from __future__ import annotations

import re
import unicodedata

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.extract import ExtractParams
from rewardkit.types import JSONValue

_ARTICLES = re.compile(r"\b(?:a|an|the)\b", re.IGNORECASE)


class MatchParams(ExtractParams):
    """Answer extraction plus the normalisation applied to answer and reference alike."""

    case: bool = True
    """Ignore case."""
    whitespace: bool = True
    """Collapse runs of whitespace to one space and trim the ends."""
    punctuation: bool = False
    """Remove punctuation characters (Unicode category P)."""
    articles: bool = False
    """Drop the English articles a, an, the."""


def normalise(text: str, p: MatchParams) -> str:
    """``text`` normalised as ``p`` asks (punctuation before articles, so "the," loses both).

    >>> normalise("  The  Answer! ", MatchParams(punctuation=True, articles=True))
    'answer'
    """
    text = text.replace("\u2019", "'")  # a curly apostrophe is the same word
    if p.case:
        text = text.casefold()
    if p.punctuation:
        text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    if p.articles:
        text = _ARTICLES.sub(" ", text)
    if p.whitespace:
        text = " ".join(text.split())
    return text


def reference_strings(reference: JSONValue, component: str, wrong_value: float = 0.0) -> list[str]:
    """The acceptable answers: a string, a number, or a non-empty list of them.

    Anything else raises ``UnjudgeableReference`` carrying ``wrong_value``, the value
    ``component`` gives a wrong answer.

    >>> reference_strings([2.0, "two"], "exact_match")
    ['2', 'two']
    """
    items = reference if isinstance(reference, list) else [reference]
    if reference is None or not items:
        raise UnjudgeableReference(
            f"{component}: the sample has no reference answer; give the correct answer as "
            "'reference' (a string, a number, or a list of acceptable answers)",
            wrong_value,
        )
    out = []
    for item in items:
        if isinstance(item, str):
            if not item.strip():  # an empty completion would match it
                raise UnjudgeableReference(
                    f"{component}: reference {reference!r} holds an empty answer; give the "
                    "correct answer, or drop the sample",
                    wrong_value,
                )
            out.append(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(str(item))  # exact, also past float precision
        elif isinstance(item, float):
            out.append(str(int(item)) if item.is_integer() else repr(item))
        else:
            raise UnjudgeableReference(
                f"{component}: reference item {item!r} is a {type(item).__name__}; give a "
                "string, a number, or a list of them",
                wrong_value,
            )
    return out
