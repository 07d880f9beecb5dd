"""Golden cases for the process rewards: split_steps, reasoning_steps, step_check."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import ConfigError
from rewardkit.registry import get
from rewardkit.rewards.process import split_steps
from rewardkit.types import Sample, Score, Span


def run(name: str, completion: str, steps: tuple[Span, ...] | None = None, **params: Any) -> Any:
    """Component ``name`` on one sample, with params validated as in a config."""
    component = get(name)
    sample = Sample(id="t", group="g", prompt="", completion=completion, steps=steps)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def digit_count_over_two(text: str, sample: Sample) -> float | None:
    """A step function for these tests: None without digits, else min(1, digits / 2)."""
    digits = sum(ch.isdigit() for ch in text)
    return None if digits == 0 else min(1.0, digits / 2)


def returns_text(text: str, sample: Sample) -> str:
    return text


def is_step_number(text: str, sample: Sample, index: int) -> float:
    """A step function that takes the step's position: 1.0 when the step's text is its index."""
    return float(text == str(index))


HERE = __name__  # the test module as imported, so "module:function" refs resolve here


# ---------------------------------------------------------------- split_steps


@pytest.mark.parametrize(
    ("text", "mode", "marker", "expected"),
    [
        ("a\n\n  b  \nc", "line", None, ["a", "b", "c"]),
        ("a\r\nb", "line", None, ["a", "b"]),  # the \r is trimmed
        ("", "line", None, []),
        ("\n \n\t", "line", None, []),
        ("one\ntwo\n\nthree\n \n\nfour", "paragraph", None, ["one\ntwo", "three", "four"]),
        ("\n\nonly\n\n", "paragraph", None, ["only"]),
        ("intro\nStep 1: a\nStep 2: b", "marker", None, ["Step 1: a", "Step 2: b"]),
        ("Step 1: a Step 2: b", "marker", None, ["Step 1: a", "Step 2: b"]),  # mid-line
        ("no markers", "marker", None, []),
        ("1. a\n2. b\n", "marker", r"(?m)^\d+\.", ["1. a", "2. b"]),
        ("a\n\nb", "marker", "(?m)^", ["a", "b"]),  # a zero-width marker: every line start
        ("αβ\nγδ", "line", None, ["αβ", "γδ"]),
    ],
)
def test_split_steps_golden(text: str, mode: Any, marker: str | None, expected: list[str]) -> None:
    assert [text[a:b] for a, b in split_steps(text, mode, marker)] == expected


def test_split_steps_offsets() -> None:
    # "a" at 0, blank line, "  b  " with b at 5, "c" at 9
    assert split_steps("a\n\n  b  \nc", "line") == [(0, 1), (5, 6), (9, 10)]


def test_split_steps_unknown_mode_raises() -> None:
    with pytest.raises(ValueError, match="split mode"):
        split_steps("a", "sentence")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["line", "paragraph", "marker"]))
def test_split_steps_never_crashes_and_spans_are_clean(text: str, mode: Any) -> None:
    spans = split_steps(text, mode)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end


# ---------------------------------------------------------------- reasoning_steps


@pytest.mark.parametrize(
    ("completion", "params", "expected"),
    [
        ("Step 1: a\nStep 2: b\nStep 3: c", {}, 1.0),
        ("Step 1: a", {}, 1 / 3),
        ("1. a\n2. b", {}, 2 / 3),
        ("- a\n* b\n- c\n- d", {}, 1.0),  # 4 markers, capped at 3
        ("no steps at all", {}, 0.0),
        ("Step 1:a", {}, 0.0),  # the marker needs a space after it
        ("  - indented", {}, 0.0),  # markers start a line
        ("3.14 is pi", {}, 0.0),
        ("- a", {"cap": 1}, 1.0),
        ("First x. Then y. Finally z.", {"pattern": r"\b(First|Then|Finally)\b", "cap": 4}, 0.75),
    ],
)
def test_reasoning_steps_golden(completion: str, params: dict[str, Any], expected: float) -> None:
    assert run("reasoning_steps", completion, **params).value == pytest.approx(expected)


@pytest.mark.parametrize("params", [{"cap": 0}, {"pattern": "("}, {"max": 3}])
def test_reasoning_steps_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("reasoning_steps").build_params(params)


# ---------------------------------------------------------------- step_check

NAN = math.nan
MIXED = "2 + 2 = 4\nso 3 * 3 = 8\ndone"  # right, wrong, no equation


@pytest.mark.parametrize(
    ("completion", "steps", "params", "value", "step_values"),
    [
        (MIXED, None, {}, 0.5, (1.0, 0.0, NAN)),  # "done" is not judged
        (MIXED, None, {"aggregate": "min"}, 0.0, (1.0, 0.0, NAN)),
        (MIXED, None, {"aggregate": "all"}, 0.0, (1.0, 0.0, NAN)),
        (MIXED, None, {"aggregate": "last"}, 0.0, (1.0, 0.0, NAN)),  # last judged step
        (MIXED, None, {"no_equation": "zero"}, 1 / 3, (1.0, 0.0, 0.0)),
        ("1 + 1 = 2\nnote\n2 * 3 = 6", None, {"aggregate": "all"}, 1.0, (1.0, NAN, 1.0)),
        ("2 + 2 = 4 and 3 + 3 = 7", None, {}, 0.0, (0.0,)),  # one wrong equation spoils a step
        # the sample's own spans win over line splitting
        ("2 + 2 = 4 and 3 + 3 = 7", ((0, 9), (14, 23)), {}, 0.5, (1.0, 0.0)),
        (
            "Step 1: 1 + 1 = 2\nmore\nStep 2: 2 + 2 = 5",
            None,
            {"split": "marker"},
            0.5,
            (1.0, 0.0),
        ),
        (
            "Step 1: a\nfoo\nStep 2: b",
            None,
            {"verifier": "regex", "pattern": r"^Step \d+:"},
            2 / 3,
            (1.0, 0.0, 1.0),
        ),
        (
            "a1\nb\nc123",
            None,
            {"verifier": "function", "fn_ref": f"{HERE}:digit_count_over_two"},
            0.75,
            (0.5, NAN, 1.0),
        ),
        (
            "0\n5\n2",  # a function with an `index` parameter is told each step's position
            None,
            {"verifier": "function", "fn_ref": f"{HERE}:is_step_number"},
            2 / 3,
            (1.0, 0.0, 1.0),
        ),
    ],
)
def test_step_check_golden(
    completion: str,
    steps: tuple[Span, ...] | None,
    params: dict[str, Any],
    value: float,
    step_values: tuple[float, ...],
) -> None:
    result = run("step_check", completion, steps, **params)
    assert result.value == pytest.approx(value)
    assert result.steps == pytest.approx(step_values, nan_ok=True)
    assert len(result.info["spans"]) == len(result.steps)  # one value per span
    assert result.info["scored"] == [not math.isnan(v) for v in step_values]


@pytest.mark.parametrize(
    ("completion", "steps"),
    [("", None), ("\n\n", None), ("no equations\nanywhere", None), ("2 + 2 = 4", ())],
)
def test_step_check_without_a_judged_step_is_wrong(
    completion: str, steps: tuple[Span, ...] | None
) -> None:
    """No judged step is the completion's doing: 0.0 like a wrong step, never None (a None is
    left out of the group baseline, better off than a wrong answer under GRPO)."""
    result = run("step_check", completion, steps)
    assert isinstance(result, Score) and result.value == 0.0
    assert result.info["reason"] in ("no steps", "no step could be judged")
    assert result.steps is None or all(math.isnan(v) for v in result.steps)


def test_step_check_function_must_return_a_number() -> None:
    with pytest.raises(TypeError, match="must return"):
        run("step_check", "a", verifier="function", fn_ref=f"{HERE}:returns_text")


@pytest.mark.parametrize(
    "params",
    [
        {"verifier": "regex"},  # no pattern
        {"verifier": "regex", "pattern": "("},
        {"pattern": "x"},  # pattern without verifier: regex
        {"fn_ref": "math:isfinite"},  # fn_ref without verifier: function
        {"verifier": "function"},
        {"verifier": "function", "fn_ref": "no_such_module_xyz:f"},
        {"verifier": "function", "fn_ref": "math:no_such_function"},
        {"verifier": "function", "fn_ref": "math.isfinite"},  # no colon
        {"marker": "Step"},  # marker without split: marker
        {"split": "marker", "marker": "("},
        {"aggregate": "median"},
        {"no_equation": "ignore"},
        {"split": "sentence"},
    ],
)
def test_step_check_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("step_check").build_params(params)
