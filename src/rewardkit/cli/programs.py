"""The one way every command turns what the user names into a RewardProgram.

``check``, ``probe``, ``score``, ``simulate`` and ``serve`` all take the same kinds of source:

- a program config (a YAML mapping with a ``reward`` tree);
- a train config (``task``, ...): its ``program``, or the task's default program when it has none;
- a run folder: the program of the train config it was started with (``config.json``).

A train config's problems carry the path prefix ``program.``. ``--run RUN_DIR`` (``score``)
restores a run's saved schedule state on top.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
>>> _ = path.write_text("task: boxes\\n")
>>> program_source(path)[1]
"train config: task boxes, 500 steps; the boxes task's default program"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rewardkit.config import load_yaml
from rewardkit.errors import ConfigError, InputError
from rewardkit.program import RewardProgram


def program_source(source: Path) -> tuple[Any, str]:
    """The program config mapping that ``source`` holds, and what it is (module doc)."""
    if source.is_dir():
        from rewardkit.train.setup import saved_config

        data: Any = saved_config(source)
        what = f"the program of run {source}"
    elif source.is_file():
        data, what = load_yaml(source), "program config"
    else:
        raise InputError(f"config {str(source)!r} does not exist; give a YAML file or a run folder")
    if data is None:
        raise ConfigError(f"{source} is empty; a config is a YAML mapping")
    if not isinstance(data, dict) or "reward" in data:
        return data, what
    from rewardkit.train.config import load_train_config

    cfg = load_train_config(data)
    if cfg.program is not None:
        return cfg.program, f"train config: task {cfg.task}, {cfg.steps} steps"
    from rewardkit.tasks import make_task

    program = make_task(cfg.task, cfg.task_options).reward_config()
    return (
        program,
        f"train config: task {cfg.task}, {cfg.steps} steps; the {cfg.task} task's default program",
    )


def load_program(
    source: Path,
    overrides: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
) -> RewardProgram:
    """The RewardProgram of ``source`` with top-level ``overrides`` (``on_error: raise`` for
    ``check``; fixed ``variables``), at a saved ``state`` when given."""
    data, what = program_source(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a program config is a mapping with a 'reward' tree")
    try:
        program = RewardProgram.from_dict({**data, **(overrides or {})})
    except ConfigError as exc:
        if what == "program config":
            raise
        raise ConfigError(
            [(f"program.{p}" if p else "program", m) for p, m in exc.problems]
        ) from None
    if state:
        program.load_state_dict(state)
    return program
