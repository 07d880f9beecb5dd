"""Everything a run is built from: device, task, model (warm-started when tiny), program, data.

``build_session`` turns a TrainConfig (and, on resume, the newest checkpoint) into live objects,
so the training loop itself only trains.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.config import read_utf8
from rewardkit.errors import ConfigError, InputError, require
from rewardkit.models import NAMED_MODELS, load_model
from rewardkit.program import RewardProgram
from rewardkit.protocol import StepProtocol
from rewardkit.runs.runlog import RunFolder
from rewardkit.tasks import make_task
from rewardkit.tasks.base import Problem, Task
from rewardkit.tasks.models import TinyModelSpec
from rewardkit.tasks.warmstart import WarmStartSpec, warm_start
from rewardkit.train.checkpoint import (
    TrainerState,
    latest_checkpoint,
    list_checkpoints,
    read_state,
    restore_trainer,
)
from rewardkit.train.config import TrainConfig, load_train_config
from rewardkit.train.data import PromptSource
from rewardkit.train.evaluate import eval_problems
from rewardkit.train.progress import eta_text, time_left

TRAINER_META = frozenset({"logprobs", "ref_logprobs"})
"""The ``Component.needs`` keys the built-in trainer fills (``samples.logprob_meta``)."""

Status = Callable[[str], None]


@dataclass
class Session:
    """The live objects of one run."""

    cfg: TrainConfig
    run: RunFolder
    task: Task
    model: Any
    tokenizer: Any
    ref_model: Any | None
    optimizer: Any
    generator: Any
    program: RewardProgram
    protocol: StepProtocol
    """The one step protocol over ``program`` and the run's monitor (restored on resume)."""
    source: PromptSource
    eval_set: list[Problem]
    start_step: int
    init_model: str
    elapsed_before: float
    chat: bool = False
    """Prompts are wrapped in the tokenizer's chat template (``TrainConfig.chat_template``)."""


def pick_device(name: str) -> str:
    """``auto`` is cuda when available, else cpu."""
    torch = require("torch", "train")
    mps = getattr(torch.backends, "mps", None)
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": bool(mps is not None and mps.is_available()),
        "cpu": True,
    }
    if name == "auto":
        return "cuda" if available["cuda"] else "cpu"
    if not available.get(name, False):
        here = ", ".join(d for d, ok in available.items() if ok)
        raise ConfigError(
            [
                (
                    "device",
                    f"{name!r} is not available on this machine (torch sees: {here}); "
                    "use --device auto or one of those",
                )
            ]
        )
    return name


def resolve_model(
    cfg: TrainConfig, task: Task, status: Status | None = None, activity: Status | None = None
) -> str:
    """The model folder to start from: ``cfg.model``, or a cached warm-started tiny model.

    The warm start's progress, with the time left, goes to ``activity`` after every step and
    to ``status`` after the last."""
    if cfg.model in NAMED_MODELS:
        if status is not None:
            status(f"{cfg.model}: preparing the model folder (about 20 s, cached after)")
        return str(NAMED_MODELS[cfg.model]())
    if cfg.model is not None:
        if not (Path(cfg.model) / "config.json").is_file():
            raise ConfigError(
                [
                    (
                        "model",
                        f"no model at {cfg.model!r}: `model` is a local folder with a "
                        "transformers config.json and weights (rewardkit downloads nothing); give "
                        f"that folder, one of {', '.join(NAMED_MODELS)}, or leave model out to "
                        "train the built-in tiny model",
                    )
                ]
            )
        return cfg.model
    tiny = TinyModelSpec(**cfg.tiny.model_dump())
    ws = cfg.warm_start
    seed = cfg.seed if ws.seed is None else ws.seed
    spec = WarmStartSpec(steps=ws.steps, batch=ws.batch, lr=ws.lr, seed=seed)

    began = time.perf_counter()

    def report(step: int, loss: float) -> None:
        elapsed = time.perf_counter() - began
        left = time_left(step + 1, spec.steps, elapsed)
        line = f"warm start {step + 1}/{spec.steps} (loss {loss:.3f}) {eta_text(elapsed, left)}"
        tell = status if step + 1 == spec.steps else activity
        if tell is not None:
            tell(line)

    if status is not None:
        status("warm start: building the tiny model (cached after the first run)")
    return str(warm_start(task, tiny, spec, ws.cache_dir, report))


