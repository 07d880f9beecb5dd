"""Adversarial generation against every value-checking component (``adversarial.py``).

Every wrong variant of every generated reference must score below the right answer; every right
variant in a form the grammar accepts must be paid. The fast tier draws a few hundred cases per
component; the slow tier (``-m slow``) thousands. The counts go to the end of the pytest run.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from tests.rewards.adversarial import (
    COUNTS,
    WRAPS,
    Variant,
    plain,
    references,
    right_forms,
    tolerance_forms,
    wrong_forms,
)

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import get
from rewardkit.types import Sample


def score(
    fn_name: str, params: dict[str, Any], variant: Variant, reference: str, wrap: str
) -> float:
    component = get(fn_name)
    sample = Sample(
        "0", "g", prompt=variant.prompt or "Answer the question.",
        completion=WRAPS[wrap].format(variant.span), reference=reference,
    )  # fmt: skip
    result = component.fn(sample, component.build_params({"extract": wrap, **params}))
    return float(getattr(result, "value", result))


def run(
    fn_name: str,
    params: dict[str, Any],
    n: int,
    seed: int,
) -> tuple[Counter[str], list[tuple[str, str, str, float]], list[tuple[str, str, str]]]:
    """Score every variant of ``n`` references under every extraction: (counts, paid, refused)."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    paid, refused = [], []
    for r in references(rng, n):
        reference = plain(r)
        variants = right_forms(r) + wrong_forms(r, rng)
        for wrap in WRAPS:
            top = score(fn_name, params, Variant("right", reference, True), reference, wrap)
            for v in variants:
                value = score(fn_name, params, v, reference, wrap)
                if v.right:
                    counts["right"] += 1
                    if value < top:
                        refused.append((wrap, v.span, reference))
                elif not v.right:
                    counts["wrong"] += 1
                    if value >= top:
                        paid.append((wrap, v.kind, v.span, value))
    counts["paid"], counts["refused"] = len(paid), len(refused)
    COUNTS.append(f"{fn_name} (seed {seed}, {n} references): {dict(counts)}")
    return counts, paid, refused


@pytest.fixture(autouse=True)
def _quiet_math_verify() -> None:
    logging.getLogger("math_verify").setLevel(logging.ERROR)


def check(fn_name: str, params: dict[str, Any], n: int, seed: int) -> None:
    counts, paid, refused = run(fn_name, params, n, seed)
    assert counts["wrong"] >= 20 * n
    assert paid == []
    assert refused == []


@pytest.mark.parametrize("fn_name", ["numeric", "numeric_error"])
def test_numeric_pays_no_wrong_answer_and_every_right_form(fn_name: str) -> None:
    check(fn_name, {}, n=8, seed=0)


def test_math_equivalent_pays_no_wrong_answer_and_every_right_form() -> None:
    check("math_equivalent", {}, n=4, seed=0)


@pytest.mark.parametrize("rel_tol", [0.5, 0.1, 0.01])
def test_tolerance_is_relative_to_the_reference(rel_tol: float) -> None:
    rng = random.Random(1)
    for r in references(rng, 30):
        tol = Fraction(str(rel_tol))  # 0.1 as written, a hair below the float 0.1
        for v in tolerance_forms(r, tol):
            got = score("numeric", {"rel_tol": rel_tol}, v, plain(r), "text")
            assert got == float(v.right), (v, plain(r))


