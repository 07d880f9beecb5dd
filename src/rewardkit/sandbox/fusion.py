"""Sandbox Fusion backend: the same ``run_many`` interface over a remote ``run_code`` service.

Sandbox Fusion (bytedance/SandboxFusion, used by verl) takes ``POST /run_code`` with::

    {"code": "...", "language": "python", "stdin": "...", "run_timeout": 2.0,
     "compile_timeout": 10, "memory_limit_MB": 512, "files": {}, "fetch_files": []}

and answers::

    {"status": "Success" | "Failed" | "SandboxError", "message": "...",
     "compile_result": null,
     "run_result": {"status": "Finished" | "TimeLimitExceeded" | "Error",
                    "execution_time": 0.01, "return_code": 0, "stdout": "...", "stderr": "..."},
     "files": {}}

The program sent is ``harness.py`` followed by a call that runs the request, so assert and
value tests, syntax errors and exceptions are judged as they are locally; the verdict is the
last stdout line, after a random marker. The remote service holds the real boundary; the
marker is in the program's own source, so a program can forge a verdict there (it cannot
locally, see docs/sandbox.md).

``serve_run_code`` is the other side, for tests and for users who want this protocol in front of
the local pool.

>>> payload = fusion_payload(RunRequest(code="print(1)"), marker="@@")
>>> payload["language"], payload["run_timeout"]
('python', 2.0)
"""

from __future__ import annotations

import ast
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rewardkit.sandbox import harness
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import Backend, ExecResult, RunRequest, TimeoutGroups
from rewardkit.sandbox.verdicts import classify_run

_HARNESS_SOURCE = Path(harness.__file__).read_text(encoding="utf-8")


def fusion_payload(request: RunRequest, marker: str) -> dict[str, Any]:
    """The ``run_code`` request body for one run."""
    message = {k: v for k, v in request.to_message().items() if k not in ("stdin", "limits")}
    program = f"{_HARNESS_SOURCE}\n\nraise SystemExit(run_remote({message!r}, {marker!r}))\n"
    return {
        "code": program,
        "language": "python",
        "stdin": request.stdin,
        "run_timeout": request.limits.time_limit_s,
        "compile_timeout": 10,
        "memory_limit_MB": request.limits.memory_mb,
        "files": {},
        "fetch_files": [],
    }


def read_fusion_answer(data: dict[str, Any], request: RunRequest, marker: str) -> ExecResult:
    """An ExecResult from a ``run_code`` response body."""
    run = data.get("run_result") or {}
    if data.get("status") == "SandboxError" or not isinstance(run, dict):
        return ExecResult(status="sandbox_error", detail=f"remote: {data.get('message', '')}"[:300])
    stdout, verdict = _split_verdict(str(run.get("stdout") or ""), marker)
    code = run.get("return_code")
    signal_name = f"signal {-code}" if isinstance(code, int) and code < 0 else None
    answer = classify_run(
        mode=request.mode,
        exit_code=code if isinstance(code, int) and code >= 0 else None,
        signal_name=signal_name,
        timed_out=run.get("status") == "TimeLimitExceeded",
        overflow=len(stdout.encode()) > request.limits.max_output_bytes,
        over_cpu=False,
        verdict=verdict,
    )
    answer.update(stdout=stdout, stderr=str(run.get("stderr") or "")[-8192:])
    answer["wall_s"] = float(run.get("execution_time") or 0.0)
    return ExecResult.from_message(answer)


def _split_verdict(stdout: str, marker: str) -> tuple[str, dict[str, Any] | None]:
    at = stdout.rfind("\n" + marker)
    if at < 0:
        return stdout, None
    text = stdout[at + 1 + len(marker) :].strip()
    try:
        verdict = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        verdict = None
    return stdout[:at], verdict if isinstance(verdict, dict) else None


