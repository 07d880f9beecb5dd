"""Finding the one multiple-choice letter a completion gives as its final answer.

The final answer is the first of these that holds a letter:

1. the content of the last ``<answer>...</answer>`` replaces the text when present;
2. the whole text is a letter (``B``, ``(B)``, ``B.``, ``**C**``, ``d``, ``A or B``);
3. the last ``\\boxed{...}``, when it is a letter;
4. the last answer statement (``The answer is (B)``, ``Answer: d``, ``**Answer:** C``);
5. the last non-empty line, when it is a letter or starts with one (``B) Paris``).

Every letter given there is returned, and more than one means the answer is ambiguous. Three
rules keep a hedge from passing for one answer:

- **Nothing after the final answer names another letter.** ``The answer is A. Actually, it is
  C.`` gives A and C, and so does ``Answer: C because option (A) is too small``: once the answer
  is given, a later option letter is a second answer or a retraction, and the two cannot be told
  apart. A letter negated or called wrong (``not B``, ``rather than B``, ``B fails``, ``A and B
  are incorrect``) names no answer, and calling the final letter itself wrong takes the answer
  back (``The answer is C. No, C is wrong.`` gives none). A capital ``A`` or ``I`` before a
  lower-case word is the article or the pronoun (``A quick check``), unless the word is a verb an
  option takes (``A is correct``).
- **A box or statement joined to an earlier one by a hedge word is a second answer**
  (``The answer is A or the answer is C``, ``\\boxed{A}. Maybe \\boxed{C}``): ``or``,
  ``either``, ``maybe``, ``perhaps``, ``possibly``, ``alternatively`` or ``/`` right after the
  earlier answer or opening the later one's sentence. Otherwise the later answer corrects the
  earlier (``The answer is A. Wait, the answer is B.`` gives B).
- **A list of options is no answer.** When two lines start like an option (``A) 3``, ``(B)``,
  ``C.``), or the last line names another option after its own, the text lists options and tier 5
  finds nothing.

A lowercase letter counts only when punctuation or the end of the line follows it, so the article
in "the answer is a trick question" is not read as choice A.

>>> find_choice("Let me think. The answer is (B).")
('B',)
>>> find_choice("A or C")
('A', 'C')
>>> find_choice("The answer is A. Actually, it is C.")
('A', 'C')
>>> find_choice("A) 3\\nB) 4\\nC) 5")
()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rewardkit.rewards.extract import ExtractParams, extract_answer

_ANSWER_TAG = ExtractParams(extract="answer_tag")
_OPEN = r"[(\[*_{]*"
_CLOSE = r"[)\]*_}]*"
_SEP = r"\s*(?:,|/|&|\bor\b|\band\b)\s*"
_OR = r"\s*(?:/|&|\bor\b|\band\b)\s*"
# Whitespace runs are always followed by a required character, so long runs of spaces cannot
# make these patterns backtrack quadratically.
_STATEMENT = (
    r"(?i:\banswer\b)\**(?!\*)(?:\s+(?i:is|would\s+be|should\s+be|will\s+be)\b)?(?:\s*[:=\-])?"
    r"(?:\s*\*+(?=\s))?(?:\s*(?i:option|choice)\b)?(?:\s*:)?\s*"
)
# A box whose content could be a letter: no braces but one \text{...} (or \mathrm, \textbf).
_SMALL_BOX = re.compile(r"\\(?:boxed|fbox)\{((?:\\(?:text|mathrm|textbf)\{[^{}]*\}|[^{}])*)\}")
_BOX_TEXT = re.compile(r"\\(?:text|mathrm|textbf)\{([^{}]*)\}")
_NEGATED = re.compile(
    r"(?i:\bnot|n't|\brather\s+than|\binstead\s+of)\s+(?:(?i:option|choice)\s+)?$"
)
# What follows a letter (and the letters listed with it) that says it is wrong: "A fails",
# "A, B and C are all incorrect", "D can be ruled out".
_DISMISSED = (
    r"\s+(?:(?:is|are)(?:\s+(?:all|also|both|clearly))?\s+(?:wrong|incorrect|false|impossible"
    r"|not\s+(?:correct|right|true|the\s+answer)|ruled\s+out|eliminated)|fails?"
    r"|(?:isn't|aren't)\s+(?:correct|right|true|the\s+answer)"
    r"|can\s+be\s+(?:ruled\s+out|eliminated)|does(?:n't|\s+not)\s+(?:work|fit|hold))\b"
)
_QUESTION = re.compile(r"[^\S\n]*\?")
_EMPTY_BOX = re.compile(r"\\(?:boxed|fbox)\{\s*\}")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_HEDGE = re.compile(r"[\W_]*(?i:or|either|maybe|perhaps|possibly|alternatively)\b|\s*/")
_PUNCTUATION_AFTER = re.compile(r"[^\S\n]*(?:[^\w\s]|\n|$)")
# A capital A or I before a lower-case word is the article or the pronoun ("A quick check",
# "I think"), unless the word is a verb an option letter takes and they cannot ("A is correct";
# "I would" is the pronoun, "A would" cannot be the article).
_OPTION_VERBS = (
    "is|isn't|seems|looks|appears|fits|matches|works|holds|gives|fails|wins|remains|has|does|"
    "doesn't|and|or"
)
_ARTICLE_OR_PRONOUN = {
    "A": re.compile(
        rf"[^\S\n]+(?!(?:{_OPTION_VERBS}|was|wasn't|would|could|should|must|might|can|will|"
        r"also|too|instead)\b)[a-z]"
    ),
    "I": re.compile(rf"[^\S\n]+(?!(?:{_OPTION_VERBS})\b)[a-z]"),
}


@dataclass(frozen=True)
class _Given:
    """Letters given at ``text[start:end]`` (a box or an answer statement)."""

    start: int
    end: int
    letters: tuple[str, ...]


class _Patterns:
    """The compiled patterns for one set of allowed letters."""

    def __init__(self, letters: str):
        upper, lower = letters.upper(), letters.lower()
        # Not a letter of a word, an abbreviation ("e.g.") or a possessive ("B's").
        letter = (
            rf"(?:[{upper}](?![A-Za-z0-9]|[.'’][A-Za-z])"
            rf"|[{lower}](?![A-Za-z0-9]|[.'’][A-Za-z])(?=[^\S\n]*(?:[^\w\s]|\n|$)))"
        )
        token = rf"{_OPEN}{letter}{_CLOSE}"
        # "E or F" hedges even where F is no option: a list may go on with any capital letter.
        capital = rf"{_OPEN}[A-Z](?![A-Za-z0-9]|[.'’][A-Za-z]){_CLOSE}"
        letter_list = rf"{token}(?:{_SEP}{token}|{_OR}{capital})*"
        self.letter = re.compile(rf"(?<![A-Za-z0-9])(?:{letter}|[A-Z](?![A-Za-z0-9]))")
        self.whole = re.compile(rf"\s*({letter_list})(?:\s*[.!])?\s*")
        self.statement = re.compile(_STATEMENT + rf"({letter_list})")
        # At most 8 more letters listed, so a long list costs each letter a bounded look ahead.
        self.dismissed = re.compile(rf"(?:(?:{_SEP}|,\s*and\s+){token}){{0,8}}{_DISMISSED}")
        self.option_line = re.compile(rf"\s*[(\[*]*({letter})[)\].:]")
        # A letter standing alone in prose: not inside a word, an abbreviation ("e.g.", "Q.E.D.")
        # or a function call ("P(A)"); brackets or bold around it are kept to tell it apart.
        self.mention = re.compile(
            r"(?<![^\W_])(?<![(\[{*_])(?<![^\W_][.'’-])([(\[{*_]*)"
            rf"([{upper}{lower}])([)\]}}*_]*)(?![^\W_])(?![.'’-][^\W_])"
        )

    def letters_in(self, span: str) -> tuple[str, ...]:
        """Distinct letters of a matched letter list, upper-cased, in order of appearance (a
        capital that is no option included)."""
        found = [m.group(0)[-1].upper() for m in self.letter.finditer(span)]
        return tuple(dict.fromkeys(found))

    def named_in(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The option letters that prose names (the module doc's first rule), and those it
        negates or calls wrong, each distinct and upper-cased."""
        named: list[str] = []
        denied: list[str] = []
        for m in self.mention.finditer(text):
            opened, letter, closed = m.groups()
            if not (opened or closed):
                if letter.islower() and not _PUNCTUATION_AFTER.match(text, m.end()):
                    continue  # "a" before a word is the article
                article = _ARTICLE_OR_PRONOUN.get(letter)
                if article and article.match(text, m.end()):
                    continue  # "A quick check", "I think"
            negated = _NEGATED.search(text[max(0, m.start() - 32) : m.start()])
            wrong = negated or self.dismissed.match(text, m.end())
            (denied if wrong else named).append(letter.upper())
        return tuple(dict.fromkeys(named)), tuple(dict.fromkeys(denied))

    def is_option_line(self, line: str) -> bool:
        return bool(self.option_line.match(line) or self.whole.fullmatch(line))


