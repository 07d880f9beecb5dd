"""The one ``extract`` option shared by every component that judges an answer.

``extract`` picks the answer *span* out of the completion (docs/answers.md):

- ``text``: the whole completion (stripped): the whole of it must be the answer;
- ``answer_tag``: the content of the last ``<answer>...</answer>``;
- ``boxed``: the content of the last ``\\boxed{...}`` (nested braces allowed);
- ``last_number``: the last number in prose, under the grammar's whole-token rules (none when
  that number is part of an expression: ``2^{10}``, ``\\sqrt{2}``, ``\\log_2 8``, ``\\frac{x}{4}``,
  ``3x``, ``10 - 3``); the one mode that reads past words, so it does not see hedges in prose;
- ``regex``: group ``group`` of the last match of ``pattern`` (the whole match if it has no groups).

Several ``<answer>`` tags or boxes that differ are several answers, not one: ``answer_tag`` and
``boxed`` then extract nothing. A completion with no answer extracts to ``None``; answer
components score that as wrong (0), not as "does not apply", because a missing answer is the
model's fault.

>>> extract_answer("so \\\\boxed{\\\\frac{1}{2}}.", ExtractParams(extract="boxed"))
'\\\\frac{1}{2}'
>>> extract_answer("it is 1,234.5 or 7", ExtractParams(extract="last_number"))
'7'
>>> extract_answer("\\\\boxed{41} or \\\\boxed{42}", ExtractParams(extract="boxed")) is None
True
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from rewardkit.registry import Params
from rewardkit.rewards.grammar import closing_brace, last_number

ExtractMode = Literal["text", "answer_tag", "boxed", "last_number", "regex"]

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)


class ExtractParams(Params):
    """Parameters of answer extraction; answer components subclass this."""

    extract: ExtractMode = "text"
    pattern: str | None = None
    group: int = 1

    @model_validator(mode="after")
    def _check_pattern(self) -> ExtractParams:
        if self.extract == "regex":
            if not self.pattern:
                raise ValueError("extract: regex needs a 'pattern'")
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a valid regex: {exc}") from None
            if compiled.groups and self.group > compiled.groups:
                raise ValueError(
                    f"group {self.group} does not exist: the pattern has {compiled.groups} groups"
                )
        elif self.pattern is not None:
            raise ValueError("'pattern' is only used with extract: regex")
        return self


class ValueParams(ExtractParams):
    """Extraction for components that check a value: the span must not echo the prompt."""

    allow_echo: bool = False
    """Pay an answer that is the prompt's own expression (``84 / 12`` for "What is 84 / 12?").
    Off by default: such an answer restates the question (``rewards/span.py``)."""


def boxes(text: str) -> list[str]:
    """The contents of every ``\\boxed{...}`` and ``\\fbox{...}``, balanced braces, in order.

    >>> boxes("\\\\boxed{a{b}} and \\\\fbox{c}")
    ['a{b}', 'c']
    """
    found, covered = [], -1
    for start in re.finditer(r"\\(?:boxed|fbox)\{", text):
        end = closing_brace(text, start.end())
        if end is not None and start.start() > covered:  # a box inside a box is one answer
            found.append(text[start.end() : end].strip())
            covered = end
    return found


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}``, with balanced braces."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    end = closing_brace(text, i)
    return None if end is None else text[i:end].strip()


def _one(answers: list[str]) -> str | None:
    """The answer when every one given is the same (ignoring spaces), else None."""
    if not answers or len({" ".join(a.split()) for a in answers}) > 1:
        return None
    return answers[-1]


def extract_answer(text: str, params: ExtractParams) -> str | None:
    """The answer part of ``text`` according to ``params.extract`` (None when absent)."""
    mode = params.extract
    if mode == "text":
        return text.strip()
    if mode == "answer_tag":
        return _one([found.strip() for found in _ANSWER_TAG.findall(text)])
    if mode == "boxed":
        return _one(boxes(text)) if last_boxed(text) is not None else None
    if mode == "last_number":
        return last_number(text)
    assert params.pattern is not None
    matches = list(re.finditer(params.pattern, text))
    if not matches:
        return None
    value = matches[-1].group(params.group if matches[-1].re.groups else 0)
    return None if value is None else value.strip()
