"""Session set-up: which warm start a run starts from, and when a reference model is loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.tasks import make_task
from rewardkit.train import TrainConfig
from rewardkit.train.setup import build_session, resolve_model, run_folder_path


def test_warm_start_seed_defaults_to_the_run_seed_and_can_be_shared(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    task = make_task("chain")

    def start(seed: int, warm_seed: int | None) -> str:
        options = tiny(task="chain", seed=seed)
        options["warm_start"] = {**options["warm_start"], "seed": warm_seed}
        return resolve_model(TrainConfig(**options), task)

    assert start(0, None) != start(1, None)  # each run seed its own warm start
    assert start(0, 7) == start(1, 7)  # one shared warm start for both RL seeds


def test_reference_model_is_loaded_for_kl_or_for_reference_log_probs(
    tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    prm = {"reward": {"weighted": [{"fn": "numeric"}, {"metric": {"fn": "implicit_prm"}}]}}
    cases = [({}, False), ({"kl_beta": 0.1}, True), ({"program": prm}, True)]
    for i, (changes, loaded) in enumerate(cases):
        cfg = TrainConfig(**tiny(task="chain", **changes))
        session = build_session(cfg, tmp_path / str(i), False, None)
        assert (session.ref_model is not None) == loaded
        session.run.close()


def test_a_need_the_trainer_cannot_fill_is_a_config_error(
    tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    from rewardkit.errors import ConfigError
    from rewardkit.registry import reward

    @reward("test_needs_hidden_state", needs=("hidden_state",))
    def needs_hidden_state(sample: Any, p: Any) -> float:
        return 0.0

    cfg = TrainConfig(**tiny(task="chain", program={"reward": {"fn": "test_needs_hidden_state"}}))
    with pytest.raises(ConfigError, match=r"need sample meta \['hidden_state'\]"):
        build_session(cfg, tmp_path / "run", False, None)


def test_runs_started_in_the_same_second_get_their_own_folders(
    tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    cfg = TrainConfig(**{**tiny(task="chain"), "out_dir": str(tmp_path / "out" / "runs")})
    first, second = run_folder_path(cfg), run_folder_path(cfg)
    assert first.is_dir() and second.is_dir() and first != second
    # a start that fails removes the folder it was given and the parents made for it
    broken = TrainConfig(**{**tiny(task="chain"), "out_dir": str(tmp_path / "b" / "runs")})
    broken = broken.model_copy(update={"model": str(tmp_path / "no-model")})
    with pytest.raises(Exception, match="no model at"):
        build_session(broken, run_folder_path(broken), False, None)
    assert not (tmp_path / "b").exists()


def test_eval_seed_fixes_one_held_out_set_for_every_run_seed(
    tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    def prompts(seed: int, eval_seed: int | None) -> list[str]:
        cfg = TrainConfig(**tiny(task="chain", seed=seed, eval_seed=eval_seed, eval_size=6))
        session = build_session(cfg, tmp_path / f"{seed}-{eval_seed}", False, None)
        session.run.close()
        return [p.prompt for p in session.eval_set]

    assert prompts(0, 5) == prompts(1, 5)
    assert prompts(0, None) != prompts(1, None)


def test_a_checkpoint_restores_the_step_protocol_in_the_layout_it_always_had() -> None:
    """Checkpoints keep the program's state in ``program`` and the monitor's in
    ``extra["monitor"]`` (absent without a monitor): older run folders resume unchanged."""
    from rewardkit.program import RewardProgram
    from rewardkit.protocol import StepProtocol
    from rewardkit.train.checkpoint import TrainerState
    from rewardkit.train.setup import protocol_state

    config = {
        "reward": {"fn": "exact_match"},
        "schedules": {"w": {"linear": {"start": 1.0, "end": 0.0, "steps": 4}}},
    }
    ran = StepProtocol(RewardProgram.from_dict(config), {})
    ran.observe(0, {})
    ran.observe(1, {})
    saved = ran.state_dict()
    old = TrainerState(2, {}, saved["program"], {"init_model": "m", "monitor": saved["monitor"]})
    again = StepProtocol(RewardProgram.from_dict(config), {})
    again.load_state_dict(protocol_state(old))
    assert again.state_dict() == saved and again.program.variables["w"] == 0.5
    bare = StepProtocol(RewardProgram.from_dict(config))  # no monitor: no "monitor" key
    bare.load_state_dict(protocol_state(TrainerState(2, {}, saved["program"], {})))
    assert bare.program.step == 2
