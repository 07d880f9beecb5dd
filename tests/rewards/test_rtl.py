"""RTL rewards: golden cases checked by hand, both function methods, the PPA formula, references."""

from __future__ import annotations

import pytest
from tests.rewards.rtl_cases import (
    AND2,
    AND_GATE,
    COUNTER,
    COUNTER_REF,
    ONEHOT,
    OR_GATE,
    need_tools,
    sample,
)

from rewardkit.errors import MissingExtraError, UnjudgeableReference
from rewardkit.rewards import rtl_tools
from rewardkit.rewards.rtl import (
    FunctionParams,
    PpaParams,
    RtlParams,
    extract_verilog,
    rtl_function,
    rtl_ppa,
    rtl_syntax,
)
from rewardkit.rewards.rtl_equiv import Port, equivalence_bench
from rewardkit.rewards.rtl_netlist import ppa_metrics
from rewardkit.rewards.rtl_problems import as_candidate, builtin_problems
from rewardkit.rewards.rtl_scan import refusal
from rewardkit.types import Sample

pytestmark = pytest.mark.process  # every scoring test runs the tools in sandbox workers


@pytest.fixture
def tools() -> None:
    need_tools()


def values(results: list[object]) -> list[float]:
    return [r.value for r in results]  # type: ignore[attr-defined]


def test_extracts_the_last_verilog_block_else_the_text() -> None:
    assert extract_verilog("```v\nA\n```\n```python\nB\n```") == "A"
    assert extract_verilog("```c\nA\n```\n```c\nB\n```") == "B"
    assert extract_verilog("module M; endmodule") == "module M; endmodule"
    assert extract_verilog("   ") is None


def test_syntax_golden(tools: None) -> None:
    broken = "module TopModule(input a, output y);\n  assign y = a &;\nendmodule"
    wrong_name = "module Other(input a, output y); assign y = a; endmodule"
    got = rtl_syntax(
        [sample(AND_GATE, None), sample(broken, None), sample(wrong_name, None)], RtlParams()
    )
    assert values(got) == [1.0, 0.0, 0.0]
    assert got[1].info["error"] == "syntax" and "design.sv:2" in got[1].info["detail"]


def test_function_testbench_fraction_by_hand(tools: None) -> None:
    # OR differs from AND on (0,1) and (1,0): 2 mismatches in 4 samples -> 1 - 2/4 = 0.5.
    got = rtl_function([sample(AND_GATE, AND2), sample(OR_GATE, AND2)], FunctionParams())
    assert values(got) == [1.0, 0.5]
    assert got[1].info == {"mismatches": 2, "samples": 4}
    all_or_nothing = rtl_function([sample(OR_GATE, AND2)], FunctionParams(mode="all"))
    assert values(all_or_nothing) == [0.0]


def test_function_equivalence_without_a_testbench(tools: None) -> None:
    ref = {"ref": AND2["ref"]}  # no test: only equivalence can judge it
    p = FunctionParams(method="equivalence", seed=7, cycles=50)
    got = rtl_function([sample(AND_GATE, ref), sample(OR_GATE, ref)], p)
    assert got[0].value == 1.0 and got[0].info == {"mismatches": 0, "samples": 50}
    assert 0.0 < got[1].value < 1.0  # random vectors: about half differ
    with pytest.raises(UnjudgeableReference, match="no testbench"):
        raise rtl_function([sample(AND_GATE, ref)], FunctionParams())[0]  # type: ignore[misc]


def test_equivalence_covers_every_reset_combination(tools: None) -> None:
    ports = [Port("clk", "input", 1), Port("reset", "input", 1), Port("rst_n", "input", 1),
             Port("d", "input", 40), Port("q", "output", 3)]  # fmt: skip
    bench = equivalence_bench(ports, seed=3, cycles=10)
    assert "k < 4" in bench and "combo = 3 - k" in bench  # 2 resets: 4 combinations, all first
    assert "rst_n = ((combo >> 1) & 1) ? 1'b0 : 1'b1;" in bench  # active low
    assert "d = {$random(seed), $random(seed)};" in bench  # 40 bits: two words
    counter = rtl_function(
        [sample(ONEHOT, COUNTER), sample(as_candidate(COUNTER_REF), COUNTER)],
        FunctionParams(method="equivalence", cycles=30),
    )
    assert values(counter) == [1.0, 1.0]
    assert counter[0].info["samples"] == 2 * 30


