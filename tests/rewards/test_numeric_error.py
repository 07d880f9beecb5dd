"""Golden cases for numeric_error (minus the capped relative error) and numeric's reference_key,
computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import JSONValue, Sample


def value(name: str, completion: str, reference: JSONValue, **params: Any) -> float:
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert result is not None
    return result.value


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("100", 100, {}, 0.0),
        ("x = 95", 100, {}, -0.05),  # |95 - 100| / 100
        ("95 is wrong", 100, {}, -1.0),  # not one number: -cap
        ("-4495364151", "-449536415", {}, -1.0),  # a padded answer is 10x off: capped
        ("-449536410", "-449536415", {}, -5 / 449536415),
        ("3", 0, {}, -1.0),  # reference 0: absolute error, capped at 1
        ("0.25", 0, {}, -0.25),
        ("no number", 7, {}, -1.0),
        ("", 7, {"cap": 2.0}, -2.0),
        ("250", 100, {"cap": 2.0}, -1.5),
        ("9", [10, 8.5], {}, -0.5 / 8.5),  # the nearest acceptable reference counts
        ("50%", 0.5, {}, 0.0),
        ("1e400", 100, {}, -1.0),  # a model wrote it (seen in training): no float holds the error
        ("-1e400", 100, {"cap": 3.0}, -3.0),
    ],
)
def test_numeric_error_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value("numeric_error", completion, reference, **params) == pytest.approx(expected)


def test_a_reasoning_gym_entry_is_read_through_reference_key() -> None:
    entry = {"question": "Calculate 12 + 30.", "answer": "42", "metadata": {"num_terms": 2}}
    assert value("numeric", "42", entry, reference_key="answer") == 1.0
    assert value("numeric", "43", entry, reference_key="answer") == 0.0
    assert value("numeric", "43", entry, reference_key="answer", rel_tol=0.05) == 1.0
    assert value("numeric_error", "40", entry, reference_key="answer") == pytest.approx(-2 / 42)
    for name in ("numeric", "numeric_error"):
        with pytest.raises(UnjudgeableReference, match="reference_key 'answer'"):
            value(name, "42", "42", reference_key="answer")
        with pytest.raises(UnjudgeableReference, match="not one number"):
            value(name, "42", {"answer": "forty-two"}, reference_key="answer")
