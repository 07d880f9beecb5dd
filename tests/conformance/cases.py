"""Generated answer cases shared by the answer conformance tests (math-verify, TRL, reasoning-gym).

Every case carries a ``kind``: the family it was built from (right, wrong, malformed LaTeX, nested
boxes, unicode, ...). The tests name their intended differences by kind, so a disagreement in a
family not listed fails. Generation is seeded: the same cases on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rewardkit.errors import UnjudgeableReference
from rewardkit.types import JSONValue, Sample

PAD = "Let me think about this carefully. " * 300  # a long output: ~10,000 characters


@dataclass(frozen=True)
class Case:
    """One completion judged against one reference; ``kind`` names the family."""

    kind: str
    completion: str
    reference: JSONValue

    def sample(self) -> Sample:
        return Sample(
            id=self.kind, group="g", prompt="", completion=self.completion, reference=self.reference
        )


UNJUDGED = "unjudged"  # declines to judge: None, an UnjudgeableReference, or a peer's skip


def judge(fn: Callable[..., Any], case: Case, params: Any) -> float | str:
    """A rewardkit component on one case: its value, or UNJUDGED."""
    try:
        result = fn(case.sample(), params)
    except UnjudgeableReference:
        return UNJUDGED
    return UNJUDGED if result is None else float(result.value)


def _boxed(rng: random.Random, inner: str) -> str:
    lead = rng.choice(["", "So the answer is ", "Therefore, the final answer is ", "We get "])
    return f"{lead}$\\boxed{{{inner}}}$" if rng.random() < 0.3 else f"{lead}\\boxed{{{inner}}}"


def math_cases(seed: int = 0) -> list[Case]:
    """About 260 math answers: every family of the issue, several draws of each."""
    rng = random.Random(seed)
    out: list[Case] = []

    def add(kind: str, completion: str, reference: JSONValue) -> None:
        out.append(Case(kind, completion, reference))

    for _ in range(12):
        n = rng.randint(-999, 9999)
        add("right_int", _boxed(rng, str(n)), str(n))
        add("wrong_int", _boxed(rng, str(n + rng.choice([-1, 1, 10]))), str(n))
        add("right_int_number_reference", _boxed(rng, str(n)), n)
    for _ in range(6):
        big = rng.randint(10**9, 10**12)
        add("big_int_off_by_one", _boxed(rng, str(big + 1)), str(big))
        add("big_int_right", _boxed(rng, str(big)), str(big))
        add("thousands_separator", _boxed(rng, f"{big:,}"), str(big))
    for _ in range(8):
        a, b = rng.randint(1, 40), rng.randint(2, 41)
        add("fraction_right", _boxed(rng, f"\\frac{{{a * 2}}}{{{b * 2}}}"), f"\\frac{{{a}}}{{{b}}}")
        add("fraction_wrong", _boxed(rng, f"\\frac{{{a + 1}}}{{{b}}}"), f"\\frac{{{a}}}{{{b}}}")
        add("fraction_slash", _boxed(rng, f"{a}/{b}"), f"$\\frac{{{a}}}{{{b}}}$")
        add("decimal_vs_fraction", _boxed(rng, str(a / 4)), f"\\frac{{{a}}}{{4}}")
    for _ in range(5):
        p = rng.randint(1, 99)
        add("percent_both", _boxed(rng, f"{p}\\%"), f"{p}\\%")
        add("percent_vs_fraction", _boxed(rng, f"{p / 100}"), f"{p}\\%")
        add("units", _boxed(rng, f"{p}\\text{{ cm}}"), str(p))
        add("units_wrong", _boxed(rng, f"{p + 1}\\text{{ cm}}"), str(p))
    expressions = [
        ("2x+1", "1+2x", "2x-1"),
        ("x^2-1", "(x-1)(x+1)", "(x-1)^2"),
        ("2\\sqrt{2}", "\\sqrt{8}", "\\sqrt{2}"),
        ("\\frac{\\pi}{3}", "\\pi/3", "\\pi/6"),
        ("\\{1, 2\\}", "\\{2, 1\\}", "\\{1, 3\\}"),
        ("[1, 2)", "[1,2)", "[1, 2]"),
        ("3\\pi", "3\\pi", "3"),
        ("-\\frac{1}{2}", "-0.5", "0.5"),
    ]
    for gold, right, wrong in expressions:
        for wrap in ("${}$", "{}"):
            add(
                "expr_right" if wrap == "${}$" else "expr_bare_ref_right",
                _boxed(rng, right),
                wrap.format(gold),
            )
            add(
                "expr_wrong" if wrap == "${}$" else "expr_bare_ref_wrong",
                _boxed(rng, wrong),
                wrap.format(gold),
            )
    for _ in range(5):
        n = rng.randint(1, 99)
        add("malformed_unclosed_box", f"so \\boxed{{{n}", str(n))
        add("malformed_frac", f"\\boxed{{\\frac{{{n}}}}}", str(n))
        add("malformed_unclosed_frac", f"\\boxed{{\\frac{{{n}}}{{2}}", f"\\frac{{{n}}}{{2}}")
        add("missing_box_plain", f"The answer is {n}.", str(n))
        add("missing_box_inline_math", f"The answer is ${n}$.", str(n))
        add("answer_tag_only", f"<answer>{n}</answer>", str(n))
        add("nested_box", f"\\boxed{{\\boxed{{{n}}}}}", str(n))
        add("two_boxes_last_right", f"\\boxed{{{n + 1}}} no wait \\boxed{{{n}}}", str(n))
        add("two_boxes_first_right", f"\\boxed{{{n}}} no wait \\boxed{{{n + 1}}}", str(n))
        add("long_output_right", PAD + f"\\boxed{{{n}}}", str(n))
        add("long_output_wrong", PAD + f"\\boxed{{{n + 1}}}", str(n))
        add("unicode_minus", f"\\boxed{{\u2212{n}}}", str(-n))
        add("empty_box", "\\boxed{}", str(n))
        add("empty_completion", "", str(n))
    unicode = [
        ("\\boxed{\u00bd}", "\\frac{1}{2}"),
        ("\\boxed{\u03c0}", "\\pi"),
        ("\\boxed{2\u03c0}", "2\\pi"),
        ("\\boxed{\u221a2}", "\\sqrt{2}"),
        ("\\boxed{x\u00b2}", "x^2"),
        ("\\boxed{\u221e}", "\\infty"),
    ]
    for completion, gold in unicode:
        add("unicode_symbol", completion, gold)
    words = ["Paris", "yes", "none", "Evelyn", "undefined", "blue", "forty-two", "Tuesday"]
    for word in words:
        anagram = word[::-1] if word != "Paris" else "Pairs"
        add("text_ref_same", _boxed(rng, word), word)
        add("text_ref_anagram", _boxed(rng, anagram), word)
        add("text_ref_in_text_command", _boxed(rng, f"\\text{{{word}}}"), f"\\text{{{word}}}")
        add("text_ref_boxed", _boxed(rng, word), f"\\boxed{{{word}}}")
    for cents in (4250, 500, 1890):
        add(
            "currency_ref_right",
            _boxed(rng, str(cents / 100)),
            f"\\${cents // 100}.{cents % 100:02d}",
        )
        add(
            "currency_ref_wrong",
            _boxed(rng, str(cents / 100 + 1)),
            f"\\${cents // 100}.{cents % 100:02d}",
        )
    for gold, right in [("2x+1", "1+2x"), ("x^2-1", "(x+1)(x-1)"), ("\\frac{1}{2}", "0.5")]:
        add("bare_answer", right, f"${gold}$")
        add("bare_answer_sentence", f"It is {right}", f"${gold}$")
    for gold in ["", "N/A", "}{", "\\frac{1}{"]:
        add("unreadable_ref", "\\boxed{1}", gold)
    return out


def numeric_cases(answers: list[str], seed: int = 0) -> list[Case]:
    """Answers to arithmetic items written the ways models write them; ``answers`` are the
    datasets' reference strings (integers)."""
    rng = random.Random(seed)
    out: list[Case] = []
    forms: list[tuple[str, Callable[[int], str]]] = [
        ("right", str),
        ("wrong_by_one", lambda n: str(n + 1)),
        ("plus_sign", lambda n: f"+{n}" if n >= 0 else str(n)),
        ("leading_zeros", lambda n: f"{'-' if n < 0 else ''}00{abs(n)}"),
        ("trailing_decimals", lambda n: f"{n}.00"),
        ("near_integer", lambda n: f"{n}.0000000001"),
        ("thousands_separator", lambda n: f"{n:,}"),
        ("surrounding_space", lambda n: f"  {n} "),
        ("unicode_minus", lambda n: str(n).replace("-", "\u2212")),
        ("sentence", lambda n: f"The answer is {n}"),
        ("units", lambda n: f"{n} apples"),
        ("dollar", lambda n: f"${n}"),
        ("percent", lambda n: f"{n}%"),
        ("fraction_of_double", lambda n: f"{2 * n}/2"),
        ("scientific", lambda n: f"{n}e0"),
        ("underscore_digits", lambda n: f"{n:_}"),
        ("words", lambda n: "forty-two"),
        ("empty", lambda n: ""),
        ("two_numbers", lambda n: f"{n} or {n + 1}"),
    ]
    for answer in answers:
        n = int(answer)
        name, form = rng.choice(forms)
        out.append(Case(name, form(n), answer))
        out.append(Case("right", str(n), answer))
    return out


