"""``${name}`` references: any numeric parameter of the tree may be bound to a variable.

A value is either a plain constant or a string holding a small arithmetic expression over
variables, e.g. ``"${iou_threshold}"`` or ``"1 - ${w_process}"``. Only numbers, variables,
``+ - * /`` and parentheses are allowed, so a config cannot run code.

>>> ref = Ref.parse("1 - ${w}")
>>> ref.names
('w',)
>>> ref.evaluate({"w": 0.25})
0.75
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_VAR = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}")
_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def is_ref(value: Any) -> bool:
    """True when ``value`` is a string that mentions a ``${name}`` variable."""
    return isinstance(value, str) and _VAR.search(value) is not None


@dataclass(frozen=True)
class Ref:
    """A parsed reference expression: its text, the variables it reads and its syntax tree."""

    text: str
    names: tuple[str, ...]
    tree: ast.expr

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Parse ``text``; raises ValueError naming what is not allowed."""
        names: list[str] = []

        def substitute(m: re.Match[str]) -> str:
            names.append(m.group(1))
            return f"__v{len(names) - 1}"

        source = _VAR.sub(substitute, text)
        try:
            tree = ast.parse(source, mode="eval").body
        except SyntaxError:
            raise ValueError(
                f"cannot parse reference {text!r}: use e.g. '${{name}}' or '1 - ${{name}}'"
            ) from None
        for node in ast.walk(tree):
            ok = (
                isinstance(
                    node,
                    ast.BinOp
                    | ast.UnaryOp
                    | ast.Constant
                    | ast.Name
                    | ast.Load
                    | ast.USub
                    | ast.UAdd,
                )
                or type(node) in _BINOPS
            )
            if not ok or (
                isinstance(node, ast.Constant) and not isinstance(node.value, int | float)
            ):
                raise ValueError(
                    f"reference {text!r} may only use numbers, ${{variables}}, + - * / and parentheses"
                )
        return cls(text=text, names=tuple(dict.fromkeys(names)), tree=tree)

    def evaluate(self, variables: Mapping[str, float]) -> float:
        """The expression's value with the given variables (all must be present)."""
        order = _VAR.findall(self.text)
        values = {f"__v{i}": variables[name] for i, name in enumerate(order)}
        return float(_eval(self.tree, values))


def _eval(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # checked in Ref.parse
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    return _BINOPS[type(node.op)](_eval(node.left, values), _eval(node.right, values))


def find_refs(params: Mapping[str, Any]) -> dict[str, Ref]:
    """Every reference among the top-level values of ``params``.

    >>> sorted(find_refs({"threshold": "${t}", "k": 3}))
    ['threshold']
    """
    found: dict[str, Ref] = {}
    for key, value in params.items():
        if is_ref(value):
            found[key] = Ref.parse(value)
    return found
