"""Two processes (``torchrun --nproc_per_node 2``, gloo on CPU) running the real GRPOTrainer.

Every group of 8 completions is split 4 + 4 across the ranks (see ``trl_worker.py``), so a
statistic computed on one rank's slice is a statistic of half a group. The callback must give
both ranks the same diagnostics, equal to one process scoring the gathered batch, and the same
schedule events at the same steps.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.integrations.trl_setup import TWO_RANK_CONFIG as CONFIG

from rewardkit.program import RewardProgram
from rewardkit.types import Sample

pytestmark = [pytest.mark.torchrun, pytest.mark.process]

WORKER = Path(__file__).with_name("trl_worker.py")


def run_two_ranks(out: Path, model_dir: str, *extra: str) -> list[dict[str, Any]]:
    """Run the worker on two processes; returns each rank's record."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--master_port", str(port), str(WORKER), str(out), model_dir, *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


def single_process_metrics(state: dict[str, Any], samples: list[dict[str, Any]]) -> dict:
    """One process, one program in the same state, scoring the whole gathered batch."""
    program = RewardProgram.from_dict(CONFIG)
    program.load_state_dict(state)
    scored = program.score([Sample(**{**s, "token_ids": tuple(s["token_ids"])}) for s in samples])
    return {**scored.metrics, **program.advantages(scored).metrics}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("level", ["callback", "subclass"])
def test_two_ranks_share_events_and_gathered_diagnostics(
    level: str, model_dir: str, tmp_path: Path
) -> None:
    """With the callback each rank scores its half group and the callback gathers them; the
    subclass gathers before scoring, so each rank scores (and records) the whole group."""
    rank0, rank1 = run_two_ranks(tmp_path, model_dir, level)
    per_rank = 4 if level == "callback" else 8
    assert rank0["events"] == rank1["events"]
    assert rank0["state"] == rank1["state"]
    assert len(rank0["steps"]) == len(rank1["steps"]) == 4
    for s0, s1 in zip(rank0["steps"], rank1["steps"], strict=True):
        assert s0["step"] == s1["step"] and s0["state"] == s1["state"]
        assert s0["metrics"] == s1["metrics"]  # the same numbers on both ranks
        assert len(s0["samples"]) == len(s1["samples"]) == per_rank
        batch = s0["samples"] + s1["samples"] if level == "callback" else s0["samples"]
        expected = single_process_metrics(s0["state"], batch)
        # The step protocol adds the variables the next step uses (no curricula, no monitor).
        assert set(s0["metrics"]) == set(expected) | {"next/budget"}
        for key, value in expected.items():
            assert same(s0["metrics"][key], value), (s0["step"], key)
        local = single_process_metrics(s0["state"], s0["samples"][:4])
        print(
            f"step {s0['step']}: vowel mean gathered {expected['reward/vowel/mean']:.3f} "
            f"(rank 0 alone {local['reward/vowel/mean']:.3f}), zero_std_frac gathered "
            f"{expected['reward/vowel/zero_std_frac']:.2f} (rank 0 alone "
            f"{local['reward/vowel/zero_std_frac']:.2f}), budget {s0['metrics']['schedule/budget']}"
        )
    print("events:", [(e["step"], e["old"], e["new"]) for e in rank0["events"]])
