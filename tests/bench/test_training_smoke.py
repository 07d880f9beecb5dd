"""The training benchmarks run: each ``bench/X.py --smoke`` (every arm, one seed, a few steps, a
tiny model, warm starts of 2 steps) trains through the bench's own code path in a subprocess,
and the summary it prints and writes has every arm and the keys its full run reports. A bench
that breaks fails here, not on the day someone reruns it (issue 29).

Every smoke run writes under pytest's temporary folder only (``--out``, ``--cache`` and
``REWARDKIT_CACHE``), never under ``bench/results``.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_ARM = {  # bench/protocol.py's arm_stats, per arm
    "seeds",
    "reached",
    "not_reached",
    "steps_to_target_median",
    "auc_mean",
    "final_mean",
    "final_ci95",
    "zero_std_frac_bins",
    "abs_advantage_bins",
}
PROTOCOL_RUN = {"start", "steps_to_target", "auc", "final", "final_ci95", "zero_std_frac_bins"}

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warm-start cache for the module's runs (the tiny warm starts take a second each)."""
    return tmp_path_factory.mktemp("warmstart-cache")


def smoke(script: str, out: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``bench/<script> --smoke`` from the repo root as CI would; fails with its stderr."""
    env = {**os.environ, "REWARDKIT_CACHE": str(cache), "MPLBACKEND": "Agg"}
    command = [sys.executable, f"bench/{script}", "--smoke", "--out", str(out)]
    command += ["--cache", str(cache), *extra]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr[-4000:]}"
    return result


def printed_and_written(result: subprocess.CompletedProcess[str], out: Path) -> dict[str, Any]:
    """The summary the bench printed, checked equal to the one it wrote beside ``out``."""
    printed = json.loads(result.stdout)
    assert json.loads((out.parent / f"{out.name}.json").read_text()) == printed
    return printed


def check_protocol(summary: dict[str, Any], arms: list[str], seed: int = 0) -> None:
    """Every arm summarised by the protocol over its one seed, every run's curve read."""
    assert list(summary["per_arm"]) == arms
    for arm, stats in summary["per_arm"].items():
        assert set(stats) >= PROTOCOL_ARM, arm
        assert stats["seeds"] == 1
        assert len(stats["zero_std_frac_bins"]) == 10  # protocol.BINS
    assert {f"{arm}-s{seed}" for arm in arms} == set(summary["per_run"])
    for name, run in summary["per_run"].items():
        assert set(run) >= PROTOCOL_RUN, name
        assert 0.0 <= run["final"] <= 1.0


def test_parse_with_smoke_keeps_the_full_defaults() -> None:
    """``--smoke`` replaces the defaults only when given (bench/common.py's own examples)."""
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "bench" / "common.py")
    assert spec is not None and spec.loader is not None
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(common.parse_with_smoke, "parse_with_smoke", globs=vars(common)):
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, 2)


@pytest.mark.slow  # 28 s alone on 2 cores, 40-50 s beside other jobs: nine runs and a worker pool
def test_curriculum(tmp_path: Path, cache: Path) -> None:
    """Nine arms, two workers (the pool), ladders that raise (their table is 0 in the smoke)."""
    out = tmp_path / "curriculum"
    summary = printed_and_written(smoke("curriculum.py", out, cache), out)
    arms = [
        "strict",
        "dense",
        "strict_dense",
        "linear",
        "ladder",
        "ladder_mean",
        "ladder_bucket",
        "ladder_full",
        "ladder_gain",
    ]
    check_protocol(summary, arms)
    assert summary["steps"] == 4 and summary["seeds"] == [0]
    assert {"ratio", "note"} <= set(summary["ladder_vs_strict"])
    raises = summary["before_raises"]["ladder-s0"]
    assert raises and raises[0]["from"] == 0.3 and raises[0]["to"] == 0.45
    assert (tmp_path / "curriculum.png").exists()


