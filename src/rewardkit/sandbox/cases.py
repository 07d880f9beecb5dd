"""Test formats (stdin/stdout pairs, function-call asserts) and per-test results.

A code problem's reference is a dict (or its JSON text) in one of these shapes::

    {"tests": [{"input": "1 2\\n", "output": "3\\n"}, ...]}          # stdin/stdout pairs
    {"inputs": ["1 2\\n", ...], "outputs": ["3\\n", ...]}            # the same, APPS/TACO style
    {"asserts": ["assert add(1, 2) == 3", ...],                     # function-call asserts
     "setup": "from math import *",                                 # optional, runs first
     "entry": "add"}                                                # optional, must be defined

plus an optional ``"id"`` (or ``"problem_id"``) naming the problem and an optional
``"solution"``, the reference solution's source (adaptive time limits are measured on it, see
``time_limits``). Stdout is compared after
stripping trailing spaces on every line and trailing blank lines. An assert of the form
``assert EXPR == LITERAL`` is judged outside the sandbox: the sandbox reports the value of
``EXPR`` and it is compared here with the literal, so an object with a forged ``__eq__`` gains
nothing. Other asserts run as written inside the sandbox.

>>> suite = parse_reference({"asserts": ["assert f(2) == 4"]})
>>> suite.cases[0].kind, suite.cases[0].expression, suite.cases[0].expected
('value', 'f(2)', 4)
"""

from __future__ import annotations

import ast
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import Backend, ErrorClass, ExecResult, RunRequest

CaseKind = Literal["stdio", "assert", "value"]


@dataclass(frozen=True)
class TestCase:
    """One test. ``stdio``: feed ``stdin``, compare stdout with ``output``. ``assert``: run
    ``statement``. ``value``: evaluate ``expression`` and compare with ``expected``.
    """

    __test__ = False  # not a pytest test class

    kind: CaseKind
    stdin: str = ""
    output: str = ""
    statement: str = ""
    expression: str = ""
    expected: Any = None

    def request(
        self, code: str, suite: TestSuite, limits: Limits, stop_group: str | None = None
    ) -> RunRequest:
        """The sandbox run that checks ``code`` against this test (see ``RunRequest``)."""
        if self.kind == "stdio":
            return RunRequest(
                code=code, stdin=self.stdin, mode="stdio", limits=limits, stop_group=stop_group
            )
        test = self.statement if self.kind == "assert" else self.expression
        return RunRequest(
            code=code,
            mode=self.kind,
            test=test,
            setup=suite.setup,
            entry=suite.entry,
            limits=limits,
            stop_group=stop_group,
        )