@lru_cache(maxsize=32)
def _patterns(letters: str) -> _Patterns:
    return _Patterns(letters)


def find_choice(text: str, letters: str = "ABCDE") -> tuple[str, ...]:
    """The distinct choice letters given as the final answer (empty when none is found).

    More than one letter means the answer is ambiguous; the rules are in the module doc.

    >>> find_choice("<answer>**c**</answer>")
    ('C',)
    >>> find_choice("Answer: F", letters="ABCDEF")
    ('F',)
    >>> find_choice("The answer is B, not A.")
    ('B',)
    """
    pats = _patterns(letters)
    tagged = extract_answer(text, _ANSWER_TAG)
    if tagged is not None:
        text = tagged
    whole = pats.whole.fullmatch(text)
    if whole:
        return _options(pats.letters_in(whole.group(1)), letters)
    boxes = _boxes(text, pats)
    statements = [
        _Given(m.start(), m.end(), pats.letters_in(m.group(1)))
        for m in pats.statement.finditer(text)
        if not _QUESTION.match(text, m.end())  # "the answer is B?" asks, it does not answer
    ]
    last_box = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if boxes and boxes[-1].start == last_box:  # tier 3
        final = boxes[-1]
    elif last_box >= 0 and _EMPTY_BOX.match(text, last_box):
        return ()  # the final answer is an empty box
    elif statements:  # tier 4
        final = statements[-1]
    else:
        return _last_line(text, pats, letters)
    named, denied = pats.named_in(text[final.end :])
    if set(final.letters) & set(denied):
        return ()  # "The answer is C. No, C is wrong.": the answer is taken back
    found = final.letters + named
    earlier = [g for g in boxes + statements if g.end <= final.start]
    if earlier:
        before = max(earlier, key=lambda g: g.end)
        between = text[before.end : final.start]
        sentence = between[max((m.end() for m in _SENTENCE_END.finditer(between)), default=0) :]
        if before.letters != final.letters and (_HEDGE.match(between) or _HEDGE.match(sentence)):
            found = before.letters + found
    return _options(found, letters)


