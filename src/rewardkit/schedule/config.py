"""Config validation shared by schedules and curricula: pydantic models at the edge, and one
ConfigError that lists every problem with its field path.

>>> class Window(ConfigModel):
...     size: int = 30
>>> validate(Window, {"size": 4}, "schedules.x").size
4
>>> try:
...     validate(Window, {"sise": 4}, "schedules.x")
... except ConfigError as e:
...     print(e.problems[0][0])
schedules.x.sise
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from rewardkit.errors import ConfigError, UnknownNameError, config_error, did_you_mean

Problem = tuple[str, str]
M = TypeVar("M", bound=BaseModel)


class ConfigModel(BaseModel):
    """Base of every schedule and curriculum config model: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def join(*parts: str | int) -> str:
    """Join field-path parts with dots, skipping empty ones.

    >>> join("schedules", "iou", "raise_when", 2)
    'schedules.iou.raise_when.2'
    """
    return ".".join(str(p) for p in parts if p != "")


def validate(model: type[M], data: Any, path: str) -> M:
    """Validate ``data`` against ``model``; on failure raise ConfigError with every problem's path.

    Problems are worded by ``errors.config_error``: an unknown key gets did-you-mean and the
    fields the model accepts at that place.

    >>> class Ramp(ConfigModel):
    ...     steps: int
    >>> validate(Ramp, {"steps": 3}, "p").steps
    3
    """
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise config_error(exc, model, path) from None


def type_key(config: Mapping[str, Any], types: Sequence[str], what: str, path: str) -> str:
    """The single key of ``config`` that names a type among ``types``.

    Raise UnknownNameError (with did-you-mean) for a misspelt type, ConfigError for none or several.

    >>> type_key({"cosine": {}}, ["linear", "cosine"], "schedule type", "schedules.lr")
    'cosine'
    """
    present = [k for k in config if k in types]
    if len(present) == 1:
        return present[0]
    if len(present) > 1:
        names = ", ".join(repr(k) for k in present)
        raise ConfigError([(path, f"several {what}s given ({names}); give exactly one")])
    for key in config:
        if did_you_mean(str(key), types):
            raise UnknownNameError(what, str(key), types, path)
    expected = ", ".join(types)
    keys = ", ".join(repr(k) for k in config) or "none"
    raise ConfigError([(path, f"no {what} given (keys: {keys}); give exactly one of: {expected}")])


def collect(problems: Iterable[Problem]) -> None:
    """Raise one ConfigError listing ``problems`` if there are any.

    >>> collect([])
    """
    found = list(problems)
    if found:
        raise ConfigError(found)
