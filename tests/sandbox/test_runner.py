"""A program's runner: one compile, one fork per test, cleanup between tests, batches, and
the tests of a stop group failed at once after its first timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool, plan_batches
from rewardkit.sandbox.protocol import (
    SKIPPED_DETAIL,
    ExecResult,
    RunRequest,
    TimeoutGroups,
    batch_message,
)
from rewardkit.sandbox.runner import SKIPPED

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


SPIN_ON_2 = "n = int(input())\nwhile n == 2:\n    pass\nprint(n)"


@pytest.fixture(scope="module")
def single() -> Iterator[SandboxPool]:
    """One worker: a batch's tests run in order, and batches one after the other."""
    with SandboxPool(workers=1) as one:
        yield one
        assert leftovers(one) == []


def test_a_timeout_fails_the_rest_of_its_stop_group_at_once(single: SandboxPool) -> None:
    suite = [RunRequest(SPIN_ON_2, stdin=given, limits=FAST, stop_group="a") for given in "12345"]
    other = [RunRequest(SPIN_ON_2, stdin="3", limits=FAST, stop_group="b")]  # same program
    results = single.run_many(suite + other)
    assert [r.status for r in results] == ["ok", "timeout", "timeout", "timeout", "timeout", "ok"]
    assert [r.skipped for r in results] == [False, False, True, True, True, False]
    assert {r.detail for r in results[2:5]} == {SKIPPED_DETAIL}
    assert all(r.wall_s == 0 for r in results[2:5])  # never started
    assert results[5].stdout == "3\n"


def test_a_group_stopped_in_one_batch_skips_its_tests_in_later_batches(
    single: SandboxPool,
) -> None:
    tests = [RunRequest(SPIN_ON_2, stdin="2", limits=FAST, stop_group="g")]
    tests += [RunRequest(SPIN_ON_2, stdin="1", limits=FAST, stop_group="g")] * 33
    assert len(plan_batches(tests, workers=1)) == 2  # 32 tests at most per batch
    results = single.run_many(tests)
    assert results[0].status == "timeout" and not results[0].skipped
    assert all(r.status == "timeout" and r.skipped for r in results[1:])


def test_runs_without_a_stop_group_are_never_skipped(pool: SandboxPool) -> None:
    results = pool.run_many(program_tests(SPIN_ON_2, ["2", "3"]))
    assert [r.status for r in results] == ["timeout", "ok"]


def test_the_runner_and_the_protocol_say_the_same_about_a_skipped_test() -> None:
    assert SKIPPED["detail"] == SKIPPED_DETAIL == TimeoutGroups.skipped_result().detail
    assert ExecResult.from_message(SKIPPED) == TimeoutGroups.skipped_result()
