"""Golden cases for answer normalisation and reading references."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.rewards.normalise import MatchParams, normalise, reference_strings
from rewardkit.types import JSONValue


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        ("  Hello   World ", {}, "hello world"),
        ("Hello", {"case": False}, "Hello"),
        (" a  b ", {"whitespace": False}, " a  b "),
        ("Hello, world!", {"punctuation": True}, "hello world"),
        ("«Bonjour»", {"punctuation": True}, "bonjour"),  # Unicode punctuation
        ("$5", {"punctuation": True}, "$5"),  # a currency sign is a symbol, not punctuation
        ("The cat and a dog", {"articles": True}, "cat and dog"),
        ("the,", {"punctuation": True, "articles": True}, ""),
        ("Straße", {}, "strasse"),  # casefold
        ("it’s", {}, "it's"),
    ],
)
def test_normalise_golden(text: str, params: dict[str, Any], expected: str) -> None:
    assert normalise(text, MatchParams(**params)) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Paris", ["Paris"]),
        (3, ["3"]),
        (3.0, ["3"]),
        (0.25, ["0.25"]),
        (["a", 2, 2.5], ["a", "2", "2.5"]),
    ],
)
def test_reference_strings(reference: JSONValue, expected: list[str]) -> None:
    assert reference_strings(reference, "c") == expected


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        (None, UnjudgeableReference),
        ([], UnjudgeableReference),
        (False, UnjudgeableReference),
        ({"a": 1}, UnjudgeableReference),
        ([[1]], UnjudgeableReference),
        ("", UnjudgeableReference),  # an empty completion would match it
    ],
)
def test_reference_strings_malformed(reference: JSONValue, error: type) -> None:
    with pytest.raises(error, match=r"^c: "):
        reference_strings(reference, "c")
