"""``atomic_thoughts``: Atom-Searcher's atomic thought reward, on a search agent's ``<think>`` text.

The model's thoughts (the ``<think>`` blocks it wrote, never the environment's text) are split
into **units**: sentences, clauses after ``;``, and lines. Each unit gets a score in [0, 1] from
a reasoning reward model; the value is the mean over the units, and each assistant turn's value
(``Score.steps``) the mean of its own units (NaN for a turn without thoughts).

Two scorers:

- ``rules`` (default, CPU): a unit scores 1 when it **states a supported fact**: it names an
  entity of the gold path that the question does not (a bridge or the answer), and a passage
  retrieved *before* it contains that entity and at least ``overlap`` of the unit's content
  words; or when it **plans a needed hop**: it names a bridge entity and a word of the relation
  that leads on from it ("now find where Talul Group is headquartered"). Else 0.
- ``judge``: any OpenAI-compatible endpoint (a hosted model, or a local one through
  ``transformers serve``; ``JudgeEndpoint``'s fields) rates the units that pass the guard, 0 or
  1 each, in one JSON verdict per sample (strictly parsed: a reply that does not parse is a
  failure of the component on that sample, never a 0).

Master-key defenses, before either scorer: a unit with no content or only reasoning openers
(the judge guard's ``no_content_reason``), fewer than two content words, a restatement of the
question (``restate`` of its content words are the question's), or a repeat of an earlier unit
scores 0. So thoughts that restate the question, pad with openers or copy one fact twenty times
earn nothing for it, and lower the mean.

>>> from rewardkit.types import Sample
>>> ref = {"target": ["Amsel"], "question": "On which river does Vestor lie?",
...        "hops": [{"subject": "Vestor", "object": "Amsel", "docs": ["d2"], "words": ["river"]}]}
>>> info = "<information>\\nDoc 1 [d2] (Title: Vestor)\\nVestor lies on the river Amsel.\\n</information>"
>>> text = "<think>Let me think.</think><search>Vestor</search>" + info + (
...     "<think>Vestor lies on the Amsel. The question asks which river Vestor lies on.</think>"
...     "<answer>Amsel</answer>")
>>> s = Sample("0", "g", "", text, ref, env_spans=((51, 51 + len(info)),))
>>> atomic_thoughts([s], AtomicParams())[0].info["units"]
[['Let me think.', 0.0, 'filler'], ['Vestor lies on the Amsel.', 1.0, 'supported_fact'], ['The question asks which river Vestor lies on.', 0.0, 'restates_question']]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from rewardkit.registry import reward
from rewardkit.rewards.judge import JudgeEndpoint, no_content_reason, parse_verdict
from rewardkit.rewards.judge.client import client_for
from rewardkit.rewards.search import RetrievedPassage, retrieved_passages
from rewardkit.types import Sample, Score

__all__ = ["AtomicParams", "Unit", "atomic_thoughts", "thought_units"]

_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "we",
        "me",
        "my",
        "let",
        "now",
        "need",
        "find",
        "first",
        "next",
        "question",
        "asks",
        "ask",
        "answer",
    ]
)
_WORD = re.compile(r"\w+")
_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


class AtomicParams(JudgeEndpoint):
    """The scorer, the thought tag, and the rule scorer's thresholds."""

    scorer: Literal["rules", "judge"] = "rules"
    tag: str = Field("think", pattern=r"^[\w-]+$")
    """The thought tag (``think``; Atom-Searcher writes ``atom-think``)."""
    overlap: float = Field(0.6, gt=0, le=1)
    """A fact is supported when this share of its content words is in one retrieved passage."""
    restate: float = Field(0.8, gt=0, le=1)
    """A unit restates the question when this share of its content words are the question's."""


@dataclass(frozen=True)
class Unit:
    """One atomic thought: its text, where it starts in the completion, and its turn."""

    text: str
    at: int
    turn: int | None


