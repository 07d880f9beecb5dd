"""rewardkit inside the real TRL GRPOTrainer (CPU, a 1-layer Qwen2 built locally, a few steps).

The probe component below returns ``meta["v"]`` (a dataset column, 1.0 when absent) and records
the threshold it was given, with the trainer step of the call (the first part of a sample id).
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import pytest
from tests.integrations.trl_setup import dataset, grpo_config, trainer

from rewardkit.diagnostics import STATS
from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.types import Sample

SEEN: list[tuple[int, float, float]] = []  # (trainer step, threshold, value) per scored sample


class ProbeParams(Params):
    threshold: float = 0.0


@reward("trl_probe", params=ProbeParams)
def trl_probe(sample: Sample, p: ProbeParams) -> float:
    value = float(sample.meta.get("v", 1.0))
    SEEN.append((int(sample.id.split("-")[0]), p.threshold, value))
    return value


def ladder_program(window: int = 1, levels: int = 4) -> RewardProgram:
    """A weighted root (probe, a digit regex, exact match) and a ladder on the probe's threshold
    that raises whenever the window of ``reward/probe/mean`` is full and >= 0.75."""
    return RewardProgram.from_dict(
        {
            "reward": {
                "weighted": [
                    {"name": "probe", "fn": "trl_probe", "threshold": "${threshold}"},
                    {"name": "digit", "fn": "regex", "pattern": "\\d", "weight": 0.5},
                    {"name": "ok", "fn": "exact_match"},
                ]
            },
            "schedules": {
                "threshold": {
                    "ladder": [round(0.1 * (i + 1), 1) for i in range(levels)],
                    "watch": "reward/probe/mean",
                    "window": window,
                    "raise_when": {"mean_at_least": 0.75},
                }
            },
        }
    )


@pytest.fixture(autouse=True)
def _clear_seen() -> None:
    SEEN.clear()


def test_ladder_raises_and_the_reward_sees_it_from_the_next_step(
    model_dir: str, tmp_path: Path
) -> None:
    program = ladder_program(window=1)
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=3))
    t.train()
    events = [(e.step, e.old, e.new) for e in t.rewardkit_callback.events]
    assert events == [(0, 0.1, 0.2), (1, 0.2, 0.3), (2, 0.3, 0.4)]
    # 4 completions per step; step s was scored with the level reached after step s - 1.
    assert sorted(set((step, th) for step, th, _ in SEEN)) == [(0, 0.1), (1, 0.2), (2, 0.3)]
    assert program.variables["threshold"] == 0.4
    assert program.step == 3


def test_every_node_and_the_schedule_are_in_log_history(model_dir: str, tmp_path: Path) -> None:
    program = ladder_program(window=1)
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=2))
    t.train()
    train_logs = [r for r in t.state.log_history if "loss" in r]
    assert [r["step"] for r in train_logs] == [1, 2]
    paths = ["reward", "reward/probe", "reward/digit", "reward/ok"]
    for record in train_logs:
        for path in paths:
            for stat in STATS:
                assert f"rewardkit/{path}/{stat}" in record, (path, stat)
        # One process: TRL's own per-function mean is the same number as rewardkit's node mean.
        for path in paths[1:]:
            assert math.isclose(
                record[f"rewardkit/{path}/mean"], record[f"rewards/{path}/mean"], abs_tol=1e-6
            )
        assert record["rewardkit/reward/probe/mean"] == 1.0
    assert [r["rewardkit/schedule/threshold"] for r in train_logs] == [0.1, 0.2]
    assert [r["rewardkit/event/threshold"] for r in train_logs] == [0.2, 0.3]
    assert [r["rewardkit/events"] for r in train_logs] == [1.0, 1.0]


class StopAt:
    """A callback that ends training after ``step`` (the run is 'killed' after its checkpoint)."""

    def __init__(self, step: int):
        from transformers import TrainerCallback

        self.callback = type(
            "StopAtStep",
            (TrainerCallback,),
            {"on_step_end": lambda _, a, state, control, **k: _stop(state, control, step)},
        )()


def _stop(state: Any, control: Any, step: int) -> None:
    if state.global_step >= step:
        control.should_training_stop = True


def test_resume_from_a_trl_checkpoint_continues_the_schedule_exactly(
    model_dir: str, tmp_path: Path
) -> None:
    steps = {"max_steps": 5, "save_strategy": "steps", "save_steps": 2}
    whole = ladder_program(window=2, levels=5)
    t = trainer(whole, model_dir, grpo_config(tmp_path / "whole", **steps))
    t.train()
    whole_events = [e.as_dict() for e in t.rewardkit_callback.events]
    whole_levels = [r["rewardkit/schedule/threshold"] for r in t.state.log_history if "loss" in r]

    first = ladder_program(window=2, levels=5)
    out = tmp_path / "killed"
    t1 = trainer(first, model_dir, grpo_config(out, **steps), callbacks=[StopAt(3).callback])
    t1.train()  # checkpoint-2 written, stopped after step 3: step 3 is lost and redone
    assert (out / "checkpoint-2").is_dir() and first.step == 3

    resumed = ladder_program(window=2, levels=5)
    t2 = trainer(resumed, model_dir, grpo_config(out, **steps))
    t2.train(resume_from_checkpoint=str(out / "checkpoint-2"))
    events = [e.as_dict() for e in t1.rewardkit_callback.events if e.step < 2]
    events += [e.as_dict() for e in t2.rewardkit_callback.events]
    levels = [r["rewardkit/schedule/threshold"] for r in t2.state.log_history if "loss" in r]

    # Window 2, refreshed to its newest value after each raise: raises after steps 1, 2, 3, 4.
    assert [(e["step"], e["new"]) for e in whole_events] == [(1, 0.2), (2, 0.3), (3, 0.4), (4, 0.5)]
    assert whole_levels == [0.1, 0.1, 0.2, 0.3, 0.4]
    assert events == whole_events
    assert levels == whole_levels  # the history of steps 1-2 comes from the checkpoint
    assert resumed.state_dict() == whole.state_dict()


def test_evaluation_batches_move_no_schedule(model_dir: str, tmp_path: Path) -> None:
    program = ladder_program(window=1)
    config = grpo_config(
        tmp_path, max_steps=2, eval_strategy="steps", eval_steps=1, per_device_eval_batch_size=4
    )
    # Train rows score 0.0 (the ladder never raises); eval rows score 1.0 (it would).
    t = trainer(
        program, model_dir, config, train_dataset=dataset(v=0.0), eval_dataset=dataset(v=1.0)
    )
    t.train()
    assert {value for _, _, value in SEEN} == {0.0, 1.0}  # evaluation was scored
    assert t.rewardkit_callback.events == []
    assert program.variables["threshold"] == 0.1
    evals = [r for r in t.state.log_history if "eval_reward" in r]
    assert len(evals) == 2 and all(not any("rewardkit/" in k for k in r) for r in evals)


def test_reward_funcs_pickle_and_pass_none_through() -> None:
    program = RewardProgram.from_dict(
        {
            "reward": {
                "weighted": [
                    {"name": "num", "fn": "numeric"},
                    {"name": "digit", "fn": "regex", "pattern": "\\d", "weight": 0.5},
                ]
            }
        }
    )
    funcs, weights = pickle.loads(pickle.dumps(reward_funcs_of(program)))
    assert [f.__name__ for f in funcs] == ["reward/num", "reward/digit"] and weights == [1.0, 0.5]
    call = {"prompts": ["q", "q"], "completions": ["4", "x"], "reference": ["4", "N/A"]}
    # "N/A" is an unreadable reference: on_unjudgeable=skip makes the whole sample None (NaN).
    assert [f(**call) for f in funcs] == [[1.0, None], [1.0, None]]


def reward_funcs_of(program: RewardProgram) -> Any:
    from rewardkit.integrations.trl import reward_funcs

    return reward_funcs(program)


def test_a_callback_added_after_construction_is_checkpointed(
    model_dir: str, tmp_path: Path
) -> None:
    import json

    from trl import GRPOTrainer

    from rewardkit.integrations.trl import RewardKitCallback, reward_funcs
    from rewardkit.models import load_model

    program = ladder_program(window=1)
    funcs, weights = reward_funcs(program)
    config = grpo_config(tmp_path, max_steps=1, save_strategy="steps", save_steps=1)
    config.reward_weights = weights
    model, tok = load_model(model_dir)
    t = GRPOTrainer(
        model=model, processing_class=tok, reward_funcs=funcs, args=config, train_dataset=dataset()
    )
    t.add_callback(RewardKitCallback(program))
    t.train()
    saved = json.loads((tmp_path / "checkpoint-1" / "trainer_state.json").read_text())
    assert saved["stateful_callbacks"]["RewardKitCallback"]["attributes"]["program"]["step"] == 1


def imported_modules(path: Path) -> set[str]:
    """Every ``rewardkit`` module a source file imports, at any depth (lazy imports included)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("rewardkit")}


def test_trl_imports_point_one_way_and_never_up_to_train() -> None:
    import rewardkit.integrations as integrations

    folder = Path(integrations.__file__).parent
    for path in folder.glob("*.py"):
        assert not any(m.startswith("rewardkit.train") for m in imported_modules(path)), path
    # trl.py is the door above the others: nothing below imports it (no cycle).
    for name in ("trl_trainer", "trl_callback", "trl_rewards", "trl_samples"):
        assert "rewardkit.integrations.trl" not in imported_modules(folder / f"{name}.py"), name
    order = ["trl_samples", "trl_rewards", "trl_callback", "trl_trainer"]
    for lower, name in enumerate(order):
        above = {f"rewardkit.integrations.{m}" for m in order[lower + 1 :]}
        assert not imported_modules(folder / f"{name}.py") & above, name


def test_the_subclass_is_still_reached_through_the_door() -> None:
    from rewardkit.integrations import trl, trl_trainer

    assert trl.RewardKitGRPOTrainer is trl_trainer.RewardKitGRPOTrainer
