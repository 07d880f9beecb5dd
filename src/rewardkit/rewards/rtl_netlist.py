"""Synthesis with Yosys to the project's cell library, and PPA measures of the mapped netlist.

``synth_script`` is the flow (a light one: generic synthesis, flip-flops and logic mapped to
``rtl_cells.lib``); ``ppa_metrics`` reads the BLIF netlist it writes: total cell area, cell count
and logic depth (the longest combinational path in cell delays). See docs/rtl.md.

>>> ppa_metrics(".names a y\\n1 1\\n", "").as_dict()
{'area': 0.0, 'cells': 0, 'depth': 0.0}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
