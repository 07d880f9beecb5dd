"""Search agent rewards: the answer (Search-R1's exact match and F1) and the retrieval.

- ``search_em``: 1 when the answer equals a gold answer after Search-R1's normalisation
  (lowercase, ASCII punctuation removed, the articles a/an/the removed, whitespace collapsed);
- ``search_f1``: the token F1 of the normalised answer with the best gold answer (R1-Searcher's
  and Atom-Searcher's outcome reward);
- ``retrieval_hit``: the fraction of the question's hops for which a gold document appeared in
  what the environment wrote (tool outputs); per turn, the hops that turn's search covered first.

The answer is read from what the model wrote (``Sample.model_text``: tool outputs and calls cut
out) with ``extract: answer_tag`` by default: the last ``<answer>``, and no answer when several
differ (docs/answers.md). The reference is the task's (``tasks/search/kb.py``,
``Question.reference``): ``{"target": [answers...], "question": ..., "hops": [{"docs": [...],
...}, ...]}``; a plain answer or list of answers serves the answer components too.

Retrieved passages are read with one grammar, the one the search environment writes
(``format_passages``): a header line ``Doc <rank> [<doc id>] (Title: <title>)`` and the text up
to the next header. A passage counts only inside the sample's ``env_spans``: an id the model
writes itself retrieves nothing.

>>> from rewardkit.types import Sample
>>> s = Sample("0", "g", "Q?", "<answer>The Amsel!</answer>", {"target": ["amsel"]})
>>> search_em(s, SearchAnswerParams()).value
1.0
>>> search_f1(Sample("0", "g", "", "<answer>river Amsel</answer>", "Amsel"), SearchAnswerParams()).value
0.6666666666666666
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import Params, reward
from rewardkit.rewards.extract import ExtractMode, ExtractParams, extract_answer
from rewardkit.types import JSONValue, Sample, Score

__all__ = [
    "RetrievedPassage",
    "SearchAnswerParams",
    "format_passages",
    "gold_answers",
    "gold_hops",
    "normalize_answer",
    "retrieved_passages",
    "search_em",
    "search_f1",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
HEADER = re.compile(r"^Doc (\d+) \[([^\]\n]+)\] \(Title: ([^\n]*)\)$", re.MULTILINE)
"""A retrieved passage's header line, as ``format_passages`` writes it."""
_INFORMATION_END = re.compile(r"\s*</information>.*\Z", re.DOTALL)


