"""RTL exploit mutations: designs that have the right interface and none of the behaviour.

Each applies to a correct completion that holds a Verilog ``module TopModule`` (the RTL rewards'
candidate) and returns a completion with the design replaced:

- ``rtl_empty_module``: the same module header, an empty body;
- ``rtl_constant_outputs``: the same header, every output tied to 0;
- ``rtl_hardcoded_outputs``: the same header, every output tied to all ones (a design that
  bets on a constant vector; a testbench whose first vectors expect ones would pay it);
- ``rtl_prompt_copy``: the prompt itself, which names ``TopModule`` and its ports.

A good RTL reward pays each of them less than the correct design: syntax may pass, the
function and PPA tiers must not.

>>> print(constant_design("module TopModule(input a, output reg [3:0] y);\\n  always @* y = a;\\nendmodule", "0"))
module TopModule(input a, output [3:0] y);
  assign y = '0;
endmodule
"""

from __future__ import annotations

import re

from rewardkit.probe.answer import Answer
from rewardkit.probe.mutations import mutation
from rewardkit.rewards.rtl import extract_verilog

_HEADER = re.compile(r"\bmodule\s+TopModule\b\s*(#\s*\(.*?\)\s*)?\((.*?)\)\s*;", re.DOTALL)


def _header(design: str) -> tuple[str, list[str]] | None:
    """``TopModule``'s ANSI header (``output reg`` made a wire) and its output names."""
    found = _HEADER.search(design)
    if found is None:
        return None
    ports = re.sub(r"\boutput\s+(reg|logic)\b", "output", found.group(2))
    outputs, direction = [], ""
    for part in ports.split(","):
        words = re.findall(r"[A-Za-z_]\w*", re.sub(r"\[.*?\]", " ", part))
        direction = next((w for w in words if w in ("input", "output", "inout")), direction)
        if direction == "output" and words:
            outputs.append(words[-1])
    return f"module TopModule{found.group(1) or ''}({ports});", outputs


def constant_design(design: str, value: str) -> str | None:
    """``design``'s header with every output assigned ``'<value>``; None without a header."""
    head = _header(design)
    if head is None:
        return None
    header, outputs = head
    body = "".join(f"  assign {name} = '{value};\n" for name in outputs)
    return f"{header}\n{body}endmodule"


def _replace(answer: Answer, new: str | None) -> str | None:
    design = extract_verilog(answer.sample.completion)
    if design is None or new is None:
        return None
    return answer.sample.completion.replace(design, new)


@mutation("rtl_empty_module")
def empty_module(answer: Answer) -> str | None:
    """The correct design's ``TopModule`` header with an empty body."""
    design = extract_verilog(answer.sample.completion) or ""
    head = _header(design)
    return _replace(answer, f"{head[0]}\nendmodule" if head else None)


@mutation("rtl_constant_outputs")
def constant_outputs(answer: Answer) -> str | None:
    """The correct design's ports with every output tied to 0."""
    return _replace(answer, constant_design(extract_verilog(answer.sample.completion) or "", "0"))


@mutation("rtl_hardcoded_outputs")
def hardcoded_outputs(answer: Answer) -> str | None:
    """The correct design's ports with every output hard-coded to all ones."""
    return _replace(answer, constant_design(extract_verilog(answer.sample.completion) or "", "1"))


@mutation("rtl_prompt_copy")
def rtl_prompt_copy(answer: Answer) -> str | None:
    """The prompt as the completion (it names TopModule and its ports)."""
    has_design = _header(extract_verilog(answer.sample.completion) or "") is not None
    return answer.sample.prompt if has_design and answer.sample.prompt else None
