"""The sandbox worker: a pre-started, clean interpreter that forks one runner per program.

The pool starts ``python -I -B worker.py --uid N``: an isolated interpreter that imports only the
standard library and its sibling files (``confine``, ``frames``, ``harness``, ``limits``,
``reaper``, ``runner``, ``verdicts``), never rewardkit, so a forked child carries nothing of the
host. Starting it costs tens of milliseconds once. Each request (one program and some of its
tests) then costs a fork of a runner (``runner.py``: confined once, compiles once) and a fork
of the runner per test.

Protocol, over the worker's stdin (requests) and stdout (answers): frames of a 4-byte
big-endian length followed by UTF-8 JSON. The worker first sends ``{"ready": true, "isolation":
{...}}``, then answers each request ``{"code", "mode", "setup", "entry", "limits", "tests":
[{"stdin", "test", "group"?}, ...]}`` with ``{"results": [...]}``, one ``{"status", "detail",
"exit_code", "signal", "stdout", "stderr", "wall_s", "cpu_s", "value"}`` per test (a test whose
``group`` already had a timeout is not run: ``{"status": "timeout", "skipped": true, ...}``).
End of input makes it exit.

>>> child_env("/tmp/run")["HOME"]
'/tmp/run'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

SIBLINGS = ("confine", "frames", "harness", "limits", "reaper", "runner", "verdicts")
if __package__:
    from rewardkit.sandbox import confine, frames, limits, reaper, runner
else:  # started by the pool as a script: load the siblings without importing rewardkit
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import confine  # type: ignore[no-redef]
    import frames  # type: ignore[no-redef]
    import harness  # noqa: F401  (loaded before runner, which finds it by name)
    import limits  # type: ignore[no-redef]
    import reaper  # type: ignore[no-redef]
    import runner  # type: ignore[no-redef]
    import verdicts  # noqa: F401

    del sys.path[0]
    for _name in SIBLINGS:  # children must not find them by name; the worker keeps its references
        del sys.modules[_name]

PER_TEST_SLACK_S = 0.5
RUNNER_SLACK_S = 2.0
"""Beyond the tests' own time limits, how long the worker waits for a program's runner."""
PRELOADED = (
    "bisect",
    "collections",
    "copy",
    "functools",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "string",
    "typing",
)
"""Standard modules most solutions import: loaded once here, free in every child."""


def child_env(workdir: str) -> dict[str, str]:
    """The whole environment a solution sees: nothing of the parent's."""
    return {
        "PATH": limits.CHILD_PATH,
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


class Worker:
    """State of one worker process: its uid, its work root, and what isolation holds."""

    def __init__(self, uid: int | None, work_root: str, isolation: confine.Isolation):
        self.uid = uid
        self.work_root = work_root
        self.isolation = isolation
        here = os.path.dirname(os.path.abspath(__file__))
        self.library_path = [p for p in sys.path if p and os.path.abspath(p) != here]

    def run(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Run one program's tests in a fresh runner; always one answer per test."""
        lim = limits.Limits.from_dict(batch["limits"])
        count = len(batch["tests"])
        workdir = tempfile.mkdtemp(prefix="run-", dir=self.work_root)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            path = [workdir, *self.library_path]
            runner.run_program(batch, self.uid, workdir, path, child_env(workdir), report_w)
        os.close(report_w)
        answers: list[dict[str, Any]] = []
        missing = {
            "status": "runtime_error",
            "detail": "the runner ended early (killed by the program?)",
        }
        deadline = time.monotonic() + count * (lim.time_limit_s + PER_TEST_SLACK_S) + RUNNER_SLACK_S
        try:
            while len(answers) < count:
                answer = frames.read_frame(report_r, deadline)
                if answer is None:
                    break
                answers.append(answer)
        except TimeoutError:
            missing = {"status": "timeout", "detail": "the runner stopped answering"}
        finally:
            os.close(report_r)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self._clean(workdir)
        return {"results": answers + [missing] * (count - len(answers))}

    def _clean(self, workdir: str) -> None:
        """Kill whatever the run left, then remove its files (and, when private, shared tmp dirs)."""
        if reaper.has_children() or not self.isolation.subreaper:
            reaper.sweep(os.getpid(), self.uid)
        shutil.rmtree(workdir, ignore_errors=True)
        for path, device in (self.isolation.private_dirs or {}).items():
            _empty_private_dir(path, device, keep=self.work_root)


def _empty_private_dir(path: str, device: int, keep: str) -> None:
    """Empty one of the worker's own tmpfs mounts (never anything else: the device must match)."""
    try:
        if os.stat(path).st_dev != device:
            return
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.path == keep:
            continue
        try:  # an entry on another device is a bind mount of the host's (a checkout): never touch
            if entry.stat(follow_symlinks=False).st_dev != device:
                continue
        except OSError:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def warm_up() -> None:
    """Import the usual modules and exercise the compiler once, so that children inherit warm
    state instead of paying page faults for it; then freeze the heap out of the collector's way.
    """
    import gc
    import importlib
    import linecache

    for name in PRELOADED:
        importlib.import_module(name)
    sample = (
        "import math\ndef f(x):\n    return [math.isqrt(x), {x: (x,)}]\nprint(f(3)[0], end='')\n"
    )
    exec(compile(sample, "<warm-up>", "exec"), {"print": lambda *a, **k: None})
    eval(compile("f(2) == [1, {2: (2,)}]", "<warm-up>", "eval"), {"f": lambda x: x})
    linecache.getlines(runner.harness.__file__)  # tracebacks of tests read it from memory
    try:
        eval(compile("(lambda: 1 // 0)()", "<warm-up>", "eval"))
    except ZeroDivisionError:
        traceback.format_exc()  # the traceback machinery, once, for failing tests
    gc.collect()
    gc.freeze()


def main(argv: list[str]) -> int:
    """Worker entry point: ``worker.py [--uid N]`` or ``worker.py --sweep-uid N``."""
    uid = int(argv[argv.index("--uid") + 1]) if "--uid" in argv else None
    if "--sweep-uid" in argv:
        reaper.kill_uid(int(argv[argv.index("--sweep-uid") + 1]))
        return 0
    # Keep the protocol off fds 0/1 so a child's dup2 cannot collide with it.
    requests_fd, answers_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    needed = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.executable, __file__, *sys.path)
    isolation = confine.isolate_worker(expose=tuple(p for p in needed if p))
    isolation.uid = uid is not None
    if uid is not None:
        reaper.kill_uid(uid)  # leftovers of a predecessor that was killed
    work_root = tempfile.mkdtemp(prefix="rewardkit-sandbox-")
    os.chmod(work_root, 0o711)  # runs can reach their own folder, not list the others
    worker = Worker(uid, work_root, isolation)
    warm_up()
    frames.write_frame(
        answers_fd, {"ready": True, "isolation": isolation.summary(), "pid": os.getpid()}
    )
    try:
        while (request := frames.read_frame(requests_fd)) is not None:
            try:
                answer = worker.run(request)
            except Exception as exc:  # a worker fault is reported, never fatal to the pool
                fault = {"status": "sandbox_error", "detail": f"{type(exc).__name__}: {exc}"}
                answer = {"results": [fault] * len(request.get("tests") or [None])}
            frames.write_frame(answers_fd, answer)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        reaper.sweep(os.getpid(), uid)
        shutil.rmtree(worker.work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