def _options(found: tuple[str, ...], letters: str) -> tuple[str, ...]:
    """The distinct letters, or none when one is not an option ("E or F" of A-E is no answer)."""
    return tuple(dict.fromkeys(found)) if set(found) <= set(letters.upper()) else ()


def _boxes(text: str, pats: _Patterns) -> list[_Given]:
    """The boxes whose content is a letter list, in order."""
    found = []
    for m in _SMALL_BOX.finditer(text):
        letters = pats.whole.fullmatch(_BOX_TEXT.sub(r"\1", m.group(1)))
        if letters:
            found.append(_Given(m.start(), m.end(), pats.letters_in(letters.group(1))))
    return found


def _last_line(text: str, pats: _Patterns, letters: str) -> tuple[str, ...]:
    """Tier 5: the last line's letter, unless the text is a list of options."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or sum(pats.is_option_line(line) for line in lines) > 1:
        return ()
    whole = pats.whole.fullmatch(lines[-1])
    if whole:
        return _options(pats.letters_in(whole.group(1)), letters)
    option = pats.option_line.match(lines[-1])
    if option is None:
        return ()
    letter = option.group(1).upper()
    named, denied = pats.named_in(lines[-1][option.end() :])
    return (letter,) if set(named) <= {letter} and letter not in denied else ()
