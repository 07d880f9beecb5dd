"""Name -> reward component.

A reward function has one calling convention: ``f(sample, params) -> Score | float | bool | None``,
where ``params`` is a validated parameter model (a ``Params`` subclass). Register it by name::

    class HitParams(Params):
        threshold: float = 0.5

    @reward("my_hit", params=HitParams)
    def my_hit(sample: Sample, p: HitParams) -> float:
        return float(len(sample.completion) > p.threshold)

or reference it from a config as ``fn: my_module:my_hit`` (imported from the installed packages and
``sys.path``, then from the current directory). An unregistered function referenced that way gets
its parameter model from the annotation of its second argument (none: it takes no parameters).

It returns a ``Score``, a number (bool counts), or ``None`` ("does not apply"). With
``batched=True`` it takes the list of samples and returns one result per sample. A class that
subclasses ``StatefulReward`` keeps state across batches (saved with the program's checkpoints).

Where components come from: the ``rewardkit.rewards`` entry points of every installed
distribution, loaded the first time a name is looked up. rewardkit's own built-ins and task
rewards are registered that way, and so can a third-party package's::

    [project.entry-points."rewardkit.rewards"]
    my_rewards = "my_pkg.rewards"           # a module whose @reward functions register on import
    my_hit = "my_pkg.rewards:my_hit"        # or one function, registered under the entry's name
"""

from __future__ import annotations

import functools
import inspect
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from rewardkit.errors import ConfigError, UnknownNameError, config_error
from rewardkit.imports import import_function
from rewardkit.types import Sample, Score

ENTRY_POINTS = "rewardkit.rewards"
"""The entry-point group that registers reward components (see the module doc)."""

Result = Score | float | int | bool | None


class Params(BaseModel):
    """Base of every component's parameter model: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StatefulReward:
    """Base for components with state that evolves over training (e.g. running test difficulty).

    Subclasses implement ``score_batch``; the program makes one instance per tree leaf and saves
    ``state_dict()`` with every checkpoint.
    """

    def score_batch(self, samples: Sequence[Sample], params: Any) -> Sequence[Result]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        del state


@dataclass(frozen=True)
class Component:
    """A registered reward component: its name, callable, parameter model and one-line doc."""

    name: str
    fn: Callable[..., Any]
    params: type[BaseModel]
    doc: str
    batched: bool = False
    needs: tuple[str, ...] = ()

    @property
    def stateful(self) -> bool:
        return isinstance(self.fn, type) and issubclass(self.fn, StatefulReward)

    def build_params(self, values: Mapping[str, Any], path: str = "") -> BaseModel:
        """Validate parameter values; every problem is reported with its path."""
        try:
            return self.params.model_validate(dict(values))
        except ValidationError as exc:
            raise config_error(exc, self.params, path) from None

    def call(self, sample: Sample, params: BaseModel) -> Result:
        """Score one sample (for components that use another component, e.g. as a judge)."""
        if self.stateful or self.batched:
            raise TypeError(
                f"component {self.name!r} scores whole batches; call it through a program"
            )
        return self.fn(sample, params)


_REGISTRY: dict[str, Component] = {}
_plugins_loaded = False


def reward(
    name: str,
    *,
    params: type[BaseModel] | None = None,
    batched: bool = False,
    needs: tuple[str, ...] = (),
) -> Callable[[Any], Any]:
    """Register a reward component ``fn(sample, params)`` under ``name``.

    ``params`` is its parameter model (default: the annotation of the function's second argument,
    else ``Params``, no parameters). ``needs`` names the ``sample.meta`` keys the component reads
    that only a trainer can fill (``logprobs``, ``ref_logprobs``: per-token log-probabilities of
    the policy and the reference); the built-in trainer computes them for every program that uses
    such a component.

    >>> @reward("doc_example_len")
    ... def doc_example_len(sample, p):
    ...     return len(sample.completion)
    >>> get("doc_example_len").name
    'doc_example_len'
    """

    def decorate(fn: Any) -> Any:
        if name in _REGISTRY and not _same_function(_REGISTRY[name].fn, fn):
            raise ConfigError(
                f"reward component {name!r} is already registered by {_qualname(_REGISTRY[name].fn)}"
            )
        doc = inspect.getdoc(fn) or ""
        _REGISTRY[name] = Component(
            name=name,
            fn=fn,
            params=params or _annotated_params(fn) or Params,
            doc=doc.splitlines()[0] if doc else "",
            batched=batched,
            needs=tuple(needs),
        )
        return fn

    return decorate


def load_plugins() -> None:
    """Import every ``rewardkit.rewards`` entry point once (the built-ins are among them).

    A module entry registers its components on import; a ``module:function`` entry whose function
    is not registered yet is registered under the entry's name. A plugin that fails to import is
    a ConfigError naming it, never a silently missing component.
    """
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True  # before loading: a plugin module may itself call names() or get()
    found = entry_points(group=ENTRY_POINTS)
    for ep in found:
        try:
            obj = ep.load()
        except Exception as exc:
            _plugins_loaded = False
            dist = getattr(ep.dist, "name", "?")
            raise ConfigError(
                f"reward plugin {ep.name!r} = {ep.value!r} (entry point {ENTRY_POINTS!r} of "
                f"{dist!r}) failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        if callable(obj) and not isinstance(obj, ModuleType) and not _registered(obj):
            reward(ep.name)(obj)
    if not any(ep.value == "rewardkit.rewards" for ep in found):
        _plugins_loaded = False
        raise ConfigError(
            f"rewardkit's built-in components are registered through its {ENTRY_POINTS!r} entry "
            "points, and none are installed: install the package (pip install -e . in a "
            "checkout) so that its metadata is current"
        )


def names() -> list[str]:
    """Sorted names of every registered component."""
    load_plugins()
    return sorted(_REGISTRY)


def get(ref: str | Callable[..., Any], path: str = "") -> Component:
    """Look up a component by registered name, ``"module:function"`` or a callable.

    >>> get("exact_match").name
    'exact_match'
    """
    if callable(ref):
        return _from_callable(ref)
    if ref not in _REGISTRY:
        load_plugins()
    if ref in _REGISTRY:
        return _REGISTRY[ref]
    if ":" in ref:
        return _from_callable(import_function(ref, path))
    raise UnknownNameError("reward component", ref, _REGISTRY, path)


def _registered(fn: Callable[..., Any]) -> Component | None:
    return next((comp for comp in _REGISTRY.values() if comp.fn is fn), None)


def _from_callable(fn: Callable[..., Any]) -> Component:
    comp = _registered(fn)
    if comp is not None:
        return comp
    name = f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"
    doc = inspect.getdoc(fn) or ""
    if isinstance(fn, type) and issubclass(fn, StatefulReward):  # score_batch(self, samples, p)
        params = _annotated_params(fn.score_batch, 2)
    else:
        params = _annotated_params(fn)
        if params is None and not _takes_params(fn):
            return _keyword_style(fn, name, doc)
    return Component(
        name=name, fn=fn, params=params or Params, doc=doc.splitlines()[0] if doc else ""
    )


def _annotated_params(fn: Callable[..., Any], position: int = 1) -> type[BaseModel] | None:
    """The parameter model a function's argument ``position`` (the one after the sample) is
    annotated with, if any."""
    if isinstance(fn, type):
        return None
    try:
        arguments = list(inspect.signature(fn).parameters)
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return None
    hint = hints.get(arguments[position]) if len(arguments) > position else None
    return hint if inspect.isclass(hint) and issubclass(hint, BaseModel) else None


def _takes_params(fn: Callable[..., Any]) -> bool:
    """True for ``f(sample, params)``: exactly two positional arguments, neither with a default."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return len(parameters) == 2 and all(
        p.kind in positional and p.default is inspect.Parameter.empty for p in parameters
    )


