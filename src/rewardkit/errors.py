"""The rewardkit error tree. Each class also subclasses the matching builtin.

    RewardkitError
    ├── ConfigError (ValueError)             a config or parameter is invalid; lists every problem
    │   └── UnknownNameError (KeyError)      unknown component / schedule name, with suggestions
    ├── InputError (ValueError)              a malformed sample, input line or request
    │   └── UnjudgeableReference             a component cannot read a sample's reference
    ├── ComponentError (RuntimeError)        a reward component raised while scoring (on_error=raise)
    └── MissingExtraError (ImportError)      an optional dependency is not installed; names the extra

>>> issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Sequence
from types import ModuleType


class RewardkitError(Exception):
    """Base class of every error rewardkit raises on purpose."""


class ConfigError(RewardkitError, ValueError):
    """A configuration is invalid. ``problems`` lists ``(path, message)`` pairs, all of them."""

    def __init__(self, problems: Sequence[tuple[str, str]] | str):
        if isinstance(problems, str):
            problems = [("", problems)]
        self.problems: list[tuple[str, str]] = list(problems)
        lines = [f"{path}: {msg}" if path else msg for path, msg in self.problems]
        head = "invalid config" if len(lines) == 1 else f"invalid config ({len(lines)} problems)"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class UnknownNameError(ConfigError, KeyError):
    """An unknown registered name; the message suggests the closest known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str], path: str = ""):
        self.name = name
        hint = did_you_mean(name, known)
        msg = f"unknown {kind} {name!r}" + (f" (did you mean {hint}?)" if hint else "")
        super().__init__([(path, msg)])

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return ValueError.__str__(self)


class InputError(RewardkitError, ValueError):
    """Malformed input data: a sample, an input line, an HTTP request body."""


class UnjudgeableReference(InputError):
    """A component cannot read the sample's reference (a data problem, not the model's fault).

    Raised by a component instead of returning a value: ``numeric`` on the reference
    "forty-two", ``math_equivalent`` on "Paris". The program counts it per component
    (``<path>/unjudgeable``) and applies its ``on_unjudgeable`` policy: ``skip`` the sample (its
    reward is None: no credit, no advantage), score it as ``wrong`` (``wrong_value``, the value
    the component gives a wrong answer), or ``raise``. Never a pass.

    >>> UnjudgeableReference("numeric: reference 'N/A' is not a number").wrong_value
    0.0
    """

    def __init__(self, message: str, wrong_value: float = 0.0):
        self.wrong_value = float(wrong_value)
        super().__init__(message)


class ComponentError(RewardkitError, RuntimeError):
    """A reward component raised while scoring and the error policy is ``raise``."""

    def __init__(self, path: str, sample_id: str, error: BaseException):
        self.path = path
        self.sample_id = sample_id
        super().__init__(
            f"reward component {path!r} raised {type(error).__name__} on sample {sample_id!r}: "
            f"{error}. Fix the component, or set on_error: score to count and substitute."
        )


class MissingExtraError(RewardkitError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""


def did_you_mean(name: str, known: Iterable[str], n: int = 3) -> str:
    """Quoted, comma-separated close matches of ``name`` among ``known`` ('' if none).

    >>> did_you_mean("iou_hti", ["iou", "iou_hit", "bleu"])
    "'iou_hit', 'iou'"
    """
    matches = difflib.get_close_matches(name, list(known), n=n, cutoff=0.5)
    return ", ".join(repr(m) for m in matches)


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or raise MissingExtraError naming the extra to install.

    >>> require("json", "core").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module!r} is not installed; it comes with the {extra!r} extra: "
            f"pip install 'rewardkit[{extra}]'"
        ) from exc
