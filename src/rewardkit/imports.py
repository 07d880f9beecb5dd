"""The one ``"module:function"`` importer: reward components (``fn:``), step splitters and step
verifiers (``split_fn``, ``fn_ref``) and PRM scorers (``scorer:``) all name a function this way.

The module is imported as Python would, then, when its top package is not found, from the current
directory, so ``fn: my_rewards:f`` finds ``./my_rewards.py`` without installing anything.

>>> import_function("math:isfinite").__name__
'isfinite'
>>> import_function("math:no_such_function")
Traceback (most recent call last):
...
rewardkit.errors.ConfigError: invalid config:
  module 'math' has no callable 'no_such_function'
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rewardkit.errors import ConfigError


def import_function(ref: str, path: str = "") -> Callable[..., Any]:
    """The callable that ``"package.module:function"`` names; a ConfigError at ``path`` (the
    config field that holds ``ref``) says what is wrong and where the module was looked for."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError([(path, f"{ref!r} must look like 'package.module:function'")])
    try:
        module = _import_here(module_name)
    except ImportError as exc:
        raise ConfigError(
            [
                (
                    path,
                    f"cannot import module {module_name!r} for {ref!r} ({exc}); a "
                    "'module:function' reference is imported like a Python import, from the "
                    f"installed packages and sys.path, then from the current directory "
                    f"({os.getcwd()}): put {module_name.replace('.', '/')}.py there, or install "
                    "the package that holds it",
                )
            ]
        ) from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise ConfigError([(path, f"module {module_name!r} has no callable {attr!r}")])
    return fn


def _import_here(module_name: str) -> ModuleType:
    """Import ``module_name``; when its top package is not found, retry from the current directory."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.partition(".")[0]
        cwd = os.getcwd()
        if exc.name != top or cwd in sys.path:
            raise
    sys.path.insert(0, cwd)
    try:
        importlib.invalidate_caches()
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(cwd)
