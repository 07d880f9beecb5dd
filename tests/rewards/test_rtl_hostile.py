"""Hostile designs: none escapes the sandbox, hangs a worker past its limits, or is paid.

Each design answers the AND2 problem (tests/rewards/rtl_cases.py). Refused ones never reach a
tool; the others run confined and fail on their own. A benign design scored in the same batch
still earns 1, and the host's files are untouched. A second part bypasses the refusal scan and
hands hostile sources straight to the tools, to show the confinement holds on its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.rewards.rtl_cases import AND2, AND_GATE, need_tools, sample

from rewardkit.rewards.rtl import (
    FunctionParams,
    PpaParams,
    RtlParams,
    rtl_function,
    rtl_ppa,
    rtl_syntax,
)
from rewardkit.rewards.rtl_tools import Job, Step, run_jobs, tool

pytestmark = pytest.mark.process

PORTS = "module TopModule(input a, input b, output y);"
FORGED = '"Mismatches: 0 in 4 samples"'
WRONG = "~(a & b)"
"""Outputs that differ from the reference on every vector: any pay would come from a trick."""
HOSTILE = {
    "endless_zero_delay": f"{PORTS}\n  reg r = 0;\n  initial while (1) r = ~r;\n  assign y = {WRONG};\nendmodule",
    "endless_clock_no_finish": f"{PORTS}\n  reg x = 0;\n  always #1 x = ~x;\n  initial forever #1 x = x;\n  assign y = {WRONG} ^ x ^ x;\nendmodule",
    "finish_at_time_0": f"{PORTS}\n  assign y = a & b;\n  initial $finish;\nendmodule",
    "fopen_host_file": f'{PORTS}\n  integer f;\n  initial f = $fopen("/etc/passwd", "r");\n  assign y = a & b;\nendmodule',
    "fopen_write": f'{PORTS}\n  integer f;\n  initial begin f = $fopen("/root/rtl_pwned", "w"); $fdisplay(f, "x"); end\n  assign y = a & b;\nendmodule',
    "readmemh_host_file": f'{PORTS}\n  reg [7:0] m [0:3];\n  initial $readmemh("/etc/hostname", m);\n  assign y = a & b;\nendmodule',
    "system_call": f'{PORTS}\n  initial $system("touch /tmp/rtl_pwned");\n  assign y = a & b;\nendmodule',
    "vpi_user_task": f"{PORTS}\n  initial $my_vpi_hook(1);\n  assign y = a & b;\nendmodule",
    "dumpfile_host_path": f'{PORTS}\n  initial begin $dumpfile("/root/rtl.vcd"); $dumpvars; end\n  assign y = a & b;\nendmodule',
    "huge_memory": f"{PORTS}\n  reg [7:0] m [0:(1<<30)];\n  integer i;\n  initial for (i = 0; i <= (1<<30); i = i + 1) m[i] = i;\n  assign y = m[{{a, b}}][0] ^ {WRONG};\nendmodule",
    "prints_pass_line": f"{PORTS}\n  assign y = {WRONG};\n  initial #100 $display({FORGED});\nendmodule",
    "final_print": f"{PORTS}\n  assign y = {WRONG};\n  final $write({FORGED});\nendmodule",
    "defines_tb": f"{PORTS}\n  assign y = {WRONG};\nendmodule\nmodule tb;\nendmodule",
    "defines_ref": f"{PORTS}\n  assign y = {WRONG};\nendmodule\nmodule RefModule(input a, input b, output y);\n  assign y = 1'b0;\nendmodule",
    "instantiates_ref": f"{PORTS}\n  RefModule r(.a(a), .b(b), .y(y));\nendmodule",
    "hierarchical_force": f"{PORTS}\n  assign y = {WRONG};\n  initial force tb.mismatches = 0;\nendmodule",
    "root_reference": f"{PORTS}\n  assign y = {WRONG};\n  initial $root.tb.mismatches = 0;\nendmodule",
    "escaped_identifier": f"{PORTS}\n  assign y = {WRONG};\n  initial \\tb .mismatches = 0;\nendmodule",
    "include_host_file": f'`include "/etc/passwd"\n{PORTS}\n  assign y = a & b;\nendmodule',
    "prompt_only": "Write TopModule.",
}
MAY_PARSE = {"endless_zero_delay", "endless_clock_no_finish", "huge_memory", "prompt_only"}


@pytest.fixture(scope="module")
def scored() -> dict[str, list[object]]:
    need_tools()
    names = [*HOSTILE, "benign"]
    samples = [sample(HOSTILE.get(n, AND_GATE), AND2, sid=n) for n in names]
    started = time.monotonic()
    p = {"time_limit": 3.0, "memory_limit_mb": 512}
    out = {
        "syntax": rtl_syntax(samples, RtlParams(**p)),
        "function": rtl_function(samples, FunctionParams(**p)),
        "equivalence": rtl_function(samples, FunctionParams(method="equivalence", **p)),
        "ppa": rtl_ppa(samples, PpaParams(**p)),
    }
    elapsed = time.monotonic() - started
    table = {n: [out[k][i] for k in out] for i, n in enumerate(names)}
    table["_elapsed"] = [elapsed]
    return table


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_no_hostile_design_is_paid(scored: dict[str, list[object]], name: str) -> None:
    syntax, function, equivalence, ppa = scored[name]
    for tier in (function, equivalence, ppa):
        assert tier.value == 0.0, (name, tier)  # type: ignore[attr-defined]
    if name not in MAY_PARSE:
        assert syntax.value == 0.0 and syntax.info["error"] == "refused"  # type: ignore[attr-defined]


def test_benign_design_in_the_same_batch_is_paid(scored: dict[str, list[object]]) -> None:
    assert [s.value for s in scored["benign"]] == [1.0, 1.0, 1.0, 1.0]  # type: ignore[attr-defined]


def test_every_run_is_bounded(scored: dict[str, list[object]]) -> None:
    # 3 s per tool call: the endless design times out in each method, the rest are quick.
    assert scored["endless_zero_delay"][1].info["error"] == "timeout"  # type: ignore[attr-defined]
    assert scored["_elapsed"][0] < 60  # type: ignore[operator]


def test_confinement_holds_without_the_scan(tmp_path: Path) -> None:
    """Unscanned sources straight to the tools: no write reaches the host, nothing leaks."""
    need_tools()
    marker = tmp_path / "escaped"
    os.chmod(tmp_path, 0o777)  # even a world-writable host folder: the sandbox has its own /tmp
    src = f"""module tb;
  integer f;
  initial begin
    f = $fopen("{marker}", "w"); $fdisplay(f, "x"); $fclose(f);
    f = $fopen("/root/rtl_escape", "w");
    $display("root=%0d", f);
    $finish;
  end
endmodule
"""
    job = Job(
        (("tb.sv", src),),
        (
            Step((tool("iverilog"), "-g2012", "-o", "s.vvp", "tb.sv"), 5),
            Step((tool("vvp"), "-n", "s.vvp"), 5),
        ),
    )
    (result,) = run_jobs([job], cache=None)
    assert not isinstance(result, Exception)
    assert "root=0" in result.last.stdout  # opening /root for writing fails for the sandbox uid
    assert not marker.exists() and not Path("/root/rtl_escape").exists()
    assert not Path("/tmp/rtl_pwned").exists()
