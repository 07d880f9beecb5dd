"""``rewardkit simulate``: replay recorded per-step metrics through a config's schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from rewardkit.cli.inputs import fail
from rewardkit.cli.programs import load_program
from rewardkit.config import read_utf8
from rewardkit.errors import InputError, RewardKitError
from rewardkit.schedule import simulate as replay

out = Console(soft_wrap=True)


def read_stream(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Per-step metrics from JSONL: ``{"step": 3, "reward/hit/mean": 0.4, ...}`` or
    ``{"step": 3, "metrics": {...}}`` (a run's metrics.jsonl works as it is; null is "not
    logged"). A value that is not a number, or a stream without a step, is an InputError."""
    if path.is_dir():
        path = path / "metrics.jsonl"
    rows = []
    for lineno, line in enumerate(read_utf8(path, "metrics file").split("\n"), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("step"), int):
            raise InputError(f"{path}:{lineno}: each line needs an integer 'step'")
        metrics = data.get("metrics", {k: v for k, v in data.items() if k != "step"})
        if not isinstance(metrics, dict):
            raise InputError(f"{path}:{lineno}: 'metrics' must be a mapping of name -> number")
        for key, value in metrics.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise InputError(
                    f"{path}:{lineno}: metric {key!r} is {json.dumps(value)}, not a number "
                    "(write a number, or null when it was not logged)"
                )
        rows.append((data["step"], metrics))
    if not rows:
        raise InputError(f"{path} holds no step to replay (it is empty); give a metrics JSONL")
    return rows


def simulate(
    config: Path = typer.Argument(
        ..., help="program config (YAML) with schedules, or a training run folder"
    ),
    metrics: Path | None = typer.Option(
        None,
        "--metrics",
        "-m",
        help="JSONL stream of per-step metrics, or a run folder (default, when CONFIG is a run "
        "folder: its metrics.jsonl)",
    ),
    changes_only: bool = typer.Option(False, help="print only the steps where a value changed"),
    json_out: Path | None = typer.Option(
        None, "--json", help="also write the timeline as JSON to this path ('-': print it instead)"
    ),
) -> None:
    """Replay a recorded stream of metrics through the schedules; print values and events.

    Tune a ladder (window, thresholds, refresh) on a recorded run before spending GPU hours:
    `rewardkit simulate runs/boxes-... ` replays a run's own stream through its own schedules.
    """
    try:
        if metrics is None:
            if not config.is_dir():
                raise InputError("give the metrics stream: --metrics FILE.jsonl (or a run folder)")
            metrics = config
        program = load_program(config)
        if not program.schedules:
            raise InputError(f"{config} defines no schedules; nothing to simulate")
        timeline = replay(program.schedules, read_stream(metrics))
    except RewardKitError as exc:
        fail(str(exc))
    if json_out is not None:
        text = json.dumps(timeline.as_dict())
        if str(json_out) == "-":
            out.print(text, markup=False, highlight=False)
            return
        json_out.write_text(text + "\n")
    out.print(timeline.to_table(changes_only=changes_only), markup=False, highlight=False)
    for event in timeline.events:
        d = event.as_dict()
        out.print(
            f"step {d['step']}: {d['source']} {d['kind']} {d['old']} -> {d['new']}  {d['stats']}",
            markup=False,
            highlight=False,
        )
