"""Python builders for the reward tree. They return the same mappings a YAML config holds, so
everything a config can say the Python API can say, and ``RewardProgram.to_dict()`` gives it back.

>>> tiers(leaf("regex", pattern=r"\\[.*\\]", name="format"), leaf("iou", name="quality"))
{'tiers': [{'fn': 'regex', 'pattern': '\\\\[.*\\\\]', 'name': 'format'}, {'fn': 'iou', 'name': 'quality'}]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Spec = dict[str, Any]
Number = float | str


def _common(name: str | None, weight: Number | None, pass_at: Number | None) -> Spec:
    out: Spec = {}
    if name is not None:
        out["name"] = name
    if weight is not None:
        out["weight"] = weight
    if pass_at is not None:
        out["pass_at"] = pass_at
    return out


def leaf(
    fn: str | Callable[..., Any],
    *,
    name: str | None = None,
    weight: Number | None = None,
    pass_at: Number | None = None,
    **params: Any,
) -> Spec:
    """A component node: ``fn`` is a registered name, ``"module:function"`` or a callable."""
    return {"fn": fn, **params, **_common(name, weight, pass_at)}


def weighted(*children: Spec, name: str | None = None, weight: Number | None = None) -> Spec:
    """Sum of the children's values times their ``weight``."""
    return {"weighted": list(children), **_common(name, weight, None)}


def product(*children: Spec, name: str | None = None, weight: Number | None = None) -> Spec:
    """Product of the children's values."""
    return {"product": list(children), **_common(name, weight, None)}


def tiers(
    *children: Spec, partial: bool = True, name: str | None = None, weight: Number | None = None
) -> Spec:
    """Hierarchy: tier k counts only when every lower tier reached its ``pass_at``."""
    out: Spec = {"tiers": list(children), **_common(name, weight, None)}
    if not partial:
        out["partial"] = False
    return out


def gate(
    when: Spec,
    then: Spec,
    *,
    at_least: Number,
    otherwise: Number = 0.0,
    name: str | None = None,
    weight: Number | None = None,
) -> Spec:
    """``then`` when ``when >= at_least``, else ``otherwise``."""
    return {
        "gate": {"when": when, "then": then},
        "at_least": at_least,
        "otherwise": otherwise,
        **_common(name, weight, None),
    }


def gated_accumulation(
    outcome: Spec,
    steps: Spec,
    *,
    at_least: Number,
    step_weight: Number = 1.0,
    accumulate: str = "sum",
    name: str | None = None,
    weight: Number | None = None,
) -> Spec:
    """G-RA: step rewards are added only when the outcome reaches ``at_least``."""
    return {
        "gated_accumulation": {"outcome": outcome, "steps": steps},
        "at_least": at_least,
        "step_weight": step_weight,
        "accumulate": accumulate,
        **_common(name, weight, None),
    }


def clip(
    child: Spec,
    *,
    min: Number | None = None,
    max: Number | None = None,
    name: str | None = None,
    weight: Number | None = None,
) -> Spec:
    """Bounds on a subtree's value."""
    out: Spec = {"clip": child, **_common(name, weight, None)}
    if min is not None:
        out["min"] = min
    if max is not None:
        out["max"] = max
    return out


def metric(child: Spec, *, name: str | None = None) -> Spec:
    """Logged under its path, never rewarded."""
    return {"metric": child, **_common(name, None, None)}
