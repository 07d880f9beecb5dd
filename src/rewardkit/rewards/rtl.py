"""RTL rewards (ChipSeek-R1): syntax, function and PPA of a Verilog design, from real tools.

- ``rtl_syntax``: 1 when Icarus Verilog parses and elaborates the design alone with
  ``TopModule`` as its root, else 0 (first error line in ``info["error"]``).
- ``rtl_function``: ``method: testbench`` (default) simulates the problem's self-checking
  testbench and pays 1 - mismatches / samples (``mode: all``: 1 only with no mismatch);
  ``method: equivalence`` simulates a testbench generated from the reference's ports instead:
  ``cycles`` random cycles from ``seed`` after each combination of reset inputs (CodeV-R1).
- ``rtl_ppa``: synthesises with Yosys to ``rtl_cells.lib`` and pays
  sum_k w_k * min(ref_k / cand_k, 1) / sum_k w_k over area, cell count and logic depth (the
  longest combinational path in cell delays), only when the function passes with no mismatch
  (else 0, ``info["error"] = "function_failed"``).

The reference is ``{"problem": NAME}`` (the built-in set, or a folder of VerilogEval v2's layout
given as ``problems_dir``) or inline ``{"ref": "module RefModule...", "test": "module tb..."}``
(``test`` is optional with ``method: equivalence``). The design is the completion's last
```verilog (or sv, systemverilog, v) fenced block, else its last fenced block, else the whole
text. Refused designs (see ``rtl_scan.refusal``) score 0 everywhere. See docs/rtl.md.

>>> extract_verilog("Here:\\n```verilog\\nmodule TopModule; endmodule\\n```")
'module TopModule; endmodule'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards import rtl_tools as tools
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.rtl_equiv import equivalence_bench, ports_of
from rewardkit.rewards.rtl_netlist import PpaMetrics, ppa_metrics, synth_script
from rewardkit.rewards.rtl_problems import (
    RtlProblem,
    builtin_problems,
    kind_of,
    load_problems,
    parse_mismatches,
)
from rewardkit.rewards.rtl_scan import refusal
from rewardkit.types import Sample, Score

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_VERILOG_TAGS = {"verilog", "systemverilog", "sv", "v"}
RESERVED = ("tb", "RefModule")


class RtlParams(ExtractParams):
    """Where problems come from and how long a tool may run."""

    problems_dir: str | None = Field(None, description="folder in VerilogEval v2's layout")
    time_limit: float = Field(10.0, gt=0, le=120, description="seconds per tool call")
    memory_limit_mb: int = Field(1024, ge=256, le=65536, description="address space per process")


class FunctionParams(RtlParams):
    """``rtl_function``: testbench or random-simulation equivalence, fraction or all-or-nothing."""

    method: Literal["testbench", "equivalence"] = "testbench"
    mode: Literal["fraction", "all"] = "fraction"
    seed: int = Field(1, ge=0, lt=2**31, description="equivalence: random stimulus seed")
    cycles: int = Field(200, ge=1, le=100_000, description="equivalence: cycles per reset case")


class PpaParams(FunctionParams):
    """``rtl_ppa``: weights of area, cell count and logic depth (the function gate's options too)."""

    area: float = Field(1.0, ge=0)
    cells: float = Field(0.0, ge=0)
    depth: float = Field(1.0, ge=0)


def extract_verilog(text: str, p: ExtractParams | None = None) -> str | None:
    """The design in ``text``: the last Verilog fenced block, else the last block, else all.

    >>> extract_verilog("```python\\nx\\n```\\n```sv\\nmodule A; endmodule\\n```")
    'module A; endmodule'
    """
    part = extract_answer(text, p or ExtractParams())
    if part is None:
        return None
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(part)]
    if blocks:
        verilog = [body for tag, body in blocks if tag in _VERILOG_TAGS]
        part = (verilog or [body for _, body in blocks])[-1]
    design = part.strip("\n")
    return design if design.strip() else None


@functools.lru_cache(maxsize=16)
def _problem_set(folder: str | None) -> dict[str, RtlProblem]:
    return builtin_problems() if folder is None else load_problems(folder)


def problem_of(sample: Sample, p: RtlParams) -> RtlProblem | None:
    """The sample's problem; None without a reference; UnjudgeableReference when malformed."""
    ref = sample.reference
    if ref is None:
        return None
    if not isinstance(ref, Mapping):
        raise UnjudgeableReference(
            f'RTL reference of sample {sample.id!r} must be {{"problem": NAME}} or '
            f'{{"ref": "module RefModule ...", "test": "module tb ..."}}, got {type(ref).__name__}'
        )
    if "problem" in ref:
        problems = _problem_set(p.problems_dir)
        name = str(ref["problem"])
        if name not in problems:
            where = p.problems_dir or "the built-in set"
            raise UnjudgeableReference(f"no RTL problem {name!r} in {where} (sample {sample.id!r})")
        return problems[name]
    if "ref" in ref:
        text = str(ref["ref"])
        return RtlProblem(
            "inline", str(sample.prompt), text, str(ref.get("test", "")), kind_of(text)
        )
    raise UnjudgeableReference(
        f"RTL reference of sample {sample.id!r} has neither 'problem' nor 'ref' (keys: {sorted(ref)})"
    )


