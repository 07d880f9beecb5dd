"""Classification of a run into one execution status, and the verdict parser."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.sandbox.verdicts import classify_run, parse_verdict

PASS: dict[str, Any] = {"kind": "pass"}


@pytest.mark.parametrize(
    ("mode", "exit_code", "signal_name", "timed_out", "overflow", "over_cpu", "verdict", "status"),
    [
        ("stdio", 0, None, False, False, False, {"kind": "ok"}, "ok"),
        ("stdio", 0, None, False, False, False, None, "ok"),  # os._exit(0) after printing
        ("assert", 0, None, False, False, False, None, "runtime_error"),  # exit without a verdict
        ("assert", 0, None, False, False, False, PASS, "ok"),
        ("assert", 1, None, False, False, False, {"kind": "assertion"}, "wrong_answer"),
        ("value", 0, None, False, False, False, {"kind": "value", "value": 3}, "ok"),
        ("stdio", 1, None, False, False, False, {"kind": "exception"}, "runtime_error"),
        ("stdio", 1, None, False, False, False, {"kind": "syntax_error"}, "syntax_error"),
        ("stdio", 1, None, False, False, False, {"kind": "memory"}, "memory"),
        ("stdio", None, "SIGKILL", True, False, False, None, "timeout"),  # we killed it
        ("stdio", None, "SIGXCPU", False, False, True, None, "timeout"),  # CPU soft limit
        ("stdio", None, "SIGKILL", False, False, True, None, "timeout"),  # CPU hard limit
        ("stdio", None, "SIGKILL", False, False, False, None, "runtime_error"),  # killed itself
        ("stdio", None, "SIGSEGV", False, False, False, None, "runtime_error"),
        ("stdio", None, "SIGKILL", True, True, False, PASS, "output_limit"),  # overflow first
        ("stdio", 125, None, False, False, False, {"kind": "sandbox_error"}, "sandbox_error"),
    ],
)
def test_classify_run(
    mode: str,
    exit_code: int | None,
    signal_name: str | None,
    timed_out: bool,
    overflow: bool,
    over_cpu: bool,
    verdict: dict[str, Any] | None,
    status: str,
) -> None:
    answer = classify_run(mode, exit_code, signal_name, timed_out, overflow, over_cpu, verdict)
    assert answer["status"] == status


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("TOK{'kind': 'pass'}\n", PASS),
        ("{'kind': 'pass'}\n", None),  # no token: forged
        ("junk before TOK{'kind': 'pass'}\n", PASS),  # junk written on the same line
        ("TOK{'kind': 'assertion'}\nTOK{'kind': 'pass'}\n", PASS),  # the last one wins
        ("TOKnot a literal\n", None),
        ("TOK['kind']\n", None),
        ("TOK{'kind': 3}\n", None),
        ("", None),
    ],
)
def test_parse_verdict(raw: str, found: dict[str, Any] | None) -> None:
    assert parse_verdict(raw.encode(), "TOK") == found
