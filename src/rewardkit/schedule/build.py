"""Build schedules from their YAML mappings, reporting every problem with its field path.

Each schedule names exactly one type: a time-based shape (``constant``, ``linear``, ``cosine``,
``exponential``, ``piecewise``) or ``transition`` as its only key, or ``ladder`` next to its
fields (``watch``, ``window``, ``raise_when``...). A bare number is a constant.

>>> build_schedule("lr_like", {"cosine": {"start": 1.0, "end": 0.0, "steps": 200}}).value(200)
0.0
>>> sorted(build_schedules({"a": {"constant": 0.5}, "b": 0.25}))
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.schedule.base import Schedule
from rewardkit.schedule.buckets import BucketLadder
from rewardkit.schedule.config import collect, join, type_key, validate
from rewardkit.schedule.ladder import Ladder, LadderConfig, ladder_problems
from rewardkit.schedule.time import SHAPES, ConstantShape, TimeSchedule
from rewardkit.schedule.transition import Transition, TransitionConfig, transition_problems

TYPES: tuple[str, ...] = (*SHAPES, "ladder", "transition")
"""Every schedule type a config may name."""

_FORBIDDEN_IN_NAMES = set("${}") | {" ", "\t", "\n"}


def build_schedule(
    name: str, config: Mapping[str, Any] | float, path: str = "schedules"
) -> Schedule:
    """One schedule from its config mapping (the value under ``schedules.<name>``).

    Raises ConfigError listing every problem with its path, or UnknownNameError for a misspelt type.

    >>> build_schedule("const", {"constant": 0.5}).value(10)
    0.5
    >>> fade = {"transition": {"from": 1, "to": 0, "over": {"linear": {"steps": 10}}}}
    >>> build_schedule("w", fade).value(5)
    0.5
    """
    here = join(path, name)
    if isinstance(config, (int, float)) and not isinstance(config, bool):
        return TimeSchedule(name, ConstantShape(value=float(config)))
    if not isinstance(config, Mapping):
        raise ConfigError(
            [
                (
                    here,
                    f"expected a mapping with one schedule type ({', '.join(TYPES)}), "
                    f"got {type(config).__name__}",
                )
            ]
        )
    kind = type_key(config, TYPES, "schedule type", here)
    if kind == "ladder":
        ladder = validate(LadderConfig, config, here)
        collect(ladder_problems(ladder, here))
        return BucketLadder(name, ladder) if ladder.per else Ladder(name, ladder)
    collect(
        (
            join(here, k),
            f"unexpected key next to {kind!r}; a {kind} schedule has its fields "
            f"inside {kind}: {{...}}",
        )
        for k in config
        if k != kind
    )
    body = config[kind]
    if kind == "transition":
        transition = validate(TransitionConfig, body, join(here, kind))
        collect(transition_problems(transition, join(here, kind)))
        return Transition(name, transition)
    if kind == "constant" and not isinstance(body, Mapping):
        if isinstance(body, bool) or not isinstance(body, (int, float)):
            raise ConfigError([(join(here, kind), f"expected a number, got {body!r}")])
        body = {"value": body}
    return TimeSchedule(name, validate(SHAPES[kind], body, join(here, kind)))


def build_schedules(
    config: Mapping[str, Any] | None, path: str = "schedules"
) -> dict[str, Schedule]:
    """Every schedule of a ``schedules:`` mapping; the problems of all of them are reported at once.

    A single misspelt type is raised as UnknownNameError; several problems as one ConfigError.

    >>> build_schedules(None)
    {}
    """
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigError(
            [(path, f"expected a mapping of name -> schedule, got {type(config).__name__}")]
        )
    schedules: dict[str, Schedule] = {}
    errors: list[ConfigError] = []
    for name, body in config.items():
        bad = _name_problem(name)
        if bad:
            errors.append(ConfigError([(join(path, str(name)), bad)]))
            continue
        try:
            schedules[name] = build_schedule(name, body, path)
        except ConfigError as exc:
            errors.append(exc)
    if len(errors) == 1 and isinstance(errors[0], UnknownNameError):
        raise errors[0]
    collect(problem for exc in errors for problem in exc.problems)
    return schedules


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return f"a schedule name must be a non-empty string, got {name!r}"
    if _FORBIDDEN_IN_NAMES & set(name):
        return "a schedule name is referenced as ${name}; it cannot contain $, {, } or whitespace"
    return None
