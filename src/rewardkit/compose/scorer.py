"""A leaf of the reward tree: one registered component, its parameters and its error policy.

A leaf is evaluated column-wise: all samples of the batch at once. What the component returns is
normalised (a Score, a number or None); what it raises becomes a recorded ``Failure`` and is then
handled by the program's ``on_error`` policy: ``raise`` re-raises as ``ComponentError``, ``score``
substitutes the declared ``error_value`` (a number, or None for "does not apply").

A reference the component cannot read (it raised ``UnjudgeableReference``) is a data problem, not
a failure of the component: it is recorded under ``EvalContext.unjudgeable`` and handled by the
``on_unjudgeable`` policy: ``skip`` marks the sample skipped (the program then gives it no reward
at all), ``wrong`` scores the component's wrong value, ``raise`` stops.

A verifier that answered without a verdict (it raised ``VerifierFailed``: a judge that calls a
decoy reference correct too) is neither: the sample is recorded as a failure (``<path>/errors``)
under every ``on_error`` policy, never re-raised and never given ``error_value``; its row goes to
``EvalContext.verifier_failed_rows`` and has no value at the leaf or any node above it, so it is
left out of every group baseline (never paid, never a 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from rewardkit.compose.refs import Ref
from rewardkit.errors import ComponentError, UnjudgeableReference, VerifierFailed
from rewardkit.registry import Component, Result
from rewardkit.types import Failure, Sample, Score

OnError = Literal["raise", "score"]
OnUnjudgeable = Literal["skip", "wrong", "raise"]


@dataclass
class EvalContext:
    """Everything one evaluation of the tree reads and writes."""

    samples: Sequence[Sample]
    variables: Mapping[str, float]
    on_error: OnError = "raise"
    error_value: float | None = 0.0
    values: dict[str, np.ndarray] = field(default_factory=dict)
    steps: dict[str, list[tuple[float, ...] | None]] = field(default_factory=dict)
    info: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    on_unjudgeable: OnUnjudgeable = "skip"
    unjudgeable: list[Failure] = field(default_factory=list)
    unjudgeable_rows: set[int] = field(default_factory=set)
    verifier_failed_rows: set[int] = field(default_factory=set)


class LeafScorer:
    """Calls one component on a batch, catching per-sample failures."""

    def __init__(self, component: Component, params: Mapping[str, Any], refs: Mapping[str, Ref]):
        self.component = component
        self.raw_params = dict(params)
        self.refs = dict(refs)
        self.instance = component.fn() if component.stateful else None
        self._cached: tuple[tuple[float, ...], BaseModel] | None = None

    def params_for(self, variables: Mapping[str, float], path: str = "") -> BaseModel:
        """Validated parameters with references resolved. Only the last values are kept: a
        schedule moves forward, and a continuous one would otherwise add an entry every step."""
        key = tuple(ref.evaluate(variables) for ref in self.refs.values())
        if self._cached is None or self._cached[0] != key:
            values = dict(self.raw_params)
            values.update(zip(self.refs, key, strict=True))
            self._cached = (key, self.component.build_params(values, path))
        return self._cached[1]

    def run(self, path: str, ctx: EvalContext) -> None:
        """Score every sample and store the column, steps and info under ``path``."""
        params = self.params_for(ctx.variables, path)
        results = self._results(params, ctx)
        n = len(ctx.samples)
        values = [math.nan] * n
        steps: list[tuple[float, ...] | None] | None = None
        infos: list[Mapping[str, Any]] = [{}] * n
        for i, raw in enumerate(results):
            if isinstance(raw, float) and math.isfinite(raw):
                values[i] = raw  # the common case, checked in one test
                continue
            result = _checked(raw)
            if result is None:
                continue
            if isinstance(result, UnjudgeableReference):
                values[i] = self._unjudgeable(path, ctx, i, result)
                infos[i] = {"unjudgeable": str(result)}
            elif isinstance(result, VerifierFailed):
                failure = Failure(path, ctx.samples[i].id, type(result).__name__, str(result))
                ctx.failures.append(failure)
                ctx.verifier_failed_rows.add(i)
                infos[i] = {"verifier_failed": result.cause}
            elif isinstance(result, BaseException):
                self._fail(path, ctx, i, result)
                if ctx.error_value is not None:
                    values[i] = ctx.error_value
                infos[i] = {"error": type(result).__name__}
            elif isinstance(result, Score):
                values[i] = result.value
                infos[i] = result.info
                if result.steps is not None:
                    steps = steps if steps is not None else [None] * n
                    steps[i] = result.steps
            else:
                values[i] = result
        ctx.values[path] = np.array(values, dtype=float)
        ctx.info[path] = infos
        if steps is not None:
            ctx.steps[path] = steps

    def _results(self, params: BaseModel, ctx: EvalContext) -> list[Any]:
        """The component's raw result per sample (an exception where it raised)."""
        comp, samples = self.component, ctx.samples
        if self.instance is not None or comp.batched:
            try:
                if self.instance is not None:
                    raw = self.instance.score_batch(samples, params)
                else:
                    raw = comp.fn(samples, params)
                raw = list(raw)
                if len(raw) != len(samples):
                    raise ValueError(f"returned {len(raw)} results for {len(samples)} samples")
            except Exception as exc:
                return [exc] * len(samples)
            return raw
        out: list[Any] = []
        for sample in samples:
            try:
                out.append(comp.fn(sample, params))
            except Exception as exc:
                out.append(exc)
        return out

    def _fail(self, path: str, ctx: EvalContext, i: int, exc: BaseException) -> None:
        sample_id = ctx.samples[i].id
        ctx.failures.append(Failure(path, sample_id, type(exc).__name__, str(exc)))
        if ctx.on_error == "raise":
            raise ComponentError(path, sample_id, exc) from exc

    def _unjudgeable(self, path: str, ctx: EvalContext, i: int, exc: UnjudgeableReference) -> float:
        sample_id = ctx.samples[i].id
        ctx.unjudgeable.append(Failure(path, sample_id, type(exc).__name__, str(exc)))
        ctx.unjudgeable_rows.add(i)
        if ctx.on_unjudgeable == "raise":
            raise UnjudgeableReference(
                f"sample {sample_id!r}: {exc} (component {path!r}). Fix the reference, or set "
                "on_unjudgeable: skip (no reward for the sample) or wrong (score it as wrong)",
                exc.wrong_value,
            ) from exc
        return exc.wrong_value if ctx.on_unjudgeable == "wrong" else math.nan

    def state_dict(self) -> dict[str, Any]:
        return self.instance.state_dict() if self.instance is not None else {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if self.instance is not None:
            self.instance.load_state_dict(state)


def _checked(result: Result | Any) -> Result | BaseException:
    """Reject what a component must not return: non-numbers and non-finite values."""
    if result is None or isinstance(result, BaseException):
        return result  # a batched component reports a failed sample by returning its exception
    if isinstance(result, Score):
        value = result.value
    elif isinstance(result, bool | int | float | np.floating | np.integer):
        value = float(result)
    else:
        return TypeError(
            f"returned {type(result).__name__}; a component returns a Score, a number or None"
        )
    if not math.isfinite(value):
        return ValueError(f"returned a non-finite value {value}; return None for 'does not apply'")
    return result if isinstance(result, Score) else value
