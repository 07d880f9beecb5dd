"""The trusted driver that runs a pack of tool jobs inside one sandboxed process.

Standard library only: ``rtl_tools`` sends this file's source to the sandbox pool as a stdio
program, with the pack as JSON on stdin::

    {"cap": 32768, "fetch_cap": 2097152,
     "jobs": [{"files": {"design.sv": "..."}, "steps": [{"argv": [...], "timeout": 10.0}],
               "fetch": ["netlist.blif"]}, ...]}

Each job gets a fresh folder (removed afterwards), its files, then its steps in order until one
fails. Each step is started with ``posix_spawn`` in a session of its own (stdin ``/dev/null``,
stdout and stderr to files), waited for with a wall-clock limit, and its whole session killed
at the end; the driver is a subreaper, so anything a step left behind in another session comes
back to it and is killed too, before the next step. The answer is one JSON list, a
``{"steps": [{"rc", "out", "err", "timed_out"}], "files": {...}}`` per job, in order (or
``{"error": ...}`` where the driver itself could not run the job). Outputs keep their first and
last ``cap`` bytes; a fetched file over ``fetch_cap`` is left out.

It imports nothing the sandbox worker has not loaded already (no ``subprocess``), so a pack
costs one fork of the runner, not an interpreter's imports per job.

>>> clipped(b"abcdef", 2)
'ab\\n...\\nef'
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import sys
from typing import Any

PR_SET_CHILD_SUBREAPER = 36
SPAWN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def clipped(data: bytes, cap: int) -> str:
    """``data`` as text, its first and last ``cap`` bytes when longer than twice that."""
    if len(data) > 2 * cap:
        data = data[:cap] + b"\n...\n" + data[-cap:]
    return data.decode("utf-8", "replace")


def read(path: str, cap: int) -> str:
    try:
        with open(path, "rb") as f:
            return clipped(f.read(), cap)
    except OSError:
        return ""


def become_subreaper() -> None:
    """Orphans of the steps come back to this process (Linux; without it, the pack's sweep)."""
    import ctypes  # loaded by the sandbox worker already

    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def children_of(parent: int) -> list[int]:
    """Pids whose parent is ``parent``, from ``/proc/<pid>/stat`` (the driver is not dumpable,
    so its own ``/proc`` entries are closed to it)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2 :].split()[1]) == parent:
            found.append(int(name))
    return found


def kill_children() -> None:
    """Kill and reap every child still alive: a step's leftovers, re-parented to this process.

    Nothing to do (one ``waitpid``) unless a step left something running.
    """
    for _ in range(1000):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child at all
        if pid:
            continue  # reaped one
        for child in children_of(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        select.select([], [], [], 0.002)


def run_step(step: dict[str, Any], k: int, env: dict[str, str], cap: int) -> dict[str, Any]:
    """One tool call in its own session, killed (with its session) at its time limit."""
    out, err = f"_step{k}.out", f"_step{k}.err"
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out, SPAWN_FLAGS, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, err, SPAWN_FLAGS, 0o600),
    ]
    argv = step["argv"]
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
    except OSError as exc:
        return {"rc": 127, "out": "", "err": f"cannot start {argv[0]}: {exc}", "timed_out": False}
    pidfd = os.pidfd_open(pid)
    try:
        timed_out = not select.select([pidfd], [], [], step["timeout"])[0]
    finally:
        os.close(pidfd)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    kill_children()
    rc = None if timed_out else os.waitstatus_to_exitcode(status)
    return {"rc": rc, "out": read(out, cap), "err": read(err, cap), "timed_out": timed_out}


def run_job(job: dict[str, Any], env: dict[str, str], cap: int, fetch_cap: int) -> dict[str, Any]:
    """Write the files, run the steps until one fails, read back the fetched files."""
    for name, text in job["files"].items():
        with open(name, "w") as f:
            f.write(text)
    steps = []
    for k, step in enumerate(job["steps"]):
        steps.append(run_step(step, k, env, cap))
        if steps[-1]["rc"] != 0:
            break
    files = {}
    for name in job["fetch"]:
        try:
            if os.path.getsize(name) > fetch_cap:
                continue
            with open(name, encoding="utf-8", errors="replace") as f:
                files[name] = f.read()
        except OSError:
            continue
    return {"steps": steps, "files": files}


def main() -> None:
    pack = json.loads(sys.stdin.read())
    env = dict(os.environ)
    home = os.getcwd()
    become_subreaper()
    answers = []
    for k, job in enumerate(pack["jobs"]):
        folder = os.path.join(home, f"job{k}")
        try:
            os.mkdir(folder, 0o700)
            os.chdir(folder)
            answers.append(run_job(job, env, pack["cap"], pack["fetch_cap"]))
        except OSError as exc:
            answers.append({"error": f"the driver could not run the job: {exc}"})
        finally:
            os.chdir(home)
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(json.dumps(answers))


if __name__ == "__main__":
    main()
