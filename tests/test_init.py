"""The package root: the public surface the docstring promises, and a light ``import rewardkit``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"


def test_the_public_surface_imports_from_the_package_root() -> None:
    import rewardkit
    from rewardkit import RewardProgram, Sample, Score, reward

    program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    batch = [Sample(id="a", group="g", prompt="", completion="4", reference="4")]
    assert program.score(batch).reward_list() == [1.0]
    assert Score(1.0).value == 1.0 and reward is rewardkit.registry.reward

    base = rewardkit.errors.RewardKitError
    errors = {
        name
        for name, obj in vars(rewardkit.errors).items()
        if isinstance(obj, type) and issubclass(obj, base)
    }
    assert errors <= set(rewardkit.__all__)  # every error a user catches, at the root
    assert {"RewardProgram", "Sample", "Score", "Params", "reward", "StepProtocol"} <= set(
        rewardkit.__all__
    )
    for name in rewardkit.__all__:
        assert getattr(rewardkit, name) is not None


def test_every_error_is_defined_in_errors_py() -> None:
    import inspect

    import rewardkit.errors

    for name in rewardkit.__all__:
        thing = getattr(rewardkit, name)
        if inspect.isclass(thing) and issubclass(thing, BaseException):
            assert thing.__module__ == "rewardkit.errors", name
            assert issubclass(thing, rewardkit.errors.RewardKitError), name


@pytest.mark.process
def test_import_rewardkit_stays_light() -> None:
    code = (
        "import sys, rewardkit\n"
        "print(sorted(m for m in ('rewardkit.program', 'rewardkit.rewards', 'torch') "
        "if m in sys.modules))\n"
        "from rewardkit import RewardProgram\n"
        "print('rewardkit.program' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True"]