@pytest.mark.slow
@pytest.mark.parametrize("fn_name", ["numeric", "numeric_error", "math_equivalent"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thousands_of_variants(fn_name: str, seed: int) -> None:
    check(fn_name, {}, n=12 if fn_name == "math_equivalent" else 60, seed=seed)


ISSUE_EXAMPLES = [
    # (component, completion, reference, prompt, params, value): one per class the issue found
    ("numeric", "<answer>84 is wrong</answer>", 84, "", {"extract": "answer_tag"}, 0.0),
    ("numeric", "<answer>84 or eighty-five</answer>", 84, "", {"extract": "answer_tag"}, 0.0),
    ("numeric", "3 million", 3, "", {}, 0.0),
    ("numeric", "5 squared", 5, "", {}, 0.0),
    ("numeric", "so \\frac{-3}{4}", 4, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \\frac {3}{4}", 4, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \\cfrac{3}{4}", 4, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \\frac{x}{4}", 4, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \\frac34", 34, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so 2 \\frac{1}{2}", 0.5, "", {"extract": "last_number"}, 0.0),
    ("numeric", "2 1/2 cups", 0.5, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \\log_2 8", 8, "", {"extract": "last_number"}, 0.0),
    ("numeric", "so \u20137", 7, "", {"extract": "last_number"}, 0.0),
    ("numeric", "200", 100, "", {"rel_tol": 0.5}, 0.0),
    ("numeric", "111", 100, "", {"rel_tol": 0.1}, 0.0),
    ("json_match", '{"a": 200}', {"a": 100}, "", {"rel_tol": 0.5}, 0.0),
    ("math_equivalent", "\\boxed{41 \\lor 42}", "42", "", {}, 0.0),
    ("math_equivalent", "\\boxed{41 \\cup 42}", "42", "", {}, 0.0),
    ("math_equivalent", "\\boxed{41 \\land 42}", "42", "", {}, 0.0),
    ("math_equivalent", "\\boxed{What is 1/4 as a decimal?}", "0.25", "", {}, 0.0),
    ("numeric", "<answer>84 / 12</answer>", 7, "What is 84 / 12?", {"extract": "answer_tag"}, 0.0),
    ("math_equivalent", "\\boxed{84 / 12}", "7", "What is 84 / 12?", {}, 0.0),
    (
        "numeric",
        "<answer>1/4</answer>",
        0.25,
        "What is 1/4 as a decimal?",
        {"extract": "answer_tag"},
        0.0,
    ),
    # right answers refused before
    ("numeric", "<answer>x = 42</answer>", 42, "", {"extract": "answer_tag"}, 1.0),
    ("numeric", "<answer>\\boxed{42}</answer>", 42, "", {"extract": "answer_tag"}, 1.0),
    ("numeric", "<answer>**42**</answer>", 42, "", {"extract": "answer_tag"}, 1.0),
    ("numeric", "1.5 \\times 10^{3}", 1500, "", {}, 1.0),
    ("numeric", "3 million", 3_000_000, "", {"units": {"million": 1_000_000}}, 1.0),
    ("iou", "[0,0,1e1,1e1]", [0, 0, 10, 10], "", {}, 1.0),
    ("math_equivalent", "\\boxed{2 1/2}", "5/2", "", {}, 1.0),  # math-verify alone: 2 * 1/2
]


@pytest.mark.parametrize(("fn_name", "completion", "reference", "prompt", "params", "expected"),
                         ISSUE_EXAMPLES)  # fmt: skip
def test_the_issue_examples(
    fn_name: str, completion: str, reference: Any, prompt: str, params: dict[str, Any],
    expected: float,
) -> None:  # fmt: skip
    component = get(fn_name)
    sample = Sample("0", "g", prompt=prompt, completion=completion, reference=reference)
    result = component.fn(sample, component.build_params(params))
    assert float(getattr(result, "value", result)) == expected


@pytest.mark.parametrize("reference", ["on", "OK", "it"])
def test_math_equivalent_declines_word_references(reference: str) -> None:
    component = get("math_equivalent")
    sample = Sample("0", "g", prompt="", completion="\\boxed{no}", reference=reference)
    with pytest.raises(UnjudgeableReference, match="is text"):
        component.fn(sample, component.build_params({}))


@pytest.mark.parametrize("fn_name", ["numeric", "math_equivalent", "exact_match"])
def test_an_answer_only_the_environment_wrote_is_never_paid(fn_name: str) -> None:
    """The trajectory class: every right form, written only in a tool result or in the model's
    own tool-call arguments, earns nothing; the same form in the model's last turn is paid."""
    rng = random.Random(3)
    component = get(fn_name)
    params = component.build_params({"extract": "answer_tag"})
    seen = 0
    for r in references(rng, 6):
        reference = plain(r)
        for v in right_forms(r):
            tagged = f"<answer>{v.span}</answer>"
            call = {"function": {"name": "echo", "arguments": {"text": tagged}}}
            head = [
                {"role": "user", "content": v.prompt or "Answer the question."},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": tagged},
            ]
            for last, paid in (("I do not know.", False), (tagged, True)):
                sample = Sample.from_trajectory(
                    [*head, {"role": "assistant", "content": last}], reference=reference
                )
                result = component.fn(sample, params)
                value = float(getattr(result, "value", result) or 0.0)
                top = float(getattr(component.fn(Sample(
                    "0", "g", prompt="p", completion=f"<answer>{reference}</answer>",
                    reference=reference), params), "value", 1.0))  # fmt: skip
                assert (value >= top) == paid or (paid and fn_name == "exact_match"), (
                    fn_name,
                    v.span,
                    last,
                    value,
                )
                seen += 1
    assert seen >= 12