@dataclass(frozen=True)
class TestSuite:
    """A problem's tests, with the setup code and entry name of assert-style problems, and the
    reference solution when the reference has one (used to measure the problem's time limit).
    """

    __test__ = False

    cases: tuple[TestCase, ...]
    setup: str = ""
    entry: str | None = None
    problem_id: str = ""
    solution: str | None = None


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test: passed, or the class of error and a short detail. ``skipped``:
    not run, because an earlier test of the same program timed out (the error is ``timeout``).

    >>> TestResult(passed=False, error="timeout").outcome
    'timeout'
    """

    __test__ = False

    passed: bool
    error: ErrorClass | None = None
    detail: str = ""
    wall_s: float = 0.0
    skipped: bool = False

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else str(self.error)


def parse_reference(reference: Any) -> TestSuite:
    """Read a reference into a TestSuite; ValueError says what is malformed and how to fix it.

    >>> len(parse_reference({"tests": [{"input": "1", "output": "1"}]}).cases)
    1
    """
    data = _as_mapping(reference)
    shapes = [k for k in ("tests", "asserts", "inputs") if k in data]
    if len(shapes) != 1:
        raise ValueError(
            "a code reference needs exactly one of 'tests' (stdin/stdout pairs), 'asserts' or "
            f"'inputs'+'outputs'; got keys {sorted(data)}"
        )
    if shapes[0] == "tests":
        cases = tuple(_stdio_case(i, t) for i, t in enumerate(_list(data, "tests")))
    elif shapes[0] == "inputs":
        inputs, outputs = _list(data, "inputs"), _list(data, "outputs")
        if len(inputs) != len(outputs):
            raise ValueError(f"'inputs' has {len(inputs)} items but 'outputs' has {len(outputs)}")
        cases = tuple(
            _stdio_case(i, {"input": a, "output": b})
            for i, (a, b) in enumerate(zip(inputs, outputs, strict=True))
        )
    else:
        cases = tuple(_assert_case(i, s) for i, s in enumerate(_list(data, "asserts")))
    setup, entry = data.get("setup", ""), data.get("entry")
    if not isinstance(setup, str) or (entry is not None and not isinstance(entry, str)):
        raise ValueError("'setup' must be a string of code and 'entry' a function name")
    if shapes[0] != "asserts" and (setup or entry):
        raise ValueError("'setup' and 'entry' apply to 'asserts' references only")
    solution = data.get("solution")
    if solution is not None and (not isinstance(solution, str) or not solution.strip()):
        raise ValueError("'solution' must be the reference solution's source code (a string)")
    problem_id = str(data.get("id", data.get("problem_id", ""))) or _fingerprint(data)
    return TestSuite(
        cases=cases, setup=setup, entry=entry, problem_id=problem_id, solution=solution
    )


def _as_mapping(reference: Any) -> Mapping[str, Any]:
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a code reference given as text must be JSON: {exc}") from None
    if not isinstance(reference, Mapping):
        raise ValueError(f"a code reference must be a dict, got {type(reference).__name__}")
    return reference


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key)
    if not isinstance(items, list) or not items:
        raise ValueError(f"'{key}' must be a non-empty list")
    return items


def _stdio_case(index: int, test: Any) -> TestCase:
    if not isinstance(test, Mapping) or not {"input", "output"} <= set(test):
        raise ValueError(f"test {index} must be a dict with 'input' and 'output' strings")
    given, wanted = test["input"], test["output"]
    if not isinstance(given, str) or not isinstance(wanted, str):
        raise ValueError(f"test {index}: 'input' and 'output' must be strings")
    return TestCase(kind="stdio", stdin=given, output=wanted)


def _assert_case(index: int, statement: Any) -> TestCase:
    if not isinstance(statement, str):
        raise ValueError(f"assert {index} must be a string such as 'assert f(2) == 4'")
    try:
        tree = ast.parse(statement)
    except SyntaxError as exc:
        raise ValueError(f"assert {index} is not valid Python: {exc.msg}") from None
    node = tree.body[0] if len(tree.body) == 1 else None
    if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
        test = node.test
        if len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            try:
                expected = ast.literal_eval(test.comparators[0])
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                pass
            else:
                return TestCase(kind="value", expression=ast.unparse(test.left), expected=expected)
    return TestCase(kind="assert", statement=statement)


def _fingerprint(data: Mapping[str, Any]) -> str:
    """A stable id for a problem without one: the hash of its tests."""
    text = json.dumps(data, sort_keys=True, default=str)
    return "sha1:" + hashlib.sha1(text.encode()).hexdigest()[:16]


def normalize_output(text: str) -> str:
    """Trailing spaces of each line and trailing blank lines do not count.

    >>> normalize_output("3  \\n\\n") == normalize_output("3")
    True
    """
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def judge(case: TestCase, result: ExecResult) -> TestResult:
    """Turn one run into one test result."""
    if result.status != "ok":  # every other status is itself the error class
        return TestResult(False, result.status, result.detail[:300], result.wall_s, result.skipped)
    if case.kind == "stdio":
        passed = normalize_output(result.stdout) == normalize_output(case.output)
    elif case.kind == "value":
        passed = _same(result.value, case.expected)
    else:
        passed = True
    return TestResult(passed, None if passed else "wrong_answer", "", result.wall_s)


def _same(actual: Any, expected: Any) -> bool:
    try:
        return bool(actual == expected)
    except Exception:  # e.g. comparing values whose == raises; not a pass
        return False


def run_suite(backend: Backend, code: str, suite: TestSuite, limits: Limits) -> list[TestResult]:
    """Run every test of ``suite`` against ``code``; one result per test, in order."""
    return run_suites(backend, [(code, suite)], limits)[0]


def run_suites(
    backend: Backend, jobs: Sequence[tuple[str, TestSuite]], limits: Limits | Sequence[Limits]
) -> list[list[TestResult]]:
    """Run several (code, suite) pairs in one batch, so that all cores stay busy.

    ``limits``: one for every job, or one per job (e.g. time limits measured per problem). The
    tests of one job are one stop group: after the first of them times out, the ones not yet
    started fail as ``timeout`` at once, marked ``skipped``.
    """
    per_job = [limits] * len(jobs) if isinstance(limits, Limits) else list(limits)
    if len(per_job) != len(jobs):
        raise ValueError(f"{len(jobs)} jobs but {len(per_job)} limits")
    requests = [
        case.request(code, suite, lim, stop_group=str(k))
        for k, ((code, suite), lim) in enumerate(zip(jobs, per_job, strict=True))
        for case in suite.cases
    ]
    results = iter(backend.run_many(requests))
    return [[judge(case, next(results)) for case in suite.cases] for _, suite in jobs]


class ResultCache:
    """Recent test results by (settings, program, tests), so that several components scoring
    the same batch run each program once. Sandbox failures are never cached.

    >>> cache = ResultCache(size=1)
    >>> key = cache.key(("local",), "print(1)", parse_reference({"asserts": ["assert f() == 1"]}))
    >>> cache.put(key, (TestResult(True),)); cache.get(key)
    (TestResult(passed=True, error=None, detail='', wall_s=0.0, skipped=False),)
    """

    def __init__(self, size: int = 4096):
        self.size = size
        self._items: OrderedDict[str, tuple[TestResult, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(settings: tuple[Any, ...], code: str, suite: TestSuite) -> str:
        """A digest of everything a run's outcome depends on (``settings``: backend, limits)."""
        text = repr((settings, code, suite.cases, suite.setup, suite.entry))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> tuple[TestResult, ...] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, results: tuple[TestResult, ...]) -> None:
        if any(r.error == "sandbox_error" for r in results):
            return
        with self._lock:
            self._items[key] = results
            while len(self._items) > self.size:
                self._items.popitem(last=False)
