"""Kernel confinement: private namespaces for a worker, an unprivileged uid for each run.

Standard library only (the worker loads it without rewardkit). ``isolate_worker`` runs once in
each worker at start: a private network namespace (no interface but a loopback that is down), a
private IPC namespace, and a private mount namespace where ``/tmp``, ``/var/tmp``,
``/run/lock`` and ``/dev/shm`` are fresh, size-capped tmpfs mounts, and where folders that hide
the interpreter from other users (e.g. ``/root``) are replaced by a view of just the
interpreter. Each step needs root; what fails is reported, never fatal. ``drop_privileges``
runs in each forked child. See docs/sandbox.md for the threat model.

>>> Isolation().summary()["network"]
False
"""

from __future__ import annotations

import ctypes
import os
import signal
from dataclasses import asdict, dataclass
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 1 << 14, 1 << 18
MS_RDONLY, MS_REMOUNT = 1, 32
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

SHARED_WRITABLE_DIRS = ("/tmp", "/var/tmp", "/run/lock", "/dev/shm")
"""World-writable places an unprivileged program could use to leave files or pass notes."""


_LIBC: Any = None


def _libc() -> Any:
    # Loaded once in the worker, before any fork, so children inherit it for free.
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


@dataclass
class Isolation:
    """What holds in one worker. ``private_dirs`` maps each tmpfs mounted over a shared writable
    directory to its device id: only those are emptied between runs, and only while the device
    id still matches (a directory that is not our own tmpfs is never touched).
    """

    network: bool = False
    ipc: bool = False
    mounts: bool = False
    subreaper: bool = False
    uid: bool = False
    private_dirs: dict[str, int] | None = None

    def summary(self) -> dict[str, Any]:
        """A JSON-ready report, e.g. ``{"network": True, ..., "private_dirs": ["/tmp"]}``."""
        return {**asdict(self), "private_dirs": sorted(self.private_dirs or {})}


def isolate_worker(expose: tuple[str, ...] = ()) -> Isolation:
    """Move the calling worker into private namespaces; report what holds.

    ``expose`` lists paths the unprivileged children must be able to read (the interpreter and
    its library folders). A shared directory that contains one of them is not replaced.

    >>> isinstance(isolate_worker.__doc__, str)
    True
    """
    held = Isolation(private_dirs={})
    libc = _libc()
    held.subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    if os.geteuid() != 0:
        return held
    held.network = libc.unshare(CLONE_NEWNET) == 0
    held.ipc = libc.unshare(CLONE_NEWIPC) == 0
    if libc.unshare(CLONE_NEWNS) != 0:
        return held
    # Private propagation first, so that no mount below ever shows up on the host.
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return held
    private: dict[str, int] = {}
    for path in SHARED_WRITABLE_DIRS:
        if os.path.isdir(path) and _cover(libc, path, expose):
            private[path] = os.stat(path).st_dev
    held.private_dirs = private
    held.mounts = _expose(libc, expose)
    return held


def _cover(libc: Any, path: str, expose: tuple[str, ...]) -> bool:
    """Cover a shared writable folder with a private tmpfs. Entries of it that lead to an exposed
    path (a checkout or venv under /tmp, say) are bind-mounted back read-only; emptying the tmpfs
    later never enters them, because they sit on another device."""
    real = os.path.realpath(path)
    if any(os.path.realpath(k) == real for k in expose):
        return False  # the folder itself is needed: leave it shared (documented)
    keep = sorted({_top_entry(os.path.realpath(k), real) for k in expose if _inside(k, path)})
    handles = {child: os.open(child, os.O_PATH) for child in keep}
    try:
        flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
        if libc.mount(b"tmpfs", real.encode(), b"tmpfs", flags, b"size=64m,mode=1777") != 0:
            return False
        for child, fd in handles.items():
            if not _bind_back(libc, child, fd):
                return False
            remount = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
            libc.mount(b"none", child.encode(), None, remount, None)
        return True
    finally:
        for fd in handles.values():
            os.close(fd)


def _bind_back(libc: Any, child: str, fd: int) -> bool:
    """Recreate ``child`` on the fresh mount over its parent and bind what ``fd`` holds onto it."""
    if os.path.isdir(f"/proc/self/fd/{fd}"):
        os.mkdir(child)
    else:
        open(child, "w").close()
    source = f"/proc/self/fd/{fd}".encode()
    return bool(libc.mount(source, child.encode(), None, MS_BIND | MS_REC, None) == 0)


def _top_entry(path: str, directory: str) -> str:
    """The entry of ``directory`` on the way to ``path`` (``/tmp/ci`` for ``/tmp/ci/.venv``)."""
    rest = path[len(directory.rstrip("/")) + 1 :]
    return os.path.join(directory, rest.split("/", 1)[0])


def _expose(libc: Any, paths: tuple[str, ...]) -> bool:
    """Make ``paths`` reachable for other users, hiding what else their blocking ancestors hold.

    A folder such as ``/root`` (mode 0700) above the interpreter is covered with an empty,
    traversable tmpfs into which only the needed subtrees are bind-mounted back.
    """
    for _ in range(4):  # a blocker may sit inside an exposed subtree: repeat until none is left
        blockers: dict[str, set[str]] = {}
        for path in paths:
            found = _blocking_ancestor(path)
            if found:
                blockers.setdefault(found[0], set()).add(found[1])
        if not blockers:
            return True
        for ancestor, children in blockers.items():
            handles = {child: os.open(child, os.O_PATH) for child in children}
            if (
                libc.mount(
                    b"tmpfs", ancestor.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755"
                )
                != 0
            ):
                return False
            for child, fd in handles.items():
                ok = _bind_back(libc, child, fd)
                os.close(fd)
                if not ok:
                    return False
    return False


def _inside(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _blocking_ancestor(path: str) -> tuple[str, str] | None:
    """The first ancestor of ``path`` that others cannot traverse, and its child on the way."""
    real = os.path.realpath(path)
    if not os.path.exists(real):
        return None
    parts = real.strip("/").split("/")
    for i in range(len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if not os.stat(ancestor).st_mode & 0o001:
            return ancestor, "/" + "/".join(parts[: i + 1])
    return None


def drop_privileges(uid: int | None, workdir: str) -> None:
    """The last step before untrusted code: new session, own folder, own uid, no way back.

    Call after ``Limits.apply`` (rlimits are set while still root). The uid switch drops every
    capability; no-new-privileges and the parent-death signal come after it, because the
    kernel clears the latter on a credential change.
    """
    os.setsid()
    os.chdir(workdir)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    libc = _libc()
    _call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.umask(0o077)


def become_supervisor() -> None:
    """For a program's runner, after ``drop_privileges``: its tests run as the same uid, so
    make it untraceable by them (not dumpable: no ptrace, no /proc/<pid>/mem or fd access) and
    a subreaper (their orphans come back to it, to be killed and reaped).
    """
    libc = _libc()
    _call(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(SET_DUMPABLE)")
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def enter_test_session() -> None:
    """For a test's process: its own session (killed as a group), and death with its runner
    (the parent-death signal does not survive a fork, so each test sets it again).
    """
    os.setsid()
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
