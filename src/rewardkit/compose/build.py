"""Build a reward tree from its config (a dict), collecting every problem with its path.

A node is a mapping. A leaf has ``fn`` (a registered name, ``"module:function"`` or, from
Python, a callable) and its parameters inline; a composite has exactly one of the keys below,
holding its children, and its options beside it::

    {fn: iou_hit, threshold: "${iou_threshold}", name: hit}
    {weighted: [node, ...]}
    {tiers: [node, ...], partial: true}          # each tier may set pass_at (default 1.0)
    {product: [node, ...]}
    {gate: {when: node, then: node}, at_least: 0.5, otherwise: 0.0}
    {gated_accumulation: {outcome: node, steps: node}, at_least: 1.0, step_weight: 0.5}
    {clip: node, min: -1.0, max: 1.0}
    {metric: node}

Every node may have ``name`` (its path segment) and ``weight``; numeric options may be
``${variable}`` references.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rewardkit.compose import nodes as n
from rewardkit.compose.refs import Ref, find_refs, is_ref
from rewardkit.compose.scorer import LeafScorer
from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.registry import get

COMPOSITES = ("weighted", "tiers", "product", "gate", "gated_accumulation", "clip", "metric")
NODE_KEYS = ("name", "weight", "pass_at")
_OPTIONS: dict[str, tuple[str, ...]] = {
    "weighted": (),
    "product": (),
    "tiers": ("partial",),
    "gate": ("at_least", "otherwise"),
    "gated_accumulation": ("at_least", "step_weight", "accumulate"),
    "clip": ("min", "max"),
    "metric": (),
}
_PAIRS = {"gate": ("when", "then"), "gated_accumulation": ("outcome", "steps")}

Problems = list[tuple[str, str]]


class TreeBuilder:
    """Turns a config mapping into nodes; ``variables`` gives initial values for validation."""

    def __init__(self, variables: Mapping[str, float]):
        self.variables = dict(variables)
        self.problems: Problems = []
        self.references: dict[str, set[str]] = {}  # variable -> paths that read it

    def build(self, spec: Any, path: str = "reward", where: str = "reward") -> n.Node:
        """Build the tree; raises ConfigError listing every problem found."""
        node = self._node(spec, path, where)
        if node is None or self.problems:
            raise ConfigError(self.problems or [(where, "empty reward tree")])
        if isinstance(node, n.Metric):
            raise ConfigError(
                [(where, "the root cannot be a metric node: nothing would be rewarded")]
            )
        return node

    def _node(self, spec: Any, path: str, where: str) -> n.Node | None:
        if not isinstance(spec, Mapping):
            self.problems.append((where, f"a node must be a mapping, got {type(spec).__name__}"))
            return None
        kinds = [k for k in COMPOSITES if k in spec]
        if "fn" in spec and kinds:
            self.problems.append(
                (where, f"a node has either 'fn' or one of {COMPOSITES}, not both")
            )
            return None
        if len(kinds) > 1:
            self.problems.append((where, f"a node has one composite key, found {kinds}"))
            return None
        common = self._common(spec, where)
        if "fn" in spec:
            return self._leaf(spec, path, where, common)
        if not kinds:
            self.problems.append((where, f"a node needs 'fn' or one of {', '.join(COMPOSITES)}"))
            return None
        return self._composite(kinds[0], spec, path, where, common)

    def _common(self, spec: Mapping[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("weight", "pass_at"):
            if key in spec:
                out[key] = self.number(spec[key], f"{where}.{key}")
        return out

    def number(self, value: Any, where: str) -> n.Num:
        """A numeric option: a constant, or a parsed ``${variable}`` reference (problems noted)."""
        if is_ref(value):
            try:
                ref = Ref.parse(value)
            except ValueError as exc:
                self.problems.append((where, str(exc)))
                return 0.0
            self._note_refs(ref, where)
            return ref
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append((where, f"expected a number or a '${{variable}}', got {value!r}"))
            return 0.0
        return float(value)

    def _note_refs(self, ref: Ref, where: str) -> None:
        for name in ref.names:
            self.references.setdefault(name, set()).add(where)
            if name not in self.variables:
                known = ", ".join(sorted(self.variables)) or "none"
                self.problems.append(
                    (
                        where,
                        f"undefined variable '${{{name}}}' (defined: {known}); "
                        "define it under 'variables' or 'schedules'",
                    )
                )

    def _leaf(
        self, spec: Mapping[str, Any], path: str, where: str, common: dict[str, Any]
    ) -> n.Node | None:
        fn = spec["fn"]
        try:
            component = get(fn, f"{where}.fn")
        except (ConfigError, UnknownNameError) as exc:
            self.problems.extend(exc.problems)
            return None
        params = {k: v for k, v in spec.items() if k not in ("fn", *NODE_KEYS)}
        refs: dict[str, Ref] = {}
        try:
            refs = find_refs(params)
        except ValueError as exc:
            self.problems.append((where, str(exc)))
            return None
        for key, ref in refs.items():
            self._note_refs(ref, f"{where}.{key}")
        scorer = LeafScorer(component, params, refs)
        if all(name in self.variables for ref in refs.values() for name in ref.names):
            try:
                scorer.params_for(self.variables, where)
            except ConfigError as exc:
                self.problems.extend(exc.problems)
        return n.Leaf(path=path, scorer=scorer, **common)

    def _composite(
        self, kind: str, spec: Mapping[str, Any], path: str, where: str, common: dict[str, Any]
    ) -> n.Node | None:
        allowed = {kind, *NODE_KEYS, *_OPTIONS[kind]}
        for key in spec:
            if key not in allowed:
                self.problems.append(
                    (
                        f"{where}.{key}",
                        f"unknown option for {kind} (allowed: {sorted(allowed - {kind})})",
                    )
                )
        body = spec[kind]
        opts = {k: spec[k] for k in _OPTIONS[kind] if k in spec}
        if kind in ("weighted", "tiers", "product"):
            children = self._children(body, path, f"{where}.{kind}")
            if kind == "tiers" and "partial" in opts and not isinstance(opts["partial"], bool):
                self.problems.append((f"{where}.partial", "must be true or false"))
            cls: Callable[..., n.Node] = {
                "weighted": n.Weighted,
                "tiers": n.Tiers,
                "product": n.Product,
            }[kind]
            return cls(path=path, items=children, **common, **opts)
        if kind in _PAIRS:
            return self._paired(kind, body, opts, path, where, common)
        child = self._node(body, f"{path}/{_name_of(body, 0)}", f"{where}.{kind}")
        nums = {k: self.number(v, f"{where}.{k}") for k, v in opts.items()}
        if kind == "clip":
            return n.Clip(path=path, item=child, **common, **nums)
        return n.Metric(path=path, item=child, **common)

    def _children(self, body: Any, path: str, where: str) -> list[n.Node]:
        if not isinstance(body, list) or not body:
            self.problems.append((where, "expected a non-empty list of nodes"))
            return []
        out: list[n.Node] = []
        seen: set[str] = set()
        for i, spec in enumerate(body):
            name = _name_of(spec, i)
            if name in seen:
                self.problems.append(
                    (
                        f"{where}[{i}].name",
                        f"duplicate name {name!r}; give each child a unique 'name'",
                    )
                )
            seen.add(name)
            child = self._node(spec, f"{path}/{name}", f"{where}[{i}]")
            if child is not None:
                out.append(child)
        return out

    def _paired(
        self,
        kind: str,
        body: Any,
        opts: dict[str, Any],
        path: str,
        where: str,
        common: dict[str, Any],
    ) -> n.Node | None:
        first, second = _PAIRS[kind]
        if not isinstance(body, Mapping) or set(body) != {first, second}:
            self.problems.append(
                (f"{where}.{kind}", f"expected a mapping with exactly '{first}' and '{second}'")
            )
            return None
        # Children of a pair are named by their role unless named explicitly.
        names = [_role_name(body[role], role) for role in (first, second)]
        if names[0] == names[1]:
            self.problems.append((f"{where}.{kind}.{second}.name", f"duplicate name {names[1]!r}"))
        a = self._node(body[first], f"{path}/{names[0]}", f"{where}.{kind}.{first}")
        b = self._node(body[second], f"{path}/{names[1]}", f"{where}.{kind}.{second}")
        accumulate = opts.pop("accumulate", "sum")
        if accumulate not in ("sum", "mean"):
            self.problems.append((f"{where}.accumulate", "must be 'sum' or 'mean'"))
        nums = {k: self.number(v, f"{where}.{k}") for k, v in opts.items()}
        if kind == "gate":
            return n.Gate(path=path, when=a, then=b, **common, **nums)
        return n.GatedAccumulation(
            path=path, outcome=a, steps=b, accumulate=accumulate, **common, **nums
        )


def _role_name(spec: Any, role: str) -> str:
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        return str(spec["name"])
    return role


def _name_of(spec: Any, default: int | str) -> str:
    """A node's path segment: its ``name``, else its component or composite kind."""
    if isinstance(spec, Mapping):
        if isinstance(spec.get("name"), str):
            return str(spec["name"])
        fn = spec.get("fn")
        if isinstance(fn, str):
            return fn.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        if callable(fn):
            return str(getattr(fn, "__name__", default))
        for kind in COMPOSITES:
            if kind in spec:
                return kind
    return str(default)