def _words(text: str) -> list[str]:
    """Content words, crudely stemmed (a plural's s dropped, then 4 letters: lies = lie,
    studied = study, headquarters = headquartered); the same on every side of a comparison."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    return [(w[:-1] if w.endswith("s") and len(w) > 3 else w)[:4] for w in words]


def thought_units(sample: Sample, tag: str = "think") -> list[Unit]:
    """The units of the model's thoughts, in order (env-written text never counts).

    >>> s = Sample("0", "g", "", "<think>One fact. Two; three\\nfour</think>")
    >>> [u.text for u in thought_units(s)]
    ['One fact.', 'Two;', 'three', 'four']
    """
    blocks = re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL)
    env = sorted(sample.env_spans or ())
    units: list[Unit] = []
    for m in blocks.finditer(sample.completion):
        if any(a <= m.start() < b for a, b in env):
            continue  # a tag inside a tool output is the environment's, not a thought
        turn = None
        if sample.steps:
            turn = max((k for k, (a, _) in enumerate(sample.steps) if a <= m.start()), default=0)
        for part in _SPLIT.split(m.group(1)):
            if part.strip():
                units.append(Unit(part.strip(), m.start(1), turn))
    return units


def _question(sample: Sample) -> str:
    ref = sample.reference
    question = ref.get("question") if isinstance(ref, dict) else None
    return str(question) if question else sample.prompt


def _guard(unit: Unit, question: set[str], seen: set[str], p: AtomicParams) -> str | None:
    """Why a unit scores 0 whatever the scorer says, or None."""
    words = _words(unit.text)
    if no_content_reason(unit.text) is not None or len(words) < 2:
        return "filler"
    key = " ".join(words)
    if key in seen:
        return "repeat"
    seen.add(key)
    if sum(w in question for w in words) >= p.restate * len(words) and not _new_names(
        unit.text, question
    ):
        return "restates_question"
    return None


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w-]*|\b\d[\d.,]*")


def _new_names(text: str, question: set[str]) -> bool:
    """Whether a unit names a value or an entity the question does not (a number, or a
    capitalised word that does not open the sentence): a unit that states the answer
    ("Gustav Polbri was born in 1962.") is a fact, not a restatement, however many of its
    words the question has.

    >>> _new_names("Gustav Polbri was born in 1962.", set(_words("When was Gustav Polbri born?")))
    True
    >>> _new_names("The question asks where Vestor lies.", set(_words("Where does Vestor lie?")))
    False
    """
    return any(w not in question for m in _NAME.finditer(text.strip()) for w in _words(m.group()))


def _hops(sample: Sample) -> list[dict[str, Any]]:
    ref = sample.reference
    hops = ref.get("hops") if isinstance(ref, dict) else None
    return [h for h in hops or [] if isinstance(h, dict)]


def _mentions(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"\b{re.escape(name.lower())}\b", text.lower()) is not None


def _rule_score(
    unit: Unit, question: str, hops: list[dict[str, Any]], passages: list[RetrievedPassage],
    p: AtomicParams,
) -> tuple[float, str]:  # fmt: skip
    objects = [str(h.get("object", "")) for h in hops]
    new = [o for o in objects if _mentions(unit.text, o) and not _mentions(question, o)]
    words = _words(unit.text)
    for passage in (x for x in passages if x.at < unit.at):
        body = f"{passage.title} {passage.text}"
        have = set(_words(body))
        if any(_mentions(body, o) for o in new) and sum(
            w in have for w in words
        ) >= p.overlap * len(words):
            return 1.0, "supported_fact"
    for k, hop in enumerate(hops[1:], 1):
        bridge = str(hops[k - 1].get("object", ""))
        cues = {c for w in hop.get("words", []) for c in _words(str(w))}
        if _mentions(unit.text, bridge) and cues & set(words):
            return 1.0, "plans_hop"
    return 0.0, "unsupported"


def _judge_chat(
    question: str, passages: list[RetrievedPassage], units: list[str]
) -> list[dict[str, str]]:
    shown = "\n".join(f"- {x.title}: {x.text[:300]}" for x in passages[:10]) or "(none)"
    listed = "\n".join(f"{k}. {u}" for k, u in enumerate(units, 1))
    return [
        {"role": "system", "content": (
            "You rate the reasoning steps of a search agent. A step is good (1) when it states a "
            "fact that the retrieved passages support and that helps answer the question, or "
            "plans a search the question needs; otherwise it is 0.")},
        {"role": "user", "content": (
            f"Question: {question}\n\nRetrieved passages:\n{shown}\n\nSteps:\n{listed}\n\n"
            f'Reply with one JSON object and nothing else: {{"scores": [{", ".join(["0 or 1"] * len(units))}]}}')},
    ]  # fmt: skip


def _score(sample: Sample, p: AtomicParams) -> tuple[list[tuple[Unit, float, str]], list[int]]:
    """Every unit with its guard verdict or rule score; the indices left for a judge."""
    question = _question(sample)
    qwords, seen = set(_words(question)), set[str]()
    hops, passages = _hops(sample), retrieved_passages(sample)
    out: list[tuple[Unit, float, str]] = []
    ask: list[int] = []
    for unit in thought_units(sample, p.tag):
        reason = _guard(unit, qwords, seen, p)
        if reason is not None:
            out.append((unit, 0.0, reason))
        elif p.scorer == "judge":
            ask.append(len(out))
            out.append((unit, math.nan, "judge"))
        else:
            out.append((unit, *_rule_score(unit, question, hops, passages, p)))
    return out, ask


def _result(sample: Sample, scored: list[tuple[Unit, float, str]]) -> Score:
    if not scored:
        return Score(0.0, steps=_per_turn(sample, []), info={"reason": "no thoughts", "units": []})
    value = sum(s for _, s, _ in scored) / len(scored)
    info = {"units": [[u.text, s, why] for u, s, why in scored]}
    return Score(value, steps=_per_turn(sample, scored), info=info)


def _per_turn(sample: Sample, scored: list[tuple[Unit, float, str]]) -> tuple[float, ...] | None:
    if not sample.steps:
        return None
    sums, counts = [0.0] * len(sample.steps), [0] * len(sample.steps)
    for unit, s, _ in scored:
        if unit.turn is not None:
            sums[unit.turn] += s
            counts[unit.turn] += 1
    return tuple(x / n if n else math.nan for x, n in zip(sums, counts, strict=True))


@reward("atomic_thoughts", params=AtomicParams, batched=True)
def atomic_thoughts(samples: Sequence[Sample], p: AtomicParams) -> list[Score | Exception]:
    """The mean score of the thought units (module doc); per turn, the mean of its units."""
    scored = [_score(s, p) for s in samples]
    chats = [
        (i, _judge_chat(_question(samples[i]), retrieved_passages(samples[i]),
                        [units[k][0].text for k in ask]))
        for i, (units, ask) in enumerate(scored) if ask
    ]  # fmt: skip
    replies = client_for(p).chat_many([c for _, c in chats]) if chats else []
    results: list[Score | Exception] = [
        _result(s, units) for s, (units, _) in zip(samples, scored, strict=True)
    ]
    for (i, _), reply in zip(chats, replies, strict=True):
        units, ask = scored[i]
        try:
            if isinstance(reply, Exception):
                raise reply
            values = parse_verdict(reply.text, n=len(ask), fmt="json", kind="number",
                                   finish_reason=reply.finish_reason)  # fmt: skip
        except Exception as exc:
            results[i] = exc
            continue
        for k, v in zip(ask, values, strict=True):
            units[k] = (units[k][0], float(v), "judge")
        results[i] = _result(samples[i], units)
    return results
