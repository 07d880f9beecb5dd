"""What runs inside the sandbox: compile the solution, run it, run one test, report a verdict.

Standard library only, and self-contained: a program's runner calls ``enter_sandbox`` and
``compile_program`` once and each test's forked process calls ``run_test``; the Sandbox Fusion
backend ships this file's source to the remote service, which calls ``run_remote``. A request is a dict::

    {"code": "...", "mode": "stdio" | "assert" | "value" | "compile",
     "test": "assert f(2) == 4" | "f(2)" | "", "setup": "...", "entry": "f" | None}

- ``stdio``: run the program; the caller judges its stdout.
- ``assert``: run setup, the program, then the test statement; ``pass`` only if it completes.
- ``value``: run setup and the program, evaluate the test expression, report its value; the
  caller compares it, outside the sandbox, with the expected literal (an object with a forged
  ``__eq__`` gains nothing).
- ``compile``: only compile the program.

The verdict is one dict literal, e.g. ``{'kind': 'pass'}`` or ``{'kind': 'exception', 'type':
'ZeroDivisionError', 'detail': '...'}``, written after a secret token the program never sees in
its own namespace. It is written with ``repr`` of plain values (read back with
``ast.literal_eval``), and every function here runs on a private copy of its globals and of the
builtins taken before the solution runs: a solution that replaces ``builtins.exec``,
``json.dumps`` or ``os.write`` does not change how its test is judged.

>>> encode_value((1, [2.5, None], {"a": {3}}))
{'$tuple': [1, [2.5, None], {'$dict': [['a', {'$set': [3]}]]}]}
"""

from __future__ import annotations

import builtins
import io
import linecache
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

SYNTAX = (SyntaxError, ValueError)  # ValueError: source with null bytes


def encode_value(value: Any) -> Any:
    """A JSON form of a plain Python value; anything else becomes ``{"$unencodable": type}``.

    Subclasses and numpy-like values are converted to the plain value they claim to be, so the
    comparison made by the caller sees only plain data.

    >>> encode_value(float("inf"))
    {'$float': 'inf'}
    """

    def enc(v: Any, depth: int) -> Any:
        if depth > 100:
            return {"$unencodable": "too deep"}
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v if abs(v) < 2**63 else {"$int": str(v)}
        if t is float:
            return v if v == v and abs(v) != float("inf") else {"$float": repr(v)}
        if t is complex:
            return {"$complex": [enc(v.real, depth + 1), enc(v.imag, depth + 1)]}
        if t is bytes:
            return {"$bytes": v.hex()}
        if t is list:
            return [enc(x, depth + 1) for x in v]
        if t is tuple:
            return {"$tuple": [enc(x, depth + 1) for x in v]}
        if t is set or t is frozenset:
            return {"$set": [enc(x, depth + 1) for x in v]}
        if t is dict:
            return {"$dict": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]}
        for base in (bool, int, float, str, bytes, tuple, list, dict, frozenset, set):
            if isinstance(v, base):
                return enc(base(v), depth)  # type: ignore[arg-type]
        if callable(getattr(v, "tolist", None)):  # numpy scalars and arrays
            plain = v.tolist()
            if type(plain) is not t:
                return enc(plain, depth + 1)
        return {"$unencodable": t.__name__}

    return enc(value, 0)


def _fresh_main() -> dict[str, Any]:
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = module
    return module.__dict__


def compile_program(request: dict[str, Any]) -> tuple[Any, Any]:
    """The compiled solution and setup (None without setup); SyntaxError/ValueError if bad.

    The per-program runner compiles once and shares the result with every test it forks.
    """
    solution = _compile(request["code"], "<solution>", "exec")
    setup = _compile(request["setup"], "<setup>", "exec") if request.get("setup") else None
    return solution, setup


def _compile(source: str, name: str, mode: str) -> Any:
    """Compile, and register the source so that tracebacks show its lines without a file
    search along ``sys.path``.
    """
    code = compile(source, name, mode)
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return code


