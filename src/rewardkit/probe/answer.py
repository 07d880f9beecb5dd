"""Where the answer sits in a correct completion, and a wrong answer of the same shape.

The exploit mutations rewrite a correct completion around its answer, so they first need the
answer's place. ``locate_answer`` looks, in this order, for the content of the last
``<answer>...</answer>``, of the last ``\\boxed{...}``, the last occurrence of the reference
(``"84"`` in ``"=84"``), the last ``[...]`` when the reference is a list (a box), the last number,
and else takes the whole completion.

``wrong_answer`` derives a wrong answer with the right answer's shape: one number gets +1
(``84`` -> ``85``), several numbers all move by more than their spread (the box ``[6,3,8,5]``
-> ``[12,9,14,11]``, which does not overlap it), an option letter becomes the next one, yes and
no swap, and any other text becomes another word. ``meta["wrong_answer"]`` overrides it.

>>> a = locate_answer(Sample("0", "g", "12*7?", "<think>x</think><answer>84</answer>", "84"))
>>> a.text, a.wrapped, a.wrong
('84', True, '85')
>>> a.with_answer("85 or 84")
'<think>x</think><answer>85 or 84</answer>'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from rewardkit.rewards.extract import closing_brace
from rewardkit.types import JSONValue, Sample

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_BOXED = re.compile(r"\\(?:boxed|fbox)\{")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
_SWAPS = {"yes": "no", "no": "yes", "true": "false", "false": "true"}


@dataclass(frozen=True)
class Answer:
    """A correct completion split around its final answer: ``completion[start:end]``.

    ``wrapped`` says that the answer sits in an ``<answer>`` tag or a ``\\boxed{}``; ``wrong`` is
    a wrong answer of the same shape (see ``wrong_answer``).
    """

    sample: Sample
    start: int
    end: int
    wrapped: bool
    wrong: str

    @property
    def text(self) -> str:
        """The answer as the correct completion writes it."""
        return self.sample.completion[self.start : self.end]

    def with_answer(self, text: str) -> str:
        """The correct completion with its answer replaced by ``text`` (all else kept)."""
        completion = self.sample.completion
        return completion[: self.start] + text + completion[self.end :]


def locate_answer(sample: Sample) -> Answer:
    """The answer's place in ``sample.completion`` (see the module docstring for the order)."""
    completion = sample.completion
    span, wrapped = _wrapped_span(completion), True
    if span is None:
        span, wrapped = _bare_span(completion, sample.reference), False
    start, end = span
    text = completion[start:end]
    override = sample.meta.get("wrong_answer")
    wrong = str(override) if override is not None else wrong_answer(text)
    return Answer(sample, start, end, wrapped, wrong)


def _wrapped_span(completion: str) -> tuple[int, int] | None:
    tags = list(_ANSWER_TAG.finditer(completion))
    if tags:
        return _stripped(completion, tags[-1].start(1), tags[-1].end(1))
    opens = list(_BOXED.finditer(completion))
    if opens:
        close = closing_brace(completion, opens[-1].end())
        if close is not None:
            return _stripped(completion, opens[-1].end(), close)
    return None


def _bare_span(completion: str, reference: JSONValue) -> tuple[int, int]:
    for text in _reference_texts(reference):
        found = list(re.finditer(rf"(?<![\w.]){re.escape(text)}(?!\w|\.\d)", completion))
        if found:
            return found[-1].span()
    if _structured(reference):
        brackets = list(_BRACKETS.finditer(completion))
        if brackets:
            return brackets[-1].span()
    numbers = list(_NUMBER.finditer(completion))
    if numbers:
        return numbers[-1].span()
    return _stripped(completion, 0, len(completion))


def _reference_texts(reference: JSONValue) -> list[str]:
    """The reference as it may be written: its acceptable answers, none for a structure."""
    if _structured(reference):
        return []
    items = reference if isinstance(reference, list) else [reference]
    out = []
    for item in items:
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if isinstance(item, str | int | float) and str(item).strip():
            out.append(str(item).strip())
    return out


def _structured(reference: JSONValue) -> bool:
    """A list of several numbers (a box, a point) or of lists is one answer, not alternatives."""
    if not isinstance(reference, list):
        return False
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in reference)
    return (numbers and len(reference) > 1) or any(isinstance(x, list) for x in reference)


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def wrong_answer(answer: str) -> str:
    """A wrong answer with the shape of ``answer``.

    >>> [wrong_answer(a) for a in ["84", "0.25", "1,234", "[6,3,8,5]", "B", "Yes", "Paris"]]
    ['85', '1.25', '1235', '[12,9,14,11]', 'C', 'No', 'banana']
    """
    numbers = list(_NUMBER.finditer(answer))
    if numbers:
        values = [Decimal(m.group().replace(",", "")) for m in numbers]
        shift = Decimal(1) if len(values) == 1 else max(values) - min(values) + 1
        out, last = [], 0
        for m, value in zip(numbers, values, strict=True):
            out += [answer[last : m.start()], str(value + shift)]
            last = m.end()
        return "".join([*out, answer[last:]])
    word = answer.strip()
    if len(word) == 1 and word.isalpha():
        nxt = chr((ord(word.upper()) - ord("A") + 1) % 26 + ord("A"))
        return nxt if word.isupper() else nxt.lower()
    if word.lower() in _SWAPS:
        swapped = _SWAPS[word.lower()]
        return swapped.capitalize() if word[:1].isupper() else swapped
    return "cherry" if word.lower() == "banana" else "banana"
