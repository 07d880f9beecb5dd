"""The one ``extract`` option shared by every component that judges an answer.

``extract`` picks the part of the completion that is the answer:

- ``text``: the whole completion (stripped);
- ``answer_tag``: the content of the last ``<answer>...</answer>``;
- ``boxed``: the content of the last ``\\boxed{...}`` (nested braces allowed);
- ``last_number``: the last number (sign, thousands separators, decimals, exponents, ``a/b``,
  ``\\frac{a}{b}`` and ``%`` kept); none when the last one is part of a power, subscript or root
  (``2^{10}``, ``\\sqrt{2}``): that answer is an expression, not the number;
- ``regex``: group ``group`` of the last match of ``pattern`` (the whole match if it has no groups).

A completion with no such part extracts to ``None``; answer components score that as wrong
(0), not as "does not apply", because a missing answer is the model's fault.

>>> extract_answer("so \\\\boxed{\\\\frac{1}{2}}.", ExtractParams(extract="boxed"))
'\\\\frac{1}{2}'
>>> extract_answer("it is 1,234.5 or 7", ExtractParams(extract="last_number"))
'7'
"""

from __future__ import annotations

import re
from collections import deque
from typing import Literal

from pydantic import model_validator

from rewardkit.registry import Params

ExtractMode = Literal["text", "answer_tag", "boxed", "last_number", "regex"]

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
NUMBER = re.compile(
    r"[-+\u2212]?\\[dt]?frac\{\s*\d+(?:\.\d+)?\s*\}\{\s*\d+(?:\.\d+)?\s*\}"
    r"|[-+\u2212]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?:\s*/\s*\d+)?%?"
)
# A number right after these is an exponent, a subscript or under a root: part of an expression.
_INSIDE_EXPRESSION = re.compile(r"(?:[\^_]\{?|\\sqrt(?:\[[^\]]*\])?\{?)\s*$")


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


def closing_brace(text: str, start: int) -> int | None:
    """Index of the ``}`` that closes a brace opened just before ``start`` (None: unbalanced).

    >>> closing_brace("\\\\boxed{a{b}c} d", 7)
    12
    """
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}``, with balanced braces."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    end = closing_brace(text, i)
    return None if end is None else text[i:end].strip()


def extract_answer(text: str, params: ExtractParams) -> str | None:
    """The answer part of ``text`` according to ``params.extract`` (None when absent)."""
    mode = params.extract
    if mode == "text":
        return text.strip()
    if mode == "answer_tag":
        found = _ANSWER_TAG.findall(text)
        return found[-1].strip() if found else None
    if mode == "boxed":
        return last_boxed(text)
    if mode == "last_number":
        last = next(iter(deque(NUMBER.finditer(text), maxlen=1)), None)
        if last is None or _INSIDE_EXPRESSION.search(
            text[max(0, last.start() - 64) : last.start()]
        ):
            return None
        if text[last.end() : last.end() + 1] in ("^", "_"):
            return None  # the base of a power: 2^{10}
        return last.group(0).strip()
    assert params.pattern is not None
    matches = list(re.finditer(params.pattern, text))
    if not matches:
        return None
    value = matches[-1].group(params.group if matches[-1].re.groups else 0)
    return None if value is None else value.strip()