class FusionBackend:
    """Runs requests on a Sandbox Fusion service; ``url`` is its ``.../run_code`` endpoint.

    Transport failures and 5xx answers are retried ``retries`` times; after that the run's
    result is ``sandbox_error`` (never a score).

    >>> FusionBackend("http://127.0.0.1:8080/run_code").max_concurrency
    8
    """

    def __init__(self, url: str, max_concurrency: int = 8, retries: int = 2, slack_s: float = 15.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"Sandbox Fusion url must start with http:// or https://, got {url!r}")
        self.url = url
        self.max_concurrency = max_concurrency
        self.retries = retries
        self.slack_s = slack_s

    def run(self, request: RunRequest) -> ExecResult:
        """Run one request remotely."""
        marker = "@@rewardkit-verdict-" + secrets.token_hex(8) + "@@"
        body = json.dumps(fusion_payload(request, marker)).encode()
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.5 * attempt)
            try:
                data = self._post(body, request.limits.time_limit_s + self.slack_s)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                continue
            return read_fusion_answer(data, request, marker)
        return ExecResult(status="sandbox_error", detail=f"{self.url} failed: {last_error}"[:300])

    def _post(self, body: bytes, timeout_s: float) -> dict[str, Any]:
        req = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout_s) as response:
            data = json.loads(response.read())
        if not isinstance(data, dict):
            raise ValueError("run_code answered something other than a JSON object")
        return data

    def run_many(self, requests: Sequence[RunRequest]) -> list[ExecResult]:
        """Run requests with at most ``max_concurrency`` in flight; results in order. A run
        whose stop group timed out before it started is not sent (``RunRequest.stop_group``).
        """
        if not requests:
            return []
        groups = TimeoutGroups()

        def one(request: RunRequest) -> ExecResult:
            if groups.stopped(request):
                return groups.skipped_result()
            result = self.run(request)
            groups.record(request, result)
            return result

        with ThreadPoolExecutor(min(self.max_concurrency, len(requests))) as executor:
            return list(executor.map(one, requests))


_BACKENDS: dict[str, FusionBackend] = {}
_BACKENDS_LOCK = threading.Lock()


def fusion_backend(url: str) -> FusionBackend:
    """The shared FusionBackend for ``url``."""
    with _BACKENDS_LOCK:
        if url not in _BACKENDS:
            _BACKENDS[url] = FusionBackend(url)
        return _BACKENDS[url]


def fusion_response(result: ExecResult) -> dict[str, Any]:
    """The ``run_code`` response body for a local result (the server side of the protocol)."""
    if result.status == "sandbox_error":
        return {
            "status": "SandboxError",
            "message": result.detail,
            "compile_result": None,
            "run_result": None,
            "files": {},
        }
    code = result.exit_code
    if code is None and result.signal:
        code = -1
    return {
        "status": "Success" if result.ok else "Failed",
        "message": "" if result.ok else result.detail,
        "compile_result": None,
        "run_result": {
            "status": "TimeLimitExceeded" if result.status == "timeout" else "Finished",
            "execution_time": result.wall_s,
            "return_code": code,
            "stdout": result.stdout,
            "stderr": result.stderr,
        },
        "files": {},
    }


class FusionServer:
    """A ``run_code`` endpoint in a background thread, serving Python runs from ``backend``.

    >>> server = FusionServer(backend=None, port=0)  # doctest: +SKIP
    """

    def __init__(self, backend: Backend, host: str = "127.0.0.1", port: int = 0):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/run_code":
                    self.send_error(404, "only /run_code is served")
                    return
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                    answer = owner.handle(body)
                except (ValueError, KeyError, TypeError) as exc:
                    self.send_error(400, f"bad run_code request: {exc}")
                    return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.backend = backend
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/run_code"

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer one ``run_code`` body."""
        if body.get("language", "python") != "python":
            return {
                "status": "SandboxError",
                "message": "only language 'python' is served",
                "compile_result": None,
                "run_result": None,
                "files": {},
            }
        memory = int(body.get("memory_limit_MB") or -1)
        limits = Limits(
            time_limit_s=float(body.get("run_timeout") or 10),
            memory_mb=memory if memory > 0 else Limits().memory_mb,
        )
        request = RunRequest(
            code=str(body["code"]), stdin=str(body.get("stdin") or ""), limits=limits
        )
        return fusion_response(self.backend.run_many([request])[0])

    def __enter__(self) -> FusionServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
