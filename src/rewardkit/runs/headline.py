"""The report's headline: what happened in a run, in a few sentences a person reads first.

Held-out greedy success at the start and at the end, with 95% Wilson intervals from the
eval-set size and a two-proportion test (p < 0.05 counts as larger than the noise); the same for
sampled success (pass@1 at the training temperature, what GRPO optimises) when the run measured
it; and how far each schedule moved (from ``events.jsonl``).

>>> rows = [{"step": 0, "eval/greedy/success": 0.2}, {"step": 9, "eval/greedy/success": 0.6}]
>>> "larger than the noise" in headline(rows, {}, 50)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardkit.runs.summary import two_proportion_test, wilson_interval

Rows = Sequence[dict[str, Any]]
HEADLINE_KEY = "eval/greedy/success"
SAMPLED_KEY = "eval/sampled/success"


def final_point(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The final evaluation (after the last step) as a metrics row, if the run made one."""
    final = summary.get("final_eval") or {}
    if not final:
        return None
    return {"step": summary.get("steps", 0), **final}


def headline(rows: Rows, summary: dict[str, Any], eval_size: int | None, events: Rows = ()) -> str:
    """One paragraph (HTML): held-out success at the start and the end, whether it moved, and
    the schedules' moves.

    The end is the final evaluation (after the last step), or for an interrupted run the last
    evaluation it logged.
    """
    greedy = _points(rows, summary, HEADLINE_KEY)
    if not greedy:
        return "No held-out evaluation in this run (eval_every: 0), so nothing here says whether the model learned."
    (s0, p0) = greedy[0]
    if len(greedy) == 1 or not eval_size:
        return (
            f"Held-out greedy success: {p0:.1%} at step {s0}; one evaluation, nothing to compare."
        )
    parts = [_change("Held-out greedy success", greedy, eval_size, bold=True)]
    sampled = _points(rows, summary, SAMPLED_KEY)
    if len(sampled) > 1:
        parts.append(
            _change("Sampled success (pass@1 at the training temperature)", sampled, eval_size)
        )
    parts += _schedule_moves(events)
    return " ".join(parts)


def _points(rows: Rows, summary: dict[str, Any], key: str) -> list[tuple[int, float]]:
    points = [(int(r["step"]), float(r[key])) for r in rows if _number(r, key)]
    final = final_point(summary)
    if final is not None and _number(final, key):
        points.append((int(final["step"]), float(final[key])))
    return points


def _change(what: str, points: list[tuple[int, float]], n: int, bold: bool = False) -> str:
    (s0, p0), (s1, p1) = points[0], points[-1]
    lo0, hi0 = wilson_interval(p0 * n, n)
    lo1, hi1 = wilson_interval(p1 * n, n)
    z, p = two_proportion_test(p0, p1, n, n)
    change = p1 - p0
    if p < 0.05:
        shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        verdict = (
            f"larger than the noise (two-proportion z = {z:.2f}, {shown}): "
            f"the model got {'better' if change > 0 else 'worse'} on held-out problems."
        )
    else:
        verdict = (
            f"within the noise (two-proportion z = {z:.2f}, p = {p:.2f}): this run does not "
            "show that the model learned or unlearned."
        )
    moved = (
        f"{what} went from {p0:.1%} (95% CI {lo0:.1%}–{hi0:.1%}) at step {s0} "
        f"to {p1:.1%} ({lo1:.1%}–{hi1:.1%}) at step {s1}"
    )
    if bold:
        moved = f"<b>{moved}</b>"
    return f"{moved}, on {n} problems. The change, {change * 100:+.1f} points, is {verdict}"


def _schedule_moves(events: Rows) -> list[str]:
    """One sentence per schedule that moved: how many times, from where to where, at which steps."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if e.get("kind") in ("raise", "lower") and "old" in e and "new" in e:
            by_source.setdefault(str(e.get("source")), []).append(e)
    out = []
    for source, moves in by_source.items():
        steps = ", ".join(str(m.get("step")) for m in moves)
        times = "once" if len(moves) == 1 else f"{len(moves)} times"
        out.append(
            f"The schedule {source} moved {times}, from {moves[0]['old']:.4g} to "
            f"{moves[-1]['new']:.4g} (at steps {steps})."
        )
    return out


def _number(row: dict[str, Any], key: str) -> bool:
    return isinstance(row.get(key), int | float)
