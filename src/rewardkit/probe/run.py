"""Score the exploit mutations of correct completions against them, one GRPO group per sample.

For every sample, its correct completion and each mutation that applies form one group, scored by
the user's ``RewardProgram`` in one batch, so the advantages are the ones training would see. A
mutation *pays* on a sample when its reward is at least the correct completion's; it *escapes*
when its reward is None while the correct one is judged (under GRPO a None sample gets advantage
0, where a wrong answer gets a negative one). Either is a finding. A sample whose correct
completion gets no reward is left out (``unjudged``): nothing can be compared on it.

>>> from rewardkit.program import RewardProgram
>>> program = RewardProgram.from_dict({"reward": {"fn": "tags"}})
>>> sample = Sample("q", "q", "12*7?", "<think>x</think><answer>84</answer>", reference="84")
>>> report = probe(program, [sample], ["format_only", "punctuation"])
>>> [(r.name, r.verdict) for r in report.results]
[('format_only', 'pays'), ('punctuation', 'ok')]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.compose import nodes as n
from rewardkit.errors import InputError
from rewardkit.probe.answer import locate_answer
from rewardkit.probe.mutations import Mutation, get_mutations
from rewardkit.program import RewardProgram
from rewardkit.types import Sample

TOL = 1e-9
"""A mutation within this of the correct reward counts as earning as much."""


@dataclass
class MutationResult:
    """What one mutation earned over the samples where it applied.

    ``pays`` and ``escapes`` hold sample ids; ``paid_by[path]`` counts the samples where the node
    at ``path`` gave the mutation as much as the correct completion (and not nothing);
    ``partial_by[path]`` the samples where it gave it some credit, but less.
    """

    name: str
    doc: str
    applied: int = 0
    rewards: list[float] = field(default_factory=list)
    correct: list[float] = field(default_factory=list)
    advantages: list[float] = field(default_factory=list)
    pays: list[str] = field(default_factory=list)
    escapes: list[str] = field(default_factory=list)
    paid_by: dict[str, int] = field(default_factory=dict)
    partial_by: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    example: str = ""
    """The mutated completion of the first sample it applied to (cut at 300 characters)."""

    @property
    def verdict(self) -> str:
        """``pays``, ``escapes`` (a None reward, never paying), ``ok``, or ``n/a``."""
        if self.pays:
            return "pays"
        if self.escapes:
            return "escapes"
        return "ok" if self.applied else "n/a"

    @property
    def failed(self) -> bool:
        return self.verdict in ("pays", "escapes")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.doc,
            "verdict": self.verdict,
            "applied": self.applied,
            "mean_reward": _mean(self.rewards),
            "mean_correct_reward": _mean(self.correct),
            "pays_share": len(self.pays) / self.applied if self.applied else None,
            "none_share": len(self.escapes) / self.applied if self.applied else None,
            "mean_advantage": _mean(self.advantages),
            "pays": self.pays,
            "escapes": self.escapes,
            "paid_by": self.paid_by,
            "partial_by": self.partial_by,
            "errors": self.errors,
            "example": self.example,
        }


@dataclass
class ProbeReport:
    """The probe's result: the correct completions' rewards and one result per mutation."""

    samples: int
    unjudged: list[str]
    correct: list[float]
    correct_advantages: list[float]
    results: list[MutationResult]

    @property
    def unpaid(self) -> list[int]:
        """Indices (into ``correct``) of correct completions that earn 0 or less: likely not
        correct, or not what the config rewards; every mutation then ties with them."""
        return [i for i, r in enumerate(self.correct) if r <= 0]

    def failing(self, allowed: Sequence[str] = ()) -> list[MutationResult]:
        """The mutations that pay or escape on some sample, except those in ``allowed``."""
        return [r for r in self.results if r.failed and r.name not in allowed]

    def as_dict(self, allowed: Sequence[str] = ()) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "probed": self.samples - len(self.unjudged),
            "unjudged": self.unjudged,
            "correct": {
                "mean_reward": _mean(self.correct),
                "mean_advantage": _mean(self.correct_advantages),
            },
            "mutations": [{**r.as_dict(), "allowed": r.name in allowed} for r in self.results],
            "failing": [r.name for r in self.failing(allowed)],
        }


def probe(
    program: RewardProgram, samples: Sequence[Sample], mutations: Sequence[str] | None = None
) -> ProbeReport:
    """Score each sample's correct completion with its exploit mutations as one GRPO group.

    ``mutations`` names registered mutations (all of them when None). The program is used at
    its current state (schedules at their current values). See the module docstring.
    """
    if not samples:
        raise InputError("no samples to probe: give samples with a reference and a correct answer")
    if program.needs:
        raise InputError(
            f"the program reads {sorted(program.needs)} that only a trainer fills in; the probe "
            "cannot compute them for mutated completions"
        )
    chosen = get_mutations(mutations)
    batch, where = _groups(samples, chosen)
    scored = program.score(batch)
    advantages = program.advantages(scored).per_sample
    rewards = scored.rewards
    paths = _paying_paths(program)
    failed_ids = {f.sample_id for f in scored.failures}
    results = {m.name: MutationResult(m.name, m.doc) for m in chosen}
    report = ProbeReport(len(samples), [], [], [], list(results.values()))
    for i, sample in enumerate(samples):
        c = where[(i, "")]
        if math.isnan(rewards[c]):
            report.unjudged.append(sample.id)
            continue
        report.correct.append(float(rewards[c]))
        report.correct_advantages.append(float(advantages[c]))
        for m in chosen:
            if (i, m.name) not in where:
                continue
            k, result = where[(i, m.name)], results[m.name]
            result.applied += 1
            result.example = result.example or batch[k].completion[:300]
            result.correct.append(float(rewards[c]))
            result.advantages.append(float(advantages[k]))
            result.errors += batch[k].id in failed_ids
            if math.isnan(rewards[k]):
                result.escapes.append(sample.id)
                continue
            result.rewards.append(float(rewards[k]))
            if rewards[k] >= rewards[c] - TOL:
                result.pays.append(sample.id)
            for path in paths:
                mut, ok = scored.values[path][k], scored.values[path][c]
                tally = _tally(result, float(mut), float(ok))
                if tally is not None:
                    tally[path] = tally.get(path, 0) + 1
    return report


def _groups(
    samples: Sequence[Sample], mutations: Sequence[Mutation]
) -> tuple[list[Sample], dict[tuple[int, str], int]]:
    """The batch to score, and the row of (sample index, mutation name; "" for the correct one)."""
    batch: list[Sample] = []
    where: dict[tuple[int, str], int] = {}
    for i, sample in enumerate(samples):
        group = f"probe:{i}:{sample.id}"
        where[(i, "")] = len(batch)
        batch.append(dataclasses.replace(sample, group=group))
        answer = locate_answer(sample)
        for m in mutations:
            mutated = _mutated(sample, m.fn(answer), f"{sample.id}~{m.name}", group)
            if mutated is None:
                continue  # does not apply here, or changes nothing
            where[(i, m.name)] = len(batch)
            batch.append(mutated)
    return batch, where


def _mutated(sample: Sample, result: object, id: str, group: str) -> Sample | None:
    """The mutated sample: a completion text (a trajectory's messages are dropped, so every
    component reads the mutated text) or a whole trajectory (a Sample, from tool-call mutations);
    None when the mutation does not apply or changes nothing."""
    if isinstance(result, Sample):
        if result.messages == sample.messages and result.completion == sample.completion:
            return None
        return dataclasses.replace(result, id=id, group=group)
    if not isinstance(result, str) or result == sample.completion:
        return None
    return dataclasses.replace(
        sample, id=id, group=group, completion=result, token_ids=None, token_offsets=None,
        steps=None, messages=None, env_spans=None,
    )  # fmt: skip


def _paying_paths(program: RewardProgram) -> list[str]:
    """Every node path but what sits under a ``metric`` node (logged, not paid) and the root
    (it pays whatever pays), unless the root is the only node."""
    logged = {
        node.path
        for metric in program.tree.walk()
        if isinstance(metric, n.Metric)
        for node in metric.walk()
    }
    return [
        node.path
        for node in program.tree.walk()
        if (node is not program.tree or isinstance(node, n.Leaf)) and node.path not in logged
    ]


def _tally(result: MutationResult, mut: float, ok: float) -> dict[str, int] | None:
    """Where a node's value for the mutation (``mut``) against the correct one (``ok``) counts:
    as much credit (or as little penalty) as the correct answer, some credit, or nothing."""
    if math.isnan(mut):
        return None
    if math.isnan(ok) or mut >= ok - TOL:
        return result.paid_by if mut > 0 or ok < 0 else None
    return result.partial_by if mut > 0 else None


def _mean(values: Sequence[float]) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return round(sum(finite) / len(finite), 6) if finite else None
