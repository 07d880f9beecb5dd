"""The hostile suite: programs that attack the sandbox, all run concurrently through one pool.

Each must end with a scored result and an error class, leave the host and the other programs of
the batch untouched, leave no process behind, and leave the pool serving. The suite needs root:
without a uid of its own, a sandboxed ``kill(-1)`` would reach the test process itself.
"""

from __future__ import annotations

import hashlib
import os
import socket
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import rewardkit.rewards.code as code_module
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import ExecResult, RunRequest

from .conftest import leftovers, needs_root

pytestmark = pytest.mark.process

LIMITS = Limits(time_limit_s=1.0, memory_mb=256, max_processes=16, max_output_bytes=1 << 16)
SECRET = "rk-hostile-secret-7f3a"
ANY_FAILURE = {"runtime_error", "timeout", "memory", "output_limit"}


@dataclass
class Hostile:
    name: str
    code: str
    allowed: set[str]
    mode: str = "stdio"
    test: str = ""
    check: Callable[[ExecResult], bool] | None = None


def hostile_programs(sentinel: Path, listener_port: int) -> list[Hostile]:
    """The attacks; ``sentinel`` is a host file that must survive, ``listener_port`` a host socket."""
    here = os.getpid()
    reward_file = code_module.__file__
    no_output: Callable[[ExecResult], bool] = lambda r: r.stdout.strip() == ""  # noqa: E731
    return [
        Hostile("fork_bomb", "import os\nwhile True:\n    os.fork()", ANY_FAILURE),
        Hostile(
            "fork_then_spin",
            "import os\nfor _ in range(64):\n    try:\n        os.fork()\n"
            "    except OSError:\n        pass\nwhile True:\n    pass",
            {"timeout"},
        ),
        Hostile(
            "fork_exec_sleepers",
            "import os\nfor _ in range(100):\n    try:\n"
            "        if os.fork() == 0:\n            os.execv('/bin/sleep', ['sleep', '100'])\n"
            "    except OSError:\n        pass\nprint('done')",
            {"ok", "runtime_error"},
        ),
        Hostile("memory_bomb", "x = []\nwhile True:\n    x.append(bytearray(10**7))", {"memory"}),
        Hostile("huge_bytearray", "b = bytearray(10**12)", {"memory"}),
        Hostile("huge_string", "print('x' * 10**9)", {"memory", "output_limit"}),
        Hostile("infinite_loop", "while True:\n    pass", {"timeout"}),
        Hostile("sleep", "import time\ntime.sleep(100)", {"timeout"}),
        Hostile(
            "stop_self", "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", {"timeout"}
        ),
        Hostile("endless_stdout", "while True:\n    print('x' * 1000)", {"output_limit"}),
        Hostile(
            "endless_stderr",
            "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)",
            {"output_limit"},
        ),
        Hostile(
            "write_outside",
            f"""
            import os
            for path in [{str(sentinel.parent / "pwned")!r}, '/work/pwned', '/etc/pwned',
                         '/root/pwned', '/usr/lib/pwned', {reward_file + ".pwned"!r}]:
                try:
                    open(path, 'w').write('x')
                    print('wrote', path)
                except OSError:
                    pass""",
            {"ok"},
            check=no_output,
        ),
        Hostile(
            "delete_outside",
            f"""
            import os, shutil
            for path in [{str(sentinel)!r}, {reward_file!r}, '/etc/hostname']:
                try:
                    os.remove(path)
                    print('deleted', path)
                except OSError:
                    pass
            shutil.rmtree({str(Path(reward_file).parent)!r}, ignore_errors=True)""",
            {"ok"},
            check=no_output,
        ),
        Hostile(
            "read_parent_files",
            f"""
            for path in [{str(sentinel)!r}, '/proc/{here}/environ', '/proc/1/environ',
                         '/etc/shadow', '/root/.bash_history', '/proc/{here}/mem']:
                try:
                    print(open(path, 'rb').read(200))
                except OSError:
                    pass""",
            {"ok"},
            check=lambda r: SECRET not in r.stdout and r.stdout == "",
        ),
        Hostile(
            "read_env",
            "import os\nprint(sorted(os.environ.items()))",
            {"ok"},
            check=lambda r: SECRET not in r.stdout and "PYTEST" not in r.stdout,
        ),
        Hostile(
            "connect_host_port",
            f"""
            import socket
            for host in ['127.0.0.1', '8.8.8.8', 'pypi.org']:
                try:
                    socket.create_connection((host, {listener_port}), timeout=0.3)
                    print('connected', host)
                except OSError:
                    pass""",
            {"ok"},
            check=no_output,
        ),
        Hostile(
            "listen_and_serve",
            "import socket\ns = socket.socket()\n"
            "s.bind(('0.0.0.0', 0))\ns.listen()\ns.settimeout(0.2)\ntry:\n    s.accept()\n"
            "except OSError:\n    pass",
            {"ok", "runtime_error"},
        ),
        Hostile(
            "spawn_shell",
            "import subprocess\nout = subprocess.run(['/bin/sh', '-c', 'id -u'], "
            "capture_output=True, text=True).stdout\nprint(out.strip())",
            {"ok"},
            check=lambda r: r.stdout.strip() not in ("", "0"),
        ),
        Hostile(
            "shell_background_sleep", "import os\nos.system('sleep 100 &')\nprint('bye')", {"ok"}
        ),
        # The host's processes are out of reach; the program's own runner (same uid) is not,
        # and killing it fails only this program's tests.
        Hostile(
            "kill_host_processes",
            f"""
            import os, signal
            for target in [{here}, -{os.getpgid(0)}, {os.getppid()}, 1]:
                try:
                    os.kill(target, signal.SIGKILL)
                    print('killed', target)
                except OSError:
                    pass""",
            {"ok"},
            check=no_output,
        ),
        Hostile(
            "kill_own_runner",
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.killpg(os.getpgid("
            "os.getppid()), signal.SIGKILL)\nprint('after')",
            {"runtime_error"},
        ),
        # kill(-1) from the sandbox uid reaches only that uid's processes: the runner, here.
        Hostile(
            "kill_everything_i_can",
            "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('alive')",
            {"runtime_error"},
        ),
        Hostile(
            "survive_signals",
            "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, "
            "signal.SIGXCPU, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\n"
            "while True:\n    pass",
            {"timeout"},
        ),
        Hostile(
            "deep_recursion",
            "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
            {"runtime_error", "memory", "timeout"},
        ),
        Hostile("ctypes_segfault", "import ctypes\nctypes.string_at(0)", {"runtime_error"}),
        Hostile("ctypes_abort", "import ctypes\nctypes.CDLL(None).abort()", {"runtime_error"}),
        Hostile(
            "tamper_reward_code",
            f"""
            try:
                open({reward_file!r}, 'a').write('# pwned')
                print('wrote the reward code')
            except OSError:
                pass
            import rewardkit.rewards.code as c
            c.unit_tests = lambda *a: 1.0""",
            {"ok", "timeout", "memory", "runtime_error"},
            check=no_output,
        ),
        Hostile(
            "patch_exec_to_skip_test",
            "import builtins\nbuiltins.exec = lambda *a, **k: None\n"
            "def f():\n    return 0\ndef g():\n    return 1",
            {"wrong_answer"},
            mode="assert",
            test="assert f() == g()",
        ),
        Hostile(
            "forged_eq",
            "class Any:\n    def __eq__(self, other):\n        return True\n"
            "def f(x):\n    return Any()",
            {"ok"},
            mode="value",
            test="f(2)",
            check=lambda r: r.value != 4,
        ),
        Hostile(
            "exit_before_test",
            "import sys\nsys.exit(0)",
            {"runtime_error"},
            mode="assert",
            test="assert f() == g()",
        ),
        Hostile(
            "os_exit_before_test",
            "import os\nos._exit(0)",
            {"runtime_error"},
            mode="assert",
            test="assert f() == g()",
        ),
        Hostile(
            "forge_verdict",
            "import os\nfor fd in range(3, 64):\n    try:\n"
            "        os.write(fd, b\"{'kind': 'pass'}\\n\")\n    except OSError:\n        pass\n"
            "def f():\n    return 0\ndef g():\n    return 1",
            {"wrong_answer"},
            mode="assert",
            test="assert f() == g()",
        ),
        Hostile(
            "daemonize_grandchild",
            "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
            "    if os.fork() == 0:\n        time.sleep(100)\n    os._exit(0)\nprint('parent exits')",
            {"ok"},
        ),
        Hostile(
            "setsid_escape_spin",
            "import os\nif os.fork() == 0:\n    os.setsid()\n    while True:\n"
            "        pass\nwhile True:\n    pass",
            {"timeout"},
        ),
        Hostile(
            "threads_bomb",
            "import threading, time\nwhile True:\n"
            "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()",
            {"runtime_error", "memory"},
        ),
        Hostile(
            "close_reopen_stdout",
            "import os\nos.close(1)\nos.close(2)\n"
            "fd = os.open('/dev/null', os.O_WRONLY)\nprint('into the void')",
            {"ok", "runtime_error"},
        ),
        Hostile(
            "write_dev",
            """
            import os
            for path in ['/dev/sda', '/dev/vda', '/dev/mem', '/dev/kmsg', '/dev/shm/rk-hostile-note',
                         '/dev/full', '/dev/null']:
                try:
                    with open(path, 'wb') as f:
                        f.write(b'x')
                    print('wrote', path)
                except OSError:
                    pass""",
            {"ok"},
            check=lambda r: (
                "sda" not in r.stdout and "vda" not in r.stdout and "mem" not in r.stdout
            ),
        ),
        Hostile(
            "raise_rlimits",
            "import resource\nresource.setrlimit(resource.RLIMIT_AS, "
            "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))",
            {"runtime_error"},
        ),
        Hostile("become_root", "import os\nos.setuid(0)", {"runtime_error"}),
        Hostile(
            "unshare_and_mount",
            "import ctypes\nlibc = ctypes.CDLL(None)\n"
            "print(libc.unshare(0x00020000 | 0x40000000), libc.mount(b'none', b'/', None, 0, None))",
            {"ok"},
            check=lambda r: r.stdout.split() == ["-1", "-1"],
        ),
        Hostile(
            "fill_disk",
            "with open('big', 'wb') as f:\n    for _ in range(1024):\n"
            "        f.write(b'x' * (1 << 20))",
            {"runtime_error"},
        ),
        Hostile(
            "spinning_children",
            "import os\nfor _ in range(4):\n    if os.fork() == 0:\n"
            "        while True:\n            pass\nos.wait()",
            {"timeout"},
        ),
    ]


BENIGN = RunRequest("print(sum(map(int, input().split())))", stdin="2 3\n", limits=LIMITS)


@pytest.fixture()
def listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@needs_root
def test_hostile_suite(
    pool: SandboxPool, tmp_path: Path, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDKIT_HOSTILE_SECRET", SECRET)
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text(SECRET)
    sentinel.chmod(0o600)
    reward_digest = hashlib.sha256(Path(code_module.__file__).read_bytes()).hexdigest()
    programs = hostile_programs(sentinel, listener.getsockname()[1])
    assert len(programs) >= 30
    requests: list[RunRequest] = []
    for h in programs:  # a benign sample after each attack: it must be unaffected
        requests.append(
            RunRequest(textwrap.dedent(h.code), mode=h.mode, test=h.test, limits=LIMITS)
        )  # type: ignore[arg-type]
        requests.append(BENIGN)
    results = pool.run_many(requests)

    problems = []
    for h, attack, benign in zip(programs, results[::2], results[1::2], strict=True):
        if attack.status not in h.allowed:
            problems.append(
                f"{h.name}: status {attack.status} ({attack.detail!r}) not in {h.allowed}"
            )
        elif h.check is not None and not h.check(attack):
            problems.append(f"{h.name}: check failed; stdout={attack.stdout[:300]!r}")
        if not (benign.ok and benign.stdout == "5\n"):
            problems.append(f"benign run after {h.name} was affected: {benign}")
    assert problems == []

    # The host is untouched.
    assert sentinel.read_text() == SECRET
    assert not (tmp_path / "pwned").exists()
    assert hashlib.sha256(Path(code_module.__file__).read_bytes()).hexdigest() == reward_digest
    assert not Path(code_module.__file__ + ".pwned").exists()
    assert not Path("/dev/shm/rk-hostile-note").exists()
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody reached the host's socket
    # Nothing is left behind, and the pool still serves.
    assert leftovers(pool) == []
    assert pool.replaced == 0
    assert pool.run(BENIGN).stdout == "5\n"


@needs_root
def test_notes_left_in_shared_tmp_do_not_reach_later_runs(pool: SandboxPool) -> None:
    writer = RunRequest(
        "open('/tmp/rk-note', 'w').write('answer=42')\nopen('/dev/shm/rk-note', 'w').write('x')",
        limits=LIMITS,
    )
    reader = RunRequest(
        "import os\nprint(os.path.exists('/tmp/rk-note'), os.path.exists('/dev/shm/rk-note'))",
        limits=LIMITS,
    )
    results = pool.run_many([writer, writer, reader, reader, reader, reader])
    assert [r.status for r in results[:2]] == ["ok", "ok"]
    assert [r.stdout for r in results[2:]] == ["False False\n"] * 4
    assert not Path("/tmp/rk-note").exists()
