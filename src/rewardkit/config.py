"""The program config: the one YAML/Python mapping a RewardProgram is built from.

Validated with pydantic (frozen, unknown keys are errors); every problem is reported with its
field path in one ConfigError, together with the problems of the reward tree and the schedules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rewardkit.advantage.estimators import EPS, resolve_eps
from rewardkit.advantage.turns import TurnCredit
from rewardkit.errors import ConfigError, InputError, config_error

Estimator = Literal["grpo", "dr_grpo", "batch_std", "rloo", "gdpo"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdvantageConfig(_Frozen):
    """How rewards become advantages."""

    estimator: Estimator = Field("grpo", description="grpo | dr_grpo | batch_std | rloo | gdpo")
    eps: float = Field(
        EPS,
        gt=0,
        description="added to the std before dividing (grpo, batch_std, both gdpo stages, step "
        "advantages); a number, or a peer's value by name: trl (1e-4, TRL 1.16 GRPOTrainer) or "
        "verl (1e-6, verl 0.9.1 core_algos). Default 1e-6: advantages stay z-scores (within 1%) "
        "for any group std >= 1e-4, where TRL's 1e-4 shrinks a group of std 5e-4 by a sixth and "
        "one of std 1e-4 by half; an all-equal group gets 0 either way. See docs/conformance.md",
    )
    steps_from: str | None = Field(
        None,
        description="node path whose step values feed per-token advantages (auto: the last "
        "node that produced steps)",
    )
    step_weight: float | str = Field(
        1.0, description="weight w of the step advantage; may be ${var}"
    )
    step_baseline: Literal["group", "index"] | None = Field(
        None,
        description="normalise steps over all steps of the group (group, the default with "
        "turn_credit: none), or per step index",
    )
    step_cap: Literal["none", "clip", "delta"] = Field(
        "none",
        description="cap step rewards against step-repetition hacking first: none | "
        "clip (r -> min(r - eta, 0)) | delta (r_t -> r_t - r_t+1)",
    )
    step_clip_eta: float = Field(0.5, description="eta of step_cap: clip (a step >= eta earns 0)")
    turn_credit: Literal["none"] | TurnCredit = Field(
        "none",
        description="step values as per-turn rewards of a multi-turn trajectory, credited to "
        "each turn by returns-to-go (in place of step_baseline's normalisation): none | outcome "
        "| outcome_loo | returns | index_returns (MT-GRPO, biased when the policy picks the "
        "number of turns) | loo_returns (unbiased: leave-one-out baseline per turn); see "
        "rewardkit.advantage.turns",
    )
    gamma: float = Field(
        1.0, ge=0.0, le=1.0, description="discount over turns of turn_credit's returns-to-go"
    )

    @field_validator("eps", mode="before")
    @classmethod
    def _eps_preset(cls, value: Any) -> Any:
        # A preset name becomes its number here, so every consumer reads a plain float.
        if isinstance(value, str):
            try:
                return resolve_eps(value)
            except ConfigError as exc:
                raise ValueError(exc.problems[0][1]) from None
        return value

    @model_validator(mode="after")
    def _one_step_credit(self) -> AdvantageConfig:
        # step_baseline normalises step values; turn_credit replaces that normalisation
        if self.turn_credit != "none" and self.step_baseline is not None:
            raise ValueError("step_baseline applies only with turn_credit: none; set one of them")
        return self


class ProgramConfig(_Frozen):
    """Everything a RewardProgram is built from."""

    reward: dict[str, Any] = Field(description="the compose tree (see rewardkit.compose.build)")
    variables: dict[str, float] = Field(
        default_factory=dict, description="constant ${name} variables"
    )
    schedules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="scheduled ${name} variables (see rewardkit.schedule)"
    )
    curricula: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="data curricula (see rewardkit.curriculum)"
    )
    advantage: AdvantageConfig = Field(default_factory=AdvantageConfig)
    on_error: Literal["raise", "score"] = Field(
        "raise",
        description="a component that raises: re-raise, or record and substitute error_value",
    )
    error_value: float | None = Field(
        0.0, description="value substituted under on_error=score (null: 'does not apply')"
    )
    on_unjudgeable: Literal["skip", "wrong", "raise"] = Field(
        "skip",
        description="a reference a component cannot read (UnjudgeableReference): skip the "
        "sample (reward None, no advantage), score it as a wrong answer, or raise",
    )
    correct_at_least: float = Field(
        1.0, description="a sample counts as correct for curricula when its reward reaches this"
    )


def parse_config(data: Any) -> ProgramConfig:
    """Validate a mapping into a ProgramConfig, or raise ConfigError listing every problem."""
    if isinstance(data, ProgramConfig):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"a program config is a mapping, got {type(data).__name__}")
    try:
        return ProgramConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise config_error(exc, ProgramConfig) from None


def read_utf8(path: str | Path, what: str = "file") -> str:
    """The text of a UTF-8 file (a leading BOM is dropped), or an InputError naming ``file:line``
    and the byte that is not UTF-8.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_bytes(b"a: 1\\nb: \\xe9\\n")
    >>> try:
    ...     read_utf8(p)
    ... except InputError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    not UTF-8 text (byte 0xe9 at column 4); save the file as UTF-8
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} {str(p)!r} is a directory, not a file")
    if not p.is_file():
        raise InputError(f"{what} {str(p)!r} does not exist")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {str(p)!r}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{p}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
            "save the file as UTF-8"
        ) from None


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file, with an error that names the file and the line of a syntax error."""
    p = Path(path)
    text = read_utf8(p, "config file")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([(str(p), f"not valid YAML: {exc}")]) from None
