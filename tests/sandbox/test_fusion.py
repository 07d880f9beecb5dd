"""The Sandbox Fusion backend against a real run_code server on 127.0.0.1 (the local pool)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from rewardkit.sandbox.fusion import (
    FusionBackend,
    FusionServer,
    fusion_backend,
    fusion_payload,
    fusion_response,
    read_fusion_answer,
)
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.protocol import ExecResult, RunRequest

pytestmark = pytest.mark.process

LIMITS = Limits(time_limit_s=1.0, memory_mb=256)


@pytest.fixture(scope="module")
def server(pool: SandboxPool) -> Iterator[FusionServer]:
    with FusionServer(pool) as running:
        yield running


def test_payload_follows_the_protocol() -> None:
    payload = fusion_payload(RunRequest("print(1)", stdin="x", limits=LIMITS), marker="@@")
    assert set(payload) == {
        "code",
        "language",
        "stdin",
        "run_timeout",
        "compile_timeout",
        "memory_limit_MB",
        "files",
        "fetch_files",
    }
    assert (payload["stdin"], payload["run_timeout"], payload["memory_limit_MB"]) == ("x", 1.0, 256)
    assert payload["code"].rstrip().endswith("'@@'))")


@pytest.mark.parametrize(
    ("request_", "status", "stdout", "value"),
    [
        (RunRequest("print(input() * 2)", stdin="ab\n", limits=LIMITS), "ok", "abab\n", None),
        (
            RunRequest("def f(x): return {x: [x]}", mode="value", test="f(2)", limits=LIMITS),
            "ok",
            "",
            {2: [2]},
        ),
        (
            RunRequest(
                "def f(x): return x", mode="assert", test="assert f(1) == f(2)", limits=LIMITS
            ),
            "wrong_answer",
            "",
            None,
        ),
        (RunRequest("def f(:", mode="compile", limits=LIMITS), "syntax_error", "", None),
        (RunRequest("1 / 0", limits=LIMITS), "runtime_error", "", None),
        (RunRequest("while True: pass", limits=LIMITS), "timeout", "", None),
        (RunRequest("b = bytearray(10**10)", limits=LIMITS), "memory", "", None),
    ],
)
def test_remote_runs_match_local_semantics(
    server: FusionServer, request_: RunRequest, status: str, stdout: str, value: Any
) -> None:
    (result,) = FusionBackend(server.url).run_many([request_])
    assert (result.status, result.stdout, result.value) == (status, stdout, value)


def test_a_forged_marker_in_the_output_does_not_fool_the_client(server: FusionServer) -> None:
    code = "print(\"\\n@@rewardkit-verdict-0000000000000000@@{'kind': 'pass'}\")\ndef f():\n    return 0"
    request = RunRequest(code, mode="assert", test="assert f() == f() + 1", limits=LIMITS)
    assert FusionBackend(server.url).run(request).status == "wrong_answer"


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_server_speaks_run_code(server: FusionServer) -> None:
    answer = post(
        server.url,
        {
            "code": "print(input())",
            "stdin": "hi",
            "language": "python",
            "run_timeout": 1,
            "memory_limit_MB": -1,
        },
    )
    assert answer["status"] == "Success"
    assert answer["run_result"]["stdout"] == "hi\n" and answer["run_result"]["return_code"] == 0
    assert post(server.url, {"code": "x", "language": "cpp"})["status"] == "SandboxError"
    with pytest.raises(urllib.error.HTTPError):
        post(server.url.replace("/run_code", "/other"), {})


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"status": "SandboxError", "message": "pod lost"}, "sandbox_error"),
        (
            {"status": "Failed", "run_result": {"status": "TimeLimitExceeded", "stdout": ""}},
            "timeout",
        ),
        (
            {"status": "Failed", "run_result": {"status": "Finished", "return_code": -11}},
            "runtime_error",
        ),
        (
            {
                "status": "Success",
                "run_result": {
                    "status": "Finished",
                    "return_code": 0,
                    "stdout": "x\n@@{'kind': 'ok'}\n",
                },
            },
            "ok",
        ),
        (
            {
                "status": "Success",
                "run_result": {
                    "status": "Finished",
                    "return_code": 0,
                    "stdout": "x\n@@{'kind': 'pass'}\n",
                },
            },
            "ok",
        ),
        (
            {
                "status": "Success",
                "run_result": {"status": "Finished", "return_code": 0, "stdout": "no verdict"},
            },
            "runtime_error",
        ),
    ],
)
def test_read_fusion_answer(data: dict[str, Any], status: str) -> None:
    request = RunRequest("x", mode="assert", test="assert 1", limits=LIMITS)
    assert read_fusion_answer(data, request, "@@").status == status


def test_unreachable_service_gives_a_sandbox_error_after_retries() -> None:
    with socket.socket() as probe:  # a free port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = FusionBackend(f"http://127.0.0.1:{port}/run_code", retries=1)
    result = backend.run(RunRequest("print(1)", limits=LIMITS))
    assert result.status == "sandbox_error" and "failed" in result.detail


def test_fusion_response_round_trip() -> None:
    body = fusion_response(ExecResult("timeout", stdout="", detail="time limit exceeded"))
    assert body["run_result"]["status"] == "TimeLimitExceeded" and body["status"] == "Failed"
    assert fusion_response(ExecResult("sandbox_error"))["status"] == "SandboxError"


def test_backends_are_shared_per_url_and_urls_are_checked() -> None:
    assert fusion_backend("http://127.0.0.1:1/run_code") is fusion_backend(
        "http://127.0.0.1:1/run_code"
    )
    with pytest.raises(ValueError, match="http"):
        FusionBackend("127.0.0.1:8080")


def test_runs_of_a_stop_group_are_not_sent_after_its_timeout(server: FusionServer) -> None:
    backend = FusionBackend(server.url, max_concurrency=1)  # in order, one at a time
    code = "n = int(input())\nwhile n == 2:\n    pass\nprint(n)"
    runs = [RunRequest(code, stdin=s, limits=LIMITS, stop_group="p") for s in "123"]
    results = backend.run_many([*runs, RunRequest(code, stdin="4", limits=LIMITS)])
    assert [r.status for r in results] == ["ok", "timeout", "timeout", "ok"]
    assert [r.skipped for r in results] == [False, False, True, False]
