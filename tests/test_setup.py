"""The venv the README's commands build is consistent: `pip check` finds no broken requirement
(test-only peers that install only without their dependencies live in .peers/, not in the venv:
scripts/venv.sh), and the package's license is an SPDX expression."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.process
def test_pip_check_of_the_venv_is_clean() -> None:
    # without the PYTHONPATH tests/conftest.py gives the processes it starts (.peers on it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert all((ROOT / name).is_file() for name in project["license-files"])


def test_the_main_job_installs_only_what_training_needs() -> None:
    """scripts/train.sh installs rewardkit[train]; the dev tools and peers come with the tests."""
    venv = (ROOT / "scripts" / "venv.sh").read_text()
    assert 'train) extras="train"' in venv and 'test) extras="all,dev"' in venv
    assert '"$root/scripts/venv.sh"\n' in (ROOT / "scripts" / "train.sh").read_text()
    assert '"$root/scripts/venv.sh" test' in (ROOT / "scripts" / "test.sh").read_text()
