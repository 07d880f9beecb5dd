"""End to end: a 2-step run of every task, and runs killed with SIGKILL then resumed (one of them
refilling the groups a balanced_filter drops)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.errors import ConfigError
from rewardkit.runs.runlog import read_jsonl
from rewardkit.train import TrainConfig
from rewardkit.train.batch import MAX_REFILL_ROUNDS
from rewardkit.train.loop import train

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


@pytest.mark.parametrize("task", ["boxes", "countdown", "chain", "workflow"])
def test_two_steps_of_every_task(task: str, tiny: Callable[..., dict[str, Any]]) -> None:
    result = train(TrainConfig(**tiny(task=task, max_new_tokens=12 if task != "workflow" else 24)))
    run = result.run_dir
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1]
    assert "reward/mean" in rows[0] and "reward/zero_std_frac" in rows[0]
    assert "eval/greedy/success" in rows[0] and "time/step" in rows[0]
    assert (run / "config.json").exists() and (run / "summary.json").exists()
    assert (run / "checkpoints" / "step-000002" / "model" / "config.json").exists()
    assert result.summary["steps"] == 2


def _ladder_program() -> dict[str, Any]:
    # Raises whenever its 2-step window is full, so schedule events happen within a short run.
    return {
        "reward": {"fn": "iou_hit", "threshold": "${t}"},
        "schedules": {
            "t": {
                "ladder": [0.0, 0.1, 0.2, 0.3],
                "watch": "reward/mean",
                "window": 2,
                "raise_when": {"mean_at_least": 0.0},
                "refresh": "full",
            }
        },
    }


def _comparable(run: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [
        {k: v for k, v in r.items() if not k.startswith("time/")}
        for r in read_jsonl(run / "metrics.jsonl")
    ]
    return rows, read_jsonl(run / "events.jsonl")


def _kill_and_resume(options: dict[str, Any], kill_at: int) -> tuple[Path, Path, Any]:
    """Run ``options`` whole, and again killed after step ``kill_at`` then resumed."""
    whole = train(TrainConfig(**{**options, "run_name": "whole"})).run_dir
    killed = {**options, "run_name": "killed"}
    env = {**os.environ, "PYTHONPATH": str(SRC), "KILL_AT": str(kill_at)}
    proc = subprocess.run(
        [sys.executable, str(HERE / "resume_worker.py"), json.dumps(killed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    run = Path(options["out_dir"]) / "killed"
    assert [r["step"] for r in read_jsonl(run / "metrics.jsonl")] == list(range(kill_at + 1))
    return whole, run, train(resume=run)


@pytest.mark.process
def test_sigkill_then_resume_matches_an_uninterrupted_run(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    options = tiny(steps=7, checkpoint_every=3, eval_every=2, program=_ladder_program())
    whole, run, resumed = _kill_and_resume(options, kill_at=4)
    assert resumed.run_dir == run
    rows, events = _comparable(run)
    whole_rows, whole_events = _comparable(whole)
    assert [r["step"] for r in rows] == list(range(7))
    assert events and events == whole_events
    assert rows == whole_rows
    assert (
        resumed.summary["final_eval"]
        == json.loads((whole / "summary.json").read_text())["final_eval"]
    )


def test_evaluations_and_checkpoints_leave_the_training_unchanged(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    """Evaluation samples with its own generator and checkpoints only write: a run evaluated and
    saved every step trains exactly as one evaluated at its start and end only, never saved
    (what lets tests/train/test_default_run.py skip the default's evaluations in between)."""
    options = tiny(steps=5, program=_ladder_program(), prompts_per_step=4, group_size=4)
    every = train(TrainConfig(**{**options, "run_name": "every"})).run_dir
    ends = {**options, "run_name": "ends", "eval_every": 5, "checkpoint_every": 0}
    ends_dir = train(TrainConfig(**ends)).run_dir

    def trained(run: Path) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if not k.startswith("eval/")} for r in _comparable(run)[0]
        ]

    evaluated = [r["step"] for r in _comparable(every)[0] if "eval/greedy/success" in r]
    assert evaluated == [0, 1, 2, 3, 4]  # and once more at the end, in the summary
    assert trained(every) == trained(ends_dir)
    assert read_jsonl(every / "events.jsonl") == read_jsonl(ends_dir / "events.jsonl")
    final = json.loads((every / "summary.json").read_text())["final_eval"]
    assert final == json.loads((ends_dir / "summary.json").read_text())["final_eval"]


def _filtered_program() -> dict[str, Any]:
    # Completions of the tiny model contain "=" now and then: some groups are mixed (kept), many
    # are all 0 (dropped and refilled). The ladder raises whenever its 2-step window is full.
    program = _ladder_program()
    program["reward"] = {"fn": "regex", "pattern": "[=]", "mode": "search"}
    program["curricula"] = {"odf": {"balanced_filter": {"accuracy_from": "reward"}}}
    return program


