"""``rewardkit rescore``: score stored rollouts again, by default only the ones that failed.

SOURCE is one of:

- a JSONL written by ``rewardkit score -o`` (or lines that carry their sample, e.g. a server's
  result rows merged with the request's samples). The samples come from ``--input``, the rollout
  file it was scored from, matched by ``id``; the program from ``--config``.
- a training run folder: its ``samples.jsonl`` (the held-out answers of each evaluation), with the
  run's program at its newest checkpoint (or ``--config``).

A sample counts as failed when its status (``rewardkit.results.STATUSES``; derived from ``errors``
and ``reward`` for files written before there was a status) is ``verifier_failed`` or ``error``,
or, in a run folder, when its answer carries an ``error``. ``--all`` re-scores every sample.
Scoring runs in ``--workers`` processes with the server's per-sample deadline (``--timeout``),
so a sample that hangs again is verifier-failed again instead of hanging the command.

Writes OUTPUT (every line of SOURCE, the re-scored ones replaced, each with its ``status``; in a
scored JSONL the advantages are computed again over the whole file, since a failed sample was
out of its group's baseline) and CHANGES (one line per re-scored sample whose status or reward
changed: ``id``, ``before`` and ``after``), and prints the count per status before and after.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from rewardkit.cli.inputs import check_output_file, fail
from rewardkit.cli.rollouts import read_samples
from rewardkit.cli.score import load_program
from rewardkit.cli.scoring import output_rows
from rewardkit.errors import InputError, RewardKitError
from rewardkit.program import RewardProgram
from rewardkit.results import STATUSES, result_rows, status_of
from rewardkit.types import Sample, ScoredBatch

err = Console(stderr=True, soft_wrap=True)
FAILED = ("verifier_failed", "error")
SAMPLE_KEYS = ("id", "group", "prompt", "completion", "reference", "meta", "messages", "tools")


def rescore(
    source: Path = typer.Argument(
        ...,
        help="a scored JSONL (rewardkit score -o; give --input too) or a training run folder "
        "(its samples.jsonl)",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="program config (YAML); a run folder defaults to its own"
    ),
    input: Path | None = typer.Option(
        None,
        "--input",
        "-i",
        help="the rollouts SOURCE was scored from (JSONL, matched by id); not needed when "
        "SOURCE's lines carry their samples",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="the new file (default: SOURCE + .rescored.jsonl)"
    ),
    changes: Path | None = typer.Option(
        None, "--changes", help="per-sample changes, JSONL (default: OUTPUT + .changes.jsonl)"
    ),
    every: bool = typer.Option(False, "--all", help="re-score every sample, not only failed ones"),
    workers: int = typer.Option(
        1, help="scoring processes, each sample under --timeout (0: in this process, no timeout)"
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", help="seconds one component may take on one sample (with workers)"
    ),
    force: bool = typer.Option(False, "--force", help="overwrite OUTPUT and CHANGES"),
) -> None:
    """Re-score stored rollouts: by default only the failed ones (verifier failed or error);
    write the new file and what changed (counts per status before -> after, and each changed
    sample in a changes JSONL)."""
    run = source if source.is_dir() else None
    try:
        rows, samples = _load_run(source) if run else _load_scored(source, input)
        program = load_program(config, run, [])
        output = output or _beside(source / "samples.jsonl" if run else source, ".rescored")
        changes = changes or _beside(output, ".changes")
        for path, what in ((output, "--output"), (changes, "--changes")):
            if path.is_file() and not force:
                raise InputError(f"{path} exists; add --force to overwrite it, or give {what}")
            check_output_file(path, [source if not run else source / "samples.jsonl"], what)
    except RewardKitError as exc:
        fail(str(exc))
    before = [_status(row, bool(run)) for row in rows]
    chosen = [i for i, s in enumerate(before) if every or s["status"] in FAILED]
    if not chosen:
        err.print(f"nothing to re-score: no failed sample in {source} (--all re-scores every one)")
        return
    try:
        scored = _score(program, [samples[i] for i in chosen], workers, timeout)
        if run:
            new_rows = _run_rows(rows, chosen, scored)
        else:
            new_rows = _file_rows(program, rows, samples, chosen, scored)
    except RewardKitError as exc:
        fail(f"re-scoring failed: {exc}")
    after = [_status(row, bool(run)) for row in new_rows]
    changed = [
        {"id": samples[i].id, "before": _brief(rows[i], before[i]), "after": _brief(new_rows[i], after[i])}
        for i in chosen
        if (before[i], rows[i].get("reward")) != (after[i], new_rows[i].get("reward"))
    ]  # fmt: skip
    _write(output, new_rows)
    _write(changes, changed)
    err.print(_table(before, after))
    err.print(
        f"re-scored {len(chosen)} of {len(rows)} samples; {len(changed)} changed. "
        f"Wrote {output} and {changes}",
        markup=False,
        highlight=False,
    )


def _beside(path: Path, tag: str) -> Path:
    return path.with_name(f"{path.name.removesuffix('.jsonl')}{tag}.jsonl")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InputError(f"{path} does not exist; give a scored JSONL or a run folder")
    rows = []
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{lineno}: a line is a JSON object")
            rows.append(row)
    if not rows:
        raise InputError(f"{path} holds no line to re-score")
    return rows


def _load_scored(path: Path, rollouts: Path | None) -> tuple[list[dict[str, Any]], list[Sample]]:
    rows = _read_jsonl(path)
    if rollouts is None:
        if not all("completion" in r or "messages" in r for r in rows):
            raise InputError(
                f"{path} holds scores, not the samples: give --input ROLLOUTS.jsonl, the file "
                "it was scored from (rewardkit score -i)"
            )
        return rows, [_sample(r, i) for i, r in enumerate(rows)]
    known, bad = read_samples(rollouts, strict=False)
    by_id = {s.id: s for s in known}
    missing = [str(r.get("id")) for r in rows if r.get("id") not in by_id]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:3]) + (" ..." if len(missing) > 3 else "")
        why = f" ({len(bad)} bad lines in it)" if bad else ""
        raise InputError(
            f"{len(missing)} ids of {path} are not in {rollouts}{why}: {shown}; give the file "
            "it was scored from"
        )
    return rows, [by_id[r["id"]] for r in rows]


def _sample(row: dict[str, Any], i: int) -> Sample:
    data = {k: row[k] for k in SAMPLE_KEYS if k in row}
    data.setdefault("prompt", "")
    return Sample.from_dict(data, default_id=str(i + 1))


def _load_run(run: Path) -> tuple[list[dict[str, Any]], list[Sample]]:
    path = run / "samples.jsonl"
    if not path.is_file():
        raise InputError(f"{run} has no samples.jsonl: is it a training run folder?")
    rows = _read_jsonl(path)
    samples = []
    for r in rows:
        sid = f"eval-{r.get('step')}-{r.get('mode')}-{r.get('problem')}"
        samples.append(
            Sample(id=sid, group=sid, prompt=str(r.get("prompt", "")),
                   completion=str(r.get("completion", "")), reference=r.get("reference"))
        )  # fmt: skip
    return rows, samples


def _status(row: dict[str, Any], run: bool) -> dict[str, str]:
    """A stored line's status (and cause): its own, else derived from what it holds."""
    if "status" in row:
        return {k: str(row[k]) for k in ("status", "cause") if k in row}
    if run:  # an evaluation answer: an error, or the node values
        if row.get("error"):
            return {"status": "error", "cause": str(row["error"]).split(":")[0]}
        return {"status": "scored" if row.get("reward") is not None else "not_applicable"}
    return status_of(row.get("reward"), row.get("errors") or [], row.get("unjudgeable"))


