"""``difficulty_ladder``: per data source, difficulty attributes with ordered levels that move with
the model's accuracy (the reasoning-gym rule).

For each configured source, after every step that brought samples of it:

- the window holds the accuracy values (1/0 from ``correct``, or the reward) of its last
  ``last_k`` samples; ``n`` counts its samples since the last decision;
- **raise** when ``n >= min_samples`` and the window accuracy ``> success_threshold``;
- **lower** when ``n >= min_samples`` and the accuracy ``< failure_threshold``;
- a decision clears the window and resets ``n``, even when no level can move (every attribute
  already at its top, or bottom): as in reasoning-gym, where the score board is cleared before the
  level change is tried. ``min_samples`` defaults to ``last_k``.

How the attributes move is ``move``:

- ``global`` (the default, reasoning-gym's ``increment_global_level`` and
  ``decrement_global_level``): a raise sets every attribute not at its top to one above the
  current highest level (capped at its top), so lagging attributes catch up: levels (2, 0) become
  (3, 3); a lower moves down one only the attributes at the current highest level: (3, 1) becomes
  (2, 1). The default because the rule is reasoning-gym's, and a config ported from it must
  give the same levels (``tests/conformance/test_reasoning_gym_curriculum.py``).
- ``per_attribute``: every attribute not at its top (bottom) moves up (down) one level, keeping
  the gaps between attributes: (2, 0) becomes (3, 1), and (3, 1) becomes (2, 0).

Outcomes of sources that are not configured are ignored (not every source needs a curriculum).

>>> cfg = DifficultyConfig(sources={"arith": {"digits": [1, 2, 3]}}, last_k=2)
>>> d = DifficultyLadder("gym", cfg)
>>> [e.kind for e in d.observe(0, [Outcome("arith", "g", correct=True)] * 2)], d.levels("arith")
(['raise'], {'digits': 2})
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field

from rewardkit.curriculum.base import Event, Outcome, accuracy_value, as_outcomes
from rewardkit.errors import UnknownNameError
from rewardkit.schedule.base import check_keys, is_replayed, mean
from rewardkit.schedule.config import ConfigModel, Problem, join


class DifficultyConfig(ConfigModel):
    """``{difficulty_ladder: {sources, last_k, success_threshold, failure_threshold, ...}}``."""

    sources: dict[str, dict[str, list[Any]]] = Field(
        min_length=1, description="source -> attribute -> its levels, easiest first"
    )
    last_k: int = Field(20, ge=1, description="samples in the accuracy window")
    success_threshold: float = Field(0.7, ge=0, le=1)
    failure_threshold: float = Field(0.1, ge=0, le=1)
    min_samples: int | None = Field(
        None, ge=1, description="samples since a change; default last_k"
    )
    accuracy_from: Literal["correct", "reward"] = "correct"
    start: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="source -> attribute -> starting level index"
    )
    move: Literal["global", "per_attribute"] = Field(
        "global",
        description="global: reasoning-gym's rule, lagging attributes catch up on a raise and "
        "only the highest come down on a lower; per_attribute: each attribute one level",
    )


def difficulty_problems(cfg: DifficultyConfig, path: str) -> list[Problem]:
    """Cross-field problems of a validated difficulty config, each with its field path."""
    problems: list[Problem] = []
    if cfg.failure_threshold >= cfg.success_threshold:
        problems.append(
            (
                join(path, "failure_threshold"),
                f"{cfg.failure_threshold} must be "
                f"below success_threshold ({cfg.success_threshold})",
            )
        )
    for source, attributes in cfg.sources.items():
        if not attributes:
            problems.append((join(path, "sources", source), "needs at least one attribute"))
        for attr, levels in attributes.items():
            if not levels:
                problems.append((join(path, "sources", source, attr), "needs at least one level"))
    for source, starts in cfg.start.items():
        for attr, index in starts.items():
            known = cfg.sources.get(source, {}).get(attr)
            where = join(path, "start", source, attr)
            if known is None:
                problems.append((where, f"no attribute {attr!r} of source {source!r} in sources"))
            elif not 0 <= index < len(known):
                problems.append((where, f"level index {index} is outside 0..{len(known) - 1}"))
    return problems


class DifficultyLadder:
    """Difficulty levels per data source, raised and lowered by recent accuracy (module doc)."""

    def __init__(self, name: str, config: DifficultyConfig):
        self.name = name
        self.kind = "difficulty_ladder"
        self.config = config
        self.min_samples = config.min_samples or config.last_k
        self._index = {
            s: {a: config.start.get(s, {}).get(a, 0) for a in attrs}
            for s, attrs in config.sources.items()
        }
        self._window: dict[str, deque[float]] = {
            s: deque(maxlen=config.last_k) for s in config.sources
        }
        self._since_change = dict.fromkeys(config.sources, 0)
        self._last_step: int | None = None

    def levels(self, source: str) -> dict[str, Any]:
        """The current level value of every attribute of ``source`` (for its data generator)."""
        if source not in self._index:
            raise UnknownNameError("curriculum source", source, self._index)
        return {a: self.config.sources[source][a][i] for a, i in self._index[source].items()}

    def accuracy(self, source: str) -> float:
        """The accuracy over ``source``'s window (NaN when empty)."""
        return mean(self._window[source])

    def observe(self, step: int, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[Event]:
        """Add step ``step``'s samples to their sources' windows, then raise or lower each source.

        Samples whose accuracy is unknown (``correct`` / ``reward`` is None) are not counted.
        """
        if is_replayed(step, self._last_step):
            return []
        self._last_step = step
        touched: list[str] = []
        for o in as_outcomes(outcomes):
            value = accuracy_value(o, self.config.accuracy_from)
            if o.source not in self._window or value is None:
                continue
            self._window[o.source].append(value)
            self._since_change[o.source] += 1
            if o.source not in touched:
                touched.append(o.source)
        return [e for s in touched for e in self._decide(step, s)]

    def _decide(self, step: int, source: str) -> list[Event]:
        n, acc = self._since_change[source], self.accuracy(source)
        if n < self.min_samples:
            return []
        if acc > self.config.success_threshold:
            return self._move(step, source, +1, "raise", acc)
        if acc < self.config.failure_threshold:
            return self._move(step, source, -1, "lower", acc)
        return []

    def _move(self, step: int, source: str, delta: int, kind: str, acc: float) -> list[Event]:
        index = self._index[source]
        moved = self._target(source, delta)
        stats = {"accuracy": acc, "samples": float(self._since_change[source])}
        self._window[source].clear()  # a decision uses up its window, even one that moves nothing
        self._since_change[source] = 0
        if moved == index:
            return []  # already at the top (or bottom) of every attribute
        old = self.levels(source)
        self._index[source] = moved
        return [Event(step, f"{self.name}/{source}", kind, old, self.levels(source), stats)]

    def _target(self, source: str, delta: int) -> dict[str, int]:
        """The level indices after one raise (``delta`` 1) or lower (-1) under ``move``."""
        index = self._index[source]
        tops = {a: len(levels) - 1 for a, levels in self.config.sources[source].items()}
        if self.config.move == "per_attribute":
            return {a: min(max(i + delta, 0), tops[a]) for a, i in index.items()}
        highest = max(index.values())
        if delta > 0:
            return {a: min(highest + 1, tops[a]) if i < tops[a] else i for a, i in index.items()}
        return {a: i - 1 if i == highest > 0 else i for a, i in index.items()}

    def metrics(self) -> dict[str, float]:
        """``<source>/<attribute>`` level index and ``<source>/accuracy`` for every source."""
        out: dict[str, float] = {}
        for source, index in self._index.items():
            out.update({f"{source}/{a}": float(i) for a, i in index.items()})
            out[f"{source}/accuracy"] = self.accuracy(source)
        return out

    def state_dict(self) -> dict[str, Any]:
        """Level indices, windows, counts since the last change and step bookkeeping."""
        return {
            "levels": {s: dict(index) for s, index in self._index.items()},
            "windows": {s: list(w) for s, w in self._window.items()},
            "since_change": dict(self._since_change),
            "last_step": self._last_step,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state; raise ValueError if its sources or attributes differ."""
        owner = f"difficulty_ladder {self.name!r}"
        check_keys(state, ["levels", "windows", "since_change", "last_step"], owner)
        saved = {s: sorted(index) for s, index in state["levels"].items()}
        wanted = {s: sorted(attrs) for s, attrs in self.config.sources.items()}
        if saved != wanted:
            raise ValueError(
                f"state for {owner} has attributes {saved} but the config has "
                f"{wanted}; the sources changed since it was saved"
            )
        for s, index in state["levels"].items():
            for a, i in index.items():
                if not 0 <= int(i) < len(self.config.sources[s][a]):
                    raise ValueError(f"state for {owner}: level {i} of {s}.{a} is out of range")
        self._index = {
            s: {a: int(i) for a, i in index.items()} for s, index in state["levels"].items()
        }
        self._window = {
            s: deque((float(x) for x in state["windows"][s]), maxlen=self.config.last_k)
            for s in self.config.sources
        }
        self._since_change = {s: int(state["since_change"][s]) for s in self.config.sources}
        self._last_step = None if state["last_step"] is None else int(state["last_step"])