def word_cases(answers: list[str], seed: int = 0) -> list[Case]:
    """Answers to word tasks (a word spelled backward, a sorted word list) written the ways
    models write them; ``answers`` are the datasets' reference strings."""
    rng = random.Random(seed)
    forms: list[tuple[str, Callable[[str], str]]] = [
        ("right", str),
        ("upper_case", str.upper),
        ("surrounding_space", lambda a: f" {a}\n"),
        ("trailing_period", lambda a: a + "."),
        ("sentence", lambda a: f"The answer is {a}"),
        ("truncated", lambda a: a[: max(1, len(a) // 2)]),
        ("swapped", lambda a: a[1] + a[0] + a[2:] if len(a) > 1 else a + a),
        ("reversed", lambda a: a[::-1] if a[::-1] != a else a + "x"),
        ("no_space_after_comma", lambda a: a.replace(", ", ",")),
        ("double_space", lambda a: a.replace(" ", "  ") if " " in a else a + "  x"),
        ("empty", lambda a: ""),
    ]
    out: list[Case] = []
    for answer in answers:
        name, form = rng.choice(forms)
        out.append(Case(name, form(answer), answer))
        out.append(Case("right", answer, answer))
    return out


MATH_DELIMITERS = ("$", "\\boxed", "\\(", "\\[")


def read_differently_bare(text: str) -> bool:
    """Whether math-verify reads ``text`` (no math delimiters) differently alone and boxed:
    alone it reads a bare "2x+1" as 2 and "\\pi" as nothing, boxed as one expression."""
    import math_verify

    if any(d in text.replace("\\$", "") for d in MATH_DELIMITERS):
        return False  # an escaped dollar is currency, not a delimiter
    alone = math_verify.parse(text, parsing_timeout=None)
    boxed = math_verify.parse("\\boxed{" + text + "}", parsing_timeout=None)
    return str(alone) != str(boxed)
