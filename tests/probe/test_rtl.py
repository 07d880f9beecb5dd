"""RTL mutations: what each writes, and the chipseek config pays each less than the design."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.rewards.rtl_cases import need_tools

from rewardkit.cli.probe import load_program
from rewardkit.cli.score import read_samples
from rewardkit.probe import MUTATIONS, locate_answer, probe
from rewardkit.probe import rtl as rtl_mutations
from rewardkit.types import Sample

ROOT = Path(__file__).resolve().parents[2]
RTL_MUTATIONS = [
    "rtl_empty_module",
    "rtl_constant_outputs",
    "rtl_hardcoded_outputs",
    "rtl_prompt_copy",
]
DESIGN = (
    "module TopModule(input [1:0] a, output reg [3:0] y, output z);\n"
    "  always @* y = 4'd1 << a;\n  assign z = ^a;\nendmodule"
)


def answer() -> object:
    completion = f"Decoder:\n```verilog\n{DESIGN}\n```"
    return locate_answer(Sample("s", "g", "Write TopModule(a, y, z).", completion, None))


def test_every_rtl_mutation_is_registered() -> None:
    assert set(RTL_MUTATIONS) <= set(MUTATIONS)


def test_what_each_mutation_writes() -> None:
    a = answer()
    header = "module TopModule(input [1:0] a, output [3:0] y, output z);"
    assert rtl_mutations.empty_module(a) == f"Decoder:\n```verilog\n{header}\nendmodule\n```"  # type: ignore[arg-type]
    constant = rtl_mutations.constant_outputs(a)  # type: ignore[arg-type]
    assert constant is not None and "assign y = '0;\n  assign z = '0;" in constant
    ones = rtl_mutations.hardcoded_outputs(a)  # type: ignore[arg-type]
    assert ones is not None and "assign y = '1;" in ones
    assert rtl_mutations.rtl_prompt_copy(a) == "Write TopModule(a, y, z)."  # type: ignore[arg-type]


def test_not_applicable_without_a_design() -> None:
    plain = locate_answer(Sample("s", "g", "2+2?", "The answer is 4.", None))
    assert all(MUTATIONS[name].fn(plain) is None for name in RTL_MUTATIONS)


@pytest.mark.process
def test_chipseek_config_pays_no_rtl_mutation() -> None:
    need_tools()
    samples, bad = read_samples(ROOT / "examples" / "data" / "chipseek.jsonl", strict=True)
    assert not bad
    report = probe(
        load_program(ROOT / "examples" / "configs" / "chipseek.yaml"), samples, RTL_MUTATIONS
    )
    assert report.unjudged == []
    assert report.failing() == []
