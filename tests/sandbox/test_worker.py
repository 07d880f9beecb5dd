"""The worker, through a pool: what a run sees and what comes back."""

from __future__ import annotations

import pytest

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import RunRequest
from rewardkit.sandbox.worker import PRELOADED, child_env

from .conftest import needs_root

pytestmark = pytest.mark.process

FAST = Limits(time_limit_s=2.0, memory_mb=256)


def test_child_env_holds_nothing_of_the_parent() -> None:
    env = child_env("/w")
    assert env["HOME"] == env["TMPDIR"] == "/w"
    assert set(env) == {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "PYTHONIOENCODING",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    }


@pytest.mark.parametrize(
    ("request_", "status", "stdout", "value"),
    [
        (RunRequest("print(input()[::-1])", stdin="abc\n"), "ok", "cba\n", None),
        (
            RunRequest("import sys\nprint(len(sys.stdin.read()))", stdin="x" * 300_000),
            "ok",
            "300000\n",
            None,
        ),
        (RunRequest("print('é')"), "ok", "é\n", None),
        (RunRequest("def f(x): return x * 2", mode="value", test="f(21)"), "ok", "", 42),
        (
            RunRequest("def f(x): return x", mode="assert", test="assert f(1) == f(2)"),
            "wrong_answer",
            "",
            None,
        ),
        (RunRequest("x = 1 +", mode="compile"), "syntax_error", "", None),
        (RunRequest("x = 1", mode="compile"), "ok", "", None),
        (RunRequest("import sys\nsys.exit(4)"), "runtime_error", "", None),
        (RunRequest("print('partial')\n1/0"), "runtime_error", "partial\n", None),
    ],
)
def test_runs(
    pool: SandboxPool, request_: RunRequest, status: str, stdout: str, value: object
) -> None:
    result = pool.run(RunRequest(**{**request_.__dict__, "limits": FAST}))
    assert (result.status, result.stdout, result.value) == (status, stdout, value)


def test_a_run_sees_a_fresh_interpreter(pool: SandboxPool) -> None:
    code = (
        "import sys, os\n"
        "print(sys.argv, __name__, [m for m in sys.modules if m.startswith('rewardkit')] or 'none',"
        " 'harness' in sys.modules, os.getcwd() == os.environ['HOME'], os.listdir('.'))"
    )
    result = pool.run(RunRequest(code, limits=FAST))
    assert result.stdout == "['solution.py'] __main__ none False True []\n"


def test_common_modules_are_preloaded_yet_programs_may_import_more(pool: SandboxPool) -> None:
    code = f"import sys\nprint(all(m in sys.modules for m in {PRELOADED!r}))\nimport json, decimal\nprint(1)"
    assert pool.run(RunRequest(code, limits=FAST)).stdout == "True\n1\n"


@needs_root
def test_a_run_is_unprivileged_and_offline(pool: SandboxPool) -> None:
    code = (
        "import os, socket\nprint(os.getuid() != 0, os.getgroups())\nprint(socket.if_nameindex())"
    )
    lines = pool.run(RunRequest(code, limits=FAST)).stdout.splitlines()
    assert lines[0] == "True []"
    assert lines[1] == "[(1, 'lo')]"  # only a loopback, and it is down


def test_results_report_time(pool: SandboxPool) -> None:
    result = pool.run(RunRequest("sum(range(10000))", limits=FAST))
    assert 0 < result.wall_s < 2 and result.cpu_s >= 0
