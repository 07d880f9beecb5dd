"""A program's runner: one compile, one fork per test, cleanup between tests, batches."""

from __future__ import annotations

import pytest

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool, plan_batches
from rewardkit.sandbox.protocol import RunRequest, batch_message

from .conftest import leftovers, needs_root

pytestmark = pytest.mark.process

FAST = Limits(time_limit_s=1.0, memory_mb=256)


def program_tests(
    code: str, inputs: list[str], mode: str = "stdio", test: str = ""
) -> list[RunRequest]:
    return [RunRequest(code, stdin=given, mode=mode, test=test, limits=FAST) for given in inputs]  # type: ignore[arg-type]


def test_each_test_gets_a_fresh_process_with_its_own_input(pool: SandboxPool) -> None:
    code = "import os\nseen = os.environ.get('SEEN', '')\nos.environ['SEEN'] = 'x'\nprint(input(), seen or 'fresh')"
    results = pool.run_many(program_tests(code, ["a\n", "b\n", "c\n"]))
    assert [r.stdout for r in results] == ["a fresh\n", "b fresh\n", "c fresh\n"]


def test_a_syntax_error_fails_every_test_without_running_any(pool: SandboxPool) -> None:
    results = pool.run_many(program_tests("print(", ["1", "2", "3"]))
    assert [r.status for r in results] == ["syntax_error"] * 3
    assert all(r.wall_s == 0 for r in results)  # answered by the runner, no test process


def test_one_failing_test_does_not_spoil_the_next(pool: SandboxPool) -> None:
    code = "n = int(input())\nif n == 1:\n    while True:\n        pass\nif n == 2:\n    1 / 0\nprint(n)"
    results = pool.run_many(program_tests(code, ["1", "2", "3"]))
    assert [r.status for r in results] == ["timeout", "runtime_error", "ok"]
    assert results[2].stdout == "3\n"


@needs_root
def test_what_a_test_leaves_is_killed_before_the_next(pool: SandboxPool) -> None:
    code = (
        "import os, time\nif input() == 'spawn':\n    if os.fork() == 0:\n        os.setsid()\n"
        "        time.sleep(60)\nelse:\n    time.sleep(0.2)\n    print(len([p for p in os.listdir('/proc') if p.isdigit() and "
        "os.stat('/proc/' + p).st_uid == os.getuid()]))"
    )
    spawn, count = pool.run_many(program_tests(code, ["spawn", "count"]))
    assert spawn.ok
    assert count.stdout == "2\n"  # the runner and this test; the sleeper is gone
    assert leftovers(pool) == []


@needs_root
def test_a_test_that_kills_its_runner_fails_its_own_program_only(pool: SandboxPool) -> None:
    code = "import os, signal\nif input() == 'kill':\n    os.kill(os.getppid(), signal.SIGKILL)\nprint('ok')"
    killer = program_tests(code, ["fine", "kill", "never"])
    other = program_tests("print(input())", ["x", "y"])
    results = pool.run_many(killer + other)
    assert [r.status for r in results[:3]] == ["ok", "runtime_error", "runtime_error"]
    assert [r.stdout for r in results[3:]] == ["x\n", "y\n"]


def test_plan_batches_keeps_programs_together_and_workers_busy() -> None:
    a, b = RunRequest("a"), RunRequest("b")
    assert plan_batches([a, b, a, b, a, a], workers=1) == [[0, 2, 4, 5], [1, 3]]
    assert plan_batches([a] * 6, workers=2) == [[0, 1, 2], [3, 4, 5]]  # split: two idle workers
    assert plan_batches([a, RunRequest("a", limits=FAST)], workers=1) == [[0], [1]]  # other limits
    assert plan_batches([], workers=2) == []


def test_batch_message_refuses_mixed_programs() -> None:
    try:
        batch_message([RunRequest("a"), RunRequest("b")])
    except ValueError as exc:
        assert "one program" in str(exc)
    else:
        raise AssertionError("mixed programs were accepted")
