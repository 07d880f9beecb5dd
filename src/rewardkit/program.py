"""RewardProgram: compose tree + schedules + curricula + advantage + diagnostics, from one config.

>>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
>>> batch = [Sample(id=str(i), group="q", prompt="2+2?", completion=c, reference="4")
...          for i, c in enumerate(["4", "5"])]
>>> scored = program.score(batch)
>>> scored.reward_list()
[1.0, 0.0]
>>> program.advantages(scored).per_sample.round(3).tolist()
[0.707, -0.707]
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.advantage import (
    ESTIMATORS,
    Advantages,
    Groups,
    gdpo,
    step_advantages,
    step_values_path,
    token_advantages,
    turn_advantages,
)
from rewardkit.advantage.caps import cap_batch
from rewardkit.compose import EvalContext, Node, TreeBuilder
from rewardkit.compose import nodes as n
from rewardkit.compose.refs import Ref, is_ref
from rewardkit.config import ProgramConfig, load_yaml, parse_config
from rewardkit.diagnostics import STATS, advantage_stats, batch_metrics
from rewardkit.errors import ConfigError
from rewardkit.schedule.buckets import BucketLadder, bucket_metric, bucket_of
from rewardkit.schedule.watch import unknown_watch_problems
from rewardkit.types import Sample, ScoredBatch, Span

__all__ = ["Advantages", "RewardProgram"]  # Advantages lives in rewardkit.advantage


class RewardProgram:
    """One object built from one config; deterministic for a given state."""

    def __init__(self, config: ProgramConfig | Mapping[str, Any]):
        self.config = parse_config(config)
        problems: list[tuple[str, str]] = []
        self.schedules = _collect(problems, "schedule", "build_schedules", self.config.schedules)
        self.curricula = _collect(problems, "curriculum", "build_curricula", self.config.curricula)
        self.step = 0
        self._bucketed = {k: v for k, v in self.schedules.items() if isinstance(v, BucketLadder)}
        """The per-bucket ladders (``per:``), which make ``score`` score each bucket apart."""
        clash = set(self.config.variables) & set(self.schedules or {})
        problems += [(f"variables.{v}", "also defined under schedules; keep one") for v in clash]
        builder = TreeBuilder(self._current_variables())
        try:
            self.tree: Node = builder.build(self.config.reward)
        except ConfigError as exc:
            problems += exc.problems
        self.references = builder.references
        self._step_weight = self._advantage_ref(builder, problems)
        if not problems:
            problems += self._check_watches()
            problems += self._check_advantage()
        if problems:
            raise ConfigError(problems)
        self.needs: frozenset[str] = frozenset(
            k for leaf in self.leaves() if leaf.scorer for k in leaf.scorer.component.needs
        )
        """The trainer-filled ``sample.meta`` keys its components read (``Component.needs``)."""

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> RewardProgram:
        """Build from a mapping (what a YAML file holds, or what the compose builders return)."""
        return cls(config)

    @classmethod
    def from_yaml(cls, path: str | Path) -> RewardProgram:
        """Build from a YAML file."""
        return cls(load_yaml(path))

    def to_dict(self) -> dict[str, Any]:
        """The config this program was built from (round-trips through ``from_dict``)."""
        return self.config.model_dump(mode="python")

    def _advantage_ref(self, builder: TreeBuilder, problems: list[tuple[str, str]]) -> Ref | float:
        w = self.config.advantage.step_weight
        if isinstance(w, str):
            if not is_ref(w):
                problems.append(("advantage.step_weight", "a number or a '${variable}' reference"))
                return 1.0
            before = len(builder.problems)
            value = builder.number(w, "advantage.step_weight")
            problems += builder.problems[before:]
            return value
        return float(w)

    def _check_watches(self) -> list[tuple[str, str]]:
        """A watched name must be a node or advantage metric, or one the built-in trainer logs."""
        nodes = {f"{node.path}/{s}" for node in self.tree.walk() for s in STATS}
        known = nodes | {"advantage/abs_mean", "advantage/std", "advantage/zero_frac"}
        known |= {"errors/total", "verifier_failed/total"}
        known |= {f"unjudgeable/{k}" for k in ("total", "samples", "skipped")}
        out = unknown_watch_problems(self.schedules, known)
        keys = sorted({b.per for b in self._bucketed.values()})
        if len(keys) > 1:
            first = next(iter(self._bucketed))
            out.append(
                (f"schedules.{first}.per", f"every per-bucket ladder must use one key; got {keys}")
            )
        out += [
            (
                f"schedules.{name}.watch",
                "a per-bucket ladder watches node metrics (<node path>/<stat>), computed per "
                f"bucket; {m!r} is not one",
            )
            for name, bucketed in self._bucketed.items()
            for m in bucketed.watches
            if m not in nodes
        ]
        return out

    def _check_advantage(self) -> list[tuple[str, str]]:
        adv = self.config.advantage
        paths = {node.path for node in self.tree.walk()}
        out = []
        if adv.steps_from is not None and adv.steps_from not in paths:
            out.append(
                ("advantage.steps_from", f"no node {adv.steps_from!r} (nodes: {sorted(paths)})")
            )
        if adv.estimator == "gdpo" and not isinstance(self.tree, n.Weighted):
            out.append(
                (
                    "advantage.estimator",
                    "gdpo normalises each component of a weighted root; "
                    "make the root a 'weighted' node",
                )
            )
        return out

    # -- variables ------------------------------------------------------------------------------

    def _current_variables(self) -> dict[str, float]:
        values = dict(self.config.variables)
        for name, schedule in self.schedules.items():
            values[name] = float(schedule.value(self.step))
        return values

    @property
    def variables(self) -> dict[str, float]:
        """The value of every variable for the step about to run."""
        return self._current_variables()

    # -- scoring and advantages -----------------------------------------------------------------

    def score(self, samples: Sequence[Sample]) -> ScoredBatch:
        """Score a batch with the reward tree; every node's column and statistics are recorded."""
        variables = self._current_variables()
        cfg = self.config
        if self._bucketed and samples:
            ctx, bucket_metrics = self._score_buckets(samples, variables, self._bucketed)
        else:
            ctx, bucket_metrics = self._evaluate(samples, variables), {}
        skipped = _skip_unjudgeable(ctx) if cfg.on_unjudgeable == "skip" else set()
        groups = Groups.from_ids([s.group for s in samples])
        metrics = batch_metrics(ctx.values, groups, ctx.failures, ctx.unjudgeable)
        metrics["unjudgeable/skipped"] = float(len(skipped))
        metrics.update({f"schedule/{k}": v for k, v in variables.items()})
        metrics.update(bucket_metrics)
        return ScoredBatch(
            list(samples),
            ctx.values,
            ctx.steps,
            ctx.info,
            ctx.failures,
            "reward",
            metrics,
            ctx.unjudgeable,
        )

    def _evaluate(self, samples: Sequence[Sample], variables: Mapping[str, float]) -> EvalContext:
        cfg = self.config
        ctx = EvalContext(samples, variables, cfg.on_error, cfg.error_value)
        ctx.on_unjudgeable = cfg.on_unjudgeable
        if samples:
            self.tree.evaluate(ctx)
        else:
            ctx.values = {node.path: np.zeros(0) for node in self.tree.walk()}
        return ctx

    def _score_buckets(
        self,
        samples: Sequence[Sample],
        variables: Mapping[str, float],
        buckets: Mapping[str, BucketLadder],
    ) -> tuple[EvalContext, dict[str, float]]:
        """Score each bucket of a per-bucket ladder at its own levels; the watched metrics and
        the levels of every bucket (``<metric>@<per>=<bucket>``), for the ladders and the logs."""
        per = next(iter(buckets.values())).per
        rows: dict[str, list[int]] = {}
        for i, sample in enumerate(samples):
            rows.setdefault(bucket_of(sample.meta, per), []).append(i)
        full = EvalContext(samples, variables, self.config.on_error, self.config.error_value)
        metrics: dict[str, float] = {}
        for bucket, idx in sorted(rows.items()):
            own = {**variables, **{k: b.value_for(bucket) for k, b in buckets.items()}}
            sub = self._evaluate([samples[i] for i in idx], own)
            if self.config.on_unjudgeable == "skip":
                _skip_unjudgeable(sub)
            _stitch(full, sub, idx)
            groups = Groups.from_ids([samples[i].group for i in idx])
            stats = batch_metrics(sub.values, groups, sub.failures, sub.unjudgeable)
            for name, schedule in buckets.items():
                metrics[f"schedule/{bucket_metric(name, per, bucket)}"] = own[name]
                for m in schedule.watches:
                    metrics[bucket_metric(m, per, bucket)] = stats[m]
        return full, metrics

    def advantages(self, scored: ScoredBatch) -> Advantages:
        """Per-sample advantages and, when step values exist, per-token advantages."""
        cfg = self.config.advantage
        groups = Groups.from_ids(scored.group_ids())
        rewards = scored.rewards
        if cfg.estimator == "gdpo":
            assert isinstance(self.tree, n.Weighted)
            ctx = EvalContext(scored.samples, self._current_variables())
            cols = [scored.values[c.path] for c in self.tree.items]
            per_sample = gdpo(
                cols, [n.num(c.weight, ctx) for c in self.tree.items], rewards, groups, cfg.eps
            )
        else:
            per_sample = ESTIMATORS[cfg.estimator](rewards, groups, cfg.eps)
        result = Advantages(per_sample=per_sample, metrics=advantage_stats(per_sample, rewards))
        path = step_values_path(scored.steps, cfg.steps_from)
        if path is not None:
            step_values = cap_batch(scored.steps[path], cfg.step_cap, cfg.step_clip_eta)
            if cfg.turn_credit == "none":
                result.per_step = step_advantages(
                    step_values, groups, cfg.step_baseline or "group", cfg.eps
                )
            else:  # turns' rewards alone: the outcome advantage is added per token below
                result.per_step = turn_advantages(
                    step_values, groups, cfg.turn_credit, None, cfg.gamma
                )
            infos = scored.info.get(path) or [{}] * len(scored.samples)
            spans = [_spans(s, info) for s, info in zip(scored.samples, infos, strict=True)]
            weight = self._step_weight
            w = weight.evaluate(self._current_variables()) if isinstance(weight, Ref) else weight
            result.per_token = token_advantages(
                scored.samples, per_sample, result.per_step, spans, w
            )
        elif any(s.env_spans for s in scored.samples):
            # tool outputs in a trajectory: per-token rows so their tokens get no advantage
            n_rows = len(scored.samples)
            result.per_token = token_advantages(
                scored.samples, per_sample, [None] * n_rows, [None] * n_rows, 0.0
            )
        return result

    # -- training state -------------------------------------------------------------------------

    def observe(
        self, step: int, metrics: Mapping[str, float], outcomes: Sequence[Any] | None = None
    ) -> list[Any]:
        """Advance schedules with the metrics of finished step ``step`` and curricula with its
        outcomes (see ``outcomes``); returns their events. Replaying a step already observed
        changes nothing, so a restored program never re-fires an event."""
        events: list[Any] = []
        for schedule in self.schedules.values():
            events.extend(schedule.observe(step, metrics))
        if outcomes is not None:
            for curriculum in self.curricula.values():
                events.extend(curriculum.observe(step, outcomes))
        self.step = max(self.step, step + 1)
        return events

    def outcomes(
        self,
        scored: ScoredBatch,
        adv: Advantages | None = None,
        correct: Sequence[bool] | None = None,
    ) -> list[dict[str, Any]]:
        """One record per sample for the curricula: source, group, reward, advantage, correct and
        difficulty.

        ``source`` is ``meta["source"]`` (else ``meta["task"]``, else "default"); ``correct`` is
        given by the caller (a task's judge) or reward >= ``correct_at_least``; ``difficulty`` is
        ``meta["difficulty"]`` when it is a mapping, else the whole ``meta`` (so a curriculum can
        key on any attribute, e.g. ``category``).
        """
        out = []
        for i, sample in enumerate(scored.samples):
            reward = scored.rewards[i]
            meta = sample.meta
            difficulty = meta.get("difficulty")
            if correct is not None:
                ok: bool | None = bool(correct[i])
            else:
                ok = None if np.isnan(reward) else bool(reward >= self.config.correct_at_least)
            out.append(
                {
                    "source": str(meta.get("source", meta.get("task", "default"))),
                    "group": sample.group,
                    "reward": None if np.isnan(reward) else float(reward),
                    "advantage": None if adv is None else float(adv.per_sample[i]),
                    "correct": ok,
                    "difficulty": dict(difficulty if isinstance(difficulty, Mapping) else meta),
                }
            )
        return out

    def curriculum_metrics(self) -> dict[str, float]:
        """Each curriculum's metrics under ``curriculum/<name>/...``."""
        return {
            f"curriculum/{name}/{k}": float(v)
            for name, c in self.curricula.items()
            for k, v in c.metrics().items()
        }

    def leaves(self) -> list[n.Leaf]:
        return [node for node in self.tree.walk() if isinstance(node, n.Leaf)]

    def state_dict(self) -> dict[str, Any]:
        """Plain, JSON-able state: step, schedules, curricula and stateful components."""
        return {
            "step": self.step,
            "schedules": {k: s.state_dict() for k, s in self.schedules.items()},
            "curricula": {k: c.state_dict() for k, c in self.curricula.items()},
            "components": {
                leaf.path: leaf.scorer.state_dict()
                for leaf in self.leaves()
                if leaf.scorer is not None and leaf.scorer.instance is not None
            },
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned; the next ``observe`` continues exactly."""
        self.step = int(state.get("step", 0))
        for key, target in (("schedules", self.schedules), ("curricula", self.curricula)):
            for name, sub in state.get(key, {}).items():
                if name not in target:
                    raise ConfigError([(f"state.{key}.{name}", "not in this program's config")])
                target[name].load_state_dict(sub)
        leaves = {leaf.path: leaf for leaf in self.leaves()}
        for path, sub in state.get("components", {}).items():
            if path not in leaves or leaves[path].scorer is None:
                raise ConfigError([(f"state.components.{path}", "no such stateful component")])
            leaves[path].scorer.load_state_dict(sub)  # type: ignore[union-attr]


def _stitch(full: EvalContext, sub: EvalContext, rows: Sequence[int]) -> None:
    """Copy a sub-batch's columns, steps, info and failures into the rows it came from."""
    size = len(full.samples)
    for path, column in sub.values.items():
        full.values.setdefault(path, np.full(size, np.nan))[list(rows)] = column
    for path, steps in sub.steps.items():
        dest = full.steps.setdefault(path, [None] * size)
        for j, i in enumerate(rows):
            dest[i] = steps[j]
    for path, infos in sub.info.items():
        dest_info = full.info.setdefault(path, [{}] * size)
        for j, i in enumerate(rows):
            dest_info[i] = infos[j]
    full.failures += sub.failures
    full.unjudgeable += sub.unjudgeable
    full.unjudgeable_rows |= {rows[j] for j in sub.unjudgeable_rows}


def _skip_unjudgeable(ctx: EvalContext) -> set[int]:
    """Under ``on_unjudgeable: skip`` a sample with an unreadable reference gets no value at any
    node: no reward, no advantage, no step values, and it is left out of every baseline."""
    skipped = ctx.unjudgeable_rows
    if not skipped:
        return skipped
    rows = np.array(sorted(skipped))
    for column in ctx.values.values():
        column[rows] = np.nan
    for steps in ctx.steps.values():
        for i in skipped:
            steps[i] = None
    return skipped


def _spans(sample: Sample, info: Mapping[str, Any]) -> Sequence[Span] | None:
    if sample.steps is not None:
        return sample.steps
    spans = info.get("spans") if isinstance(info, Mapping) else None
    return [(int(a), int(b)) for a, b in spans] if spans else None


def _collect(
    problems: list[tuple[str, str]], package: str, builder: str, config: Mapping[str, Any]
) -> dict[str, Any]:
    if not config:
        return {}
    # Imported only when used: scoring without schedules never loads them.
    build = getattr(importlib.import_module(f"rewardkit.{package}"), builder)
    try:
        return dict(build(config))
    except ConfigError as exc:
        problems.extend(exc.problems)
        return {}
