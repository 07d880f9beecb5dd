"""No script of the repository shadows a module: ``python bench/X.py`` puts ``bench/`` first on
``sys.path``, so a ``bench/trl.py`` is what ``import trl`` finds there, for every script in the
folder (issue 29: ``bench/trainer.py`` crashed that way). The same holds for ``examples/`` and
``scripts/``.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_FOLDERS = ("bench", "examples", "scripts")


def find_elsewhere(name: str, folder: Path) -> ModuleSpec | None:
    """Where ``import name`` finds a module when ``folder`` is not on the path, ignoring what is
    imported already (a test may have imported ``bench/common.py`` as ``common``)."""
    path = [p for p in sys.path if Path(p or ".").resolve() != folder.resolve()]
    for finder in sys.meta_path:
        if finder is PathFinder:
            spec = PathFinder.find_spec(name, path)
        elif hasattr(finder, "find_spec"):
            spec = finder.find_spec(name, None)
        else:
            continue
        if spec is not None:
            return spec
    return None


def shadowed(script: Path) -> str | None:
    """What a script's name hides from the scripts beside it (None: nothing)."""
    name = script.stem
    if name in sys.stdlib_module_names:
        return f"the standard library's {name}"
    spec = find_elsewhere(name, script.parent)
    if spec is None:
        return None
    return f"{name} ({spec.origin or 'a namespace package'})"


def scripts() -> list[Path]:
    return sorted(p for folder in SCRIPT_FOLDERS for p in (ROOT / folder).rglob("*.py"))


def test_the_check_sees_a_package_the_standard_library_and_a_free_name() -> None:
    bench = ROOT / "bench"
    assert shadowed(bench / "trl.py") is not None  # the name bench/trl.py had: trl is installed
    assert shadowed(bench / "json.py") == "the standard library's json"
    assert shadowed(bench / "trl_vs_plain.py") is None
    assert shadowed(bench / "common.py") is None


def test_no_script_shadows_an_importable_module() -> None:
    found = scripts()
    assert ROOT / "bench" / "trainer.py" in found
    hidden = {str(p.relative_to(ROOT)): what for p in found if (what := shadowed(p))}
    assert not hidden, (
        f"these scripts hide a module from every script run beside them: {hidden}; "
        "rename them (git mv) to a name nothing else has"
    )
