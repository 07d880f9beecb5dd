"""Answer signals: is the extracted answer the right one?

- ``exact_match``: normalised string equality with any acceptable reference;
- ``choice``: the multiple-choice letter given as the final answer;
- ``ternary``: correct / abstained / wrong with three values (TruthRL);
- ``set_f1``: F1 (or precision, recall) between the answer's items and the reference items.

A missing or unreadable answer is the model's fault and scores 0 (``wrong`` for ternary). A
reference the component cannot read (missing, of the wrong type, no letter for ``choice``) is a data problem: it raises ``UnjudgeableReference``, which the program
counts per component and handles by its ``on_unjudgeable`` policy. None of these components ever
returns None: each applies to every sample that has a reference. ``numeric`` is in ``numeric.py``.

>>> from rewardkit.types import Sample
>>> s = Sample("0", "g", prompt="", completion="The  Eiffel tower", reference="eiffel Tower")
>>> exact_match(s, MatchParams(articles=True)).value
1.0
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import field_validator, model_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.choices import find_choice
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.normalise import MatchParams, normalise, reference_strings
from rewardkit.types import JSONValue, Sample, Score


def no_answer(p: ExtractParams) -> dict[str, Any]:
    return {"reason": f"no answer found, or several different ones (extract: {p.extract})"}


@reward("exact_match", params=MatchParams)
def exact_match(sample: Sample, p: MatchParams) -> Score:
    """1.0 when the normalised answer equals a normalised reference (any of a list), else 0.0.

    Numbers in the reference are compared in their shortest form (3.0 as "3"); use ``numeric``
    for tolerance.

    >>> exact_match(Sample(id="0", group="g", prompt="", completion="PARIS", reference=["Paris",
    ... "paris, france"]), MatchParams()).value
    1.0
    """
    wanted = {normalise(r, p) for r in reference_strings(sample.reference, "exact_match")}
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info=no_answer(p))
    hit = normalise(answer, p) in wanted
    return Score(1.0 if hit else 0.0, info={"answer": answer})


class ChoiceParams(ExtractParams):
    """Parameters of ``choice``: extraction and the allowed option letters."""

    letters: str = "ABCDE"

    @field_validator("letters")
    @classmethod
    def _check_letters(cls, letters: str) -> str:
        letters = letters.upper()
        if not re.fullmatch(r"[A-Z]+", letters) or len(set(letters)) != len(letters):
            raise ValueError(f"letters {letters!r} must be distinct letters A-Z, such as 'ABCD'")
        return letters


def _reference_letter(reference: JSONValue, p: ChoiceParams) -> str:
    if not isinstance(reference, str):
        raise UnjudgeableReference(
            f"choice: reference {reference!r} is not a string; give the correct letter, e.g. 'B'"
        )
    found = find_choice(reference.strip(), p.letters)
    if len(found) != 1 or len(reference.strip(" ()[]*.").strip()) != 1:
        raise UnjudgeableReference(
            f"choice: reference {reference!r} is not one of the letters {p.letters}; give the "
            "correct letter (or widen 'letters')"
        )
    return found[0]


@reward("choice", params=ChoiceParams)
def choice(sample: Sample, p: ChoiceParams) -> Score:
    """1.0 when the final multiple-choice letter is the reference; 0.0 if wrong or ambiguous.

    >>> choice(Sample(id="0", group="g", prompt="", completion="So the answer is (b).",
    ... reference="B"), ChoiceParams()).value
    1.0
    """
    wanted = _reference_letter(sample.reference, p)
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info=no_answer(p))
    found = find_choice(answer, p.letters)
    if not found:
        return Score(0.0, info={"reason": f"no choice letter among {p.letters} found"})
    if len(found) > 1:
        return Score(0.0, info={"reason": "ambiguous: several letters given", "letters": found})
    return Score(1.0 if found[0] == wanted else 0.0, info={"answer": found[0]})


DEFAULT_ABSTAIN = (
    "i don't know",
    "i do not know",
    "i dont know",
    "cannot be determined",
    "can't be determined",
    "cannot answer",
    "not sure",
    "i am unsure",
    "i'm unsure",
)


class TernaryParams(MatchParams):
    """Parameters of ``ternary``: the three values and the phrases that mark an abstention."""

    correct: float = 1.0
    abstain: float = 0.0
    wrong: float = -1.0
    abstain_phrases: tuple[str, ...] = DEFAULT_ABSTAIN

    @model_validator(mode="after")
    def _check_values(self) -> TernaryParams:
        if not self.wrong <= self.abstain <= self.correct or self.wrong == self.correct:
            raise ValueError(
                f"need wrong <= abstain <= correct with wrong < correct (got wrong={self.wrong}, "
                f"abstain={self.abstain}, correct={self.correct}): abstaining should pay more "
                "than a wrong answer and less than a correct one"
            )
        if not self.abstain_phrases or not all(s.strip() for s in self.abstain_phrases):
            raise ValueError("abstain_phrases must be a non-empty list of non-empty phrases")
        return self


def is_abstention(answer: str, phrases: tuple[str, ...]) -> bool:
    """Whether ``answer`` contains one of ``phrases`` (case, spacing and apostrophes ignored).

    >>> is_abstention("Honestly, I DON’T know.", DEFAULT_ABSTAIN)
    True
    """
    plain = MatchParams()
    text = normalise(answer, plain)
    return any(normalise(phrase, plain) in text for phrase in phrases)


@reward("ternary", params=TernaryParams)
def ternary(sample: Sample, p: TernaryParams) -> Score:
    """``correct`` for a right answer, ``abstain`` for "I don't know", else ``wrong`` (TruthRL).

    >>> ternary(Sample(id="0", group="g", prompt="", completion="I do not know.", reference="Oslo"),
    ... TernaryParams()).value
    0.0
    """
    wanted = {normalise(r, p) for r in reference_strings(sample.reference, "ternary", p.wrong)}
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(p.wrong, info={**no_answer(p), "outcome": "wrong"})
    if normalise(answer, p) in wanted:
        return Score(p.correct, info={"outcome": "correct"})
    if is_abstention(answer, p.abstain_phrases):
        return Score(p.abstain, info={"outcome": "abstained"})
    return Score(p.wrong, info={"outcome": "wrong", "answer": answer})


class SetF1Params(MatchParams):
    """Parameters of ``set_f1``: the item separator (a regex) and the reported metric."""

    separator: str = r"[,;\n]"
    metric: Literal["f1", "precision", "recall"] = "f1"

    @field_validator("separator")
    @classmethod
    def _check_separator(cls, separator: str) -> str:
        try:
            compiled = re.compile(separator)
        except re.error as exc:
            raise ValueError(f"separator {separator!r} is not a valid regex: {exc}") from None
        if compiled.fullmatch(""):
            raise ValueError(f"separator {separator!r} matches the empty string; it must not")
        return separator


def item_set(text: str, p: SetF1Params) -> set[str]:
    """The distinct normalised non-empty items of ``text`` split at ``p.separator``.

    >>> sorted(item_set("Red; blue,red\\n", SetF1Params()))
    ['blue', 'red']
    """
    items = (normalise(item, p) for item in re.split(p.separator, text))
    return {item for item in items if item.strip()}


def set_scores(predicted: set[str], reference: set[str]) -> dict[str, float]:
    """Precision, recall and F1 of two sets (both empty: all 1.0; one empty: all 0.0).

    >>> set_scores({"a", "b"}, {"a", "b", "c", "d"})["f1"]  # p = 1, r = 1/2
    0.6666666666666666
    """
    if not predicted and not reference:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    if not predicted or not reference:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    common = len(predicted & reference)
    precision, recall = common / len(predicted), common / len(reference)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _reference_items(reference: JSONValue, p: SetF1Params) -> set[str]:
    if isinstance(reference, str):
        return item_set(reference, p)
    if reference == []:
        return set()  # a question whose right answer is "none of them"
    items = {normalise(r, p) for r in reference_strings(reference, "set_f1")}
    return {item for item in items if item.strip()}


@reward("set_f1", params=SetF1Params)
def set_f1(sample: Sample, p: SetF1Params) -> Score:
    """F1 (or precision, recall) between the answer's items and the reference items.

    >>> s = Sample(id="0", group="g", prompt="", completion="a, b, c", reference=["a", "b", "d"])
    >>> set_f1(s, SetF1Params()).value  # 2 of 3 right on both sides
    0.6666666666666666
    """
    reference = _reference_items(sample.reference, p)
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info=no_answer(p))
    scores = set_scores(item_set(answer, p), reference)
    return Score(scores[p.metric], info=scores)
