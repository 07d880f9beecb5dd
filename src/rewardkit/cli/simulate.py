"""``rewardkit simulate``: replay recorded per-step metrics through a config's schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from rewardkit.errors import InputError, RewardkitError
from rewardkit.program import RewardProgram
from rewardkit.schedule import simulate as replay

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def read_stream(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Per-step metrics from JSONL: ``{"step": 3, "reward/hit/mean": 0.4, ...}`` or
    ``{"step": 3, "metrics": {...}}`` (a run's metrics.jsonl works as it is)."""
    if not path.is_file():
        raise InputError(f"metrics file {str(path)!r} does not exist")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("step"), int):
            raise InputError(f"{path}:{lineno}: each line needs an integer 'step'")
        metrics = data.get("metrics", {k: v for k, v in data.items() if k != "step"})
        rows.append((data["step"], metrics))
    return rows


def simulate(
    config: Path = typer.Argument(..., help="program config (YAML) with schedules"),
    metrics: Path = typer.Option(..., "--metrics", "-m", help="JSONL stream of per-step metrics"),
    changes_only: bool = typer.Option(False, help="print only the steps where a value changed"),
    json_out: bool = typer.Option(False, "--json", help="print the timeline as JSON"),
) -> None:
    """Replay a recorded stream of metrics through the schedules; print values and events.

    Tune a ladder (window, thresholds, refresh) on a recorded run before spending GPU hours.
    """
    try:
        program = RewardProgram.from_yaml(config)
        if not program.schedules:
            raise InputError(f"{config} defines no schedules; nothing to simulate")
        timeline = replay(program.schedules, read_stream(metrics))
    except RewardkitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if json_out:
        out.print(json.dumps(timeline.as_dict()), markup=False, highlight=False)
        return
    out.print(timeline.to_table(changes_only=changes_only), markup=False, highlight=False)
    for event in timeline.events:
        d = event.as_dict()
        out.print(
            f"step {d['step']}: {d['source']} {d['kind']} {d['old']} -> {d['new']}  {d['stats']}",
            markup=False,
            highlight=False,
        )
