"""What ``rewardkit score`` says at the end, accumulated chunk by chunk (nothing kept per sample).

Per node: mean and std over the samples where it applies, the fraction of groups with zero
variance (groups of 2 or more applicable values), the fraction of zeros, of "does not apply",
errors and unreadable references; and why samples scored 0, per component: ``wrong``,
``timeout``, ``crash`` (the component raised) or ``unjudgeable``. The numbers equal those of
``diagnostics.node_stats`` over the whole file, because chunks hold whole groups.

>>> import numpy as np
>>> from rewardkit.types import Sample, ScoredBatch
>>> samples = [Sample(id=str(i), group="g", prompt="", completion="") for i in range(2)]
>>> summary = ScoreSummary()
>>> summary.add(ScoredBatch(samples, {"reward": np.array([1.0, 0.0])}, {}, {}, []))
>>> summary.stats("reward")["mean"], summary.why_zero["reward"]
(0.5, Counter({'wrong': 1}))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from rewardkit.advantage.groups import Groups
from rewardkit.types import Failure, ScoredBatch

TIMEOUT = ("timeout",)
CRASH = ("runtime_error", "syntax_error", "memory", "output_limit", "crash")


def zero_reason(value: float, info: Mapping[str, Any], failure: Failure | None) -> str | None:
    """Why a component's value is 0 (or None after a failure): ``wrong``, ``timeout``, ``crash``
    or ``unjudgeable``, with the component's own words after a colon; None when it is not 0.

    >>> zero_reason(0.0, {"errors": {"timeout": 2, "wrong_answer": 1}}, None)
    'timeout: 2 timeout, 1 wrong_answer'
    >>> zero_reason(0.0, {"reason": "no answer found"}, None)
    'wrong: no answer found'
    """
    if failure is not None:
        if failure.error_type == "UnjudgeableReference":
            return f"unjudgeable: {failure.message}"
        return f"crash: {failure.error_type}: {failure.message}"[:200]
    if value != 0.0:
        return None
    status = info.get("error")
    if isinstance(status, str):
        kind = "timeout" if status in TIMEOUT else "crash" if status in CRASH else "wrong"
        return f"{kind}: {status}"
    counts = info.get("errors")
    if isinstance(counts, Mapping) and counts:
        kind = "timeout" if any(k in TIMEOUT for k in counts) else "wrong"
        if kind == "wrong" and any(k in CRASH for k in counts):
            kind = "crash"
        return f"{kind}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    reason = info.get("reason")
    return f"wrong: {reason}" if reason else "wrong"


def zero_reasons(scored: ScoredBatch) -> list[dict[str, str]]:
    """Per sample, per component (the root only when it is the one component): why it scored 0
    (``zero_reason``)."""
    failures = {(f.path, f.sample_id): f for f in [*scored.failures, *scored.unjudgeable]}
    out: list[dict[str, str]] = []
    for i, sample in enumerate(scored.samples):
        reasons = {}
        for path, column in scored.values.items():
            if path == scored.root and len(scored.values) > 1:  # a lone root is the component
                continue
            infos = scored.info.get(path)
            info = infos[i] if infos is not None and i < len(infos) else {}
            why = zero_reason(float(column[i]), info or {}, failures.get((path, sample.id)))
            if why is not None:
                reasons[path] = why
        out.append(reasons)
    return out


@dataclass
class _Column:
    applies: int = 0
    total: int = 0
    total_sum: float = 0.0
    total_sq: float = 0.0
    zeros: int = 0
    groups: int = 0
    zero_var_groups: int = 0


@dataclass
class ScoreSummary:
    """Sums over the chunks scored so far; ``stats(path)`` and the table read them."""

    samples: int = 0
    columns: dict[str, _Column] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    unjudgeable: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    unjudgeable_count: Counter[str] = field(default_factory=Counter)
    unjudgeable_samples: int = 0
    why_zero: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, scored: ScoredBatch) -> None:
        """Count one scored chunk (whole groups) in."""
        self.samples += len(scored.samples)
        groups = Groups.from_ids(scored.group_ids())
        for path, x in scored.values.items():
            c = self.columns.setdefault(path, _Column())
            ok = x[~np.isnan(x)]
            c.total += x.size
            c.applies += ok.size
            c.total_sum += float(ok.sum())
            c.total_sq += float((ok * ok).sum())
            c.zeros += int((ok == 0.0).sum())
            applicable = np.bincount(groups.codes, weights=~np.isnan(x), minlength=groups.count)
            c.groups += int((applicable >= 2).sum())
            c.zero_var_groups += int(groups.zero_variance(x).sum())
        self.errors.update(f.path for f in scored.failures)
        # ids are unique in a file, so distinct samples per chunk add up
        self.unjudgeable_samples += len({u.sample_id for u in scored.unjudgeable})
        for u in scored.unjudgeable:
            self.unjudgeable_count[u.path] += 1
            shown = self.unjudgeable.setdefault(u.path, [])
            if len(shown) < 3:
                shown.append((u.sample_id, u.message))
        for reasons in zero_reasons(scored):
            for path, why in reasons.items():
                self.why_zero.setdefault(path, Counter())[why.split(":", 1)[0]] += 1

    def stats(self, path: str) -> dict[str, float]:
        """mean, std, zero_std_frac, sparsity and none_frac of a node over everything added."""
        c = self.columns[path]
        nan = float("nan")
        mean = c.total_sum / c.applies if c.applies else nan
        var = max(0.0, c.total_sq / c.applies - mean * mean) if c.applies else nan
        return {
            "mean": mean,
            "std": float(np.sqrt(var)) if c.applies else nan,
            "zero_std_frac": c.zero_var_groups / c.groups if c.groups else nan,
            "sparsity": c.zeros / c.applies if c.applies else nan,
            "none_frac": 1.0 - c.applies / c.total if c.total else nan,
        }

    def table(self) -> Table:
        """Per node: the statistics above; node paths are never cut (they fold)."""
        table = Table(title=f"{self.samples} samples")
        table.add_column("node", overflow="fold", min_width=12)
        for col in ("mean", "std", "0-var groups", "zeros", "n/a", "errors", "unjudgeable"):
            table.add_column(col, justify="right", no_wrap=True)
        for path in self.columns:
            s = self.stats(path)
            cells = [s[k] for k in ("mean", "std", "zero_std_frac", "sparsity", "none_frac")]
            table.add_row(
                escape(path),
                *("-" if np.isnan(v) else f"{v:.3f}" for v in cells),
                str(self.errors[path]),
                str(self.unjudgeable_count[path]),
            )
        return table

    def width(self) -> int:
        """Columns the table needs with every node path on one line."""
        longest = max((len(p) for p in self.columns), default=4)
        return max(80, longest + 75)

    def zero_lines(self) -> list[str]:
        """``why samples scored 0`` per component, one line each (empty when none did)."""
        lines = [
            f"  {path}: " + ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
            for path, counts in self.why_zero.items()
            if counts
        ]
        if not lines:
            return []
        return [
            "why samples scored 0, per component (each output line's why_zero says it):",
            *lines,
        ]

    def unjudgeable_lines(self, policy: str) -> list[str]:
        """Unreadable references: the count per component and a few examples."""
        if not self.unjudgeable_count:
            return []
        lines = [
            f"{self.unjudgeable_samples} sample(s) with a reference a component cannot read "
            f"(on_unjudgeable: {policy}):"
        ]
        for path, records in self.unjudgeable.items():
            lines.append(f"  {path}: {self.unjudgeable_count[path]} unjudgeable reference(s)")
            lines += [f"    sample {sid!r}: {msg}" for sid, msg in records]
        return lines
