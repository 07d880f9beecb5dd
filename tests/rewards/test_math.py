"""Golden cases for math_equivalent (math-verify)."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from rewardkit.errors import ConfigError, MissingExtraError, UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import JSONValue, Sample, Score

pytest.importorskip("math_verify")


def run(completion: str, reference: JSONValue, **params: Any) -> Score | None:
    """math_equivalent on one sample, with params validated as in a config."""
    component = get("math_equivalent")
    sample = Sample(id="t", group="g", prompt="", completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert result is None or isinstance(result, Score)
    return result


def value(completion: str, reference: JSONValue, **params: Any) -> float | None:
    result = run(completion, reference, **params)
    return None if result is None else result.value


@pytest.mark.parametrize(
    ("completion", "reference", "params", "expected"),
    [
        ("so \\boxed{1/2}", "0.5", {}, 1.0),
        ("\\boxed{\\frac{1}{2}}", "0.5", {}, 1.0),
        ("\\boxed{0.5}", "\\frac{1}{2}", {}, 1.0),
        ("\\boxed{\\dfrac{2}{4}}", "1/2", {}, 1.0),
        ("\\boxed{1+2x}", "2x+1", {}, 1.0),  # read as one expression, not as 1
        ("\\boxed{(x-1)(x+1)}", "x^2-1", {}, 1.0),
        ("\\boxed{\\sqrt{8}}", "2\\sqrt{2}", {}, 1.0),
        ("\\boxed{\\{2, 1\\}}", "\\{1, 2\\}", {}, 1.0),  # sets ignore order
        ("\\boxed{[1, 2)}", "[1, 2)", {}, 1.0),
        ("\\boxed{[1, 2]}", "[1, 2)", {}, 0.0),  # a closed end is a different interval
        ("\\boxed{3}", "4", {}, 0.0),
        ("\\boxed{3}", 3, {}, 1.0),  # a number reference
        ("\\boxed{0.3333333}", "1/3", {}, 1.0),  # equal to 6 decimals (float_rounding)
        ("\\boxed{0.33}", "1/3", {}, 0.0),
        ("\\boxed{3}", "The answer is $3$.", {}, 1.0),  # a delimited reference is read as is
        ("the answer is 3", "3", {}, 0.0),  # no box: the default extraction finds nothing
        ("The answer is $\\frac{1}{2}$.", "0.5", {"extract": "text"}, 0.0),  # prose, no box
        ("The answer is \\boxed{\\frac{1}{2}}.", "0.5", {"extract": "text"}, 1.0),  # its box
        ("$\\frac{1}{2}$", "0.5", {"extract": "text"}, 1.0),
        ("<answer>1/2</answer>", "0.5", {"extract": "answer_tag"}, 1.0),
        ("\\boxed{}", "3", {}, 0.0),  # empty box: not parseable
    ],
)
def test_math_equivalent_golden(
    completion: str, reference: JSONValue, params: dict[str, Any], expected: float
) -> None:
    assert value(completion, reference, **params) == expected


@pytest.mark.parametrize("reference", ["}{", "", "N/A", "\\operatorname{Paris}"])
def test_unparseable_reference_is_unjudgeable(reference: str) -> None:
    with pytest.raises(UnjudgeableReference, match="math_equivalent: math-verify cannot read"):
        run("\\boxed{3}", reference)


@pytest.mark.parametrize(
    ("completion", "reference"),
    [
        ("\\boxed{Pairs}", "Paris"),  # read as a*i*p*r*s: an anagram paid 1.0 before
        ("\\boxed{sPiar}", "Paris"),
        ("\\boxed{Paris}", "Paris"),  # text is not judged at all, right or wrong
        ("\\boxed{sey}", "yes"),  # e is Euler's number, y*s the rest
        ("\\boxed{yadseuT}", "Tuesday"),  # read as E*da*s*t*u*y
        ("\\boxed{\\text{Evelyn}}", "\\text{Evelyn}"),  # one symbol 'evelyn'
        ("\\boxed{forty-two}", "forty-two"),
        ("\\boxed{Pairs}", "\\boxed{Paris}"),
        ("\\boxed{on}", "No"),  # n*o: a yes/no answer, paid for "on" before
        ("\\boxed{no}", "on"),  # every word reference, two letters too
        ("\\boxed{KO}", "OK"),
        ("\\boxed{ti}", "it"),
        ("\\boxed{5}", "5 meters"),  # a unit: score with numeric and its units option
    ],
)
def test_text_reference_is_unjudgeable(completion: str, reference: str) -> None:
    with pytest.raises(UnjudgeableReference, match="is text") as raised:
        run(completion, reference)
    assert raised.value.wrong_value == 0.0


@pytest.mark.parametrize(
    ("completion", "reference", "expected"),
    [
        ("\\boxed{2yx}", "2xy", 1.0),  # two-letter runs stay products of variables
        ("\\boxed{x_{abc}}", "x_{abc}", 1.0),  # a subscript is not a word
        ("\\boxed{\\sin x}", "\\sin x", 1.0),  # a command's name is not a word
        ("\\boxed{\\infty}", "infinity", 1.0),
        ("\\boxed{42.5}", "\\$42.50", 1.0),  # an escaped dollar is currency: unreadable before
        ("\\boxed{\\$42.50}", "\\$42.50", 1.0),
        ("\\boxed{43.5}", "\\$42.50", 0.0),
    ],
)
def test_math_with_letters_is_still_judged(
    completion: str, reference: str, expected: float
) -> None:
    assert value(completion, reference) == expected


@pytest.mark.parametrize(
    ("completion", "reference", "expected"),
    [
        ("2x+1", "2x+1", 1.0),  # read as 2 before: 0.0
        ("1+2x", "$2x+1$", 1.0),
        ("2x-1", "2x+1", 0.0),
        ("2", "2x+1", 0.0),  # the leading number alone is not the answer
        ("It is 0.5", "\\frac{1}{2}", 0.0),  # prose around the math: not an answer (was 1.0)
        ("The answer is $2x+1$.", "2x+1", 0.0),
        ("The answer is \\boxed{2x+1}.", "2x+1", 1.0),
    ],
)
def test_extract_text_reads_bare_math_whole(
    completion: str, reference: str, expected: float
) -> None:
    assert value(completion, reference, extract="text") == expected


def test_float_reference_is_read_as_a_decimal() -> None:
    # str(1e-07) is "1e-07", which math-verify reads as 1*E - 7.
    assert value("\\boxed{0.0000001}", 1e-07) == 1.0
    assert value("\\boxed{1-7e}", 1e-07) == 0.0


@pytest.mark.parametrize("reference", [None, ["1"], {"a": 1}, True])
def test_malformed_reference_is_unjudgeable(reference: JSONValue) -> None:
    with pytest.raises(UnjudgeableReference, match="math_equivalent"):
        run("\\boxed{1}", reference)


def test_works_off_the_main_thread() -> None:
    # math-verify's signal-based timeout raises off the main thread unless it is switched off.
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(value("\\boxed{\\frac{1}{2}}", "0.5"))
            results.append(value("\\boxed{3}", "4"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
    assert results == [1.0, 0.0]


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "math_verify", None)  # makes the import fail
    with pytest.raises(MissingExtraError, match=r"rewardkit\[math\]"):
        run("\\boxed{1}", "1")


@pytest.mark.parametrize(
    "params", [{"float_rounding": -1}, {"float_rounding": 99}, {"extract": "nope"}, {"tol": 1}]
)
def test_bad_params_fail_at_build(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        get("math_equivalent").build_params(params)
