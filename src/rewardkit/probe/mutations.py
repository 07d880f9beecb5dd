"""Known exploit mutations of a correct completion, in a registry users extend.

A mutation is a function of the correct completion's ``Answer`` (the completion split around its
answer) that returns the mutated completion, or None where it does not apply to this sample. A
good reward pays every one of them less than the correct completion. Register your own with
``@mutation("name")``; its docstring's first line is what the probe's table shows.

>>> @mutation("doc_example_shout")
... def shout(answer: Answer) -> str:
...     '''The answer in capitals.'''
...     return answer.with_answer(answer.text.upper())
>>> get_mutations(["doc_example_shout"])[0].doc
'The answer in capitals.'
>>> _ = MUTATIONS.pop("doc_example_shout")
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.probe.answer import Answer
from rewardkit.rewards.extract import closing_brace

MutationFn = Callable[[Answer], str | None]

OPENER = "Let's solve this step by step.\nThought process:"
FILLER = "Let me think about this carefully. " * 120
"""About 4,200 characters of words without digits, put right before the answer."""
REPEATS = 20

_TAG = re.compile(r"</?[A-Za-z][\w.-]*>")
_BOXED = re.compile(r"\\(?:boxed|fbox)\{")


@dataclass(frozen=True)
class Mutation:
    """A registered mutation: its name, function and one-line description."""

    name: str
    fn: MutationFn
    doc: str


MUTATIONS: dict[str, Mutation] = {}


def mutation(name: str) -> Callable[[MutationFn], MutationFn]:
    """Register an exploit mutation under ``name`` (see the module docstring for an example)."""

    def decorate(fn: MutationFn) -> MutationFn:
        old = MUTATIONS.get(name)
        if old is not None and _qualname(old.fn) != _qualname(fn):
            raise ConfigError(f"mutation {name!r} is already registered by {_qualname(old.fn)}")
        doc = inspect.getdoc(fn) or ""
        MUTATIONS[name] = Mutation(name, fn, doc.splitlines()[0] if doc else "")
        return fn

    return decorate


def get_mutations(names: Sequence[str] | None = None) -> list[Mutation]:
    """The mutations called ``names`` (all registered ones when None), in that order.

    >>> [m.name for m in get_mutations(["empty", "wrong_answer"])]
    ['empty', 'wrong_answer']
    """
    if names is None:
        return list(MUTATIONS.values())
    unknown = [n for n in names if n not in MUTATIONS]
    if unknown:
        raise UnknownNameError("mutation", unknown[0], MUTATIONS, "mutations")
    return [MUTATIONS[n] for n in names]


def _qualname(fn: object) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def format_skeleton(completion: str) -> str:
    """The completion's tags and ``\\boxed{}`` wrappers with everything else removed.

    >>> format_skeleton("<think>hm</think>\\n<answer>\\\\boxed{84}</answer>")
    '<think></think><answer>\\\\boxed{}</answer>'
    """
    marks = [(m.start(), m.group()) for m in _TAG.finditer(completion)]
    for m in _BOXED.finditer(completion):
        close = closing_brace(completion, m.end())
        if close is not None:
            marks += [(m.start(), m.group()), (close, "}")]
    return "".join(text for _, text in sorted(marks))


@mutation("empty")
def empty(answer: Answer) -> str:
    """The empty completion."""
    del answer
    return ""


@mutation("format_only")
def format_only(answer: Answer) -> str | None:
    """Only the correct completion's tags and \\boxed{} wrappers, emptied."""
    return format_skeleton(answer.sample.completion) or None


@mutation("punctuation")
def punctuation(answer: Answer) -> str:
    """A completion that is only punctuation: '.'."""
    del answer
    return "."


@mutation("reasoning_opener")
def reasoning_opener(answer: Answer) -> str:
    """A reasoning opener alone: "Let's solve this step by step. Thought process:"."""
    del answer
    return OPENER


@mutation("repeated_answer")
def repeated_answer(answer: Answer) -> str:
    """The right answer written 20 times, one per line, in its place."""
    return answer.with_answer("\n".join([answer.text] * REPEATS))


@mutation("two_answers")
def two_answers(answer: Answer) -> str:
    """The right answer, then a wrong one: "84 or 85" (the last answer is the wrong one)."""
    return answer.with_answer(f"{answer.text} or {answer.wrong}")


@mutation("answer_in_think")
def answer_in_think(answer: Answer) -> str | None:
    """The answer moved into <think>, its own tag or \\boxed{} left empty (wrapped answers only)."""
    if not answer.wrapped:
        return None
    emptied = answer.with_answer("")
    said = f"The answer is {answer.text}."
    close = emptied.find("</think>")
    if close < 0:
        return f"<think>{said}</think>\n{emptied}"
    space = "" if close == 0 or emptied[close - 1] in " \n>" else " "
    return emptied[:close] + space + said + emptied[close:]


@mutation("prompt_copy")
def prompt_copy(answer: Answer) -> str | None:
    """The prompt copied in the answer's place (a reference that leaks from the prompt)."""
    prompt = answer.sample.prompt.strip()
    return answer.with_answer(prompt) if prompt else None


@mutation("long_padding")
def long_padding(answer: Answer) -> str:
    """About 4,200 characters of filler words right before the right answer."""
    return answer.with_answer(FILLER + answer.text)


@mutation("wrong_answer")
def wrong_in_format(answer: Answer) -> str:
    """A wrong answer in perfect format: the answer replaced by a wrong one (84 -> 85)."""
    return answer.with_answer(answer.wrong)
