"""Namespaces and privilege drop: what can be checked from outside a worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rewardkit.sandbox.confine import Isolation, _blocking_ancestor, _inside
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import RunRequest

from .conftest import needs_root

pytestmark = pytest.mark.process


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


@needs_root
def test_a_checkout_under_tmp_stays_intact_and_tmp_stays_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker script lives under /tmp (as in a CI clone there): /tmp must still be private,
    # the checkout visible read-only, and emptying /tmp after a run must never reach the host's.
    import shutil

    from rewardkit.sandbox import pool as pool_module

    copy = tmp_path / "checkout" / "sandbox"
    shutil.copytree(Path(pool_module.__file__).parent, copy)
    (tmp_path / "checkout" / "keep.txt").write_text("precious")
    monkeypatch.setattr(pool_module, "WORKER_SCRIPT", str(copy / "worker.py"))
    probe = (
        "import os\n"
        f"print(os.path.exists({str(copy / 'worker.py')!r}), end=' ')\n"
        "open('/tmp/note', 'w').write('x')\n"
        f"try:\n    open({str(tmp_path / 'checkout' / 'new.txt')!r}, 'w')\nexcept OSError:\n"
        "    print('read-only', end='')\n"
    )
    local = SandboxPool(workers=1)
    try:
        first, second = local.run_many([RunRequest(probe), RunRequest(probe)])
        assert "/tmp" in local.isolation["private_dirs"]
    finally:
        local.shutdown()
    assert first.stdout == second.stdout == "True read-only", (first, second)
    assert (tmp_path / "checkout" / "keep.txt").read_text() == "precious"
    assert (copy / "worker.py").exists() and not Path("/tmp/note").exists()
