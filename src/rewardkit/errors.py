"""The rewardkit error tree. Each class also subclasses the matching builtin.

    RewardKitError
    ├── ConfigError (ValueError)             a config or parameter is invalid; lists every problem
    │   └── UnknownNameError (KeyError)      unknown component / schedule name, with suggestions
    ├── InputError (ValueError)              a malformed sample, input line or request
    │   └── UnjudgeableReference             a component cannot read a sample's reference
    ├── OutputError (OSError)                an output path cannot be written (found before any work)
    ├── ComponentError (RuntimeError)        a reward component raised while scoring (on_error=raise)
    ├── VerifierFailed (RuntimeError)        a verifier gave no verdict: never paid, never a 0
    ├── ServerError (RuntimeError)           the reward server refused or failed a request
    │   ├── Unauthorized, TooLarge            401, 413
    │   └── InvalidRequest (InputError)       422, with the fields' problems
    ├── ServerUnreachable (ConnectionError)  no answer from the reward server before the deadline
    └── MissingExtraError (ImportError)      an optional dependency is not installed; names the extra

>>> issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import typing
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


class RewardKitError(Exception):
    """Base class of every error rewardkit raises on purpose.

    Picklable with the arguments it was made with (a worker process or a Ray task re-raises it in
    its parent), also for subclasses whose ``__init__`` takes other arguments than a message.

    >>> import pickle
    >>> error = ComponentError("reward", "s1", OverflowError("too large"))
    >>> str(pickle.loads(pickle.dumps(error))) == str(error)
    True
    """

    _made_with: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> RewardKitError:
        self = super().__new__(cls, *args)
        self._made_with = (args, kwargs)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        args, kwargs = self._made_with
        if kwargs:
            return (_remake, (type(self), args, kwargs), self.__dict__)
        return (type(self), args, self.__dict__)


def _remake(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return cls(*args, **kwargs)


class ConfigError(RewardKitError, ValueError):
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


class InputError(RewardKitError, ValueError):
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


class OutputError(RewardKitError, OSError):
    """An output cannot be written: a directory, a missing parent, a read-only place, a full disk."""

    def __str__(self) -> str:  # OSError would otherwise format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class ComponentError(RewardKitError, RuntimeError):
    """A reward component raised while scoring and the error policy is ``raise``."""

    def __init__(self, path: str, sample_id: str, error: BaseException):
        self.path = path
        self.sample_id = sample_id
        super().__init__(
            f"reward component {path!r} raised {type(error).__name__} on sample {sample_id!r}: "
            f"{error}. Fix the component, or set on_error: score to count and substitute."
        )


class MissingExtraError(RewardKitError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""


# -- the server, its worker pool and its client ----------------------------------------------------


class WorkerDied(RewardKitError, RuntimeError):
    """A scoring process exited mid-batch (killed, out of memory, a crash in native code)."""


class ComponentTimeout(RewardKitError, TimeoutError):
    """A batch ran past the pool's timeout; ``path`` is the component it was stuck in."""

    def __init__(self, path: str, timeout_s: float):
        self.path, self.timeout_s = path, timeout_s
        self.message = (
            f"reward component {path!r} did not finish within {timeout_s:g} s; its worker was "
            "killed and replaced. Make the component faster, or raise --timeout"
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # OSError would format its two arguments as (errno, strerror)
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.timeout_s))


class RemoteError(RewardKitError, RuntimeError):
    """A worker raised while scoring (``on_error: raise``); the message is the worker's."""


class StaleVersion(InputError):
    """A PUT of the state named a version that is no longer current (someone else wrote)."""

    def __init__(self, current: int, given: int):
        self.current = current
        super().__init__(
            f"state version is {current}, not {given}: another writer changed it; GET the state "
            "and retry with its version"
        )


class StateUnreachable(RewardKitError, ConnectionError):
    """The shared schedule state (server or Ray actor) could not be read: the reward fails."""


class ServerError(RewardKitError, RuntimeError):
    """The server refused or failed a request: ``status``, its message and field ``problems``;
    ``url`` and ``attempts`` say where the client sent it and how many times (retries included).

    >>> str(ServerError(504, "timed out", url="http://h:8000/v1/score", attempts=3))
    'reward server http://h:8000/v1/score answered 504 (attempt 3): timed out'
    """

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[Mapping[str, str]] = (),
        *,
        url: str = "",
        attempts: int = 1,
    ):
        self.status, self.url, self.attempts = status, url, attempts
        self.problems = [dict(p) for p in problems]
        where = "".join(f"\n  {p.get('path', '')}: {p.get('message', '')}" for p in self.problems)
        server = f"reward server {url}" if url else "reward server"
        tries = f" (attempt {attempts})" if url else ""
        super().__init__(f"{server} answered {status}{tries}: {message}{where}")


