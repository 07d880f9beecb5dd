"""What makes an answer span not one answer, beyond its value (docs/answers.md).

The grammar (``grammar.py``) decides whether a span is one number. A span that is an expression
(``math_equivalent``'s answers) can still hold several values or none; these rules refuse them
for every component alike, as a class, with no list of phrasings:

- ``several_values``: a span that joins values (``41 \\lor 42``, ``\\cup``, ``\\land``, ``\\pm``,
  ``;``, ``or``/``and``, a comma that is not a thousands separator) where the reference does not;
- ``prose_words``: words of two or more letters (``What is 1/4 as a decimal?``, ``5 meters``,
  ``84 is wrong``); LaTeX commands and function names before a bracket are not words;
- ``echoes_prompt``: the span is the prompt's own expression (``84 / 12`` for "What is 84 / 12?")
  and not the reference's literal form.

>>> several_values("41 \\\\lor 42", ["42"]), several_values("1,234", ["1234"])
(['\\\\lor'], [])
>>> prose_words("\\\\boxed{What is 1/4?}"), prose_words("\\\\sin(x) + \\\\text{ln}(2)")
(['What', 'is'], [])
>>> echoes_prompt("84 / 12", "What is 84 / 12?", ["7"])
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rewardkit.rewards.grammar import normalise_spelling, unwrap

_JOINERS = re.compile(
    r"\\(?:lor|vee|land|wedge|cup|cap|pm|mp|text\s*\{\s*(?:or|and)\s*\})(?![A-Za-z])"
    r"|[∨∧∪∩±∓;]|(?<![A-Za-z\\])(?:or|and|OR|AND|Or|And)(?![A-Za-z])"
)
_SEPARATOR_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")
_MATH_WORDS = {"infinity", "pi"}  # words math-verify reads as the constants they name
_WORD = re.compile(r"(?<![A-Za-z\\])[A-Za-z]{2,}(?![A-Za-z])")


def several_values(span: str, references: Sequence[str]) -> list[str]:
    """The joiners in ``span`` that make it several values, unless a reference has them too.

    >>> several_values("x = \\\\pm 2", ["\\\\pm 2"]), several_values("1, 2", ["3"])
    ([], [','])
    """
    span = normalise_spelling(span)  # 1{,}234 is 1,234
    found = [m.group(0).strip() for m in _JOINERS.finditer(span)]
    if "," in _SEPARATOR_COMMA.sub("", span):
        found.append(",")
    if not found:
        return []
    allowed = " ".join(references)
    has_comma = "," in _SEPARATOR_COMMA.sub("", allowed)
    return [j for j in found if not (j == "," and has_comma) and not (j != "," and j in allowed)]


def prose_words(span: str) -> list[str]:
    """Words (two or more letters) in ``span`` that are neither LaTeX commands nor function names
    before a bracket (``ln(2)``); the content of ``\\text{}`` counts as words.

    >>> prose_words("5 \\\\text{ meters}"), prose_words("2xy + \\\\sqrt{3}")
    (['meters'], [])
    """
    text = _TEXT_COMMAND.sub(lambda m: " " + m.group(1) + " ", span)
    words = []
    for found in _WORD.finditer(text):
        before = text[: found.start()][-1:]
        after = text[found.end() :].lstrip()[:1]
        if (
            before.isdigit()
            or after in ("(", "{", "^", "_")
            or found.group(0).lower() in _MATH_WORDS
        ):
            continue  # 2xy: a product of variables; ln(2), \sin: functions; infinity
        if re.search(r"[_^]\{?[^{}\s]*$", text[: found.start()]):
            continue  # x_{abc}: a subscript
        beside = re.search(r"[-+*/^=]\s*$", text[: found.start()]) or after in tuple("-+*/^=")
        if beside and len(found.group(0)) <= 3:
            continue  # x^2 + xy, xy + 1: symbols in an expression
        words.append(found.group(0))
    return words


_TIMES = re.compile(r"\\times|\\cdot|×|·")
_DIVIDE = re.compile(r"\\div|÷|:")
_FRAC = re.compile(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_OPERATOR = re.compile(r".[-+*/^!]|\\frac|\\sqrt")


def _compact(text: str) -> str:
    """``text`` in one spelling with no spaces: ``\\frac{84}{12}``, ``84 ÷ 12`` -> ``84/12``."""
    text = normalise_spelling(text)
    text = _FRAC.sub(r"(\1)/(\2)", text)
    text = _TIMES.sub("*", text)
    text = _DIVIDE.sub("/", text)
    text = re.sub(r"\(([-+]?[\w.]+)\)", r"\1", text)  # (84)/(12) -> 84/12
    return re.sub(r"[\s$]", "", text)


def echoes_prompt(span: str, prompt: str, references: Sequence[str]) -> bool:
    """Whether ``span`` is an expression copied from ``prompt`` that no reference writes as is.

    A plain number is never an echo (the prompt may well hold the answer's digits); an
    expression is, where it occurs in the prompt not inside a longer number.

    >>> echoes_prompt("1/4", "What is 1/4 as a decimal?", ["0.25"])
    True
    >>> echoes_prompt("1/4", "What is 21/45?", ["0.47"]), echoes_prompt("3/4", "3/4 of 1?", ["3/4"])
    (False, False)
    """
    answer = _compact(unwrap(span))
    if len(answer) < 3 or not _OPERATOR.search(answer):
        return False
    if any(answer == _compact(unwrap(r)) for r in references):
        return False
    text = _compact(prompt)
    start = text.find(answer)
    while start >= 0:
        end = start + len(answer)
        inside_number = re.search(r"\d\.?$", text[:start]) or re.match(r"\.?\d", text[end:])
        if not inside_number:
            return True
        start = text.find(answer, start + 1)
    return False
