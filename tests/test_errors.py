from __future__ import annotations

import pytest

from rewardkit.errors import (
    ComponentError,
    ConfigError,
    InputError,
    MissingExtraError,
    did_you_mean,
    require,
)


def test_errors_subclass_the_matching_builtins() -> None:
    assert issubclass(ConfigError, ValueError) and issubclass(InputError, ValueError)
    assert issubclass(ComponentError, RuntimeError) and issubclass(MissingExtraError, ImportError)


def test_config_error_lists_every_problem() -> None:
    err = ConfigError([("a.b", "bad"), ("c", "worse")])
    assert "2 problems" in str(err) and "a.b: bad" in str(err) and "c: worse" in str(err)


def test_require_names_the_extra() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'rewardkit\[train\]'"):
        require("surely_not_a_module_xyz", "train")


def test_did_you_mean() -> None:
    assert did_you_mean("weigthed", ["weighted", "tiers"]) == "'weighted'"
    assert did_you_mean("zzz", ["weighted"]) == ""
