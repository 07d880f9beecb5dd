"""The scan of an untrusted design before any tool sees it: refused constructs.

A system task or function outside a short list of pure ones (``$signed``, ``$clog2``...; no
``$display``, ``$finish``, ``$fopen``, ``$readmemh``, ``$system``, ``$root``), a compiler
directive that reads files (`` `include``, `` `line``), an escaped identifier, a hierarchical
reference (``tb.mismatches``) or a module named like one of the testbench's is refused: the
design scores 0 in every tier and never runs (docs/rtl.md, the hostile suite).

>>> refusal("module TopModule(output y); initial $system(\\"id\\"); endmodule")
'system task $system is not allowed in a design'
>>> refusal("module TopModule(input a, output y); assign y = $signed(a); endmodule") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PURE_SYSTEM_FUNCTIONS = frozenset(
    [
        "$signed",
        "$unsigned",
        "$clog2",
        "$bits",
        "$size",
        "$countones",
        "$onehot",
        "$onehot0",
        "$isunknown",
        "$high",
        "$low",
        "$left",
        "$right",
        "$increment",
        "$dimensions",
        "$rtoi",
        "$itor",
    ]
)
"""The only ``$`` names a design may use: pure functions of their arguments."""
_REFUSED_DIRECTIVES = frozenset({"include", "line", "pragma"})
_COMMENTS_AND_STRINGS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.DOTALL)
_SYSTEM_NAME = re.compile(r"\$[A-Za-z_][\w$]*")
_DIRECTIVE = re.compile(r"`\s*([A-Za-z_]\w*)")
_HIERARCHICAL = re.compile(r"\b([A-Za-z_][\w$]*)\s*\.\s*[A-Za-z_\\]")
_MODULE_DECL = re.compile(r"\b(?:module|macromodule|primitive|interface|program|package)\s+(\w+)")


def strip_comments_and_strings(source: str) -> str:
    """``source`` with comments and string literals blanked (a string keeps its quotes).

    >>> strip_comments_and_strings('a // $x\\n"$y" /* $z */ b')
    'a  \\n""   b'
    """
    return _COMMENTS_AND_STRINGS.sub(lambda m: '""' if m.group().startswith('"') else " ", source)


def module_names(source: str) -> list[str]:
    """Names of the modules (and primitives, interfaces...) that ``source`` declares.

    >>> module_names("module tb; endmodule\\nmodule RefModule(input a); endmodule")
    ['tb', 'RefModule']
    """
    return _MODULE_DECL.findall(strip_comments_and_strings(source))


def refusal(source: str, reserved: Sequence[str] = ()) -> str | None:
    """Why ``source`` is refused before any tool runs it, or None when it may run.

    ``reserved`` lists module names the design must neither declare nor reference (the
    testbench's and the reference's: ``tb``, ``RefModule``).

    >>> refusal("module tb; endmodule", reserved=["tb"])
    "the design declares module 'tb', a name of the testbench or the reference"
    >>> refusal("module TopModule(output y); assign y = tb.count; endmodule")
    "hierarchical reference 'tb.' is not allowed in a design"
    """
    code = strip_comments_and_strings(source)
    for name in _SYSTEM_NAME.findall(code):
        if name not in PURE_SYSTEM_FUNCTIONS:
            return f"system task {name} is not allowed in a design"
    for directive in _DIRECTIVE.findall(code):
        if directive in _REFUSED_DIRECTIVES:
            return f"compiler directive `{directive} is not allowed in a design"
    if "\\" in code:
        return "escaped identifiers are not allowed in a design"
    found = _HIERARCHICAL.search(code)
    if found:
        return f"hierarchical reference '{found.group(1)}.' is not allowed in a design"
    for name in module_names(source):
        if name in reserved:
            return f"the design declares module {name!r}, a name of the testbench or the reference"
    words = set(re.findall(r"[A-Za-z_]\w*", code))
    used = sorted(words & set(reserved) - {"TopModule"})
    if used:
        return f"the design names {used[0]!r}, a module of the testbench or the reference"
    return None
