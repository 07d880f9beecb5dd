"""A seeded generator of wrong and right answers for every (reference, right answer) pair.

For a reference value it writes the right answer in every form the grammar accepts
(docs/answers.md) and wrong answers in every class the strict-answers issue found paid: words
after the number (hedges, disowning, scale words, units not asked for), several values in one
answer (words and symbols), a fraction's or a function's parts, a dash that is not a minus, the
prompt's own expression, several different boxes or tags, and numbers just outside a tolerance.
Each case carries its class, so a failure names it. The classes are built from the value, never
from a list of known strings: a new reference gets the same treatment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

COUNTS: list[str] = []
"""One line per generator run (component, references, counts), printed at the end of pytest."""

WRAPS = {
    "text": "{}",
    "answer_tag": "<think>Let me work it out.</think>\n<answer>{}</answer>",
    "boxed": "So the final answer is $\\boxed{{{}}}$.",
}


@dataclass(frozen=True)
class Variant:
    """One answer: ``span`` is what goes inside the wrapper; ``right`` says whether to pay."""

    kind: str
    span: str
    right: bool
    prompt: str = ""


def plain(x: Fraction) -> str:
    """``x`` as an integer or a terminating decimal when it is one, else ``a/b``."""
    if x.denominator == 1:
        return str(x.numerator)
    for k in range(1, 40):  # a terminating decimal, written exactly
        if (10**k) % x.denominator == 0:
            digits = str(abs(x.numerator) * (10**k // x.denominator)).rjust(k + 1, "0")
            sign = "-" if x < 0 else ""
            return f"{sign}{digits[:-k]}.{digits[-k:]}".rstrip("0")
    return f"{x.numerator}/{x.denominator}"


def right_forms(r: Fraction) -> list[Variant]:
    """The right answer in every accepted form."""
    p = plain(r)
    forms = [p, f"\\boxed{{{p}}}", f"${p}$", f"**{p}**", f"x = {p}", f"{p}."]
    if r.denominator == 1:
        n = r.numerator
        if abs(n) >= 1000:
            forms += [f"{n:,}", f"{n:,}".replace(",", "{,}")]
        forms += [f"{n}.0", f"{n}e0"]
        if n and n % 10 == 0:
            forms += [f"{n / 10:g}e1", f"{n / 10:g} \\times 10^{{1}}", f"{n / 10:g} \\cdot 10^1"]
    else:
        a, b = abs(r.numerator), r.denominator
        sign = "-" if r < 0 else ""
        forms += [f"{sign}\\frac{{{a}}}{{{b}}}", f"{sign}\\dfrac{{{a}}}{{{b}}}", f"{sign}{a}/{b}"]
        forms += [f"\\frac{{{sign}{a}}}{{{b}}}", f"{float(r)!r}" if len(repr(float(r))) < 12 else p]
        if a > b:
            whole, rest = divmod(a, b)
            if rest:
                forms += [f"{sign}{whole} {rest}/{b}", f"{sign}{whole}\\frac{{{rest}}}{{{b}}}"]
    if r < 0:
        forms += ["\u2212" + p[1:], "\u2013" + p[1:]]  # the Unicode minus and an en dash
    return [Variant("right", f, True) for f in dict.fromkeys(forms)]


def wrong_forms(r: Fraction, rng: random.Random) -> list[Variant]:
    """Wrong answers in every class, each built around the right value ``r``."""
    p = plain(r)
    w = plain(r + rng.choice([1, 2, -1, 3]))
    out = [
        Variant("words_after", f"{p} is wrong", False),
        Variant("words_after", f"{p} or {w}", False),
        Variant("words_after", f"{w} or {p}", False),
        Variant("words_after", f"{p} or maybe {w}", False),
        Variant("words_after", f"either {w} or {p}", False),
        Variant("words_after", f"{p} and {w}", False),
        Variant("disown", f"not {p}", False),
        Variant("disown", f"{p}? No.", False),
        Variant("disown", f"{p} is not the answer", False),
        Variant("scale_word", f"{p} million", False),
        Variant("scale_word", f"{p} thousand", False),
        Variant("unit_not_asked", f"{p} cm", False),
        Variant("unit_not_asked", f"{p} squared", False),
        Variant("symbol_hedge", f"{w} \\lor {p}", False),
        Variant("symbol_hedge", f"{w} \\cup {p}", False),
        Variant("symbol_hedge", f"{p} \\land {w}", False),
        Variant("symbol_hedge", f"{w} \\vee {p}", False),
        Variant("two_values", f"{w}, {p}", False),
        Variant("two_values", f"{w}; {p}", False),
        Variant("fraction_part", f"\\frac{{x}}{{{p}}}", False),
        Variant("fraction_part", f"\\frac{{{p}}}{{x}}", False),
        Variant("function_part", f"\\log_2 {p}", False),
        Variant("function_part", f"\\sqrt{{{p}}}", False),
        Variant("function_part", f"{p}^{{2}}", False),
        Variant("function_part", f"2^{{{p}}}", False),
        Variant("em_dash", "\u2014" + p.lstrip("-"), False),
    ]
    if r > 0:
        out.append(Variant("dash_is_minus", "\u2013" + p, False))  # -r, not r
    if r.denominator == 1 and 10 <= r.numerator <= 99 and r.numerator % 10:
        tens, units = divmod(r.numerator, 10)
        out.append(Variant("fraction_part", f"\\frac{tens}{units}", False))  # tens/units
    if r not in (0, 1, -1):
        out.append(Variant("fraction_part", f"\\frac{{1}}{{{p}}}", False))
        out.append(Variant("fraction_part", f"\\frac{{-3}}{{{p}}}", r == Fraction(-3) / r))
    out += echo_forms(r, rng)
    return [v for v in out if not v.right]


def echo_forms(r: Fraction, rng: random.Random) -> list[Variant]:
    """The prompt's own expression as the answer: "What is a / b?" answered "a / b"."""
    b = rng.randint(2, 12)
    if b == r.denominator:
        b *= 2  # a / b would be the reference's own literal form, which is an answer
    a, c = r * b, rng.randint(2, 9)
    out = []
    if a.denominator == 1:
        prompt = f"What is {a.numerator} / {b}?"
        out += [
            Variant("echo", f"{a.numerator} / {b}", False, prompt),
            Variant("echo", f"{a.numerator}/{b}", False, prompt),
            Variant("echo", f"\\frac{{{a.numerator}}}{{{b}}}", False, prompt),
        ]
    s = r - c
    if s.denominator == 1:
        prompt = f"Compute {plain(s)} + {c}."
        out.append(Variant("echo", f"{plain(s)} + {c}", False, prompt))
    return out


