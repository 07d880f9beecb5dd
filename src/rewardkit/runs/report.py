"""Plots (PNG) and a self-contained ``report.html`` for a run folder.

``rewardkit report RUN_DIR`` calls ``build_report``; the images are embedded in the HTML as
base64, so the report is one file that can be mailed or attached to an issue. The page opens
with a headline (held-out success at the start and at the end, with 95% intervals from the
eval-set size, and whether the change is larger than the noise), then the summary, the curves
(a checkbox swaps every curve for its smoothed twin), answers from each evaluation with their
reward per node, data problems, events, the config and what every metric means.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.monitor.report import alert_section
from rewardkit.runs.glossary import define
from rewardkit.runs.headline import final_point, headline
from rewardkit.runs.plots import PANELS, panel_keys, plot_panel, smoothing_width
from rewardkit.runs.runlog import read_jsonl
from rewardkit.runs.summary import read_json, read_summary

Rows = Sequence[dict[str, Any]]

_STYLE = (
    "body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
    "font-size:13px;text-align:left;vertical-align:top}img{max-width:100%}"
    "pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto;margin:0}"
    "#headline{font-size:17px;background:#eef4fb;border-left:5px solid #3973b5;padding:10px 14px}"
    ".note{color:#555;font-size:13px}body.smooth img.raw{display:none}"
    "body:not(.smooth) img.smooth{display:none}"
)
_TOGGLE = (
    "<script>document.getElementById('smooth').addEventListener('change',"
    "function(e){document.body.classList.toggle('smooth',e.target.checked);});</script>"
)


def build_report(run_dir: str | Path) -> Path:
    """Write ``plots/*.png`` and ``report.html`` for a run folder; returns the report's path."""
    run = Path(run_dir)
    rows = read_jsonl(run / "metrics.jsonl")
    events = read_jsonl(run / "events.jsonl")
    summary = read_summary(run)
    config = read_json(run / "config.json")
    eval_size = config.get("eval_size") if isinstance(config.get("eval_size"), int) else None
    final = final_point(summary)
    figures = _figures(run / "plots", rows, events, final, eval_size)
    page = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>rewardkit run {html.escape(run.name)}</title><style>{_STYLE}</style></head>",
        f"<body class='smooth'><h1>Run {html.escape(run.name)}</h1>",
        f"<p id='headline'>{headline(rows, summary, eval_size, events)}</p>",
        f"<p class='note'>{html.escape(str(summary.get('status', '')))}; {len(rows)} steps "
        f"logged, {len(events)} events.</p>",
        "<h2>Summary</h2>",
        _summary_table(summary),
        *_data_problems(rows),
        *alert_section(run, rows, events),
        *_curves(figures, len(rows)),
        *_samples(read_jsonl(run / "samples.jsonl")),
        *_events(events),
        "<h2>Config</h2><pre>" + html.escape(json.dumps(config, indent=1)) + "</pre>",
        *_definitions(rows),
        _TOGGLE,
        "</body></html>",
    ]
    report = run / "report.html"
    report.write_text("\n".join(page), encoding="utf-8")
    return report


Figure = tuple[str, list[str], Path, Path]


def _figures(
    plots: Path, rows: Rows, events: Rows, final: dict[str, Any] | None, eval_size: int | None
) -> list[Figure]:
    """Each panel that has data, drawn raw and smoothed: (title, keys, raw PNG, smoothed PNG)."""
    moves = [e for e in events if e.get("kind") != "error"]
    plots.mkdir(exist_ok=True)
    figures: list[Figure] = []
    for panel in PANELS:
        keys = panel_keys(rows, panel)
        if not keys:
            continue
        paths = (plots / f"{panel.name}.png", plots / f"{panel.name}-smooth.png")
        for path, smooth in zip(paths, (False, True), strict=True):
            plot_panel(
                rows,
                keys,
                panel.title,
                path,
                moves if panel.marks_events else (),
                smooth=smooth and panel.smooths,
                final=final if panel.name == "eval" else None,
                eval_size=eval_size,
                ylabel=panel.ylabel,
                share=panel.share,
            )
        figures.append((panel.title, keys, *paths))
    return figures


def _summary_table(summary: dict[str, Any]) -> str:
    flat = _flatten(summary)
    steps = summary.get("steps") if isinstance(summary.get("steps"), int) else None
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td>"
        f"<td class='note'>{html.escape(define(k, summary=True, steps=steps))}</td></tr>"
        for k, v in flat.items()
    )
    return f"<table>{cells}</table>"


def _curves(figures: Sequence[Figure], steps: int) -> list[str]:
    width = smoothing_width(steps)
    parts = [
        "<h2>Curves</h2>",
        "<p><label><input type='checkbox' id='smooth' checked> smoothed: trailing mean over "
        f"about a fifteenth of each curve ({width} steps of per-step metrics), the raw values "
        "faint behind it; untick for the raw values alone</label></p>",
        "<p class='note'>Dotted vertical lines: schedule or curriculum moves. Held-out success "
        "carries its 95% Wilson interval; the star is the final evaluation, after the last "
        "step.</p>",
    ]
    for title, keys, raw, smooth in figures:
        legend = "".join(
            f"<li><code>{html.escape(k)}</code>: {html.escape(define(k))}</li>" for k in keys
        )
        parts.append(
            f"<h3>{html.escape(title)}</h3>"
            f"<img class='raw' alt='{html.escape(title)}' src='{_data_uri(raw)}'>"
            f"<img class='smooth' alt='{html.escape(title)} (smoothed)' src='{_data_uri(smooth)}'>"
            f"<ul class='note'>{legend}</ul>"
        )
    if not any("train/kl" in keys for _, keys, _, _ in figures):
        parts.append(
            "<h3>KL divergence from the starting model</h3><p class='note'>not measured in "
            "this run: with <code>kl_beta: 0</code> no reference model is kept. Set "
            "<code>kl_beta</code> above 0 to log <code>train/kl</code>.</p>"
        )
    return parts


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _samples(records: Rows) -> list[str]:
    head = "<h2>Answers at each evaluation</h2>"
    if not records:
        return [head, "<p>none saved (a run older than samples.jsonl, or no evaluation).</p>"]
    steps = sorted({int(r["step"]) for r in records})
    nodes = list(dict.fromkeys(k for r in records for k in r.get("nodes", {})))
    parts = [
        head,
        "<p class='note'>The first held-out problems at every evaluation: the answer, the "
        "task's judgement, and the reward the program gives it, node by node (scored for "
        "display only; evaluation never moves schedules).</p>",
    ]
    for step in steps:
        shown = [r for r in records if int(r["step"]) == step]
        header = "".join(
            f"<th>{html.escape(h)}</th>"
            for h in ("#", "mode", "completion", "reference", "judge", *nodes)
        )
        body = "".join(_sample_row(r, nodes) for r in shown)
        opened = " open" if step == steps[-1] else ""
        parts.append(
            f"<details{opened}><summary>step {step}</summary>"
            f"<table><tr>{header}</tr>{body}</table></details>"
        )
    return parts


def _sample_row(record: dict[str, Any], nodes: Sequence[str]) -> str:
    judge = ", ".join(f"{k} {_fmt(v)}" for k, v in record.get("judge", {}).items())
    prompt = html.escape(str(record.get("prompt", "")))
    values = record.get("nodes", {})
    cells = [
        f"<details><summary>{record.get('problem')}</summary><pre>{prompt}</pre></details>",
        html.escape(str(record.get("mode"))),
        f"<code>{html.escape(repr(record.get('completion', '')))}</code>",
        f"<code>{html.escape(json.dumps(record.get('reference'), default=str))}</code>",
        html.escape(judge),
        *(_fmt(values.get(n, "–")) for n in nodes),
    ]
    if record.get("error"):
        cells[-1] = html.escape(str(record["error"]))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _events(events: Rows) -> list[str]:
    shown = [{"step": e.get("step"), "what happened": event_words(e)} for e in events[:300]]
    more = (
        f"<p class='note'>and {len(events) - 300} more in events.jsonl</p>"
        if len(events) > 300
        else ""
    )
    return ["<h2>Events</h2>", (_rows_table(shown) + more) if shown else "<p>none</p>"]


def event_words(event: dict[str, Any]) -> str:
    """One event as a sentence: what moved, from where to where, and on what evidence.

    >>> event_words({"source": "iou_threshold", "kind": "raise", "old": 0.3, "new": 0.45,
    ...              "stats": {"mean": 0.812, "std": 0.2, "n": 30}})
    'iou_threshold raised from 0.3 to 0.45 (watched: mean 0.812, std 0.2, n 30)'
    >>> event_words({"path": "reward/hit", "kind": "error", "message": "ValueError: bad"})
    'reward/hit: a component raised: ValueError: bad'
    """
    source = event.get("source", event.get("path", "?"))
    kind = str(event.get("kind", ""))
    if kind == "error":
        return f"{source}: a component raised: {event.get('message', '')}"
    verb = {"raise": "raised", "lower": "lowered", "refresh": "refreshed"}.get(kind, kind)
    text = f"{source} {verb}"
    if "old" in event and "new" in event:
        text += f" from {_fmt(event['old'])} to {_fmt(event['new'])}"
    detail = event.get("stats", event.get("message"))
    if isinstance(detail, dict) and detail:
        words = ", ".join(f"{str(k).replace('_', ' ')} {_fmt(v)}" for k, v in detail.items())
        text += f" (watched: {words})"
    elif detail:
        text += f" ({detail})"
    return text


def _definitions(rows: Rows) -> list[str]:
    keys = sorted({k for row in rows for k in row if k != "step"})
    items = "".join(
        f"<tr><th><code>{html.escape(k)}</code></th><td>{html.escape(define(k))}</td></tr>"
        for k in keys
    )
    return ["<h2 id='definitions'>What every metric means</h2>", f"<table>{items}</table>"]


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


def _rows_table(rows: Sequence[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
