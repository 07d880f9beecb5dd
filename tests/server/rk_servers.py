"""Real servers on 127.0.0.1, started and stopped by the tests: in a thread (fast) or as the
``rewardkit serve`` command in a subprocess (token printing, restart, SIGTERM drain).

A plain module (not a conftest) so that tests/test_client.py can import it too."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE) not in sys.path:  # spawned workers inherit sys.path: they find rk_server_components
    sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from rewardkit.monitor import Monitor  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402
from rewardkit.server.app import ServerSettings, Service, build_app  # noqa: E402
from rewardkit.server.state import ProgramState, StateStore  # noqa: E402

TOKEN = "test-token-0123456789abcdef"

LADDER = {
    "reward": {"weighted": [{"name": "exact", "fn": "exact_match", "weight": "${w}"}]},
    "schedules": {
        "w": {
            "ladder": [0.5, 1.0, 2.0, 4.0],
            "watch": "reward/exact/mean",
            "window": 2,
            "raise_when": {"mean_at_least": 0.5},
        }
    },
    "advantage": {"estimator": "grpo"},
    "on_error": "score",
}
"""exact_match weighted by a laddered ``w``: 0.5 -> 1 -> 2 -> 4 when two steps average >= 0.5."""

SLOW = {"reward": {"fn": "rk_server_components:slow"}, "on_error": "score"}


@dataclass
class Running:
    url: str
    service: Service
    headers: dict[str, str]


@contextlib.contextmanager
def thread_server(
    config: Mapping[str, Any] = LADDER,
    state: str | Path = ":memory:",
    monitor: Mapping[str, Any] | None = None,
    **settings: Any,
) -> Iterator[Running]:
    """A server in a thread of this process, on a free port of 127.0.0.1 (with a reward-hacking
    monitor when ``monitor`` is a monitor section)."""
    settings.setdefault("token", TOKEN)
    watcher = None if monitor is None else Monitor(monitor)
    service = Service(
        ProgramState(RewardProgram.from_dict(config), StateStore(state), watcher),
        ServerSettings(**settings),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(build_app(service), log_level="error", timeout_graceful_shutdown=10)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    token = settings["token"]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        yield Running(f"http://127.0.0.1:{port}", service, headers)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@dataclass
class CLIServer:
    process: subprocess.Popen[str]
    url: str
    token: str | None
    output: list[str]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30, group: bool = False) -> int:
        """Signal the server (``group``: and its workers, as systemd or Ctrl-C would)."""
        if self.process.poll() is None:
            if group:
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)
        return self.process.wait(timeout)


def cli_server(
    tmp_path: Path, config: Mapping[str, Any], *args: str, env: Mapping[str, str] | None = None
) -> CLIServer:
    """``rewardkit serve`` in a subprocess; returns once it prints where it listens."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(dict(config)), encoding="utf-8")
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    full_env.pop("REWARDKIT_TOKEN", None)
    full_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli.main", "serve", str(cfg), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=full_env,
        start_new_session=True,  # its own process group: a group signal reaches only it
    )
    assert process.stdout is not None
    lines: list[str] = []
    token = None
    for line in process.stdout:  # ends when the process exits
        lines.append(line.rstrip("\n"))
        if line.startswith("token: "):
            token = line.split(" ", 1)[1].strip()
        if line.startswith("listening on "):
            server = CLIServer(process, line.split(" ", 2)[2].strip(), token, lines)
            _wait_healthy(server)
            return server
    process.wait(10)
    raise RuntimeError(f"rewardkit serve exited with {process.returncode}: {lines}")


def _wait_healthy(server: CLIServer, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and server.process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"rewardkit serve did not become healthy: {server.output}")
