"""Step-level (process) rewards: step segmentation, step-marker counting, and verified steps.

Steps are the sample's own ``steps`` spans when given, else ``split_steps`` of the completion.
``step_check`` puts one value per step span in ``Score.steps`` (NaN for a step its verifier could
not judge, e.g. an arithmetic step without an equation) and aggregates the judged ones.

>>> split_steps("Step 1: a\\n\\nStep 2: b", "line")
[(0, 9), (11, 20)]
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, model_validator

from rewardkit.errors import ConfigError
from rewardkit.imports import import_function
from rewardkit.registry import Params, reward
from rewardkit.rewards.arithmetic import check_equations
from rewardkit.types import Sample, Score, Span

SplitMode = Literal["line", "paragraph", "marker", "function"]
DEFAULT_MARKER = r"Step \d+:"

_LINE = re.compile(r"[^\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def _trim(text: str, start: int, end: int) -> Span | None:
    """The span without its surrounding whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def split_steps(
    text: str, mode: SplitMode = "line", marker: str | None = None, fn: str | None = None
) -> list[Span]:
    """Step spans ``(start, end)`` (character offsets into ``text``, whitespace trimmed).

    ``line``: each non-blank line. ``paragraph``: blocks separated by blank lines. ``marker``: each
    step starts at a match of the regex ``marker`` (default ``Step \\d+:``) and runs to the next
    match; text before the first marker is not a step. ``function``: ``fn`` (``"module:function"``)
    is called as ``f(text)`` and returns the spans itself, in order and not overlapping (kept as
    given, not trimmed).

    >>> text = "intro\\nStep 1: x\\nStep 2: y"
    >>> [text[a:b] for a, b in split_steps(text, "marker")]
    ['Step 1: x', 'Step 2: y']
    """
    if mode == "line":
        bounds = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    elif mode == "paragraph":
        breaks = [(m.start(), m.end()) for m in _BLANK_LINES.finditer(text)]
        starts = [0] + [end for _, end in breaks]
        ends = [start for start, _ in breaks] + [len(text)]
        bounds = list(zip(starts, ends, strict=True))
    elif mode == "marker":
        starts = [m.start() for m in re.finditer(marker or DEFAULT_MARKER, text)]
        ends = [*starts[1:], len(text)] if starts else []
        bounds = list(zip(starts, ends, strict=True))
    elif mode == "function":
        if fn is None:
            raise ValueError("split mode 'function' needs fn='module:function'")
        return _checked_spans(load_step_function(fn)(text), len(text), fn)
    else:
        raise ValueError(f"unknown split mode {mode!r}; use line, paragraph, marker or function")
    trimmed = (_trim(text, start, end) for start, end in bounds)
    return [span for span in trimmed if span is not None]


def _checked_spans(result: Any, length: int, ref: str) -> list[Span]:
    """The spans a split function returned, or ValueError naming what is wrong with them."""
    if isinstance(result, str | bytes) or not hasattr(result, "__iter__"):
        raise ValueError(
            f"split function {ref!r} must return a list of (start, end) pairs, got {result!r}"
        )
    spans: list[Span] = []
    for item in result:
        ok = isinstance(item, list | tuple) and len(item) == 2
        ok = ok and all(isinstance(x, int) and not isinstance(x, bool) for x in item)
        if not ok:
            raise ValueError(
                f"split function {ref!r} must return a list of (start, end) integer pairs, "
                f"got {item!r} in {result!r}"
            )
        start, end = int(item[0]), int(item[1])
        if not 0 <= start < end <= length:
            raise ValueError(
                f"split function {ref!r} returned span {(start, end)}; spans are non-empty "
                f"[start, end) character offsets into the completion (length {length})"
            )
        if spans and start < spans[-1][1]:
            raise ValueError(
                f"split function {ref!r} returned span {(start, end)} before the end of "
                f"{spans[-1]}; return the steps in order, without overlaps"
            )
        spans.append((start, end))
    return spans


