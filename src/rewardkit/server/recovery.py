"""Per-sample deadlines: a batch whose worker hung or died is scored again without its culprit.

A worker reports where it is (component, row) in shared memory (``tracking.Progress``). When it
is killed for running past the deadline on one sample, or dies on one, ``score_rows`` marks that
sample **verifier-failed** and scores the rest of the batch again on the replacement worker:

- stuck (or dead twice) on a row of a per-sample component: that sample fails (cause
  ``timeout``, or ``crash`` for a process that died on it twice), the other rows are retried;
- stuck in a batched component (no single row): the rows are split in two by group and each half
  retried; a single group that still hangs fails whole (a batched component may judge a group as
  one, so a group is never split);
- a first death anywhere is retried as it was (a ``kill -9`` from outside is not the sample's
  fault).

**Bound.** At most ``MAX_FAILED_ATTEMPTS`` (8) attempts of one batch end in a kill or a death;
after that, its rows not yet scored fail with cause ``retries_exhausted``. Each attempt either
answers or is killed ``timeout_s`` after its worker last started a component or a sample, and at
most one more attempt succeeds than fail, so a batch whose healthy work takes W seconds ends
within (2 * 8 + 1) * (W + timeout_s) plus one worker start (about 0.1 s from the forkserver) per
kill; with one hung sample of a per-sample component, within 2 * W + timeout_s + one start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.diagnostics import merge_scored
from rewardkit.server.batches import split_by_group
from rewardkit.server.tracking import Seconds
from rewardkit.types import Failure, Sample, ScoredBatch

MAX_FAILED_ATTEMPTS = 8


class Stuck(Exception):
    """An attempt ended without an answer: ``kind`` ``timeout`` (killed) or ``died``."""

    def __init__(self, kind: str, path: str, row: int, detail: str):
        self.kind, self.path, self.row, self.detail = kind, path, row, detail
        super().__init__(detail)


@dataclass(frozen=True)
class Failed:
    """Why one sample got no verdict: the component, the cause, the words, the seconds lost."""

    path: str
    cause: str
    message: str
    seconds: float = 0.0


Call = Callable[[Sequence[Sample]], tuple[ScoredBatch, Seconds]]


def score_rows(
    samples: Sequence[Sample], call: Call, timeout_s: float | None
) -> tuple[list[tuple[list[int], ScoredBatch, Seconds]], dict[int, Failed]]:
    """Score ``samples`` through ``call`` (one attempt on one worker; raises ``Stuck``),
    isolating the samples that hang or kill their worker. Returns the scored parts (rows,
    batch, seconds) and the failed rows."""
    parts: list[tuple[list[int], ScoredBatch, Seconds]] = []
    failed: dict[int, Failed] = {}
    pending = [list(range(len(samples)))]
    deaths: set[tuple[str, int]] = set()
    kills = 0
    while pending:
        rows = pending.pop()
        if kills >= MAX_FAILED_ATTEMPTS:
            why = (
                f"verifier failed (retries_exhausted): not scored, its batch had {kills} "
                "attempts killed or crashed (the limit); re-score it with rewardkit rescore"
            )
            failed.update({r: Failed("reward", "retries_exhausted", why) for r in rows})
            continue
        try:
            scored, seconds = call([samples[r] for r in rows])
        except Stuck as stuck:
            kills += 1
            pending.extend(_isolate(stuck, rows, samples, failed, deaths, timeout_s))
            continue
        parts.append((rows, scored, seconds))
    return parts, failed


def _isolate(
    stuck: Stuck,
    rows: list[int],
    samples: Sequence[Sample],
    failed: dict[int, Failed],
    deaths: set[tuple[str, int]],
    timeout_s: float | None,
) -> list[list[int]]:
    """The row lists to try again after ``stuck``; the culprits go into ``failed``."""
    culprit = rows[stuck.row] if 0 <= stuck.row < len(rows) else -1
    if stuck.kind == "died" and (stuck.path, culprit) not in deaths:
        deaths.add((stuck.path, culprit))
        return [rows]  # a first death: maybe not the sample's doing
    cause = "timeout" if stuck.kind == "timeout" else "crash"
    lost = (timeout_s or 0.0) if cause == "timeout" else 0.0
    if culprit >= 0:
        sid = samples[culprit].id
        failed[culprit] = Failed(stuck.path, cause, _words(stuck, sid, timeout_s), lost)
        rest = [r for r in rows if r != culprit]
        return [rest] if rest else []
    halves = split_by_group([samples[r] for r in rows], 2)
    if len(halves) > 1:
        return [[rows[i] for i in half] for half in halves]
    for r in rows:
        failed[r] = Failed(stuck.path, cause, _words(stuck, None, timeout_s), lost)
    return []


def _words(stuck: Stuck, sample_id: str | None, timeout_s: float | None) -> str:
    on = f"sample {sample_id!r}" if sample_id is not None else "a batched call on its group"
    if stuck.kind == "timeout":
        return (
            f"verifier failed (timeout): reward component {stuck.path!r} did not finish {on} "
            f"within {timeout_s or 0.0:g} s (--timeout); its worker was killed and replaced"
        )
    return (
        f"verifier failed (crash): the scoring process died twice in reward component "
        f"{stuck.path!r} on {on} ({stuck.detail})"
    )


def assemble(
    samples: Sequence[Sample],
    parts: Sequence[tuple[list[int], ScoredBatch, Seconds]],
    failed: dict[int, Failed],
    paths: Sequence[str],
) -> tuple[ScoredBatch, Seconds]:
    """One ScoredBatch (input order) and its seconds from the scored parts and failed rows.

    A failed row has no value at any node (left out of every baseline, like None) and one
    ``VerifierFailed`` record at the component it failed in, its cause in the info."""
    n = len(samples)
    if not failed and len(parts) == 1 and parts[0][0] == list(range(n)):
        return parts[0][1], parts[0][2]
    batches = [scored for _, scored, _ in parts]
    order = [r for rows, _, _ in parts for r in rows]
    if failed:
        batches.append(_failed_batch(samples, failed, list(batches[0].values) if parts else paths))
        order.extend(sorted(failed))
    seconds: Seconds = {}
    for rows, _, part_seconds in parts:
        for path, column in part_seconds.items():
            seconds.setdefault(path, np.zeros(n))[rows] = column
    for r, why in failed.items():
        if why.seconds:
            seconds.setdefault(why.path, np.zeros(n))[r] += why.seconds
    return merge_columns(batches, order), seconds


def merge_columns(batches: Sequence[ScoredBatch], order: Sequence[int]) -> ScoredBatch:
    """``diagnostics.merge_scored``, after giving every part every node's column (NaN where a
    part lacks one: a part made of failed rows knows the tree's paths, not what scoring wrote)."""
    paths = list(dict.fromkeys(p for b in batches for p in b.values))
    for b in batches:
        for p in paths:
            if p not in b.values:
                b.values[p] = np.full(len(b.samples), np.nan)
    return merge_scored(batches, order)


def _failed_batch(
    samples: Sequence[Sample], failed: dict[int, Failed], paths: Sequence[str]
) -> ScoredBatch:
    rows = sorted(failed)
    values = {p: np.full(len(rows), np.nan) for p in paths}
    info: dict[str, list[Mapping[str, Any]]] = {
        p: [{"verifier_failed": failed[r].cause} if failed[r].path == p else {} for r in rows]
        for p in paths
    }
    records = [
        Failure(failed[r].path, samples[r].id, "VerifierFailed", failed[r].message) for r in rows
    ]
    root = "reward" if "reward" in paths else paths[-1]
    return ScoredBatch([samples[r] for r in rows], values, {}, info, records, root)