@dataclass(frozen=True)
class Verdict:
    """One tool outcome for one design: a value in [0, 1] and what to log."""

    value: float
    info: dict[str, Any]

    def score(self) -> Score:
        return Score(self.value, info=self.info)


def _first_error(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if "rror" in line] or lines
    return wanted[0][:300] if wanted else "no output"


def _design(sample: Sample, p: RtlParams) -> tuple[str | None, Verdict | None]:
    design = extract_verilog(sample.model_text, p)
    if design is None:
        return None, Verdict(0.0, {"error": "no_design"})
    why = refusal(design, RESERVED)
    if why is not None:
        return None, Verdict(0.0, {"error": "refused", "detail": why})
    return design, None


def _syntax_job(design: str, p: RtlParams) -> tools.Job:
    argv = (tools.tool("iverilog"), "-g2012", "-t", "null", "-s", "TopModule", "design.sv")
    return tools.Job(
        (("design.sv", design),), (tools.Step(argv, p.time_limit),), memory_mb=p.memory_limit_mb
    )


def syntax_verdicts(samples: Sequence[Sample], p: RtlParams) -> list[Verdict | Exception]:
    """One syntax verdict per sample (all samples' jobs run together)."""
    return _run_per_sample(samples, p, lambda s: (None, _syntax_job), _syntax_verdict)


def _syntax_verdict(result: tools.JobResult, problem: Any) -> Verdict:
    if result.ok:
        return Verdict(1.0, {})
    step = result.last
    if step.timed_out:
        return Verdict(0.0, {"error": "timeout"})
    return Verdict(0.0, {"error": "syntax", "detail": _first_error(step.stderr + step.stdout)})


def _bench_for(problem: RtlProblem, p: FunctionParams) -> str:
    if p.method == "equivalence":
        return equivalence_bench(ports_of(problem.ref, p.time_limit), p.seed, p.cycles)
    if not problem.test.strip():
        raise UnjudgeableReference(
            f"RTL problem {problem.name!r} has no testbench: give 'test' or use method: equivalence"
        )
    return problem.test


def _function_job(problem: RtlProblem, p: FunctionParams) -> Any:
    bench = _bench_for(problem, p)

    def job(design: str, p: RtlParams) -> tools.Job:
        files = (("tb.sv", bench), ("ref.sv", problem.ref), ("design.sv", design))
        compile_ = (tools.tool("iverilog"), "-g2012", "-s", "tb", "-o", "sim.vvp")
        steps = (
            tools.Step((*compile_, "tb.sv", "ref.sv", "design.sv"), p.time_limit),
            tools.Step((tools.tool("vvp"), "-n", "sim.vvp"), p.time_limit),
        )
        return tools.Job(files, steps, memory_mb=p.memory_limit_mb)

    return job


def function_verdicts(samples: Sequence[Sample], p: FunctionParams) -> list[Verdict | Exception]:
    """One function verdict per sample: ``info`` has mismatches and samples when simulated."""

    def plan(sample: Sample) -> tuple[RtlProblem | None, Any]:
        problem = problem_of(sample, p)
        return problem, (_function_job(problem, p) if problem is not None else None)

    def verdict(result: tools.JobResult, problem: Any) -> Verdict:
        step = result.last
        if step.timed_out:
            return Verdict(0.0, {"error": "timeout"})
        if len(result.steps) == 1 and not result.ok:
            return Verdict(0.0, {"error": "compile", "detail": _first_error(step.stderr)})
        counts = parse_mismatches(step.stdout)
        if counts is None or counts[1] == 0:
            return Verdict(0.0, {"error": "no_verdict", "detail": _first_error(step.stdout)})
        m, n = counts
        value = float(m == 0) if p.mode == "all" else 1.0 - m / n
        return Verdict(value, {"mismatches": m, "samples": n})

    return _run_per_sample(samples, p, plan, verdict)


def _run_per_sample(samples: Sequence[Sample], p: RtlParams, plan: Any, verdict: Any) -> list[Any]:
    """Plan a job per sample (``plan(sample) -> (problem, job_fn)``), run them all, judge each."""
    out: list[Any] = [None] * len(samples)
    jobs: list[tuple[int, Any, tools.Job]] = []
    for i, sample in enumerate(samples):
        try:
            problem, make = plan(sample)
        except UnjudgeableReference as exc:
            out[i] = exc
            continue
        if make is None:
            continue
        design, refused = _design(sample, p)
        if refused is not None:
            out[i] = refused
            continue
        assert design is not None
        jobs.append((i, problem, make(design, p)))
    for (i, problem, _), result in zip(jobs, tools.run_jobs([j for *_, j in jobs]), strict=True):
        out[i] = result if isinstance(result, Exception) else verdict(result, problem)
    return out


