"""The RTL problems: the loader (VerilogEval v2's layout), the built-in set's references against
their own testbenches, and the testbenches against mutants of the references.

Tests that simulate need Icarus Verilog (``iverilog``, ``vvp``; ``apt-get install iverilog``);
without it they are skipped, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from scripts.rtl_mutation_score import Mutant, killed, mutants, proven_equivalent

from rewardkit.errors import InputError
from rewardkit.rewards.rtl_problems import (
    RtlProblem,
    as_candidate,
    builtin_problems,
    load_problems,
    parse_mismatches,
    run_testbench,
)


def need(tool: str) -> None:
    """Skip without ``tool`` on PATH; under CI a missing tool is a failure."""
    if shutil.which(tool) is None:
        reason = f"{tool} is not installed (apt-get install iverilog yosys)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"RTL tests must run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def iverilog() -> None:
    need("iverilog")
    need("vvp")


ZERO_REF = "module RefModule(output zero);\n  assign zero = 1'b0;\nendmodule\n"
ZERO_TEST = """module tb;
  wire z_ref, z_dut;
  integer mismatches = 0;
  RefModule r (.zero(z_ref));
  TopModule d (.zero(z_dut));
  initial begin
    #1 if (z_ref !== z_dut) mismatches = mismatches + 1;
    $display("Mismatches: %0d in %0d samples", mismatches, 1);
    $finish;
  end