def tolerance_forms(r: Fraction, rel_tol: Fraction) -> list[Variant]:
    """Numbers just inside and just outside ``|a - r| <= rel_tol * |r|``."""
    edge = rel_tol * abs(r)
    step = max(edge / 1000, Fraction(1, 10**6))
    return [
        Variant("inside_tolerance", plain(r + edge), True),
        Variant("inside_tolerance", plain(r - edge), True),
        Variant("outside_tolerance", plain(r + edge + step), False),
        Variant("outside_tolerance", plain(r - edge - step), False),
        Variant("outside_tolerance", plain(2 * r), r == 0),  # rel_tol was against the larger
    ]


def references(rng: random.Random, n: int) -> list[Fraction]:
    """``n`` reference values: small and large integers, negatives, decimals, fractions."""
    makers = [
        lambda: Fraction(rng.randint(2, 99)),
        lambda: Fraction(rng.randint(1000, 10**7)),
        lambda: Fraction(-rng.randint(2, 500)),
        lambda: Fraction(rng.randint(1, 999), 100),
        lambda: Fraction(rng.randint(1, 9), rng.choice([3, 4, 7, 8])),
        lambda: Fraction(-rng.randint(1, 30), 4),
        lambda: Fraction(rng.randint(5, 40), 3),
    ]
    out: list[Fraction] = []
    while len(out) < n:
        r = rng.choice(makers)()
        if r not in (0, 1, -1):
            out.append(r)
    return out
