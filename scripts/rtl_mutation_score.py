"""Mutation scores of the RTL problems' testbenches: how many single-operator mutants of each
reference design its testbench catches.

    .venv/bin/python scripts/rtl_mutation_score.py            # all built-in problems, writes
                                                               # src/rewardkit/rewards/rtl_data/MUTATION_SCORES.md
    .venv/bin/python scripts/rtl_mutation_score.py --problems mux4 fifo4x8 --out -

A mutant is the reference with one operator changed (``+``/``-``, ``&``/``|``, ``&&``/``||``,
``^``/``~^``, ``==``/``!=``, ``<``/``<=``, ``>``/``>=``, ``<<``/``>>``), one constant or bit index
moved by one, one ``if`` condition negated or one ternary's arms swapped, renamed ``TopModule``.
Mutants that do not compile are dropped. A mutant is killed when its simulation reports a
mismatch, prints no result line, or runs past the timeout. A survivor is checked with Yosys: when
``sat`` proves it equivalent to the reference (combinational: for every input; sequential: for
every input sequence of ``--depth`` cycles after a reset, from any state), it is listed as
equivalent and left out of the score. Exit status 1 when a reference fails its own testbench or a
score is below ``--min-score``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rewardkit.errors import InputError
from rewardkit.rewards.rtl_problems import RtlProblem, as_candidate, builtin_problems, run_testbench

DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "src/rewardkit/rewards/rtl_data/MUTATION_SCORES.md"
)

_TOKEN = re.compile(
    r"//[^\n]*|/\*.*?\*/"  # comments: skipped
    r"|(?P<sized>(?P<w>\d+)'(?P<base>[bdhBDH])(?P<val>[0-9a-fA-F_xXzZ?]+))"
    r"|(?P<num>\b\d+\b)"
    r"|(?P<kw>\bif\b)"
    r"|(?P<op>===|!==|~\^|\^~|<<|>>|<=|>=|==|!=|&&|\|\||\+:|-:|[-+<>&|^?()\[\]{}:;,])",
    re.DOTALL,
)
_SWAP = {"+": "-", "-": "+", "&": "|", "|": "&", "&&": "||", "||": "&&", "^": "~^", "~^": "^",
         "==": "!=", "!=": "==", "<": "<=", ">": ">=", ">=": ">", "<<": ">>", ">>": "<<"}  # fmt: skip
_DECLARATION = re.compile(r"^\s*(reg|wire|logic|integer|localparam|parameter)\b")
_BASES = {"b": 2, "d": 10, "h": 16}


@dataclass(frozen=True)
class Mutant:
    """One mutant: what changed (``line 4: '+' -> '-'``) and the mutated source (a TopModule)."""

    change: str
    source: str


@dataclass
class Score:
    """One problem's result: mutant counts by outcome and the changes of the ones not killed."""

    name: str
    kind: str
    reference_ok: bool
    killed: int = 0
    equivalent: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    dropped: int = 0

    @property
    def scored(self) -> int:
        return self.killed + len(self.survived)

    @property
    def score(self) -> float:
        return self.killed / self.scored if self.scored else 1.0


def _header_end(source: str) -> int:
    """Where the port list ends: ports are the interface, never mutated."""
    return source.index(");", source.index("module")) + 2


def _matching(source: str, start: int, opener: str, closer: str) -> int:
    depth = 0
    for i in range(start, len(source)):
        depth += (source[i] == opener) - (source[i] == closer)
        if depth == 0:
            return i
    raise ValueError("unbalanced")