def _synth_job(design: str, top: str, p: RtlParams) -> tools.Job:
    files = (("design.sv", design), ("cells.lib", _cells_lib()), ("synth.ys", synth_script(top)))
    step = tools.Step((tools.tool("yosys"), "-q", "-s", "synth.ys"), p.time_limit)
    return tools.Job(files, (step,), fetch=("netlist.blif",), memory_mb=p.memory_limit_mb)


@functools.lru_cache(maxsize=1)
def _cells_lib() -> str:
    from importlib import resources

    return (resources.files("rewardkit.rewards") / "rtl_cells.lib").read_text(encoding="utf-8")


def _metrics(result: tools.JobResult | Exception) -> PpaMetrics | Verdict | Exception:
    if isinstance(result, Exception):
        return result
    if not result.ok:
        step = result.last
        error = "timeout" if step.timed_out else "synthesis"
        return Verdict(0.0, {"error": error, "detail": _first_error(step.stderr + step.stdout)})
    if "netlist.blif" not in result.files:
        return Verdict(0.0, {"error": "synthesis", "detail": "netlist missing or over 2 MiB"})
    return ppa_metrics(result.files["netlist.blif"], _cells_lib())


def ppa_verdicts(samples: Sequence[Sample], p: PpaParams) -> list[Verdict | Exception | None]:
    """PPA verdicts: the function gate first, then the design's and its reference's synthesis."""
    gate = function_verdicts(samples, p)
    out: list[Any] = list(gate)
    todo: list[tuple[int, RtlProblem, str]] = []
    for i, (sample, g) in enumerate(zip(samples, gate, strict=True)):
        if not isinstance(g, Verdict):
            continue
        problem, design = problem_of(sample, p), _design(sample, p)[0]
        if g.info.get("mismatches") == 0 and problem is not None and design is not None:
            todo.append((i, problem, design))
        else:
            out[i] = Verdict(0.0, {"error": "function_failed", "function": g.info})
    jobs = [_synth_job(d, "TopModule", p) for _, _, d in todo]
    jobs += [_synth_job(pr.ref, "RefModule", p) for _, pr, _ in todo]  # cached per problem
    results = tools.run_jobs(jobs)
    for k, (i, _, _) in enumerate(todo):
        cand = _metrics(results[k])
        ref = _metrics(results[len(todo) + k])
        if isinstance(ref, Verdict):
            out[i] = RuntimeError(f"the reference does not synthesise: {ref.info.get('detail')}")
        elif isinstance(cand, PpaMetrics) and isinstance(ref, PpaMetrics):
            out[i] = _ppa_verdict(cand, ref, p)
        else:
            out[i] = cand
    return out


def _ppa_verdict(cand: PpaMetrics, ref: PpaMetrics, p: PpaParams) -> Verdict:
    weights = {"area": p.area, "cells": p.cells, "depth": p.depth}
    ratios = {k: _ratio(getattr(ref, k), getattr(cand, k)) for k in weights}
    total = sum(weights.values())
    value = sum(weights[k] * ratios[k] for k in weights) / total if total else 0.0
    info = {"candidate": cand.as_dict(), "reference": ref.as_dict(), "ratios": ratios}
    return Verdict(value, info)


def _ratio(ref: float, cand: float) -> float:
    """min(ref / cand, 1): 1 for a design at least as good; a zero-cost design is as good."""
    if cand <= 0:
        return 1.0
    return round(min(ref / cand, 1.0), 6)


def _scores(verdicts: Sequence[Any]) -> list[Any]:
    return [v.score() if isinstance(v, Verdict) else v for v in verdicts]


@reward("rtl_syntax", params=RtlParams, batched=True)
def rtl_syntax(samples: Sequence[Sample], p: RtlParams) -> list[Any]:
    """1 when the completion's Verilog parses and elaborates with TopModule as root, else 0."""
    return _scores(syntax_verdicts(samples, p))


@reward("rtl_function", params=FunctionParams, batched=True)
def rtl_function(samples: Sequence[Sample], p: FunctionParams) -> list[Any]:
    """Testbench pass fraction (or all-or-nothing), or random-simulation equivalence."""
    return _scores(function_verdicts(samples, p))


@reward("rtl_ppa", params=PpaParams, batched=True)
def rtl_ppa(samples: Sequence[Sample], p: PpaParams) -> list[Any]:
    """Weighted min(reference / design, 1) over area, cells and depth; 0 unless function passes."""
    return _scores(ppa_verdicts(samples, p))
