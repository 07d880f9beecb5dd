"""Finding the multiple-choice letter a completion gives as its final answer.

The first of these places that holds a letter decides, and every letter it gives is returned:

1. the content of the last ``<answer>...</answer>`` replaces the text when present;
2. the whole text is a letter (``B``, ``(B)``, ``B.``, ``**C**``, ``d``, ``A or B``);
3. the last ``\\boxed{...}`` is a letter;
4. the last answer statement (``The answer is (B)``, ``Answer: d``, ``**Answer:** C``);
5. the last non-empty line is a letter or starts with one (``B) Paris``).

A lowercase letter counts only when punctuation or the end of the line follows it, so the article
in "the answer is a trick question" is not read as choice A.

>>> find_choice("Let me think. The answer is (B).")
('B',)
>>> find_choice("A or C")
('A', 'C')
>>> find_choice("no idea")
()
"""

from __future__ import annotations

import re
from functools import lru_cache

from rewardkit.rewards.extract import ExtractParams, extract_answer, last_boxed

_ANSWER_TAG = ExtractParams(extract="answer_tag")
_OPEN = r"[(\[*_{]*"
_CLOSE = r"[)\]*_}]*"
_SEP = r"\s*(?:,|/|&|\bor\b|\band\b)\s*"
# Whitespace runs are always followed by a required character, so long runs of spaces cannot
# make these patterns backtrack quadratically.
_STATEMENT = (
    r"(?i:\banswer\b)\**(?!\*)(?:\s+(?i:is|would\s+be|should\s+be|will\s+be)\b)?(?:\s*[:=\-])?"
    r"(?:\s*\*+(?=\s))?(?:\s*(?i:option|choice)\b)?(?:\s*:)?\s*"
)


class _Patterns:
    """The compiled patterns for one set of allowed letters."""

    def __init__(self, letters: str):
        upper, lower = letters.upper(), letters.lower()
        letter = (
            rf"(?:[{upper}](?![A-Za-z0-9])"
            rf"|[{lower}](?![A-Za-z0-9])(?=[^\S\n]*(?:[^\w\s]|\n|$)))"
        )
        token = rf"{_OPEN}{letter}{_CLOSE}"
        letter_list = rf"{token}(?:{_SEP}{token})*"
        self.letter = re.compile(rf"(?<![A-Za-z0-9]){letter}")
        self.whole = re.compile(rf"\s*({letter_list})(?:\s*[.!])?\s*")
        self.statement = re.compile(_STATEMENT + rf"({letter_list})")
        self.option_line = re.compile(rf"\s*[(\[*]*({letter})[)\].:]")

    def letters_in(self, span: str) -> tuple[str, ...]:
        """Distinct letters of a matched letter list, upper-cased, in order of appearance."""
        found = [m.group(0)[-1].upper() for m in self.letter.finditer(span)]
        return tuple(dict.fromkeys(found))


@lru_cache(maxsize=32)
def _patterns(letters: str) -> _Patterns:
    return _Patterns(letters)


def find_choice(text: str, letters: str = "ABCDE") -> tuple[str, ...]:
    """The distinct choice letters given as the final answer (empty when none is found).

    More than one letter means the answer is ambiguous.

    >>> find_choice("<answer>**c**</answer>")
    ('C',)
    >>> find_choice("Answer: F", letters="ABCDEF")
    ('F',)
    """
    pats = _patterns(letters)
    tagged = extract_answer(text, _ANSWER_TAG)
    if tagged is not None:
        text = tagged
    whole = pats.whole.fullmatch(text)
    if whole:
        return pats.letters_in(whole.group(1))
    boxed = last_boxed(text)
    if boxed is not None:
        inner = re.sub(r"\\(?:text|mathrm|textbf)\{([^{}]*)\}", r"\1", boxed)
        in_box = pats.whole.fullmatch(inner)
        if in_box:
            return pats.letters_in(in_box.group(1))
    statements = list(pats.statement.finditer(text))
    if statements:
        return pats.letters_in(statements[-1].group(1))
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        last = pats.whole.fullmatch(lines[-1]) or pats.option_line.match(lines[-1])
        if last:
            return pats.letters_in(last.group(1))
    return ()
