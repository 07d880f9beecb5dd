"""The report's monitor section: each alert with where, which detector, its curves and examples.

``alert_section(run_dir, rows, events)`` returns HTML parts for ``report.html``: one block per
alert event (the step, the detector and its sentence, the numbers behind it, the series it read
plotted from ``BEFORE`` steps before to ``AFTER`` steps after with the alert marked, and the
best-paid completions the verifier rejected). Nothing when the run had no monitor.

>>> alert_section(".", [{"step": 0, "reward/mean": 0.5}], [])
[]
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.errors import require

BEFORE, AFTER = 40, 20
"""Steps plotted before and after an alert."""
MAX_SHOWN = 10
"""Alerts shown in full; later ones are listed in the events table only."""

Rows = Sequence[Mapping[str, Any]]


def alert_section(run_dir: str | Path, rows: Rows, events: Rows) -> list[str]:
    """HTML parts of the monitor section (module doc)."""
    alerts = [e for e in events if e.get("kind") == "alert"]
    monitored = any(k.startswith("monitor/") for r in rows[:1] for k in r) or bool(alerts)
    if not monitored:
        return []
    parts = ["<h2>Reward-hacking monitor</h2>"]
    if not alerts:
        return [*parts, "<p>No alert: no detector fired in this run.</p>"]
    stops = [e for e in events if e.get("kind") == "stop"]
    note = f" The run stopped at step {stops[0]['step']} (on_alert: stop)." if stops else ""
    parts.append(f"<p>{len(alerts)} alert(s).{note} Red line: the step of the alert.</p>")
    plots = Path(run_dir) / "plots"
    for i, alert in enumerate(alerts[:MAX_SHOWN]):
        parts += _one_alert(i, alert, rows, plots)
    return parts


def _one_alert(i: int, alert: Mapping[str, Any], rows: Rows, plots: Path) -> list[str]:
    step = int(alert["step"])
    parts = [
        f"<h3>Step {step}: {html.escape(str(alert.get('source')))}</h3>",
        f"<p>{html.escape(str(alert.get('message', '')))}</p>",
    ]
    stats = alert.get("stats") or {}
    if stats:
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in stats.items()
        )
        parts.append(f"<table>{cells}</table>")
    keys = [k for k in alert.get("keys") or [] if any(k in r for r in rows)]
    if keys:
        path = plots / f"alert-{i}.png"
        plot_around(rows, keys, step, path)
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(f"<img alt='curves around the alert' src='data:image/png;base64,{data}'>")
    for ex in alert.get("examples") or []:
        head = f"reward {_fmt(ex.get('reward'))}, verifier: {_verdict(ex.get('correct'))}"
        text = html.escape(str(ex.get("completion", "")))
        parts.append(f"<p class='note'>{head}</p><pre>{text}</pre>")
    return parts


def plot_around(rows: Rows, keys: Sequence[str], step: int, path: Path) -> None:
    """A PNG of ``keys`` from ``step - BEFORE`` to ``step + AFTER``, the alert step in red."""
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
    for key in keys:
        points = [
            (int(r["step"]), float(r[key]))
            for r in rows
            if isinstance(r.get(key), int | float)
            and step - BEFORE <= int(r["step"]) <= step + AFTER
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, label=key, linewidth=1.4)
    ax.axvline(step, color="red", linewidth=1.2, label="alert")
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _verdict(correct: Any) -> str:
    return "unknown" if correct is None else ("accepts" if correct else "rejects")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))