def _ternary_arms(source: str, q: int) -> tuple[int, int, int] | None:
    """(colon, end of the false arm) for the ``?`` at q, scanning at bracket depth 0."""
    depth, nested, colon = 0, 0, -1
    for i in range(q + 1, len(source)):
        c = source[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return (colon, i, q) if colon > 0 else None
            depth -= 1
        elif depth == 0 and c == "?" and colon < 0:
            nested += 1
        elif depth == 0 and c == ":" and colon < 0:
            if nested:
                nested -= 1
            else:
                colon = i
        elif depth == 0 and c in ";," and colon > 0:
            return colon, i, q
    return None


def _constant(w: str, base: str, val: str, delta: int) -> str | None:
    if any(c in val.lower() for c in "xz?"):
        return None
    value = int(val.replace("_", ""), _BASES[base.lower()]) + delta
    if value < 0 or value >= 1 << int(w):
        return None
    digits = format(value, {"b": "b", "d": "d", "h": "x"}[base.lower()])
    return f"{w}'{base}{digits.zfill(int(w)) if base.lower() == 'b' else digits}"


def mutants(ref: str) -> list[Mutant]:
    """Every single-operator mutant of ``ref`` (a RefModule), renamed TopModule.

    >>> [m.change for m in mutants("module RefModule(input a, b, output y);\\n"
    ...  "assign y = a & b;\\nendmodule")]
    ["line 2: '&' -> '|'"]
    """
    body_start = _header_end(ref)
    found: list[tuple[int, int, str, str]] = []  # start, end, replacement, change
    brackets = 0
    for m in _TOKEN.finditer(ref, body_start):
        text, start, end = m.group(0), m.start(), m.end()
        line_start = ref.rfind("\n", 0, start) + 1
        declaration = bool(_DECLARATION.match(ref[line_start:start]))
        if m.group("op") in ("[", "]"):
            brackets += 1 if text == "[" else -1
        elif m.group("sized"):
            for delta in (1, -1):
                new = _constant(m.group("w"), m.group("base"), m.group("val"), delta)
                if new:
                    found.append((start, end, new, f"{text!r} -> {new!r}"))
        elif m.group("num") and not (declaration and brackets):
            for delta in (1, -1):
                if int(text) + delta >= 0:
                    found.append(
                        (start, end, str(int(text) + delta), f"{text} -> {int(text) + delta}")
                    )
        elif m.group("kw"):
            opening = ref.index("(", end)
            close = _matching(ref, opening, "(", ")")
            cond = ref[opening + 1 : close]
            found.append((opening, close + 1, f"(!({cond}))", f"if ({cond}) negated"))
        elif text == "<=" and ref.count("(", line_start, start) <= ref.count(
            ")", line_start, start
        ):
            continue  # a non-blocking assignment, not a comparison
        elif text in _SWAP:
            found.append((start, end, _SWAP[text], f"{text!r} -> {_SWAP[text]!r}"))
        elif text == "?":
            arms = _ternary_arms(ref, start)
            if arms:
                colon, stop, q = arms
                yes, no = ref[q + 1 : colon].strip(), ref[colon + 1 : stop].strip()
                found.append((q, stop, f"? {no} : {yes}", f"ternary arms swapped ({yes} / {no})"))
    out = []
    for start, end, new, change in found:
        line = ref.count("\n", 0, start) + 1
        out.append(Mutant(f"line {line}: {change}", as_candidate(ref[:start] + new + ref[end:])))
    return out


def killed(problem: RtlProblem, mutant: Mutant, timeout: float) -> bool | None:
    """True when the testbench catches the mutant, None when the mutant does not compile."""
    try:
        mismatches, _ = run_testbench(problem, mutant.source, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    except InputError as error:
        return None if "iverilog failed" in str(error) else True
    return mismatches > 0


def proven_equivalent(problem: RtlProblem, mutant: Mutant, depth: int, timeout: float) -> bool:
    """Yosys ``sat`` proves that the mutant's outputs equal the reference's (see module doc)."""
    if problem.kind == "combinational":
        prove = "sat -verify -prove trigger 0 miter"
    else:
        prove = (
            f"sat -verify -seq {depth} -set-at 1 in_reset 1 -prove-skip 1 -prove trigger 0 miter"
        )
    script = (
        "read_verilog -sv ref.sv; read_verilog -sv top.sv; proc; memory; opt_clean; "
        "miter -equiv -flatten -make_outputs RefModule TopModule miter; hierarchy -top miter; "
        + prove
    )
    with tempfile.TemporaryDirectory(prefix="rtl_eq_") as tmp:
        (Path(tmp) / "ref.sv").write_text(problem.ref)
        (Path(tmp) / "top.sv").write_text(mutant.source)
        try:
            done = subprocess.run(
                ["yosys", "-q", "-p", script],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


def score_problem(problem: RtlProblem, timeout: float, depth: int, jobs: int) -> Score:
    """Run every mutant of ``problem``'s reference against its testbench."""
    ok = run_testbench(problem, as_candidate(problem.ref), timeout=timeout)[0] == 0
    result = Score(problem.name, problem.kind, ok)
    all_mutants = mutants(problem.ref)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outcomes = list(pool.map(lambda m: killed(problem, m, timeout), all_mutants))
    for mutant, outcome in zip(all_mutants, outcomes, strict=True):
        if outcome is None:
            result.dropped += 1
        elif outcome:
            result.killed += 1
        elif proven_equivalent(problem, mutant, depth, timeout * 6):
            result.equivalent.append(mutant.change)
        else:
            result.survived.append(mutant.change)
    return result


def table(scores: list[Score], command: str) -> str:
    """The Markdown report: one row per problem, then the totals and the mutants not killed."""
    killed_total = sum(s.killed for s in scores)
    scored_total = sum(s.scored for s in scores)
    values = sorted(s.score for s in scores)
    lines = [
        "# Mutation scores of the RTL testbenches",
        "",
        f"Written by `{command}` (see the script's docstring for the mutation operators).",
        "score = killed / (mutants - equivalent); dropped mutants did not compile and are not counted.",
        "",
        f"Problems: {len(scores)}; mutants scored: {scored_total}; killed: {killed_total} "
        f"({killed_total / max(scored_total, 1):.1%}); score min {values[0]:.1%}, "
        f"median {values[len(values) // 2]:.1%}; references passing their own testbench: "
        f"{sum(s.reference_ok for s in scores)}/{len(scores)}.",
        "",
        "| problem | kind | reference passes | mutants | killed | equivalent | survived | dropped | score |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.name} | {s.kind} | {'yes' if s.reference_ok else 'NO'} | "
            f"{s.scored + len(s.equivalent)} | {s.killed} | {len(s.equivalent)} | "
            f"{len(s.survived)} | {s.dropped} | {s.score:.1%} |"
        )
    notes = [(s.name, "equivalent", c) for s in scores for c in s.equivalent]
    notes += [(s.name, "survived", c) for s in scores for c in s.survived]
    if notes:
        lines += ["", "## Mutants not killed", ""]
        lines += [f"- {name} ({what}): {change}" for name, what, change in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--problems", nargs="*", help="names of built-in problems (default: all)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="the Markdown report, or - for stdout")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per tool call")
    p.add_argument(
        "--depth", type=int, default=24, help="cycles of the sequential equivalence check"
    )
    p.add_argument("--jobs", type=int, default=2, help="simulations in parallel")
    p.add_argument("--min-score", type=float, default=0.9)
    args = p.parse_args(argv)
    problems = builtin_problems()
    names = args.problems or sorted(problems)
    scores = []
    for name in names:
        s = score_problem(problems[name], args.timeout, args.depth, args.jobs)
        print(f"{name:20s} {s.killed:3d}/{s.scored:3d} {s.score:6.1%}", file=sys.stderr)
        scores.append(s)
    command = "scripts/rtl_mutation_score.py" + (
        f" --problems {' '.join(names)}" if args.problems else ""
    )
    report = table(scores, command)
    if args.out == "-":
        print(report, end="")
    else:
        Path(args.out).write_text(report)
    bad = [s.name for s in scores if not s.reference_ok or s.score < args.min_score]
    if bad:
        print(f"below {args.min_score:.0%} or reference failing: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