_MADE: dict[Path, list[Path]] = {}
"""Folders ``run_folder_path`` created for a run folder, for ``build_session`` to remove on a failed
start."""


def run_folder_path(cfg: TrainConfig) -> Path:
    """A new folder under ``out_dir``, created now: ``run_name`` or ``<task>-<date-time>``.

    The folder is claimed with an atomic ``mkdir``, so two runs started in the same second get
    two folders (the second is suffixed ``-2``). A named folder that exists but is empty is used.
    """
    name = cfg.run_name or f"{cfg.task.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    path = Path(cfg.out_dir) / name
    suffix = 1
    while True:
        missing = [p for p in (path, *path.parents) if not p.exists()]
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            if cfg.run_name and path.is_dir() and not any(path.iterdir()):
                return path
            suffix += 1
            path = Path(cfg.out_dir) / f"{name}-{suffix}"
            continue
        _MADE[path] = missing
        return path


def build_session(
    cfg: TrainConfig,
    run_dir: Path,
    resume: bool,
    status: Status | None = None,
    activity: Status | None = None,
) -> Session:
    """Live objects for ``cfg`` in ``run_dir``; with ``resume``, restored from its last checkpoint.

    A fresh start that fails (no model, no CUDA, Ctrl-C in the warm start) removes the folders it
    made, so no empty run folder is left behind.
    """
    made = _MADE.pop(run_dir, None) or [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    try:
        return _build_session(cfg, run_dir, resume, status, activity)
    except BaseException:
        if not resume and made:
            shutil.rmtree(made[0], ignore_errors=True)
            for parent in made[1:]:
                with contextlib.suppress(OSError):
                    parent.rmdir()  # only when empty: another run may have started there
        raise


def _build_session(
    cfg: TrainConfig, run_dir: Path, resume: bool, status: Status | None, activity: Status | None
) -> Session:
    torch = require("torch", "train")
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    task = make_task(cfg.task, cfg.task_options)
    program_config = cfg.program or task.reward_config()
    program = RewardProgram.from_dict(program_config)
    unknown = program.needs - TRAINER_META
    if unknown:
        raise ConfigError(
            f"the reward program's components need sample meta {sorted(unknown)}, which the "
            f"built-in trainer cannot fill (it fills {sorted(TRAINER_META)}); compute them "
            "inside the component, or train with a trainer that provides them"
        )
    # "no model at" before any work; a resumed run starts from its checkpoint's model instead.
    init = None if cfg.model is None or resume else resolve_model(cfg, task)
    run = RunFolder(run_dir, cfg.sinks)

    def skipped(path: Path, why: str) -> None:
        if status is not None:
            status(f"warning: skipping the damaged checkpoint {path.name} ({why})")

    checkpoint = latest_checkpoint(run_dir, skipped) if resume else None
    if checkpoint is not None and status is not None and checkpoint.name != _newest_name(run_dir):
        status(f"warning: resuming from {checkpoint}, the newest intact checkpoint")
    state = read_state(checkpoint) if checkpoint is not None else None
    init_model = (
        state.extra["init_model"] if state else init or resolve_model(cfg, task, status, activity)
    )
    model_path = str(checkpoint / "model") if checkpoint is not None else init_model
    model, tokenizer = load_model(model_path, device, cfg.dtype)
    model.eval()
    chat = cfg.chat_template
    if chat is None:
        chat = getattr(tokenizer, "chat_template", None) is not None
    elif chat and getattr(tokenizer, "chat_template", None) is None:
        raise ConfigError(
            [("chat_template", f"the tokenizer of {model_path} has no chat template; set it false")]
        )
    ref_model = None
    if cfg.kl_beta > 0 or "ref_logprobs" in program.needs:
        ref_model, _ = load_model(init_model, device, cfg.dtype)
        ref_model.eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay
    )
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    source = PromptSource(task, cfg.seed, program.curricula)
    protocol = StepProtocol(program, cfg.monitor)
    start, elapsed = 0, 0.0
    if checkpoint is not None and state is not None:
        restore_trainer(checkpoint, optimizer, generator)
        source.load_state_dict(state.data)
        protocol.load_state_dict(protocol_state(state))
        start, elapsed = state.next_step, float(state.extra.get("elapsed", 0.0))
        run.truncate(after_step=start - 1)
    # The resolved config names the program actually used, so the folder alone reruns it (on
    # resume too: ``rewardkit train --resume RUN --steps N`` extends ``steps``).
    run.write_config({**cfg.model_dump(mode="json"), "program": program_config})
    return Session(
        cfg=cfg,
        run=run,
        task=task,
        model=model,
        tokenizer=tokenizer,
        ref_model=ref_model,
        optimizer=optimizer,
        generator=generator,
        program=program,
        protocol=protocol,
        source=source,
        eval_set=(eval_problems(task, _eval_seed(cfg), cfg.eval_size) if cfg.eval_every else []),
        start_step=start,
        init_model=init_model,
        elapsed_before=elapsed,
        chat=chat,
    )


