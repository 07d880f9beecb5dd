"""RTL rewards: samples per second for each tier and the whole hierarchy, against a plain script.

The samples come from the built-in problems (``rewardkit/rewards/rtl_data``): for each problem
its reference renamed ``TopModule`` (right), a single-operator mutant of it (wrong) and its
first half (broken). rewardkit scores them with ``rtl_syntax``, ``rtl_function``, ``rtl_ppa``
and ``examples/configs/chipseek.yaml`` (the hierarchy), result cache cleared before each
measurement (so every design runs; the reference's synthesis runs once per problem). The plain
script is what people write by hand: per sample, a fresh temporary folder and one
``subprocess.run`` per tool call (iverilog; iverilog + vvp; + yosys on the design and on the
reference), in order, without a pool or cache. Methods alternate over rounds; the ratio is the
median of the per-round ratios. Each row also has the tools' CPU per sample of each method
(rewardkit: the sandbox workers and everything they ran; plain: the script's child processes),
which tells the work done apart from the cores used. The hierarchy's latency is the median over
single samples scored one at a time.

    python bench/rtl.py [--rounds 3] [--problems 48]
    python bench/rtl.py --smoke       # 4 problems, 1 round (a test runs it)
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import dump, parse_with_smoke

from rewardkit.config import load_yaml
from rewardkit.program import RewardProgram
from rewardkit.rewards import rtl_netlist, rtl_tools
from rewardkit.rewards.rtl import (
    FunctionParams,
    PpaParams,
    RtlParams,
    rtl_function,
    rtl_ppa,
    rtl_syntax,
)
from rewardkit.rewards.rtl_problems import (
    RtlProblem,
    as_candidate,
    builtin_problems,
    parse_mismatches,
)
from rewardkit.sandbox.pool import default_pool
from rewardkit.types import Sample

ROOT = Path(__file__).resolve().parents[1]
OPERATORS = [("+", "-"), ("&", "|"), ("==", "!="), ("^", "&"), ("<", ">"), ("|", "&"), ("~", "")]


def mutant(design: str) -> str:
    """The design with its first operator from OPERATORS swapped (in code, not in comments)."""
    code = re.sub(r"//[^\n]*", "", design)
    for old, new in OPERATORS:
        at = code.find(old)
        if at > 0:
            return code[:at] + new + code[at + len(old) :]
    return code.replace("1'b1", "1'b0", 1)


def make_samples(problems: dict[str, RtlProblem]) -> list[Sample]:
    out = []
    for name, problem in problems.items():
        right = as_candidate(problem.ref)
        for kind, design in (
            ("right", right),
            ("wrong", mutant(right)),
            ("broken", right[: len(right) // 2]),
        ):
            text = f"```verilog\n{design}\n```"
            out.append(Sample(f"{name}-{kind}", name, problem.prompt, text, {"problem": name}))
    return out


def plain_tier(sample: Sample, problem: RtlProblem, tier: str) -> float:
    """One sample the hand-written way: fresh folder, fresh processes, nothing kept."""
    design = sample.completion.split("```verilog\n", 1)[1].rsplit("\n```", 1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for file, text in (("design.sv", design), ("ref.sv", problem.ref), ("tb.sv", problem.test)):
            (work / file).write_text(text)

        def run(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=20)

        if (
            run("iverilog", "-g2012", "-t", "null", "-s", "TopModule", "design.sv").returncode != 0
            or tier == "syntax"
        ):
            return 0.0
        if run(
            "iverilog", "-g2012", "-s", "tb", "-o", "sim.vvp", "tb.sv", "ref.sv", "design.sv"
        ).returncode:
            return 0.0
        counts = parse_mismatches(run("vvp", "-n", "sim.vvp").stdout)
        if counts is None or counts[0] != 0 or tier == "function":
            return 0.0
        lib = ROOT / "src" / "rewardkit" / "rewards" / "rtl_cells.lib"
        (work / "cells.lib").write_text(lib.read_text())
        for top, file in (("TopModule", "design.sv"), ("RefModule", "ref.sv")):
            script = rtl_netlist.synth_script(top).replace("design.sv", file)
            run("yosys", "-q", "-p", script.replace("\n", "; "))
        return 1.0


def timed(fn: Any) -> float:
    return timed_cpu(fn)[0]


def timed_cpu(fn: Any) -> tuple[float, float]:
    """Wall seconds of ``fn()`` with a cold cache, and the CPU seconds of the tools it ran: the
    sandbox workers' (their reaped descendants included) plus this process's children's."""
    rtl_tools.CACHE.clear()  # cold: every design runs
    cpu, start = tools_cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - start, tools_cpu() - cpu