def test_ppa_golden_by_hand(tools: None) -> None:
    # The one-hot ring is 4 flip-flops where the reference needs 2: the ratios come from the
    # areas of rtl_cells.lib, and the reward is their weighted mean.
    p = PpaParams(area=1.0, cells=1.0, depth=1.0)
    same, ring, wrong = rtl_ppa(
        [sample(as_candidate(COUNTER_REF), COUNTER), sample(ONEHOT, COUNTER),
         sample(OR_GATE, AND2)], p,
    )  # fmt: skip
    assert same.value == 1.0
    cand, ref = ring.info["candidate"], ring.info["reference"]
    assert ring.info["ratios"]["area"] == pytest.approx(ref["area"] / cand["area"], abs=1e-6)
    assert ring.info["ratios"]["cells"] == pytest.approx(ref["cells"] / cand["cells"], abs=1e-6)
    expected = sum(ring.info["ratios"].values()) / 3
    assert ring.value == pytest.approx(expected) and ring.value < 1.0
    assert cand["cells"] > ref["cells"] and cand["area"] > ref["area"]
    assert wrong.value == 0.0 and wrong.info["error"] == "function_failed"


def test_ppa_metrics_by_hand() -> None:
    lib = (
        'cell(NAND2) { area : 1.0; cell_rise(one) { values("0.03"); }\n  }\n'
        'cell(DFF) { area : 4.67; ff(IQ, IQN) { }; cell_rise(one) { values("0.10"); }\n  }'
    )
    blif = (
        ".subckt DFF C=clk D=n2 Q=q\n.subckt NAND2 A=q B=a Y=n1\n.subckt NAND2 A=n1 B=b Y=n2\n"
        ".names n1 y\n1 1\n"
    )
    got = ppa_metrics(blif, lib)
    # q arrives at 0.10 (clock to Q), n1 at 0.13, n2 at 0.16; area 4.67 + 2 x 1.0.
    assert (got.area, got.cells, got.depth) == (pytest.approx(6.67), 3, pytest.approx(0.16))


def test_builtin_problem_reference_passes_every_tier(tools: None) -> None:
    problems = builtin_problems()
    names = ["add8", "accumulator"]
    samples = [sample(as_candidate(problems[n].ref), {"problem": n}, sid=n) for n in names]
    assert values(rtl_syntax(samples, RtlParams())) == [1.0, 1.0]
    assert values(rtl_function(samples, FunctionParams())) == [1.0, 1.0]
    assert values(rtl_ppa(samples, PpaParams())) == [1.0, 1.0]


def test_references_that_cannot_be_judged(tools: None) -> None:
    no_ref = rtl_function([sample(AND_GATE, None)], FunctionParams())
    assert no_ref == [None]
    for ref in ({"problem": "no_such_problem"}, {"tests": 1}, "module RefModule; endmodule"):
        got = rtl_function([Sample("s", "g", "", AND_GATE, ref)], FunctionParams())
        assert isinstance(got[0], UnjudgeableReference)


def test_refusal_rules() -> None:
    assert refusal('module TopModule; initial $display("x"); endmodule') is not None
    assert refusal("module TopModule; // $system in a comment\nendmodule") is None
    assert refusal('`include "/etc/passwd"\nmodule TopModule; endmodule') is not None
    assert refusal("module TopModule(output y); RefModule r(.y(y)); endmodule", ["RefModule"])
    assert refusal("module TopModule(input a, output y); Sub s(.a(a), .y(y)); endmodule") is None


def test_a_missing_tool_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtl_tools.shutil, "which", lambda *a, **k: None)
    with pytest.raises(MissingExtraError, match="apt-get install iverilog yosys"):
        rtl_tools.tool("iverilog")
