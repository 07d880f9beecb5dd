"""Small RTL problems written for the RTL reward tests (VerilogEval v2's format), and helpers.

``AND2`` has an exhaustive testbench (4 vectors), so a candidate's pass fraction is checkable by
hand: an OR gate differs on (0,1) and (1,0), 2 of 4, so it earns 0.5. ``COUNTER`` is a mod-4
counter whose output is high every fourth cycle; ``ONEHOT`` is the same behaviour built from a
4-bit ring (4 flip-flops instead of 2), so its area is larger and its PPA reward below 1.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from rewardkit.types import Sample


def need_tools() -> None:
    """Skip without iverilog, vvp and yosys; under CI=true a missing tool fails the test."""
    missing = [t for t in ("iverilog", "vvp", "yosys") if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (scripts/rtl_tools.sh: apt-get install iverilog yosys)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"RTL tests must run in CI: {reason}")
        pytest.skip(reason)


AND2_REF = "module RefModule(input a, input b, output y);\n  assign y = a & b;\nendmodule\n"
AND2_TEST = """module tb;
  reg a, b; wire y_ref, y_dut;
  integer i, mismatches = 0, samples = 0;
  RefModule r(.a(a), .b(b), .y(y_ref));
  TopModule d(.a(a), .b(b), .y(y_dut));
  initial begin
    for (i = 0; i < 4; i = i + 1) begin
      {a, b} = i; #1;
      samples = samples + 1;
      if (y_ref !== y_dut) mismatches = mismatches + 1;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
"""
AND2 = {"ref": AND2_REF, "test": AND2_TEST}
AND_GATE = "module TopModule(input a, input b, output y);\n  assign y = a & b;\nendmodule"
OR_GATE = "module TopModule(input a, input b, output y);\n  assign y = a | b;\nendmodule"

COUNTER_REF = """module RefModule(input clk, input reset, output y);
  reg [1:0] c;
  always @(posedge clk) if (reset) c <= 2'd0; else c <= c + 2'd1;
  assign y = (c == 2'd3);
endmodule
"""
COUNTER_TEST = """module tb;
  reg clk = 0, reset = 1; wire y_ref, y_dut;
  integer i, mismatches = 0, samples = 0;
  RefModule r(.clk(clk), .reset(reset), .y(y_ref));
  TopModule d(.clk(clk), .reset(reset), .y(y_dut));
  initial begin
    for (i = 0; i < 40; i = i + 1) begin
      reset = (i < 2); #1 clk = 1; #1 clk = 0; #1;
      samples = samples + 1;
      if (y_ref !== y_dut) mismatches = mismatches + 1;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
"""
COUNTER = {"ref": COUNTER_REF, "test": COUNTER_TEST}
ONEHOT = """module TopModule(input clk, input reset, output y);
  reg [3:0] s;
  always @(posedge clk) if (reset) s <= 4'b0001; else s <= {s[2:0], s[3]};
  assign y = s[3];
endmodule"""


def sample(design: str, reference: Any, sid: str = "s", fence: bool = True) -> Sample:
    """A completion holding ``design`` (in a ```verilog block unless ``fence`` is False)."""
    text = f"Here is the design.\n```verilog\n{design}\n```\n" if fence else design
    return Sample(sid, "g", "Write TopModule.", text, reference)