def _fresh(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("status", "cause") if k in row}


def _brief(row: dict[str, Any], status: dict[str, str]) -> dict[str, Any]:
    return {**status, "reward": row.get("reward")}


def _score(program: RewardProgram, samples: list[Sample], workers: int, timeout: float) -> Any:
    if workers <= 0:
        return program.score(samples)
    from rewardkit.server.pool import ScoringPool

    with ScoringPool(program.to_dict(), workers, timeout) as pool:
        return pool.score_many(samples, 0, program.state_dict())


def _file_rows(
    program: RewardProgram,
    rows: list[dict[str, Any]],
    samples: list[Sample],
    chosen: list[int],
    scored: ScoredBatch,
) -> list[dict[str, Any]]:
    """The lines of a scored JSONL with the re-scored ones replaced and every advantage
    computed again (the kept lines' values read back from the file)."""
    kept = [i for i in range(len(rows)) if i not in set(chosen)]
    paths = list(scored.values)
    old = ScoredBatch(
        [samples[i] for i in kept],
        {p: np.array([_value(rows[i], p) for i in kept], dtype=float) for p in paths},
        {},
        {},
        [],
    )
    merged = ScoredBatch.concat([old, scored] if kept else [scored], kept + chosen)
    adv = program.advantages(merged)
    out = [dict(r) for r in rows]
    for i in kept:
        out[i]["advantage"] = _num(adv.per_sample[i])
        out[i].update(_status(rows[i], False))
    statuses = result_rows(scored)
    for k, (i, row) in enumerate(zip(chosen, output_rows(scored, adv), strict=True)):
        row["advantage"] = _num(adv.per_sample[i])
        carried = {key: v for key, v in rows[i].items() if key in SAMPLE_KEYS}
        out[i] = {**carried, **row, **_fresh(statuses[k])}
    return out


def _value(row: dict[str, Any], path: str) -> float:
    value = row.get("reward") if path == "reward" else (row.get("components") or {}).get(path)
    return math.nan if value is None else float(value)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)


def _run_rows(
    rows: list[dict[str, Any]], chosen: list[int], scored: ScoredBatch
) -> list[dict[str, Any]]:
    out = [dict(r) for r in rows]
    statuses = result_rows(scored)
    for k, i in enumerate(chosen):
        nodes = {p: _num(c[k]) for p, c in scored.values.items()}
        out[i].pop("cause", None)
        out[i].update(reward=nodes.get("reward"), nodes=nodes, error=None, **_fresh(statuses[k]))
    return out


def _write(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    try:
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    except OSError as exc:
        from rewardkit.cli.inputs import write_failed

        fail(str(write_failed(path, exc)))


def _table(before: list[dict[str, str]], after: list[dict[str, str]]) -> Table:
    counts = [Counter(s["status"] for s in side) for side in (before, after)]
    table = Table("status", "before", "after", title="samples per status")
    for status in STATUSES:
        if counts[0][status] or counts[1][status]:
            table.add_row(status, str(counts[0][status]), str(counts[1][status]))
    return table
