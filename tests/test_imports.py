"""The one "module:function" importer: installed modules, then the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardkit.errors import ConfigError
from rewardkit.imports import import_function


def test_an_installed_module() -> None:
    assert import_function("math:isfinite")(1.0) is True


def test_a_module_in_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rk_here_module.py").write_text("def f(x):\n    return x + 1\n")
    monkeypatch.chdir(tmp_path)
    assert import_function("rk_here_module:f")(1) == 2


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("math", "must look like 'package.module:function'"),
        (":f", "must look like 'package.module:function'"),
        ("rk_no_such_module:f", "cannot import module 'rk_no_such_module'"),
        ("math:pi", "module 'math' has no callable 'pi'"),
    ],
)
def test_each_error_names_the_field_and_what_is_wrong(ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        import_function(ref, "reward.fn")
    assert info.value.problems[0][0] == "reward.fn"