class ServerUnreachable(RewardKitError, ConnectionError):
    """No answer from the reward server before the client's deadline: the connection was
    refused, reset or timed out every time. ``url``, ``attempts`` and the last ``cause``."""

    def __init__(self, url: str, attempts: int, cause: str):
        self.url, self.attempts, self.cause = url, attempts, cause
        super().__init__(url, attempts, cause)

    def __str__(self) -> str:  # OSError would otherwise format (errno, strerror)
        return (
            f"reward server {self.url} did not answer after {self.attempts} attempt(s): "
            f"{self.cause}; is it running (rewardkit serve) and reachable? Raise the client's "
            "deadline_s to wait longer"
        )


class Unauthorized(ServerError):
    """401: no token or a wrong one (set REWARDKIT_TOKEN or pass token=)."""


class TooLarge(ServerError):
    """413: too many samples or too large a body; send smaller batches."""


class InvalidRequest(ServerError, InputError):
    """422: the request broke the schema; ``problems`` name the fields."""


# -- components ------------------------------------------------------------------------------------

JUDGE_RAW_SHOWN = 300
"""Characters of a judge's unparseable answer shown in ``JudgeParseError``'s message."""


class JudgeParseError(RewardKitError, ValueError):
    """A judge's answer that does not parse. ``kind`` is one of ``judge.parse.PARSE_FAILURES``;
    ``raw`` is the judge's text (shown in the message, cut to 300 characters)."""

    def __init__(self, kind: str, detail: str, raw: str):
        self.kind = kind
        self.raw = raw
        shown = raw if len(raw) <= JUDGE_RAW_SHOWN else raw[:JUDGE_RAW_SHOWN] + "..."
        super().__init__(f"judge answer did not parse ({kind}): {detail}; raw answer: {shown!r}")


class JudgeRequestError(RewardKitError, RuntimeError):
    """A judge request failed for good (after retries, or a status that is not retried)."""


class VerifierFailed(RewardKitError, RuntimeError):
    """A verifier (a judge) answered, but its answer is not a verdict: it called a decoy
    reference correct as well (``decoy_consistent``), quoted a span that is not in the response
    (``span_not_in_response``), or gave an invalid group verdict after its retries
    (``group_invalid``). ``cause`` names which.

    Not the model's fault and not a data problem: the sample is never paid and never scored 0.
    The program records it as a failure (``error_type`` VerifierFailed, the cause first in the
    message, counted under ``<path>/errors``) whatever ``on_error`` says, and gives the sample no
    value at that component or any node above it, so it is left out of the group baseline.

    >>> VerifierFailed("decoy_consistent", "the judge called the decoy '85' correct too").cause
    'decoy_consistent'
    """

    def __init__(self, cause: str, detail: str):
        self.cause = cause
        super().__init__(f"verifier failed ({cause}): {detail}")


class GraphFormatError(RewardKitError, ValueError):
    """JSON that is not a graph in either accepted format."""


class WorkerLost(RewardKitError, RuntimeError):
    """A sandbox worker process died or stopped answering."""


def did_you_mean(name: str, known: Iterable[str], n: int = 3) -> str:
    """Quoted, comma-separated close matches of ``name`` among ``known`` ('' if none).

    >>> did_you_mean("iou_hti", ["iou", "iou_hit", "bleu"])
    "'iou_hit', 'iou'"
    """
    matches = difflib.get_close_matches(name, list(known), n=n, cutoff=0.5)
    return ", ".join(repr(m) for m in matches)


def config_error(exc: ValidationError, model: type[BaseModel], path: str = "") -> ConfigError:
    """The ConfigError for a pydantic validation error: one problem per error, at its field path.

    The one converter from validation errors to messages: the program config, component
    parameters, schedules, curricula and the train config all report through it. An unknown
    field gets did-you-mean and the list of the fields accepted at that place.

    >>> from pydantic import BaseModel, ConfigDict
    >>> class Hit(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     threshold: float = 0.5
    >>> try:
    ...     Hit.model_validate({"treshold": 0.8})
    ... except Exception as exc:
    ...     print(config_error(exc, Hit, "reward").problems[0][1])
    unknown field 'treshold' (did you mean 'threshold'?); valid fields: threshold
    """
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in (path, *loc) if p != "")
        problems.append((where, _message(model, error, loc)))
    return ConfigError(problems)


def _message(model: type[BaseModel], error: Any, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden" and loc:
        name = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        hint = did_you_mean(name, known)
        msg = f"unknown field {name!r}" + (f" (did you mean {hint}?)" if hint else "")
        return msg + "; valid fields: " + (", ".join(sorted(known)) or "none")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {type(error['input']).__name__}"
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # a validator's own message, without "Value error, "
    return str(error["msg"])


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names (aliases where set) that the model nested at ``loc`` accepts."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = next(
            (f for name, f in current.model_fields.items() if part in (name, f.alias)), None
        )
        current = _model_in(field.annotation) if field is not None else None
    if current is None:
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first pydantic model inside an annotation such as ``list[Model] | None``."""
    from pydantic import BaseModel

    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


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