def normalize_answer(text: str) -> str:
    """Search-R1's normalisation: lowercase, drop ASCII punctuation, drop the articles, collapse
    whitespace (in that order, as verl's ``search_r1_like_qa_em.normalize_answer``).

    >>> normalize_answer("  The  Amber-Sea. ")
    'ambersea'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def gold_answers(reference: JSONValue, component: str) -> list[str]:
    """The acceptable answers: ``reference["target"]`` (a string or a list), or the reference
    itself when it is a string or a list of strings; else ``UnjudgeableReference``.

    >>> gold_answers({"target": "Paris"}, "search_em"), gold_answers(["a", "b"], "search_em")
    (['Paris'], ['a', 'b'])
    """
    target = reference.get("target") if isinstance(reference, dict) else reference
    items = [target] if isinstance(target, str | int | float) else target
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        if isinstance(items, list) and items and all(isinstance(i, int | float) for i in items):
            return [str(i) for i in items]
        raise UnjudgeableReference(
            f"{component}: the reference holds no gold answers ({reference!r}); give "
            '{"target": ["answer", "alias", ...]} or the answer itself'
        )
    return [str(i) for i in items]


class SearchAnswerParams(ExtractParams):
    """Where the answer is (default: the last ``<answer>``; several that differ: none)."""

    extract: ExtractMode = "answer_tag"


def _answer(sample: Sample, p: SearchAnswerParams) -> str | None:
    return extract_answer(sample.model_text, p)


@reward("search_em", params=SearchAnswerParams)
def search_em(sample: Sample, p: SearchAnswerParams) -> Score:
    """1.0 when the normalised answer equals a normalised gold answer (Search-R1's EM), else 0.

    >>> search_em(Sample("0", "g", "", "<answer>a</answer><answer>b</answer>", "b"),
    ...           SearchAnswerParams()).value
    0.0
    """
    gold = {normalize_answer(g) for g in gold_answers(sample.reference, "search_em")}
    answer = _answer(sample, p)
    if answer is None:
        return Score(0.0, info={"reason": "no answer, or several different ones"})
    return Score(float(normalize_answer(answer) in gold), info={"answer": answer})


def token_f1(prediction: str, gold: str) -> float:
    """The F1 of the normalised tokens of two answers (bags of words; 0 when none shared).

    >>> token_f1("the Amber Sea", "Amber Sea coast")
    0.8
    """
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


@reward("search_f1", params=SearchAnswerParams)
def search_f1(sample: Sample, p: SearchAnswerParams) -> Score:
    """The token F1 of the answer with the best gold answer, in [0, 1].

    >>> search_f1(Sample("0", "g", "", "<answer>420 km long</answer>", {"target": ["420 km"]}),
    ...           SearchAnswerParams()).value
    0.8
    """
    gold = gold_answers(sample.reference, "search_f1")
    answer = _answer(sample, p)
    if answer is None:
        return Score(0.0, info={"reason": "no answer, or several different ones"})
    return Score(max(token_f1(answer, g) for g in gold), info={"answer": answer})


# ---------------------------------------------------------------------------------- retrieval


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage the environment wrote: its id, title, text, and where it sits (the env span's
    start, and the assistant turn whose search returned it: None without turns)."""

    doc_id: str
    title: str
    text: str
    at: int
    turn: int | None


def format_passages(passages: Sequence[tuple[str, str, str]]) -> str:
    """``(doc_id, title, text)`` passages as the search tool writes them, in ``<information>``.

    >>> print(format_passages([("d7", "Vestor", "Vestor lies on the Amsel.")]))
    <information>
    Doc 1 [d7] (Title: Vestor)
    Vestor lies on the Amsel.
    </information>
    """
    body = "\n\n".join(
        f"Doc {k} [{i}] (Title: {t})\n{x}" for k, (i, t, x) in enumerate(passages, 1)
    )
    return f"<information>\n{body or 'No results.'}\n</information>"


def _turn_of(sample: Sample, at: int) -> int | None:
    if not sample.steps:
        return None
    before = [k for k, (start, _) in enumerate(sample.steps) if start <= at]
    return before[-1] if before else None


def retrieved_passages(sample: Sample) -> list[RetrievedPassage]:
    """Every passage in the sample's environment spans, in order (none without ``env_spans``).

    >>> text = "<search>x</search>" + format_passages([("d7", "T", "body")])
    >>> [p.doc_id for p in retrieved_passages(Sample("0", "g", "", text, env_spans=((18, len(text)),)))]
    ['d7']
    """
    found: list[RetrievedPassage] = []
    for start, end in sorted(sample.env_spans or ()):
        chunk = sample.completion[start:end]
        heads = list(HEADER.finditer(chunk))
        for k, head in enumerate(heads):
            stop = heads[k + 1].start() if k + 1 < len(heads) else len(chunk)
            body = _INFORMATION_END.sub("", chunk[head.end() : stop]).strip()
            body = body.removesuffix("</tool_response>").strip()
            found.append(RetrievedPassage(head[2], head[3], body, start, _turn_of(sample, start)))
    return found


def gold_hops(reference: JSONValue, component: str) -> list[dict[str, Any]]:
    """The reference's ``hops`` (each with its gold ``docs``), or ``UnjudgeableReference``."""
    hops = reference.get("hops") if isinstance(reference, dict) else None
    if not isinstance(hops, list) or not hops:
        raise UnjudgeableReference(
            f"{component}: the reference has no 'hops' with gold documents; give "
            '{"hops": [{"docs": ["d00042"]}, ...]} (tasks/search: Question.reference())'
        )
    for hop in hops:
        if not isinstance(hop, dict) or not isinstance(hop.get("docs"), list) or not hop["docs"]:
            raise UnjudgeableReference(f"{component}: a hop has no gold 'docs' list: {hop!r}")
    return hops


class RetrievalParams(Params):
    """``retrieval_hit``'s options."""

    mode: Literal["fraction", "all"] = "fraction"
    """``fraction``: the share of hops covered; ``all``: 1 only when every hop is covered."""


@reward("retrieval_hit", params=RetrievalParams)
def retrieval_hit(sample: Sample, p: RetrievalParams) -> Score:
    """The share of hops whose gold document a tool output held; per turn, the share that
    turn's search covered first (NaN for a turn after which the environment wrote nothing).

    >>> ref = {"target": "x", "hops": [{"docs": ["d1"]}, {"docs": ["d2", "d3"]}]}
    >>> text = "<search>q</search>" + format_passages([("d3", "T", "b")])
    >>> s = Sample("0", "g", "", text, ref, env_spans=((18, len(text)),))
    >>> retrieval_hit(s, RetrievalParams()).value
    0.5
    """
    hops = gold_hops(sample.reference, "retrieval_hit")
    passages = retrieved_passages(sample)
    first: dict[int, RetrievedPassage] = {}
    for k, hop in enumerate(hops):
        gold = {str(d) for d in hop["docs"]}
        hit = next((x for x in passages if x.doc_id in gold), None)
        if hit is not None:
            first[k] = hit
    covered = len(first) / len(hops)
    value = covered if p.mode == "fraction" else float(covered == 1.0)
    steps = None
    if sample.steps:
        searched = {x.turn for x in passages} | {
            _turn_of(sample, s) for s, _ in sample.env_spans or ()
        }
        per = [0.0 if t in searched else math.nan for t in range(len(sample.steps))]
        for hit in first.values():
            if hit.turn is not None:
                per[hit.turn] += 1 / len(hops)
        steps = tuple(per)
    info = {"hops_covered": sorted(first), "passages": len(passages)}
    return Score(value, steps=steps, info=info)