class StepParams(Params):
    """How a completion is cut into steps when the sample carries no ``steps`` spans.

    ``split_fn`` (with ``split: function``) is a ``"module:function"`` called as ``f(completion)``
    that returns the step spans.
    """

    split: SplitMode = "line"
    marker: str | None = None
    split_fn: str | None = None

    @model_validator(mode="after")
    def _check_marker(self) -> StepParams:
        if self.marker is not None:
            if self.split != "marker":
                raise ValueError("'marker' is only used with split: marker")
            _compile(self.marker, "marker")
        if (self.split == "function") != (self.split_fn is not None):
            raise ValueError(
                "split: function needs 'split_fn', and 'split_fn' needs split: function"
            )
        if self.split_fn is not None:
            load_step_function(self.split_fn)
        return self


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{what} {pattern!r} is not a valid regex: {exc}") from None


def sample_steps(sample: Sample, p: StepParams) -> list[Span]:
    """The sample's step spans: its own ``steps`` when given, else the split of its completion.

    >>> sample_steps(Sample(id="0", group="g", prompt="", completion="a\\nb"), StepParams())
    [(0, 1), (2, 3)]
    """
    if sample.steps is not None:
        return list(sample.steps)
    return split_steps(sample.completion, p.split, p.marker, p.split_fn)


STEP_MARKERS = {
    # rewardkit's own rule: a "Step n:", "n." or bullet marker followed by a space, at a line start.
    "line_start": r"(?m)^(Step \d+:|\d+\.|-|\*) ",
    # open-r1's reasoning_steps_reward: "Step n:" anywhere, "n." only at the very start of the
    # text, a newline then "-" or "*", and the words "First,", "Second,", "Next,", "Finally,".
    "open_r1": r"Step \d+:|\A\d+\.|\n[-*]|(?:First|Second|Next|Finally),",
}


class ReasoningStepsParams(Params):
    """Parameters of ``reasoning_steps``: the step markers and the count that earns 1.0.

    ``markers`` picks a built-in rule (``line_start``, the default, or ``open_r1``: open-r1's
    ``reasoning_steps_reward``, which with ``cap`` 3 gives its values); ``pattern``, when given,
    is a regex used instead.
    """

    markers: Literal["line_start", "open_r1"] = "line_start"
    pattern: str | None = None
    cap: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _check_pattern(self) -> ReasoningStepsParams:
        if self.pattern is not None:
            _compile(self.pattern, "pattern")
        return self

    def regex(self) -> str:
        """The marker regex in use."""
        return self.pattern if self.pattern is not None else STEP_MARKERS[self.markers]


@reward("reasoning_steps", params=ReasoningStepsParams)
def reasoning_steps(sample: Sample, p: ReasoningStepsParams) -> Score:
    """min(number of step markers, cap) / cap.

    The default markers are rewardkit's line-start rule, not open-r1's: ``markers: open_r1``
    counts as open-r1 does (a numbered list counts once, only at the start of the text).
    A format signal: markers alone earn it, so pair it with an answer component.

    >>> s = Sample(id="0", group="g", prompt="", completion="Step 1: a\\nStep 2: b")
    >>> round(reasoning_steps(s, ReasoningStepsParams()).value, 4)
    0.6667
    """
    count = sum(1 for _ in re.finditer(p.regex(), sample.completion))
    return Score(min(count, p.cap) / p.cap, info={"count": count})


Verifier = Literal["arithmetic", "regex", "function"]
Aggregate = Literal["mean", "min", "all", "last"]
StepFunction = Callable[..., Any]  # f(step_text, sample) verifies; f(text) splits


@functools.lru_cache(maxsize=64)
def load_step_function(ref: str) -> StepFunction:
    """Import ``"module:function"`` (``rewardkit.imports.import_function``); raises ValueError
    when it cannot be found, which a params model reports at the field that holds ``ref``.

    >>> load_step_function("math:isfinite").__name__
    'isfinite'
    """
    try:
        return import_function(ref)
    except ConfigError as exc:
        raise ValueError(exc.problems[0][1]) from None