def test_tolerance(tmp_path: Path, cache: Path) -> None:
    """Four arms; the smoke's target 0 is reached at the start, so the speedups are measured."""
    out = tmp_path / "tolerance"
    summary = printed_and_written(smoke("tolerance.py", out, cache), out)
    check_protocol(summary, ["exact", "dense", "ladder", "ladder_gain"])
    assert summary["per_arm"]["exact"]["reached"] == 1
    assert set(summary["speedups"]) == {
        "ladder_vs_exact",
        "ladder_vs_dense",
        "ladder_gain_vs_exact",
        "ladder_gain_vs_dense",
    }
    assert all(s["note"] == "both medians measured" for s in summary["speedups"].values())
    assert (tmp_path / "tolerance.png").exists()


def test_tolerance_reuse_trains_nothing(tmp_path: Path, cache: Path) -> None:
    """``--reuse`` over finished runs reads them back: no run again, the same per-run numbers."""
    out = tmp_path / "tolerance"
    first = printed_and_written(smoke("tolerance.py", out, cache, "--arms", "exact"), out)
    again = smoke("tolerance.py", out, cache, "--arms", "exact", "--reuse")
    assert "[bench] done" not in again.stderr
    assert json.loads(again.stdout)["per_run"] == first["per_run"]


def test_tolerance_sweep(tmp_path: Path, cache: Path) -> None:
    """The lr sweep: each arm at each lr on the sweep seed, its best lr by AUC."""
    out = tmp_path / "tolerance"
    result = smoke("tolerance.py", out, cache, "--sweep", "--arms", "exact", "dense")
    sweep_out = tmp_path / "tolerance_sweep"
    summary = printed_and_written(result, sweep_out)
    assert set(summary["per_run"]) == {
        f"{arm}@{lr}-s100" for arm in ("exact", "dense") for lr in ("0.0003", "0.001")
    }
    for arm in ("exact", "dense"):
        assert summary["sweep"][arm]["best_lr"] in {"0.0003", "0.001"}
        assert set(summary["sweep"][arm]["by_lr"]) == {"0.0003", "0.001"}


def test_process(tmp_path: Path, cache: Path) -> None:
    """Five arms (``implicit`` too), the protocol's numbers and the scoring-time shares."""
    out = tmp_path / "process"
    summary = printed_and_written(smoke("process.py", out, cache), out)
    arms = ["outcome", "dual", "transition", "gra", "implicit"]
    check_protocol(summary, arms)
    assert set(summary["speedup_vs_outcome"]) == set(arms) - {"outcome"}
    assert set(summary["timing_per_arm"]) == set(arms)
    assert 0.0 < summary["overhead"]["score_share_dual"] < 1.0
    for run in summary["per_run"].values():
        assert 0.0 < run["score_share"] < 1.0 and run["step_s"] > 0
    assert (tmp_path / "process.png").exists()


def test_monitor(tmp_path: Path, cache: Path) -> None:
    """Clean runs of both tasks and every loophole; the summary and plot beside ``--out``."""
    out = tmp_path / "monitor"
    result = smoke("monitor.py", out, cache)
    goals = json.loads(result.stdout.strip().splitlines()[-1])
    summary = json.loads((tmp_path / "monitor.json").read_text())
    assert summary["goals"] == goals
    assert set(goals) == {
        "no_false_alarm",
        "every_loophole_detected",
        "every_measured_delay_within_30",
        "delay_not_measurable",
    }
    assert set(summary["clean"]) == {"clean-countdown-s0", "clean-chain-s0"}
    holes = {"format_unchecked", "length_paid", "any_true_equation", "opener_judge"}
    assert set(summary["loopholes"]) == holes
    for hole in summary["loopholes"].values():
        assert {"onset", "first_alert", "delay", "within_30"} <= set(hole)
        assert len(hole["reward_start_end"]) == 2
    assert summary["settings"]["steps"] == 20 and summary["settings"]["smoke"] is True
    assert (tmp_path / "monitor.png").exists()