def judge(
    request: dict[str, Any], emit: Callable[[dict[str, Any]], None], program: Any = None
) -> int:
    """Run one request in this process; ``emit`` the verdict; return the exit code to use.

    ``program`` is ``compile_program(request)`` when the caller compiled it already.
    """
    mode = request["mode"]
    try:
        solution, setup = program if program is not None else compile_program(request)
        test = None
        if mode in ("assert", "value"):
            test = _compile(request["test"], "<test>", "exec" if mode == "assert" else "eval")
    except SYNTAX as exc:
        emit({"kind": "syntax_error", "detail": f"{type(exc).__name__}: {exc}"})
        return 1
    if mode == "compile":
        emit({"kind": "ok"})
        return 0
    namespace = _fresh_main()
    stage = "solution"
    try:
        if setup is not None:
            exec(setup, namespace)
        exec(solution, namespace)
        entry = request.get("entry")
        if entry and not callable(namespace.get(entry)):
            emit({"kind": "missing_entry", "detail": f"the solution does not define {entry!r}"})
            return 1
        stage = "test"
        if mode == "value":
            assert test is not None
            emit({"kind": "value", "value": encode_value(eval(test, namespace))})
        elif mode == "assert":
            assert test is not None
            exec(test, namespace)
            emit({"kind": "pass"})
        else:
            emit({"kind": "ok"})
        return 0
    except SystemExit as exc:
        return _exited(exc, mode, stage, emit)
    except MemoryError:
        emit({"kind": "memory", "detail": "MemoryError"})
        return 1
    except BaseException as exc:
        kind = "assertion" if stage == "test" and type(exc) is AssertionError else "exception"
        emit({"kind": kind, "type": type(exc).__name__, "detail": _short(exc)})
        return 1


def _exited(exc: SystemExit, mode: str, stage: str, emit: Callable[[dict[str, Any]], None]) -> int:
    status = exc.code
    exit_code = 0 if status is None else status if isinstance(status, int) else 1
    if mode == "stdio":
        if exit_code == 0:
            emit({"kind": "ok"})
        else:
            emit({"kind": "exception", "type": "SystemExit", "detail": f"exit code {exit_code}"})
        return exit_code
    emit(
        {"kind": "exit", "detail": f"the {stage} called exit({status!r}) before the test finished"}
    )
    return 1


def _short(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip()
    return text[:500]


def _print_traceback() -> None:
    try:  # noqa: SIM105 (no library helper after the solution ran: it may have replaced them)
        traceback.print_exc(limit=-5)
    except BaseException:
        pass


def enter_sandbox(path: list[str], env: dict[str, str]) -> None:
    """Make this forked worker look like a fresh interpreter to the code it will run.

    The worker has already dropped its own modules from ``sys.modules`` and computed ``path``
    (the solution's folder first, then the standard library and site-packages). The standard
    streams are bound to file descriptors 0-2, which each test's process points at its own pipes.
    """
    sys.path[:] = path
    sys.argv = ["solution.py"]
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
    )


def run_test(request: dict[str, Any], token: str, program: Any) -> None:
    """A test process's whole life (after ``enter_sandbox`` in its parent): never returns.

    The verdict goes to file descriptor 3, prefixed by ``token``; the runner trusts nothing else.
    """
    verdict_fd = os.dup(3)
    os.close(3)
    sent: list[bytes] = []

    def emit(verdict: dict[str, Any]) -> None:
        if "detail" in verdict and verdict["kind"] not in ("ok", "pass", "value"):
            _print_traceback()
        sent.append((token + repr(verdict) + "\n").encode())

    exit_code = 1
    try:
        exit_code = judge(request, emit, program)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:  # noqa: SIM105 (as above)
                stream.flush()
            except BaseException:
                pass
        for line in sent:
            try:  # noqa: SIM105 (as above)
                _write(verdict_fd, line)
            except OSError:
                pass
        _exit(exit_code if 0 <= exit_code < 256 else 1)


def run_remote(request: dict[str, Any], marker: str) -> int:
    """Entry point of the program shipped to a remote sandbox: the verdict is the last stdout line.

    >>> import contextlib
    >>> out, saved = io.StringIO(), sys.modules["__main__"]
    >>> with contextlib.redirect_stdout(out):
    ...     code = run_remote({"code": "x = 2", "mode": "value", "test": "x * 3"}, "@@")
    >>> sys.modules["__main__"] = saved  # judge gives the program a fresh __main__
    >>> code, out.getvalue().splitlines()[-1]
    (0, "@@{'kind': 'value', 'value': 6}")
    """
    verdicts: list[dict[str, Any]] = []
    exit_code = judge(request, verdicts.append)
    sys.stdout.flush()
    for verdict in verdicts:
        sys.stdout.write("\n" + marker + repr(verdict) + "\n")
    sys.stdout.flush()
    return exit_code


_write, _exit = os.write, os._exit


def _seal() -> None:
    """Rebind every function of this module to private copies of its globals and builtins."""
    private = dict(globals())
    private["__builtins__"] = dict(vars(builtins))
    for name, value in list(private.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            sealed = types.FunctionType(
                value.__code__, private, value.__name__, value.__defaults__, value.__closure__
            )
            private[name] = sealed
            globals()[name] = sealed


_seal()