@pytest.mark.process
def test_refilled_run_resumes_exactly_and_counts_its_groups(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    options = tiny(
        task="chain",
        steps=4,
        group_size=4,
        max_new_tokens=12,
        checkpoint_every=2,
        eval_every=0,
        program=_filtered_program(),
    )
    whole, run, _ = _kill_and_resume(options, kill_at=2)
    rows, events = _comparable(run)
    whole_rows, whole_events = _comparable(whole)
    assert rows == whole_rows and events == whole_events
    # The schedule is observed once per step (window 2, refresh full): raises after steps 1 and 3.
    assert [(e["step"], e["kind"]) for e in events] == [(1, "raise"), (3, "raise")]
    position = 0.0
    for row in rows:
        drawn = row["data/position"] - position  # prompts drawn this step, refills included
        position = row["data/position"]
        assert 0 <= row["data/refill_rounds"] <= MAX_REFILL_ROUNDS
        assert row["data/kept_groups"] <= 2
        assert row["data/refill_rounds"] == 0 or drawn > 2
        # The filter's pass rate counts every group drawn in the step.
        assert row["curriculum/odf/pass_rate"] == pytest.approx(row["data/kept_groups"] / drawn)
    assert any(r["data/refill_rounds"] > 0 for r in rows)
    assert any(r["data/kept_groups"] > 0 for r in rows)


def test_implicit_prm_reads_the_live_policy_against_its_start(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    # implicit_prm without model folders: the trainer passes the policy's and the frozen start's
    # log-probs. Before the first update the two are one model, so every step value is 0; after
    # updates (a large lr) they differ.
    program = {
        "reward": {
            "weighted": [
                {"name": "outcome", "fn": "numeric"},
                {"metric": {"name": "prm", "fn": "implicit_prm", "beta": 1.0}, "name": "process"},
            ]
        },
        "advantage": {"steps_from": "reward/process/prm", "step_weight": 0.5},
    }
    options = tiny(task="chain", steps=3, max_new_tokens=12, lr=0.05, eval_every=0, program=program)
    result = train(TrainConfig(**options))
    rows = read_jsonl(result.run_dir / "metrics.jsonl")
    assert rows[0]["reward/process/prm/mean"] == pytest.approx(0.0, abs=1e-5)
    assert rows[0]["reward/process/prm/std"] == pytest.approx(0.0, abs=1e-5)
    assert rows[2]["reward/process/prm/std"] > 0.0
    assert rows[2]["steps/scored_frac"] > 0.0


@pytest.mark.process
def test_a_watched_metric_the_step_lacks_stops_training_after_that_step(
    tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    # train/iou is a trainer metric (the boxes judge's), so the program builds; countdown's
    # judge never reports it, so the ladder would never move: the run stops after step 0.
    program = _ladder_program()
    program["reward"] = {"fn": "countdown"}
    program["schedules"]["t"]["watch"] = "train/iou"
    options = tiny(task="countdown", steps=3, eval_every=0, program=program)
    with pytest.raises(ConfigError) as info:
        train(TrainConfig(**options))
    (path, message), *_ = info.value.problems
    assert path == "schedules.t.watch"
    assert message.startswith("step 0 did not report the watched metric 'train/iou'")
    assert "(did you mean 'train/" in message
    assert "The step reported: " in message and "train/parses" in message
    rows = read_jsonl(next(Path(options["out_dir"]).iterdir()) / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0]  # the step was logged, then training stopped
    # The command line: a clear message, exit 2, no traceback.
    config = tmp_path / "train.yaml"
    config.write_text(json.dumps({**options, "out_dir": str(tmp_path / "cli_runs")}))
    done = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli.main", "train", str(config), "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert done.returncode == 2, done.stderr
    assert "did not report the watched metric 'train/iou'" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_metric_the_trainer_logs_is_one_a_schedule_may_watch(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    """The names ``check`` accepts (schedule.watch.TRAINER_METRICS) follow what train/ logs."""
    from rewardkit.schedule.watch import TRAINER_METRICS

    options = tiny(task="chain", steps=1, kl_beta=0.1, program=_filtered_program())
    rows = read_jsonl(train(TrainConfig(**options)).run_dir / "metrics.jsonl")
    logged = {k for k in rows[0] if k.startswith(("train/", "eval/", "steps/", "data/", "time/"))}
    assert logged - TRAINER_METRICS == set()
    assert {"train/loss", "train/kl", "eval/greedy/steps_right", "data/kept_groups"} <= logged
