"""Plots (PNG) and a self-contained ``report.html`` for a run folder.

``rewardkit report RUN_DIR`` calls ``build_report``; the images are embedded in the HTML as
base64, so the report is one file that can be mailed or attached to an issue.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rewardkit.errors import require
from rewardkit.train.runlog import read_jsonl
from rewardkit.train.summary import series

Rows = Sequence[dict[str, Any]]

_NODE_MEAN = re.compile(r"^reward(/[^/]+)*/mean$")
_NODE_ZERO = re.compile(r"^reward(/[^/]+)*/zero_std_frac$")


def _keys(rows: Rows, test: Callable[[str], bool]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if test(key):
                seen[key] = None
    return sorted(seen)


PANELS: list[tuple[str, str, Callable[[str], bool]]] = [
    ("rewards", "reward per node (batch mean)", lambda k: bool(_NODE_MEAN.match(k))),
    (
        "zero_variance",
        "zero-variance group fraction (no GRPO signal)",
        lambda k: bool(_NODE_ZERO.match(k)) or k == "advantage/zero_frac",
    ),
    ("schedule", "schedule values", lambda k: k.startswith("schedule/")),
    ("eval", "held-out evaluation", lambda k: k.startswith("eval/")),
    ("training", "policy loss and training signals", lambda k: k.startswith("train/")),
    ("timing", "seconds per phase", lambda k: k.startswith("time/")),
]


def plot_panel(rows: Rows, keys: Sequence[str], title: str, path: Path, events: Rows = ()) -> None:
    """One PNG with every key's series against the step (schedule moves as vertical lines)."""
    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    for key in keys:
        steps, values = series(rows, key)
        if steps:
            ax.plot(
                steps, values, label=key, linewidth=1.4, marker="." if len(steps) < 40 else None
            )
    for event in events:
        ax.axvline(int(event["step"]), color="grey", linestyle=":", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if keys:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def build_report(run_dir: str | Path) -> Path:
    """Write ``plots/*.png`` and ``report.html`` for a run folder; returns the report's path."""
    run = Path(run_dir)
    rows = read_jsonl(run / "metrics.jsonl")
    events = read_jsonl(run / "events.jsonl")
    moves = [e for e in events if e.get("kind") != "error"]
    plots = run / "plots"
    plots.mkdir(exist_ok=True)
    images: list[tuple[str, Path]] = []
    for name, title, test in PANELS:
        keys = _keys(rows, test)
        if name == "training":
            keys = [
                k
                for k in keys
                if k.split("/")[1] in ("loss", "grad_norm", "clip_frac", "success", "kl")
            ]
        if not keys:
            continue
        path = plots / f"{name}.png"
        plot_panel(
            rows, keys, title, path, moves if name in ("rewards", "schedule", "eval") else ()
        )
        images.append((title, path))
    report = run / "report.html"
    report.write_text(_html(run, rows, events, images), encoding="utf-8")
    return report


def _html(run: Path, rows: Rows, events: Rows, images: Sequence[tuple[str, Path]]) -> str:
    summary = _read_json(run / "summary.json")
    config = _read_json(run / "config.json")
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>rewardkit run {html.escape(run.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
        "font-size:13px;text-align:left}img{max-width:100%}pre{background:#f6f6f6;padding:8px;"
        "font-size:12px;overflow:auto}</style>",
        f"<h1>Run {html.escape(run.name)}</h1>",
        f"<p>{len(rows)} steps logged, {len(events)} events.</p>",
        "<h2>Summary</h2>",
        _table(_flatten(summary)),
    ]
    parts += _data_problems(rows)
    for title, path in images:
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(f"<h2>{html.escape(title)}</h2><img src='data:image/png;base64,{data}'>")
    parts.append("<h2>Events</h2>")
    shown = [
        {
            "step": e.get("step"),
            "source": e.get("source", e.get("path")),
            "kind": e.get("kind"),
            "old": e.get("old"),
            "new": e.get("new"),
            "detail": e.get("message", e.get("stats")),
        }
        for e in events[:300]
    ]
    parts.append(_rows_table(shown) if shown else "<p>none</p>")
    parts.append("<h2>Config</h2><pre>" + html.escape(json.dumps(config, indent=1)) + "</pre>")
    return "\n".join(parts)


def _data_problems(rows: Rows) -> list[str]:
    """Totals over the run of component errors and unreadable references, per node path."""
    totals: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            if key.endswith(("/errors", "/unjudgeable")) and isinstance(value, int | float):
                totals[key] = totals.get(key, 0.0) + float(value)
    found = {k: v for k, v in totals.items() if v and not k.startswith(("errors/", "unjudgeable/"))}
    head = "<h2>Data problems</h2>"
    if not found:
        return [head, "<p>none: no component raised, every reference was read.</p>"]
    note = (
        "<p>Samples whose reference a component could not read are handled by "
        "<code>on_unjudgeable</code> (default: skipped, no reward); errors by "
        "<code>on_error</code>. Both are counted per step in <code>metrics.jsonl</code>.</p>"
    )
    table = [{"node/kind": k, "total over the run": int(v)} for k, v in sorted(found.items())]
    return [head, note, _rows_table(table)]


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(data: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in data.items()
    )
    return f"<table>{cells}</table>"


def _rows_table(rows: Sequence[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