class StepCheckParams(StepParams):
    """Parameters of ``step_check``.

    ``verifier``: ``arithmetic`` (every ``a op b = c`` in the step is right), ``regex`` (the step
    matches ``pattern``), or ``function`` (``fn_ref`` ``"module:function"`` called as
    ``f(step_text, sample) -> float | bool | None``, plus ``index=k``, the step's position from
    0, when the function has an ``index`` parameter). ``no_equation``: an arithmetic step without
    an equation is left unjudged (``skip``) or scored 0.0 (``zero``).

    ``arithmetic`` checks that each equation is true, not that it belongs to the problem: a policy
    can farm it with ``1 + 1 = 2``. Where the problem fixes the steps, a ``function`` verifier
    that compares step ``index`` with the problem's own step is the one to train on (the
    ``chain`` task's ``rewardkit.tasks.chain:check_step``).
    """

    verifier: Verifier = "arithmetic"
    aggregate: Aggregate = "mean"
    pattern: str | None = None
    fn_ref: str | None = None
    no_equation: Literal["skip", "zero"] = "skip"

    @model_validator(mode="after")
    def _check_verifier(self) -> StepCheckParams:
        needs = {"regex": "pattern", "function": "fn_ref"}
        for verifier, option in needs.items():
            given = getattr(self, option) is not None
            if self.verifier == verifier and not given:
                raise ValueError(f"verifier: {verifier} needs '{option}'")
            if self.verifier != verifier and given:
                raise ValueError(f"'{option}' is only used with verifier: {verifier}")
        if self.pattern is not None:
            _compile(self.pattern, "pattern")
        if self.fn_ref is not None:
            load_step_function(self.fn_ref)
        return self


@functools.lru_cache(maxsize=64)
def _takes_index(ref: str) -> bool:
    try:
        return "index" in inspect.signature(load_step_function(ref)).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _verify_step(text: str, index: int, sample: Sample, p: StepCheckParams) -> float | None:
    if p.verifier == "regex":
        assert p.pattern is not None
        return 1.0 if re.search(p.pattern, text) else 0.0
    if p.verifier == "function":
        assert p.fn_ref is not None
        fn = load_step_function(p.fn_ref)
        result = fn(text, sample, index=index) if _takes_index(p.fn_ref) else fn(text, sample)
        return _function_value(result, p.fn_ref)
    right, total = check_equations(text)
    if total == 0:
        return None if p.no_equation == "skip" else 0.0
    return 1.0 if right == total else 0.0


def _function_value(result: Any, ref: str) -> float | None:
    if result is None:
        return None
    if not isinstance(result, (bool, int, float)) or not math.isfinite(result):
        raise TypeError(
            f"step function {ref!r} must return a finite float, a bool or None, got {result!r}"
        )
    return float(result)


def aggregate_steps(values: list[float], how: Aggregate) -> float:
    """One value from the judged steps: mean, min, all (1.0 iff every step is 1.0), or last.

    >>> aggregate_steps([1.0, 0.5], "all")
    0.0
    """
    if how == "mean":
        return sum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "all":
        return 1.0 if all(v >= 1.0 for v in values) else 0.0
    return values[-1]


@reward("step_check", params=StepCheckParams)
def step_check(sample: Sample, p: StepCheckParams) -> Score:
    """Verify each step; Score.steps has one value per step (NaN = not judged), value aggregates.

    A completion with no step, or with no step the verifier could judge, scores 0.0 (the value of
    a wrong step), never None: it is the completion's doing, and a None would leave the sample
    out of its group's baseline, better off than a wrong answer (a policy would learn to write
    no equations). A ``function`` verifier whose wrong steps score below 0 should give them 0.

    >>> s = Sample(id="0", group="g", prompt="", completion="2 + 2 = 4\\nso 3 * 3 = 8\\ndone")
    >>> score = step_check(s, StepCheckParams())
    >>> score.value, score.steps
    (0.5, (1.0, 0.0, nan))
    """
    spans = sample_steps(sample, p)
    values = [_verify_step(sample.completion[a:b], k, sample, p) for k, (a, b) in enumerate(spans)]
    judged = [v for v in values if v is not None]
    steps = tuple(math.nan if v is None else v for v in values)
    info = {"spans": spans, "scored": [v is not None for v in values], "verifier": p.verifier}
    if not judged:
        reason = "no step could be judged" if spans else "no steps"
        return Score(0.0, steps=steps or None, info={**info, "reason": reason})
    return Score(aggregate_steps(judged, p.aggregate), steps=steps, info=info)
