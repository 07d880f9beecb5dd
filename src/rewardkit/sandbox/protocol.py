"""What a sandbox run asks for and what it returns, whatever the backend (local pool or remote).

>>> RunRequest(code="print(1)").mode
'stdio'
>>> ExecResult(status="ok", stdout="1\\n").ok
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rewardkit.sandbox.limits import Limits

Mode = Literal["stdio", "assert", "value", "compile"]

ErrorClass = Literal[
    "wrong_answer",
    "runtime_error",
    "timeout",
    "memory",
    "output_limit",
    "syntax_error",
    "sandbox_error",
]
"""How a failed run or test failed (every status but ``ok``)."""

ExecStatus = Literal["ok", ErrorClass]
"""How a run ended.

- ``ok``: the program (and its test, if any) completed; the caller judges the output or value.
- ``wrong_answer``: an ``assert`` test failed.
- ``runtime_error``: an uncaught exception, a non-zero exit, a crash (e.g. SIGSEGV), or exiting
  before the test ran.
- ``timeout``: the wall-clock or CPU limit was hit; the run was killed.
- ``memory``: ``MemoryError`` (the address-space limit).
- ``output_limit``: stdout or stderr exceeded the cap; the run was killed.
- ``syntax_error``: the program does not compile.
- ``sandbox_error``: the sandbox itself failed (a worker died or did not answer); not the
  program's fault, and never scored as if it were.
