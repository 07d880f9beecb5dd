"""Calling one registered component on one sample, as a config would: shared by the tests."""

from __future__ import annotations

from typing import Any

from rewardkit.registry import get
from rewardkit.types import JSONValue, Sample, Score


def run(name: str, completion: str, reference: JSONValue, **params: Any) -> Score | None:
    """Component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def value(name: str, completion: str, reference: JSONValue, **params: Any) -> float | None:
    result = run(name, completion, reference, **params)
    return None if result is None else result.value
