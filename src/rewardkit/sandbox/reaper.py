"""Finding, killing and reaping what a sandboxed run left behind.

Standard library only (loaded by the worker without rewardkit). A worker is a child subreaper:
every orphan of its runs is re-parented to it, so "no process left" means "the worker has no
children and nothing runs as the run's uid".

>>> processes_of_uid(2**31 - 2)
[]
"""

from __future__ import annotations

import contextlib
import os
import signal
import time


def descendants(root_pid: int) -> list[int]:
    """Pids of every living descendant of ``root_pid``, found by scanning ``/proc``.

    >>> descendants(os.getpid()) == [] or True
    True
    """
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(name)] = int(fields[1])
    found: list[int] = []
    frontier = [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def processes_of_uid(uid: int, zombies: bool = False) -> list[int]:
    """Pids of processes whose real uid is ``uid``; dead ones awaiting their parent's reaping
    (zombies) only when asked: a run's child that outlived a killed worker becomes init's
    zombie, and holds nothing but its pid until init collects it.

    >>> processes_of_uid(2**31 - 2)
    []
    """
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                status = dict(line.split(b":", 1) for line in f if b":" in line)
        except OSError:
            continue
        if int(status.get(b"Uid", b"-1 0").split()[0]) != uid:
            continue
        if zombies or not status.get(b"State", b"").strip().startswith(b"Z"):
            found.append(int(name))
    return found


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid``, from a helper that becomes that uid.

    ``kill(-1, SIGKILL)`` from an unprivileged uid reaches exactly the processes of that uid, in
    one pass the kernel makes atomic with respect to fork: a fork bomb cannot outrun it.
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            # Three passes; the call reports success whenever other processes exist at all, so
            # its result says nothing about what was left (sweep checks /proc afterwards).
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        except BaseException:
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)


def sweep(root_pid: int, uid: int | None, deadline_s: float = 5.0) -> list[int]:
    """Kill every descendant of ``root_pid`` (and every process of ``uid``), then reap them.

    Returns the pids still alive after ``deadline_s`` (empty unless something is very wrong).
    Orphans land on ``root_pid`` because it is a child subreaper, so they can be reaped here.
    """
    end = time.monotonic() + deadline_s
    while True:
        if uid is not None:
            kill_uid(uid)
        left = descendants(root_pid)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reap_children()
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.002)


def reap_children() -> None:
    """Collect every exited child (zombie) of the calling process, without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def has_children() -> bool:
    """Whether the calling process still has children (alive or zombie) after reaping."""
    reap_children()
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True
