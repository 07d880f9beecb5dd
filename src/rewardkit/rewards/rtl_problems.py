"""RTL problems: a task in words, a reference design and a self-checking testbench.

A problem is three files in one folder, VerilogEval v2's layout, so one loader reads the built-in
set and a public set a user has locally::

    <name>_prompt.txt   the task, with the exact interface ``module TopModule(...)`` to write
    <name>_ref.sv       the reference, ``module RefModule(...)`` with the same ports
    <name>_test.sv      ``module tb``: drives both, compares every output, prints exactly one line
                        ``Mismatches: <m> in <n> samples`` and calls ``$finish``

The built-in set (``rtl_data/``, 40+ problems written for rewardkit) has its testbenches scored by
mutation: see ``rtl_data/MUTATION_SCORES.md`` and ``scripts/rtl_mutation_score.py``.

>>> problems = builtin_problems()
>>> problems["mux2"].kind, problems["counter_updown"].kind
('combinational', 'sequential')
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rewardkit.errors import InputError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Kind = Literal["combinational", "sequential"]

SUFFIXES = {"prompt": "_prompt.txt", "ref": "_ref.sv", "test": "_test.sv"}

# The one line a testbench prints; anchored so that a longer line that merely contains it is not read.
MISMATCH_LINE = re.compile(r"^Mismatches: (\d+) in (\d+) samples$", re.MULTILINE)

# A clock edge or a flip-flop block in the reference makes a problem sequential.
_SEQUENTIAL = re.compile(r"\b(posedge|negedge|always_ff)\b")


@dataclass(frozen=True)
class RtlProblem:
    """One problem: ``prompt`` (task and ``TopModule`` interface), ``ref`` (``RefModule``),
    ``test`` (``module tb``) as source text, and ``kind``, read from the reference.

    >>> p = RtlProblem("inv", "Write TopModule.", "module RefModule(input a, output y); "
    ...                "assign y = ~a; endmodule", "module tb; endmodule", "combinational")
    >>> p.name, p.kind
    ('inv', 'combinational')
    """

    name: str
    prompt: str
    ref: str
    test: str
    kind: Kind


def kind_of(ref: str) -> Kind:
    """``"sequential"`` when the reference has a clock edge or an ``always_ff`` block.

    >>> kind_of("always @(posedge clk) q <= d;"), kind_of("assign y = a & b;")
    ('sequential', 'combinational')
    """
    return "sequential" if _SEQUENTIAL.search(_strip_comments(ref)) else "combinational"


def _strip_comments(source: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.DOTALL)


def load_problems(folder: str | os.PathLike[str] | Traversable) -> dict[str, RtlProblem]:
    """Every problem in ``folder`` (VerilogEval v2's layout), by name, sorted by name.

    Files that end in none of the three suffixes (VerilogEval's ``*_ifc.txt``, a README) are
    ignored. A folder with no problem, or a problem missing one of its files, is an InputError
    that names every missing file.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for suffix in ("_prompt.txt", "_ref.sv", "_test.sv"):
    ...     _ = (d / f"Prob001_zero{suffix}").write_text("module RefModule(); endmodule")
    >>> list(load_problems(d))
    ['Prob001_zero']
    """
    root: Traversable = Path(folder) if isinstance(folder, (str, os.PathLike)) else folder
    if not root.is_dir():
        raise InputError(f"RTL problem folder {str(root)!r} does not exist or is not a folder")
    files = {entry.name: entry for entry in root.iterdir() if entry.is_file()}
    names = sorted(
        {
            name[: -len(suffix)]
            for name in files
            for suffix in SUFFIXES.values()
            if name.endswith(suffix)
        }
    )
    if not names:
        raise InputError(
            f"no RTL problem in {str(root)!r}: expected files named <name>_prompt.txt, "
            "<name>_ref.sv and <name>_test.sv (VerilogEval v2's layout)"
        )
    missing = [name + s for name in names for s in SUFFIXES.values() if name + s not in files]
    if missing:
        raise InputError(
            f"incomplete RTL problems in {str(root)!r}: missing {', '.join(missing)} "
            "(each problem needs <name>_prompt.txt, <name>_ref.sv and <name>_test.sv)"
        )
    problems = {}
    for name in names:
        text = {part: files[name + s].read_text(encoding="utf-8") for part, s in SUFFIXES.items()}
        problems[name] = RtlProblem(
            name, text["prompt"], text["ref"], text["test"], kind_of(text["ref"])
        )
    return problems


def builtin_problems() -> dict[str, RtlProblem]:
    """The problems shipped with rewardkit (``rewardkit/rewards/rtl_data``), by name.

    >>> len(builtin_problems()) >= 40
    True
    """
    return load_problems(resources.files("rewardkit.rewards") / "rtl_data")


def parse_mismatches(output: str) -> tuple[int, int] | None:
    """``(mismatches, samples)`` from a testbench's output, or None unless exactly one line says so.

    >>> parse_mismatches("Mismatches: 2 in 40 samples\\n")
    (2, 40)
    >>> parse_mismatches("Mismatches: 0 in 9 samples\\nMismatches: 0 in 9 samples\\n") is None
    True
    """
    found = MISMATCH_LINE.findall(output)
    if len(found) != 1:
        return None
    return int(found[0][0]), int(found[0][1])


def run_testbench(problem: RtlProblem, candidate: str, timeout: float = 10.0) -> tuple[int, int]:
    """Compile ``problem``'s testbench, reference and ``candidate`` (a ``TopModule``) with Icarus
    Verilog and simulate; ``(mismatches, samples)``.

    For trusted designs only (the built-in references and their mutants, in tests and
    ``scripts/rtl_mutation_score.py``): nothing is confined beyond ``timeout`` seconds per tool
    call. The rewards run candidates through ``rtl_tools``. A compile error or an output without
    the one mismatch line is an InputError; a run past ``timeout`` is ``subprocess.TimeoutExpired``.
    """
    with tempfile.TemporaryDirectory(prefix="rtl_") as tmp:
        work = Path(tmp)
        for file, text in (("test.sv", problem.test), ("ref.sv", problem.ref)):
            (work / file).write_text(text, encoding="utf-8")
        (work / "top.sv").write_text(candidate, encoding="utf-8")
        compile_cmd = ["iverilog", "-g2012", "-o", "sim.vvp", "test.sv", "ref.sv", "top.sv"]
        built = subprocess.run(
            compile_cmd, cwd=work, capture_output=True, text=True, timeout=timeout
        )
        if built.returncode != 0:
            raise InputError(f"{problem.name}: iverilog failed:\n{built.stderr.strip()[-2000:]}")
        ran = subprocess.run(
            ["vvp", "-n", "sim.vvp"], cwd=work, capture_output=True, text=True, timeout=timeout
        )
    counts = parse_mismatches(ran.stdout)
    if counts is None:
        raise InputError(
            f"{problem.name}: the testbench printed no single 'Mismatches: <m> in <n> samples' "
            f"line (exit {ran.returncode}):\n{ran.stdout[-2000:]}"
        )
    return counts


def as_candidate(ref: str) -> str:
    """A reference renamed to the candidate's module name, ``RefModule`` -> ``TopModule``.

    >>> as_candidate("module RefModule(input a); endmodule")
    'module TopModule(input a); endmodule'
    """
    return re.sub(r"\bRefModule\b", "TopModule", ref)