endmodule
"""


def verilog_eval_folder(root: Path) -> Path:
    """Two problems named as VerilogEval v2 names them, plus an interface file it also ships."""
    for name in ("Prob001_zero", "Prob002_dff"):
        (root / f"{name}_prompt.txt").write_text("Build a circuit with no inputs that outputs 0.")
        (root / f"{name}_ref.sv").write_text(ZERO_REF)
        (root / f"{name}_test.sv").write_text(ZERO_TEST)
    (root / "Prob002_dff_ref.sv").write_text(
        "module RefModule(input clk, input d, output reg q);\n"
        "  always @(posedge clk) q <= d;\nendmodule\n"
    )
    (root / "Prob001_zero_ifc.txt").write_text("module TopModule(output zero);")
    return root


def test_load_problems_reads_verilog_eval_names(tmp_path: Path) -> None:
    problems = load_problems(verilog_eval_folder(tmp_path))
    assert list(problems) == ["Prob001_zero", "Prob002_dff"]
    zero = problems["Prob001_zero"]
    assert zero == RtlProblem("Prob001_zero", zero.prompt, ZERO_REF, ZERO_TEST, "combinational")
    assert problems["Prob002_dff"].kind == "sequential"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    verilog_eval_folder(tmp_path)
    (tmp_path / "Prob002_dff_test.sv").unlink()
    (tmp_path / "Prob003_x_prompt.txt").write_text("only a prompt")
    with pytest.raises(InputError) as error:
        load_problems(tmp_path)
    message = str(error.value)
    assert "Prob002_dff_test.sv" in message
    assert "Prob003_x_ref.sv" in message and "Prob003_x_test.sv" in message
    assert "Prob001_zero" not in message


def test_an_empty_or_absent_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no problems here")
    with pytest.raises(InputError, match="no RTL problem"):
        load_problems(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        load_problems(tmp_path / "nowhere")


def test_the_builtin_set() -> None:
    problems = builtin_problems()
    kinds = [p.kind for p in problems.values()]
    assert len(problems) >= 40
    assert kinds.count("combinational") >= 20 and kinds.count("sequential") >= 20
    for p in problems.values():
        assert "module TopModule (" in p.prompt, p.name
        assert p.ref.startswith("module RefModule ("), p.name
        assert "module tb;" in p.test and "Mismatches: %0d in %0d samples" in p.test, p.name
        if p.kind == "sequential":
            assert "input  clk" in p.prompt and "input  reset" in p.prompt, p.name


def test_parse_mismatches_wants_exactly_one_line() -> None:
    assert parse_mismatches("VCD info\nMismatches: 3 in 1500 samples\n") == (3, 1500)
    assert parse_mismatches("Mismatches: 0 in 10 samples (really)") is None
    assert parse_mismatches("") is None


@pytest.mark.process
def test_a_verilog_eval_folder_runs(tmp_path: Path, iverilog: None) -> None:
    zero = load_problems(verilog_eval_folder(tmp_path))["Prob001_zero"]
    assert run_testbench(zero, "module TopModule(output zero); assign zero = 0; endmodule") == (
        0,
        1,
    )
    assert run_testbench(zero, "module TopModule(output zero); assign zero = 1; endmodule") == (
        1,
        1,
    )
    with pytest.raises(InputError, match="iverilog failed"):
        run_testbench(zero, "module TopModule(output zero); assign zero = ; endmodule")


@pytest.mark.process
@pytest.mark.parametrize("name", ["mux4", "alu8", "fifo4x8"])
def test_references_pass_their_testbench(name: str, iverilog: None) -> None:
    problem = builtin_problems()[name]
    mismatches, samples = run_testbench(problem, as_candidate(problem.ref))
    assert mismatches == 0 and samples >= 800


@pytest.mark.process
def test_every_reference_passes_its_testbench(iverilog: None) -> None:
    """All 48 in about 4 s here; each testbench well under a second."""
    failing = {}
    for name, problem in builtin_problems().items():
        mismatches, samples = run_testbench(problem, as_candidate(problem.ref))
        if mismatches or samples < 8:
            failing[name] = (mismatches, samples)
    assert failing == {}


@pytest.mark.process
def test_a_wrong_design_is_caught(iverilog: None) -> None:
    """A 4:1 mux that answers c for sel 3 (instead of d): a quarter of the random samples differ."""
    problem = builtin_problems()["mux4"]
    wrong = as_candidate(problem.ref).replace("default: y = d;", "default: y = c;")
    mismatches, samples = run_testbench(problem, wrong)
    assert samples == 800 and 150 < mismatches < 250


def test_full_adder_mutants_by_hand() -> None:
    """sum = a ^ b ^ cin: two '^'; cout = (a & b) | (a & cin) | (b & cin): three '&', two '|'."""
    changes = [m.change for m in mutants(builtin_problems()["full_adder"].ref)]
    assert sorted(changes) == sorted(
        ["line 8: '^' -> '~^'"] * 2 + ["line 9: '&' -> '|'"] * 3 + ["line 9: '|' -> '&'"] * 2
    )


def test_mutant_kinds() -> None:
    ref = (
        "module RefModule(input clk, input [3:0] a, output reg [3:0] q);\n"
        "  always @(posedge clk) if (a < 4'd3) q <= a[1] ? a : 4'd0;\nendmodule\n"
    )
    changes = {m.change for m in mutants(ref)}
    assert changes == {
        "line 2: if (a < 4'd3) negated",
        "line 2: '<' -> '<='",
        'line 2: "4\'d3" -> "4\'d4"',
        'line 2: "4\'d3" -> "4\'d2"',
        "line 2: 1 -> 2",
        "line 2: 1 -> 0",
        "line 2: ternary arms swapped (a / 4'd0)",
        'line 2: "4\'d0" -> "4\'d1"',
    }
    assert all("module TopModule(" in m.source for m in mutants(ref))


@pytest.mark.process
@pytest.mark.parametrize("name", ["full_adder", "counter_mod10", "seqdet_mealy_110"])
def test_testbenches_kill_their_mutants(name: str, iverilog: None) -> None:
    """Every non-equivalent mutant fails (rtl_data/MUTATION_SCORES.md has the whole set)."""
    problem = builtin_problems()[name]
    survivors = [m.change for m in mutants(problem.ref) if killed(problem, m, 10.0) is False]
    # the one survivor: the unused state code 2'd2 -> 2'd3 (proven equivalent below)
    expected = ['line 7: "2\'d2" -> "2\'d3"'] if name == "seqdet_mealy_110" else []
    assert survivors == expected


@pytest.mark.process
def test_equivalence_proof_separates_equivalent_from_wrong(iverilog: None) -> None:
    need("yosys")
    problem = builtin_problems()["seqdet_mealy_110"]
    renamed = [m for m in mutants(problem.ref) if m.change == 'line 7: "2\'d2" -> "2\'d3"']
    assert proven_equivalent(problem, renamed[0], depth=12, timeout=60)
    wrong = Mutant("out registered", as_candidate(problem.ref).replace("&& !in", "&& in"))
    assert not proven_equivalent(problem, wrong, depth=12, timeout=60)
