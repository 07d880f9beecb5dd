"""Name -> reward component. Built-ins register with ``@reward``; a user's own function is either
registered the same way or referenced from a config as ``"module.path:function"``.

A component is a function of one sample and its validated parameters::

    class HitParams(Params):
        threshold: float = 0.5

    @reward("my_hit", params=HitParams)
    def my_hit(sample: Sample, p: HitParams) -> float:
        return float(len(sample.completion) > p.threshold)

It returns a ``Score``, a number (bool counts), or ``None`` ("does not apply"). With
``batched=True`` it takes the list of samples and returns one result per sample. A class that
subclasses ``StatefulReward`` keeps state across batches (saved with the program's checkpoints).

A plain function ``f(sample, threshold=0.5)`` referenced as ``"pkg.mod:f"`` gets a parameter
model inferred from its keyword arguments, and is validated and logged like a built-in.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.types import Sample, Score

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


Style = Literal["model", "kwargs"]


@dataclass(frozen=True)
class Component:
    """A registered reward component: its name, callable, parameter model and one-line doc."""

    name: str
    fn: Callable[..., Any]
    params: type[BaseModel]
    doc: str
    batched: bool = False
    style: Style = "model"
    needs: tuple[str, ...] = ()

    @property
    def stateful(self) -> bool:
        return isinstance(self.fn, type) and issubclass(self.fn, StatefulReward)

    def build_params(self, values: Mapping[str, Any], path: str = "") -> BaseModel:
        """Validate parameter values; every problem is reported with its path."""
        try:
            return self.params.model_validate(dict(values))
        except ValidationError as exc:
            raise ConfigError(
                [(_join(path, *map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            ) from None

    def call(self, sample: Sample, params: BaseModel) -> Result:
        """Score one sample (for components that use another component, e.g. as a judge)."""
        if self.stateful or self.batched:
            raise TypeError(
                f"component {self.name!r} scores whole batches; call it through a program"
            )
        if self.style == "kwargs":
            return self.fn(sample, **params.model_dump())
        return self.fn(sample, params)


_REGISTRY: dict[str, Component] = {}


def reward(
    name: str,
    *,
    params: type[BaseModel] | None = None,
    batched: bool = False,
    needs: tuple[str, ...] = (),
) -> Callable[[Any], Any]:
    """Register a reward component under ``name``.

    ``needs`` names the ``sample.meta`` keys the component reads that only a trainer can fill
    (``logprobs``, ``ref_logprobs``: per-token log-probabilities of the policy and the reference);
    the built-in trainer computes them for every program that uses such a component.

    >>> @reward("doc_example_len")
    ... def doc_example_len(sample, p):
    ...     return len(sample.completion)
    >>> get("doc_example_len").name
    'doc_example_len'
    """

    def decorate(fn: Any) -> Any:
        if name in _REGISTRY and _qualname(_REGISTRY[name].fn) != _qualname(fn):
            raise ConfigError(
                f"reward component {name!r} is already registered by {_qualname(_REGISTRY[name].fn)}"
            )
        doc = inspect.getdoc(fn) or ""
        _REGISTRY[name] = Component(
            name=name,
            fn=fn,
            params=params or Params,
            doc=doc.splitlines()[0] if doc else "",
            batched=batched,
            needs=tuple(needs),
        )
        return fn

    return decorate


def _ensure_builtins() -> None:
    import rewardkit.rewards  # noqa: F401  (registers the built-in signal library)


def names() -> list[str]:
    """Sorted names of every registered component."""
    _ensure_builtins()
    return sorted(_REGISTRY)


def get(ref: str | Callable[..., Any], path: str = "") -> Component:
    """Look up a component by registered name, ``"module:function"`` or a callable.

    >>> get("exact_match").name
    'exact_match'
    """
    _ensure_builtins()
    if callable(ref):
        return _from_callable(ref)
    if ref in _REGISTRY:
        return _REGISTRY[ref]
    if ":" in ref:
        return _from_callable(_import_ref(ref, path))
    raise UnknownNameError("reward component", ref, _REGISTRY, path)


def _import_ref(ref: str, path: str) -> Callable[..., Any]:
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            [(path, f"cannot import module {module_name!r} for {ref!r}: {exc}")]
        ) from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise ConfigError([(path, f"module {module_name!r} has no callable {attr!r}")])
    return fn


def _from_callable(fn: Callable[..., Any]) -> Component:
    for comp in _REGISTRY.values():
        if comp.fn is fn:
            return comp
    name = f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"
    doc = inspect.getdoc(fn) or ""
    return Component(
        name=name,
        fn=fn,
        params=_infer_params(fn, name),
        doc=doc.splitlines()[0] if doc else "",
        style="kwargs",
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
    # Re-importing a module (doctest collection, reloads) registers the same function again.
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)
