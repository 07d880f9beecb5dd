"""A scored sample on the wire: one result row per sample, and how the sample ended.

Each row says how its sample ended, in ``status`` (``STATUSES``):

- ``scored``: a reward;
- ``not_applicable``: no node applied (reward ``null``);
- ``unjudgeable``: a component could not read the sample's reference (``on_unjudgeable``);
- ``verifier_failed``: no verdict (``cause``: ``timeout``, ``crash``, ``judge_error``,
  ``sandbox_lost``, ``retries_exhausted``, or the judge's own: ``decoy_consistent``, ...). The
  reward is ``null``: never a 0, left out of the group baseline like a sample that does not apply;
- ``error``: a component raised and ``on_error: score`` put the config's number ``error_value``
  in its place (with ``error_value: null`` such a sample is ``verifier_failed``, cause ``crash``).

JSON has no NaN: a node that did not apply is ``null``. The server answers these rows, ``rescore``
reads and writes them, and the hosts that score in-process (slime) give the same rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.advantage import Advantages
from rewardkit.types import ScoredBatch

Row = dict[str, Any]
STATUSES = ("scored", "not_applicable", "unjudgeable", "verifier_failed", "error")
_CAUSE_OF_TYPE = {
    "ComponentTimeout": "timeout",
    "WorkerDied": "crash",
    "WorkerLost": "sandbox_lost",
    "JudgeRequestError": "judge_error",
    "JudgeParseError": "judge_error",
}
_CAUSE = re.compile(r"verifier failed \(([a-z_]+)\)")


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def result_rows(scored: ScoredBatch, adv: Advantages | None = None) -> list[Row]:
    """One row per sample: id, status (and cause), reward, components (path -> value), errors,
    unjudgeable, and the advantage when ``adv`` is given.

    >>> from rewardkit.program import RewardProgram
    >>> from rewardkit.types import Sample
    >>> p = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    >>> row = result_rows(p.score([Sample(id="a", group="g", prompt="", completion="4",
    ...                                   reference="4")]))[0]
    >>> row["status"], row["reward"]
    ('scored', 1.0)
    """
    errors, unjudgeable = scored.records_by_sample()
    rows = []
    for i, sample in enumerate(scored.samples):
        row: Row = {"id": sample.id, "reward": _num(scored.rewards[i])}
        row.update(status_of(row["reward"], errors.get(sample.id, []), unjudgeable.get(sample.id)))
        row["components"] = {p: _num(c[i]) for p, c in scored.values.items() if p != scored.root}
        row["errors"] = errors.get(sample.id, [])
        row["unjudgeable"] = unjudgeable.get(sample.id, [])
        if adv is not None:
            row["advantage"] = _num(adv.per_sample[i])
        rows.append(row)
    return rows


def status_of(
    reward: float | None,
    errors: Sequence[Mapping[str, Any]],
    unjudgeable: Sequence[Any] | None = None,
) -> dict[str, str]:
    """``{"status": ...}``, with ``"cause"`` for ``verifier_failed`` and ``error``, from a row's
    reward and its error records (``{"path", "type", "message"}``).

    >>> status_of(None, [{"path": "reward", "type": "VerifierFailed",
    ...                   "message": "verifier failed (timeout): ..."}])
    {'status': 'verifier_failed', 'cause': 'timeout'}
    >>> status_of(0.0, [{"path": "reward", "type": "ValueError", "message": "bad"}])
    {'status': 'error', 'cause': 'crash'}
    """
    if errors:
        first = next((e for e in errors if e.get("type") == "VerifierFailed"), errors[0])
        cause = cause_of(str(first.get("type", "")), str(first.get("message", "")))
        failed = first.get("type") == "VerifierFailed" or reward is None
        return {"status": "verifier_failed" if failed else "error", "cause": cause}
    if unjudgeable:
        return {"status": "unjudgeable"}
    return {"status": "scored" if reward is not None else "not_applicable"}


def failed_path(row: Mapping[str, Any]) -> str:
    """The component a verifier-failed row failed in (its first VerifierFailed record's, else its
    first error's)."""
    errors = row.get("errors") or [{}]
    first = next((e for e in errors if e.get("type") == "VerifierFailed"), errors[0])
    return str(first.get("path", "reward"))


def cause_of(error_type: str, message: str) -> str:
    """The cause word of one error record: a VerifierFailed's own, else by exception type.

    >>> cause_of("VerifierFailed", "verifier failed (decoy_consistent): the judge ...")
    'decoy_consistent'
    >>> cause_of("JudgeRequestError", "429 after 3 tries")
    'judge_error'
    """
    if error_type == "VerifierFailed":
        found = _CAUSE.match(message)
        return found.group(1) if found else "verifier"
    return _CAUSE_OF_TYPE.get(error_type, "crash")
