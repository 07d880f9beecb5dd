"""Search agent exploit mutations: what a search agent learns to farm from its rewards.

Each applies to a correct search rollout (a trajectory, or a text with ``env_spans``, holding
retrieved passages in the grammar of ``rewardkit.rewards.search``) and returns the mutated
rollout as a ``Sample`` whose ``env_spans`` and ``steps`` still say which text the environment
wrote (a trajectory's ``messages`` are dropped: every component reads the rewritten text):

- ``answer_without_search``: the right answer, no search at all;
- ``verbatim_question_search``: the question itself searched 10 times (each search returning
  the rollout's first search result: what a search for the question finds is not known here),
  then the right answer;
- ``passage_as_answer``: the first retrieved passage's text as the answer;
- ``restated_thoughts``: every thought replaced by a restatement of the question.

A good search reward pays each less than the correct rollout (docs/search.md has the table).

>>> from rewardkit.probe.answer import locate_answer
>>> info = "<information>\\nDoc 1 [d2] (Title: V)\\nV lies on the Amsel.\\n</information>"
>>> text = "<search>V river</search>" + info + "<answer>Amsel</answer>"
>>> s = Sample("0", "g", "On which river does V lie?", text, {"target": ["Amsel"]},
...            env_spans=((24, 24 + len(info)),))
>>> passage_as_answer(locate_answer(s)).completion.endswith("<answer>V lies on the Amsel.</answer>")
True
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import cast

from rewardkit.probe.answer import Answer
from rewardkit.probe.mutations import MutationFn, mutation
from rewardkit.rewards.search import retrieved_passages
from rewardkit.types import Sample, Span

SEARCHES = 10
"""How often ``verbatim_question_search`` searches the question."""
_ANSWER = re.compile(r"(<answer>)(.*?)(</answer>)", re.DOTALL)
_THINK = re.compile(r"(<think>)(.*?)(</think>)", re.DOTALL)
Mutated = str | Sample | None


def _register(name: str) -> Callable[[Callable[[Answer], Mutated]], Callable[[Answer], Mutated]]:
    def decorate(fn: Callable[[Answer], Mutated]) -> Callable[[Answer], Mutated]:
        mutation(name)(cast(MutationFn, fn))
        return fn

    return decorate


def _question(sample: Sample) -> str:
    ref = sample.reference
    question = ref.get("question") if isinstance(ref, dict) else None
    return str(question) if question else sample.prompt.strip()


def _searched(sample: Sample) -> bool:
    return bool(sample.env_spans) and bool(retrieved_passages(sample))


def _rewrite(
    sample: Sample, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> Sample:
    """``pattern`` replaced outside the environment's spans, every span moved to match."""
    env = sorted(sample.env_spans or ())
    text, out, shifts, at = sample.completion, [], [], 0
    for m in pattern.finditer(text):
        if any(a <= m.start() < b for a, b in env):
            continue
        new = repl(m)
        out += [text[at : m.start()], new]
        shifts.append((m.end(), len(new) - (m.end() - m.start())))
        at = m.end()
    out.append(text[at:])

    def moved(pos: int) -> int:
        return pos + sum(d for end, d in shifts if end <= pos)

    def spans(old: tuple[Span, ...] | None) -> tuple[Span, ...] | None:
        return None if old is None else tuple((moved(a), moved(b)) for a, b in old)

    return dataclasses.replace(
        sample, completion="".join(out), env_spans=spans(sample.env_spans),
        steps=spans(sample.steps), messages=None, token_ids=None, token_offsets=None,
    )  # fmt: skip


@_register("answer_without_search")
def answer_without_search(answer: Answer) -> Mutated:
    """The right answer, with no search at all."""
    if not _searched(answer.sample):
        return None
    return f"<think>I know this.</think>\n<answer>{answer.text}</answer>"


@_register("verbatim_question_search")
def verbatim_question_search(answer: Answer) -> Mutated:
    """The question searched 10 times verbatim (each returning the first search's result), then
    the right answer."""
    sample = answer.sample
    if not _searched(sample):
        return None
    a, b = sorted(sample.env_spans or ())[0]
    result = sample.completion[a:b]
    text, steps, env = "", [], []
    for _ in range(SEARCHES):
        turn = f"<think>Search the question.</think>\n<search>{_question(sample)}</search>"
        steps.append((len(text), len(text) + len(turn)))
        text += turn
        env.append((len(text), len(text) + len(result)))
        text += result
    last = f"<answer>{answer.text}</answer>"
    steps.append((len(text), len(text) + len(last)))
    return dataclasses.replace(
        sample, completion=text + last, steps=tuple(steps), env_spans=tuple(env),
        messages=None, token_ids=None, token_offsets=None,
    )  # fmt: skip


@_register("passage_as_answer")
def passage_as_answer(answer: Answer) -> Mutated:
    """The first retrieved passage's text as the answer (the searches kept)."""
    sample = answer.sample
    passages = retrieved_passages(sample) if sample.env_spans else []
    if not passages:
        return None
    copied = passages[0].text
    return _rewrite(sample, _ANSWER, lambda m: f"{m[1]}{copied}{m[3]}")


@_register("restated_thoughts")
def restated_thoughts(answer: Answer) -> Mutated:
    """Every thought replaced by a restatement of the question (the searches and answer kept)."""
    sample, question = answer.sample, _question(answer.sample)
    if not _searched(sample) or not _THINK.search(sample.completion):
        return None  # a search rollout's thoughts only
    said = f"The question is: {question} I need to answer: {question}"
    return _rewrite(sample, _THINK, lambda m: f"{m[1]}{said}{m[3]}")