def _keyword_style(fn: Callable[..., Any], name: str, doc: str) -> Component:
    """Backward compatibility: ``f(sample, threshold=0.5)`` is adapted to ``f(sample, params)``."""
    warnings.warn(
        f"reward function {name} takes its parameters as keyword arguments; a reward function "
        "takes (sample, params): declare them in a Params model, e.g. "
        "def f(sample, p: MyParams). Keyword parameters will stop working in a later release.",
        DeprecationWarning,
        stacklevel=4,
    )

    @functools.wraps(fn)
    def adapted(sample: Sample, params: BaseModel) -> Result:
        result: Result = fn(sample, **params.model_dump())
        return result

    return Component(
        name=name,
        fn=adapted,
        params=_infer_params(fn, name),
        doc=doc.splitlines()[0] if doc else "",
    )


def _infer_params(fn: Callable[..., Any], name: str) -> type[BaseModel]:
    """A parameter model from the keyword arguments after the first (the sample)."""
    fields: dict[str, Any] = {}
    parameters = list(inspect.signature(fn).parameters.values())[1:]
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        annotation = Any if p.annotation is inspect.Parameter.empty else p.annotation
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (annotation, default)
    model_name = "Params_" + name.replace(":", "_").replace(".", "_")
    return create_model(model_name, __base__=Params, **fields)


def _qualname(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _same_function(old: Any, new: Any) -> bool:
    """Re-importing a module registers the same function again: after a reload, or when one file
    is imported under two names (``tests.x`` by doctest collection, ``x`` from ``sys.path`` by a
    config's ``module:function``). Same module and name, or same source file and name."""
    if _qualname(old) == _qualname(new):
        return True
    code_old, code_new = getattr(old, "__code__", None), getattr(new, "__code__", None)
    return (
        code_old is not None
        and code_new is not None
        and code_old.co_filename == code_new.co_filename
        and getattr(old, "__qualname__", None) == getattr(new, "__qualname__", None)
    )
