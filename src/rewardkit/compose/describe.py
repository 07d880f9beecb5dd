"""A readable rendering of a built reward tree, for ``rewardkit check``.

>>> from rewardkit.compose.build import TreeBuilder
>>> print("\\n".join(describe(TreeBuilder({}).build({"weighted": [{"fn": "exact_match"}]}))))
reward  weighted
└── reward/exact_match  exact_match()  weight=1.0
"""

from __future__ import annotations

from rewardkit.compose import nodes as n
from rewardkit.compose.refs import Ref


def _fmt(x: object) -> str:
    return x.text if isinstance(x, Ref) else repr(x)


def _label(node: n.Node, parent: n.Node | None) -> str:
    if isinstance(node, n.Leaf) and node.scorer is not None:
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in node.scorer.raw_params.items())
        text = f"{node.path}  {node.scorer.component.name}({params})"
    else:
        text = f"{node.path}  {node.kind}"
        for opt in ("at_least", "otherwise", "step_weight", "min", "max"):
            value = getattr(node, opt, None)
            if value is not None:
                text += f"  {opt}={_fmt(value)}"
    if isinstance(parent, n.Weighted):
        text += f"  weight={_fmt(node.weight)}"
    if isinstance(parent, n.Tiers) and node is not parent.items[-1]:
        text += f"  pass_at={_fmt(node.pass_at)}"
    return text


def describe(node: n.Node, parent: n.Node | None = None, prefix: str = "") -> list[str]:
    """One line per node, indented as a tree, with parameters and references as written."""
    lines = [_label(node, parent)] if parent is None else []
    children = list(node.children())
    for i, child in enumerate(children):
        last = i == len(children) - 1
        lines.append(prefix + ("└── " if last else "├── ") + _label(child, node))
        lines += describe(child, node, prefix + ("    " if last else "│   "))
    return lines