def protocol_state(state: TrainerState) -> dict[str, Any]:
    """The step protocol's state in a checkpoint: the program's is ``state.program`` and the
    monitor's ``state.extra["monitor"]`` (the layout of checkpoints written before the protocol,
    kept so that they resume)."""
    return {"program": state.program, "monitor": state.extra.get("monitor")}


def _eval_seed(cfg: TrainConfig) -> int:
    return cfg.seed if cfg.eval_seed is None else cfg.eval_seed


def _newest_name(run_dir: Path) -> str | None:
    found = list_checkpoints(run_dir / "checkpoints")
    return found[-1].name if found else None


def saved_config(run_dir: str | Path) -> dict[str, Any]:
    """The resolved config a run folder was started with (InputError naming a damaged file)."""
    path = Path(run_dir) / "config.json"
    if not Path(run_dir).is_dir():
        raise InputError(f"no run folder at {str(run_dir)!r}")
    if not path.exists():
        raise InputError(f"{str(run_dir)!r} is not a run folder (no config.json)")
    try:
        loaded = json.loads(read_utf8(path, "run config"))
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"{path} is damaged (truncated or edited): {exc}; restore it, or start a new run"
        ) from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path} is damaged: it holds no mapping of options")
    return loaded


def resume_steps(run_dir: str | Path, steps: int | None) -> int:
    """Check that ``run_dir`` has steps left (or that ``steps`` extends it); returns its steps.

    With ``steps``, the run's ``config.json`` is rewritten to train until that step.
    A finished run without ``steps`` is an InputError that says so.
    """
    config = saved_config(run_dir)
    planned = int(config.get("steps", 0))
    done = read_state(latest_checkpoint(run_dir)).next_step
    if steps is None:
        if done >= planned:
            raise InputError(
                f"the run {str(run_dir)!r} is complete ({done} of {planned} steps); "
                "to train it further, give a larger total: "
                f"rewardkit train --resume {shlex.quote(str(run_dir))} --steps {2 * planned}"
            )
        return planned
    if steps <= done:
        raise InputError(
            f"--steps {steps}: the run {str(run_dir)!r} has already trained {done} steps; "
            f"give a total above {done}"
        )
    load_train_config({**config, "steps": steps})  # the new total is a valid config
    Path(run_dir, "config.json").write_text(json.dumps({**config, "steps": steps}, indent=1))
    return steps
