"""A program's runner: confined once, it compiles the program and forks one process per test.

Standard library only (loaded by the worker without rewardkit). For each request (one program
and its tests) the worker forks a runner, which applies the limits, becomes the run's
unprivileged uid, enters the sandbox and compiles the program once. It then runs each test in
a fresh fork of itself: the test's process gets its own stdin, stdout, stderr and verdict
pipe, its own session and the wall-clock limit, and everything it leaves is killed before the
next test. The runner writes one answer frame per test to the worker. After a test of a stop
group (one program's tests for one problem) times out, the group's later tests are answered at
once without running (``SKIPPED``).

The tests run as the runner's uid, so the runner makes itself untraceable by them; a test that
kills its runner only fails its own program's remaining tests (the worker reports them).
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import time
from typing import Any

if __package__:
    from rewardkit.sandbox import confine, frames, harness, limits, reaper, verdicts
else:  # loaded by worker.py as a sibling; see there
    import confine  # type: ignore[no-redef]
    import frames  # type: ignore[no-redef]
    import harness  # type: ignore[no-redef]
    import limits  # type: ignore[no-redef]
    import reaper  # type: ignore[no-redef]
    import verdicts  # type: ignore[no-redef]

CHUNK = 1 << 16
SKIPPED = {
    "status": "timeout",
    "skipped": True,
    "detail": "not run: an earlier test of this program timed out",
}
"""The answer for a test of a stop group that already timed out (``protocol.SKIPPED_DETAIL``)."""


def run_program(
    batch: dict[str, Any],
    uid: int | None,
    workdir: str,
    path: list[str],
    env: dict[str, str],
    report_fd: int,
) -> None:
    """The runner's whole life (in a child of the worker): never returns."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = sorted({0, 1, 2, report_fd})
        for low, high in zip(keep, [*keep[1:], 1 << 16], strict=True):
            os.closerange(low + 1, high)  # the worker's protocol pipes above all
        lim = limits.Limits.from_dict(batch["limits"])
        lim.apply()
        confine.drop_privileges(uid, workdir)
        confine.become_supervisor()
        harness.enter_sandbox(path, env)
        # The runner allocates little and nothing cyclic; a collection pass would only touch
        # (and copy) shared pages after every fork. Each test turns the collector back on.
        gc.disable()
    except BaseException as exc:  # our fault, not the program's
        answer = {"status": "sandbox_error", "detail": f"confinement failed: {exc!r}"}
        for _ in batch["tests"]:
            frames.write_frame(report_fd, answer)
        os._exit(0)
    try:
        _run_tests(batch, lim, uid, report_fd)
    finally:
        os._exit(0)


def _run_tests(batch: dict[str, Any], lim: limits.Limits, uid: int | None, report_fd: int) -> None:
    try:
        program = harness.compile_program(batch)
    except harness.SYNTAX as exc:
        detail = f"{type(exc).__name__}: {exc}"
        for _ in batch["tests"]:  # no test can run: answer all without forking
            frames.write_frame(report_fd, {"status": "syntax_error", "detail": detail})
        return
    stopped: set[str] = set()  # stop groups with a timed-out test: the rest is not run
    for test in batch["tests"]:
        group = test.get("group")
        if batch["mode"] == "compile":
            answer: dict[str, Any] = {"status": "ok"}
        elif group is not None and group in stopped:
            answer = dict(SKIPPED)
        else:
            request = {**batch, "test": test.get("test", ""), "tests": None}
            answer = run_one(request, test.get("stdin", ""), program, lim, uid)
            if answer["status"] == "timeout" and group is not None:
                stopped.add(group)
        frames.write_frame(report_fd, answer)


def run_one(
    request: dict[str, Any], stdin: str, program: Any, lim: limits.Limits, uid: int | None
) -> dict[str, Any]:
    """Run one test in a fresh fork and classify how it ended."""
    token = os.urandom(16).hex()
    stdin_fd = 0  # the runner's own stdin is /dev/null: right for a test without input
    if stdin:
        stdin_fd = os.memfd_create("stdin")
        os.write(stdin_fd, stdin.encode())
        os.lseek(stdin_fd, 0, os.SEEK_SET)
    pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, verdict
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _test_process(request, token, program, stdin_fd, [w for _, w in pipes])
    if stdin_fd:
        os.close(stdin_fd)
    for _, w in pipes:
        os.close(w)
    try:
        facts = supervise(pid, [r for r, _ in pipes], start + lim.time_limit_s, lim)
        facts["wall_s"] = round(time.monotonic() - start, 6)
    finally:
        for r, _ in pipes:
            os.close(r)
        _kill_leftovers(uid)
    return verdicts.classify(facts, token, request["mode"])


def _test_process(
    request: dict[str, Any], token: str, program: Any, stdin_fd: int, writers: list[int]
) -> None:
    try:
        if stdin_fd:
            os.dup2(stdin_fd, 0)
        for target, fd in zip((1, 2, 3), writers, strict=True):
            os.dup2(fd, target)
        os.closerange(4, 1 << 16)  # the runner's report pipe above all
        confine.enter_test_session()
        gc.enable()
        harness.run_test(request, token, program)
    finally:
        os._exit(125)


def _kill_leftovers(uid: int | None) -> None:
    """Kill what the test left (the runner is a subreaper: its orphans are ours) and reap it."""
    if not reaper.has_children():
        return
    if uid is not None:
        # From the run's own uid, kill(-1) reaches every other process of that uid, in one pass
        # the kernel makes atomic with respect to fork; never without a uid of our own.
        with contextlib.suppress(OSError):
            os.kill(-1, signal.SIGKILL)
    reaper.sweep(os.getpid(), None)


def supervise(pid: int, readers: list[int], deadline: float, lim: limits.Limits) -> dict[str, Any]:
    """Collect a test's output until it exits, the deadline passes or output overflows."""
    out: dict[int, bytearray] = {fd: bytearray() for fd in readers}
    open_fds = set(readers)
    pidfd = os.pidfd_open(pid)
    timed_out = overflow = exited = False
    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready = select.select([*open_fds, pidfd], [], [], remaining)[0]
            exited = pidfd in ready
            overflow = _drain(ready, open_fds, out, lim.max_output_bytes)
            if overflow:
                break
    finally:
        os.close(pidfd)
    if not exited:
        for target in (-pid, pid):
            with contextlib.suppress(OSError):
                os.kill(target, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    # The test is gone; what it spawned may still hold the pipes: read only what is there.
    for _ in range(64):
        ready = select.select(list(open_fds), [], [], 0)[0] if not overflow else []
        if not ready:
            break
        overflow = _drain(ready, open_fds, out, lim.max_output_bytes)
    stdout, stderr, verdict = (bytes(out[fd]) for fd in readers)
    return {
        "status": status,
        "timed_out": timed_out,
        "overflow": overflow,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 6),
        "cpu_limit": lim.cpu_seconds,
        "stdout": stdout,
        "stderr": stderr,
        "verdict": verdict,
    }


def _drain(ready: list[int], open_fds: set[int], out: dict[int, bytearray], cap: int) -> bool:
    for fd in ready:
        if fd not in open_fds:
            continue
        chunk = os.read(fd, CHUNK)
        if not chunk:
            open_fds.discard(fd)
            continue
        out[fd] += chunk
        if len(out[fd]) > cap:
            return True
    return False
