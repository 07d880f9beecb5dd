"""Namespaces and privilege drop: what can be checked from outside a worker."""

from __future__ import annotations

import os
from pathlib import Path

from rewardkit.sandbox.confine import Isolation, _blocking_ancestor, _inside
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import RunRequest

from .conftest import needs_root


def test_summary_is_json_ready() -> None:
    held = Isolation(network=True, private_dirs={"/tmp": 7, "/dev/shm": 8})
    assert held.summary() == {
        "network": True,
        "ipc": False,
        "mounts": False,
        "subreaper": False,
        "uid": False,
        "private_dirs": ["/dev/shm", "/tmp"],
    }


def test_inside() -> None:
    assert _inside("/tmp/a/b", "/tmp")
    assert _inside("/tmp", "/tmp/")
    assert not _inside("/tmpx/a", "/tmp")


def test_blocking_ancestor_finds_the_first_closed_folder(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "inner" / "deep").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(closed, 0o700)
    found = _blocking_ancestor(str(closed / "inner" / "deep"))
    assert found is not None
    assert found[1].startswith(found[0])
    assert Path(found[0]).stat().st_mode & 0o001 == 0
    assert _blocking_ancestor("/definitely/not/there") is None


@needs_root
def test_workers_report_what_holds(pool: SandboxPool) -> None:
    assert pool.run(RunRequest("print(1)")).ok
    held = pool.isolation
    assert held["network"] and held["ipc"] and held["mounts"] and held["subreaper"] and held["uid"]
    assert "/tmp" in held["private_dirs"]
