"""Tests per second: the sandbox worker pool against a fresh interpreter per test.

Both methods run the same programs against the same tests (several stdin/stdout tests per
program, as a code reward does) with the same concurrency (one run per core) and time limit, in
alternating rounds so that load from other processes hits both alike. The baseline is what
people write by hand: ``subprocess.run([sys.executable, file], input=..., timeout=...)`` per
test, a fresh interpreter for every test of every program.

Two mixes: with timing-out programs (a timed-out test costs its whole time limit, and burns a
core, whatever the method) and without them. The pool runs each program's tests as one stop
group, as the code rewards do: after a program's first timeout its remaining tests fail at once.

    python bench/sandbox.py [--rounds 5] [--programs 40] [--tests-per-program 8]
    python bench/sandbox.py --smoke     # 1 round, the 20 programs once (a test runs it)

Prints one JSON object with both rates and their ratio for each mix.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import parse_with_smoke

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool, available_cores
from rewardkit.sandbox.protocol import RunRequest

SUM = "print(sum(map(int, input().split())))"
# name -> program; every test feeds "a b c" and expects a + b + c.
PROGRAMS = {
    "pass_sum": SUM,
    "pass_loop": "s = 0\nfor x in map(int, input().split()):\n    for _ in range(100):\n"
    "        s += x\nprint(s // 100)",
    "pass_sorted": "xs = sorted(map(int, input().split()))\nprint(xs[0] + xs[1] + xs[2])",
    "pass_functions": "import functools\n@functools.lru_cache(None)\ndef add(a, b):\n"
    "    return a + b\na, b, c = map(int, input().split())\nprint(add(add(a, b), c))",
    "wrong_answer": "print(sum(map(int, input().split())) + 1)",
    "runtime_error": "a, b, c = map(int, input().split())\nprint(a // (b - b))",
    "syntax_error": "print(sum(map(int, input().split()))",
    "timeout": "while True:\n    pass",
}
CYCLE = [
    "pass_sum",
    "pass_loop",
    "pass_sorted",
    "pass_functions",
    "wrong_answer",
    "runtime_error",
    "pass_sum",
    "pass_loop",
    "syntax_error",
    "pass_sorted",
    "wrong_answer",
    "pass_functions",
    "runtime_error",
    "pass_sum",
    "pass_loop",
    "pass_sorted",
    "wrong_answer",
    "pass_functions",
    "pass_sum",
    "timeout",
]
"""20 programs: 12 passing, 7 failing (wrong answer, runtime error, syntax error), 1 timing out."""


def tests_for(count: int) -> list[tuple[str, str]]:
    return [(f"{k} {2 * k} {k + 7}\n", f"{4 * k + 7}\n") for k in range(1, count + 1)]


Job = tuple[int, str, str, str]
"""(program number, program name, stdin, expected stdout): one test."""


def run_pool(pool: SandboxPool, jobs: list[Job], limit: Limits) -> tuple[float, int]:
    """Seconds taken, and passing tests judged failed (slower than the limit under load)."""
    requests = [
        RunRequest(PROGRAMS[name], stdin=given, limits=limit, stop_group=str(k))
        for k, name, given, _ in jobs
    ]
    start = time.perf_counter()
    results = pool.run_many(requests)
    elapsed = time.perf_counter() - start
    passed = [r.ok and r.stdout == job[3] for r, job in zip(results, jobs, strict=True)]
    assert all(job[1].startswith("pass") for job, ok in zip(jobs, passed, strict=True) if ok)
    spinning = [r for r, job in zip(results, jobs, strict=True) if job[1] == "timeout"]
    assert all(r.status == "timeout" for r in spinning), "a spinning program did not time out"
    return elapsed, expected_passes(jobs) - sum(passed)


def run_fresh(
    paths: dict[str, str], jobs: list[Job], limit: Limits, workers: int
) -> tuple[float, int]:
    """As ``run_pool``; under heavy load a fresh interpreter can miss a tight limit at start-up."""

    def one(job: Job) -> bool:
        _, name, given, want = job
        try:
            done = subprocess.run(
                [sys.executable, paths[name]],
                input=given.encode(),
                capture_output=True,
                timeout=limit.time_limit_s,
            )
        except subprocess.TimeoutExpired:
            return False
        ok = done.returncode == 0 and done.stdout.decode() == want
        assert not ok or name.startswith("pass"), "the baseline passed a failing program"
        return ok

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as executor:
        passed = sum(executor.map(one, jobs))
    elapsed = time.perf_counter() - start
    return elapsed, expected_passes(jobs) - passed


def expected_passes(jobs: list[Job]) -> int:
    return sum(name.startswith("pass") for _, name, _, _ in jobs)


def compare(
    pool: SandboxPool,
    paths: dict[str, str],
    jobs: list[Job],
    limit: Limits,
    rounds: int,
    workers: int,
) -> dict[str, Any]:
    """Alternate the methods; the ratio is the median over rounds of each round's own ratio,
    so that a change of load from other processes between rounds does not bias it.
    """
    pool_times: list[float] = []
    fresh_times: list[float] = []
    missed = [0, 0]
    for _ in range(rounds):
        elapsed, wrong = run_pool(pool, jobs, limit)
        pool_times.append(elapsed)
        missed[0] += wrong
        elapsed, wrong = run_fresh(paths, jobs, limit, workers)
        fresh_times.append(elapsed)
        missed[1] += wrong
    ratios = [f / p for p, f in zip(pool_times, fresh_times, strict=True)]
    return {
        "tests": len(jobs),
        "pool_tests_per_s": round(len(jobs) / statistics.median(pool_times), 1),
        "fresh_interpreter_tests_per_s": round(len(jobs) / statistics.median(fresh_times), 1),
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
        "passing_tests_failed_by_load": {"pool": missed[0], "fresh_interpreter": missed[1]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--programs", type=int, default=40)
    parser.add_argument("--tests-per-program", type=int, default=8)
    parser.add_argument("--workers", type=int, default=min(2, available_cores()))
    parser.add_argument("--time-limit", type=float, default=0.25)
    args = parse_with_smoke(parser, {"rounds": 1, "programs": len(CYCLE), "tests_per_program": 1})
    limit = Limits(time_limit_s=args.time_limit, memory_mb=256)
    names = [CYCLE[k % len(CYCLE)] for k in range(args.programs)]
    tests = tests_for(args.tests_per_program)
    mixed = [(k, name, given, want) for k, name in enumerate(names) for given, want in tests]
    no_timeouts = [job for job in mixed if job[1] != "timeout"]
    with tempfile.TemporaryDirectory() as folder, SandboxPool(args.workers) as pool:
        paths = {}
        for name, source in PROGRAMS.items():
            paths[name] = os.path.join(folder, f"{name}.py")
            Path(paths[name]).write_text(source)
        run_pool(pool, no_timeouts[:20], limit)  # start the workers outside the timing
        load_before = os.getloadavg()[0]
        report = {
            "workers": args.workers,
            "time_limit_s": args.time_limit,
            "rounds": args.rounds,
            "programs": args.programs,
            "tests_per_program": args.tests_per_program,
            "with_timeouts": compare(pool, paths, mixed, limit, args.rounds, args.workers),
            "without_timeouts": compare(pool, paths, no_timeouts, limit, args.rounds, args.workers),
            "timed_out_tests_in_mix": sum(job[1] == "timeout" for job in mixed),
            "timed_out_programs_in_mix": sum(name == "timeout" for name in names),
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "isolation": pool.isolation,
        }
        ratio = report["with_timeouts"]["ratio"]
        report["goal"] = {"with_timeouts_ratio_at_least": 10, "met": ratio >= 10}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
