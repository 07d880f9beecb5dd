"""A process-reward component for the verl tests, importable in verl's Ray workers and in a test
server as ``rk_verl_components:lines`` (the tests put this folder on the path)."""

from __future__ import annotations

from rewardkit.registry import Params
from rewardkit.types import Sample, Score


def lines(sample: Sample, p: Params) -> Score:
    """One step per line: 0.1 * (k + 1), plus 0.5 when the line contains "ok"; value: their mean.

    >>> lines(Sample(id="a", group="g", prompt="", completion="ok x\\nyy"), {}).steps
    (0.6, 0.2)
    """
    spans, at = [], 0
    for line in sample.completion.split("\n"):
        spans.append((at, at + len(line) + 1))
        at += len(line) + 1
    spans[-1] = (spans[-1][0], len(sample.completion))
    text = sample.completion
    steps = tuple(
        round(0.1 * (k + 1) + (0.5 if "ok" in text[a:b] else 0.0), 6)
        for k, (a, b) in enumerate(spans)
    )
    return Score(sum(steps) / len(steps), steps=steps, info={"spans": spans})


def judged(sample: Sample, p: Params) -> float | None:
    """1.0 when the completion is the reference, 0.0 when not, None without a reference.

    >>> judged(Sample(id="a", group="g", prompt="", completion="4"), {}) is None
    True
    """
    if sample.reference is None:
        return None
    return float(sample.completion.strip() == str(sample.reference))


def flat(sample: Sample, p: Params) -> Score:
    """One step per line, every step worth the number of lines (adjacent steps are equal).

    >>> flat(Sample(id="a", group="g", prompt="", completion="a\\nb"), {}).steps
    (2.0, 2.0)
    """
    spans, at = [], 0
    for line in sample.completion.split("\n"):
        spans.append((at, at + len(line) + 1))
        at += len(line) + 1
    spans[-1] = (spans[-1][0], len(sample.completion))
    steps = tuple(float(len(spans)) for _ in spans)
    return Score(steps[0], steps=steps, info={"spans": spans})