"""


@dataclass(frozen=True)
class RunRequest:
    """One program run: the solution, how to test it, and its limits.

    Attributes:
        code: the solution's source.
        stdin: standard input of the run.
        mode: ``stdio`` (run, judge stdout), ``assert`` (run ``test`` as a statement),
            ``value`` (evaluate ``test`` as an expression, return its value), ``compile``.
        test: the assert statement or the expression, by mode.
        setup: trusted code run before the solution (imports, helpers of the test).
        entry: a name the solution must define (e.g. the function under test).
        limits: resource limits.
        stop_group: names the test suite this run belongs to (unique within one ``run_many``
            call). After the first run of a group times out, the group's runs that have not
            started are not run: each ends ``timeout`` with ``skipped`` set, at once (a program
            that timed out once would most likely spend the limit again on every other test).
            None: an independent run, never skipped.

    >>> RunRequest(code="def f(x): return x", mode="value", test="f(2)").test
    'f(2)'
    """

    code: str
    stdin: str = ""
    mode: Mode = "stdio"
    test: str = ""
    setup: str = ""
    entry: str | None = None
    limits: Limits = field(default_factory=Limits)
    stop_group: str | None = None

    def to_message(self) -> dict[str, Any]:
        """The request as one JSON object (what the harness and the Fusion backend read)."""
        return {
            "code": self.code,
            "stdin": self.stdin,
            "mode": self.mode,
            "test": self.test,
            "setup": self.setup,
            "entry": self.entry,
            "limits": self.limits.to_dict(),
        }

    @property
    def program(self) -> tuple[str, str, str, str | None, Limits]:
        """What requests must share to run under one runner: all but the stdin and the test."""
        return (self.code, self.mode, self.setup, self.entry, self.limits)


def batch_message(requests: Sequence[RunRequest]) -> dict[str, Any]:
    """One worker request for several tests of the same program (see ``RunRequest.program``).

    >>> batch_message([RunRequest("print(1)", stdin="a"), RunRequest("print(1)", stdin="b")])["tests"]
    [{'stdin': 'a', 'test': ''}, {'stdin': 'b', 'test': ''}]
    """
    first = requests[0]
    if any(r.program != first.program for r in requests):
        raise ValueError(
            "a batch holds tests of one program (same code, mode, setup, entry, limits)"
        )
    message = first.to_message()
    del message["stdin"], message["test"]
    message["tests"] = [{"stdin": r.stdin, "test": r.test} for r in requests]
    for entry, request in zip(message["tests"], requests, strict=True):
        if request.stop_group is not None:
            entry["group"] = request.stop_group
    return message


@dataclass(frozen=True)
class ExecResult:
    """How one run ended, with its output.

    ``value`` holds the test expression's value in ``value`` mode (plain Python data, decoded
    on this side of the sandbox), else None. ``skipped``: the run did not take place because
    an earlier run of its stop group timed out (the status is then ``timeout``).

    >>> ExecResult(status="timeout").ok
    False
    """

    status: ExecStatus
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    exit_code: int | None = None
    signal: str | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    value: Any = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ExecResult:
        """Build from a worker answer; the encoded value is decoded here."""
        return cls(
            status=message.get("status", "sandbox_error"),
            stdout=message.get("stdout", ""),
            stderr=message.get("stderr", ""),
            detail=message.get("detail", ""),
            exit_code=message.get("exit_code"),
            signal=message.get("signal"),
            wall_s=float(message.get("wall_s", 0.0)),
            cpu_s=float(message.get("cpu_s", 0.0)),
            value=decode_value(message.get("value")),
            skipped=bool(message.get("skipped", False)),
        )


SKIPPED_DETAIL = "not run: an earlier test of this program timed out"


class TimeoutGroups:
    """The stop groups (see ``RunRequest.stop_group``) that timed out during one ``run_many``.

    >>> groups = TimeoutGroups()
    >>> run = RunRequest("while True: pass", stop_group="p1")
    >>> groups.record(run, ExecResult("timeout")); groups.stopped(run)
    True
    >>> groups.skipped_result().detail
    'not run: an earlier test of this program timed out'
    """

    def __init__(self) -> None:
        self._stopped: set[tuple[Any, ...]] = set()

    @staticmethod
    def _key(request: RunRequest) -> tuple[Any, ...]:
        return (*request.program, request.stop_group)

    def stopped(self, request: RunRequest) -> bool:
        """Whether ``request`` belongs to a group that already timed out."""
        return request.stop_group is not None and self._key(request) in self._stopped

    def record(self, request: RunRequest, result: ExecResult) -> None:
        """Note a finished run (set.add is atomic: safe from several threads)."""
        if request.stop_group is not None and result.status == "timeout":
            self._stopped.add(self._key(request))

    @staticmethod
    def skipped_result() -> ExecResult:
        return ExecResult(status="timeout", detail=SKIPPED_DETAIL, skipped=True)


class Backend(Protocol):
    """Anything that runs requests: the local ``SandboxPool`` or a remote ``FusionBackend``."""

    def run_many(self, requests: Sequence[RunRequest]) -> list[ExecResult]:
        """Run every request (concurrently where possible); results in request order."""
        ...


class Unencodable:
    """Stands for a value the sandbox could not report (never equal to an expected value)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return hash(self.type_name)

    def __repr__(self) -> str:
        return f"<unencodable {self.type_name}>"


def decode_value(data: Any) -> Any:
    """Inverse of ``harness.encode_value``: tagged JSON back to plain Python values.

    >>> decode_value({"$tuple": [1, {"$set": [2]}]})
    (1, {2})
    """
    if isinstance(data, list):
        return [decode_value(x) for x in data]
    if not isinstance(data, dict):
        return data
    (tag, inner), *_ = data.items()
    if tag == "$tuple":
        return tuple(decode_value(x) for x in inner)
    if tag == "$set":
        try:
            return {decode_value(x) for x in inner}
        except TypeError:
            return Unencodable("set")
    if tag == "$dict":
        try:
            return {decode_value(k): decode_value(v) for k, v in inner}
        except TypeError:
            return Unencodable("dict")
    if tag == "$float":
        return float(inner)
    if tag == "$int":
        return int(inner)
    if tag == "$complex":
        return complex(decode_value(inner[0]), decode_value(inner[1]))
    if tag == "$bytes":
        return bytes.fromhex(inner)
    return Unencodable(str(inner))