def tools_cpu() -> float:
    total = 0.0
    for pid in default_pool().worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--problems", type=int, default=48)
    p.add_argument("--latency-samples", type=int, default=24)
    p.add_argument("--out", default="bench/results/rtl.json")
    args = parse_with_smoke(p, {"rounds": 1, "problems": 4, "latency_samples": 3}, argv)
    problems = dict(list(builtin_problems().items())[: args.problems])
    samples = make_samples(problems)
    program = RewardProgram.from_dict(load_yaml(ROOT / "examples" / "configs" / "chipseek.yaml"))
    ours = {
        "syntax": lambda: rtl_syntax(samples, RtlParams()),
        "function": lambda: rtl_function(samples, FunctionParams()),
        "ppa": lambda: rtl_ppa(samples, PpaParams()),
        "hierarchy": lambda: program.score(samples),
    }
    plain_of = {"syntax": "syntax", "function": "function", "ppa": "ppa", "hierarchy": "ppa"}
    rtl_syntax(samples[:1], RtlParams())  # start the pool outside the timings
    rows: dict[str, dict[str, list[float]]] = {
        k: {"ours": [], "plain": [], "ours_cpu": [], "plain_cpu": []} for k in ours
    }
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for tier, fn in ours.items():
            plain = lambda t=plain_of[tier]: [plain_tier(s, problems[s.group], t) for s in samples]  # noqa: E731
            for method, run in (("ours", fn), ("plain", plain)):
                wall, cpu = timed_cpu(run)
                rows[tier][method].append(len(samples) / wall)
                rows[tier][f"{method}_cpu"].append(1000 * cpu / len(samples))
    load.append(os.getloadavg()[0])
    latency = []
    for sample in samples[: args.latency_samples]:
        latency.append(timed(lambda s=sample: program.score([s])))
    report: dict[str, Any] = {
        "samples": len(samples),
        "problems": len(problems),
        "rounds": args.rounds,
        "workers": default_pool().size,
        "load_average": [round(x, 1) for x in load],
        "hierarchy_median_s_per_sample": round(statistics.median(latency), 4),
        "tiers": {
            tier: {
                "ours_samples_per_s": round(statistics.median(r["ours"]), 2),
                "plain_samples_per_s": round(statistics.median(r["plain"]), 2),
                "ours_tool_cpu_ms_per_sample": round(statistics.median(r["ours_cpu"]), 1),
                "plain_tool_cpu_ms_per_sample": round(statistics.median(r["plain_cpu"]), 1),
                "ratio": round(
                    statistics.median(o / q for o, q in zip(r["ours"], r["plain"], strict=True)), 2
                ),
            }
            for tier, r in rows.items()
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dump(report, out)
    plot(report, out.with_suffix(".png"))


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = list(report["tiers"])
    x = range(len(tiers))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(
        [i - 0.2 for i in x],
        [report["tiers"][t]["ours_samples_per_s"] for t in tiers],
        0.4,
        label="rewardkit (pool + cache)",
    )
    ax.bar(
        [i + 0.2 for i in x],
        [report["tiers"][t]["plain_samples_per_s"] for t in tiers],
        0.4,
        label="plain script",
    )
    for i, t in enumerate(tiers):
        ax.annotate(
            f"{report['tiers'][t]['ratio']}x",
            (i, report["tiers"][t]["ours_samples_per_s"]),
            ha="center",
            va="bottom",
        )
    ax.set_xticks(list(x), tiers)
    ax.set_ylabel("samples / s")
    ax.set_title(f"RTL rewards, {report['samples']} samples (right, wrong, broken)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
