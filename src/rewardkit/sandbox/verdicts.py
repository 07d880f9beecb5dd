"""From what was observed of a run to one execution status (see ``protocol.ExecStatus``).

Standard library only; shared by the worker and the Sandbox Fusion client.

>>> classify_run("stdio", 0, None, False, False, False, None)["status"]
'ok'
"""

from __future__ import annotations

import ast
import os
import signal
from typing import Any

_COMMON = {repr({"kind": k}): {"kind": k} for k in ("ok", "pass")}
"""Verdicts without detail, read without parsing (most tests end with one of these)."""


def parse_verdict(raw: bytes | str, token: str) -> dict[str, Any] | None:
    """The last line that starts with the secret token, or None (forged lines are ignored)."""
    found = None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for line in text.splitlines():
        at = line.rfind(token)  # the program may have written junk before it on the same line
        if at >= 0:
            text = line[at + len(token) :]
            try:
                value = dict(_COMMON[text]) if text in _COMMON else ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(value, dict) and isinstance(value.get("kind"), str):
                found = value
    return found


def classify(facts: dict[str, Any], token: str, mode: str) -> dict[str, Any]:
    """Turn what the worker observed into an answer message with one execution status."""
    status = facts["status"]
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    answer = classify_run(
        mode=mode,
        exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal_name=signal.Signals(sig).name if sig else None,
        timed_out=facts["timed_out"],
        overflow=facts["overflow"],
        over_cpu=facts["cpu_s"] >= facts["cpu_limit"],
        verdict=parse_verdict(facts["verdict"], token),
    )
    answer.update(
        stdout=facts["stdout"].decode("utf-8", "replace"),
        stderr=facts["stderr"][-8192:].decode("utf-8", "replace"),
        cpu_s=facts["cpu_s"],
        wall_s=facts["wall_s"],
    )
    if answer["status"] == "output_limit":
        answer["stdout"] = answer["stdout"][:4096]
    return answer


def classify_run(
    mode: str,
    exit_code: int | None,
    signal_name: str | None,
    timed_out: bool,
    overflow: bool,
    over_cpu: bool,
    verdict: dict[str, Any] | None,
) -> dict[str, Any]:
    """One execution status from the facts of a run (shared by the local and remote backends).

    >>> classify_run("assert", 1, None, False, False, False, {"kind": "assertion"})["status"]
    'wrong_answer'
    """
    kind = (verdict or {}).get("kind")
    answer: dict[str, Any] = {
        "exit_code": exit_code,
        "signal": signal_name,
        "value": (verdict or {}).get("value"),
        "detail": str((verdict or {}).get("detail", "")),
    }
    if overflow:
        return {**answer, "status": "output_limit", "detail": "output over the size cap"}
    if timed_out or signal_name == "SIGXCPU" or (signal_name == "SIGKILL" and over_cpu):
        # A SIGKILL we did not send and CPU time over the limit: the hard CPU limit, reached by a
        # program that ignored SIGXCPU.
        return {**answer, "status": "timeout", "detail": "time limit exceeded"}
    if kind in ("syntax_error", "memory", "sandbox_error"):
        return {**answer, "status": kind}
    if kind == "assertion":
        return {**answer, "status": "wrong_answer"}
    if signal_name is not None:
        return {**answer, "status": "runtime_error", "detail": f"killed by {signal_name}"}
    if exit_code == 0 and (kind in ("ok", "pass", "value") or (mode == "stdio" and kind is None)):
        return {**answer, "status": "ok"}
    if not answer["detail"]:
        answer["detail"] = f"exit code {exit_code} without a verdict"
    return {**answer, "status": "runtime_error"}
