"""The reward contract: one rollout (`Sample`), one component's verdict (`Score`), and a scored batch.

>>> s = Sample(id="a", group="q1", prompt="2+2?", completion="<answer>4</answer>", reference="4")
>>> Score(1.0).value
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Span = tuple[int, int]
"""A half-open character range ``[start, end)`` into ``Sample.completion``."""

JSONValue = Any
"""Any value that ``json.dumps`` accepts (the reference of a sample is one)."""


@dataclass(frozen=True)
class Sample:
    """One rollout: what the model was asked, what it wrote, and what is known to be right.

    Attributes:
        id: unique id of the rollout (used in error records and output lines).
        group: id of the GRPO group (all rollouts of one prompt share it).
        prompt: the prompt text.
        completion: the text the model generated.
        reference: the ground truth in any JSON shape (answer, boxes, tests, graph...).
        meta: free metadata (task, difficulty, data source, cost...).
        token_ids: optional token ids of the completion (lengths are counted in tokens when given).
        token_offsets: optional character span of each completion token, same length as token_ids;
            used to map step spans onto tokens for per-token advantages.
        steps: optional step spans (character offsets into the completion).

    >>> Sample(id="0", group="g", prompt="p", completion="c").reference is None
    True
    """

    id: str
    group: str
    prompt: str
    completion: str
    reference: JSONValue = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    token_ids: tuple[int, ...] | None = None
    token_offsets: tuple[Span, ...] | None = None
    steps: tuple[Span, ...] | None = None

    def __post_init__(self) -> None:
        if self.token_offsets is not None and self.token_ids is not None:
            if len(self.token_offsets) != len(self.token_ids):
                raise ValueError(
                    f"sample {self.id!r}: token_offsets has {len(self.token_offsets)} entries but "
                    f"token_ids has {len(self.token_ids)}; give one character span per token"
                )
        for span in self.steps or ():
            start, end = span
            if not 0 <= start <= end <= len(self.completion):
                raise ValueError(
                    f"sample {self.id!r}: step span {span} is outside the completion "
                    f"(length {len(self.completion)}); spans are [start, end) character offsets"
                )

    @property
    def num_tokens(self) -> int | None:
        """Number of completion tokens, or None when token ids were not given."""
        return None if self.token_ids is None else len(self.token_ids)


@dataclass(frozen=True)
class Score:
    """A component's verdict on one sample.

    ``value`` is the reward; ``steps`` holds one value per step for process rewards; ``info`` is
    logged, never rewarded. A component returns ``None`` instead of a Score when it does not apply.

    >>> Score(0.5, steps=(1.0, 0.0)).steps
    (1.0, 0.0)
    """

    value: float
    steps: tuple[float, ...] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A component that raised on a sample: recorded, counted, and handled by ``on_error``."""

    path: str
    sample_id: str
    error_type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "sample_id": self.sample_id,
            "error_type": self.error_type,
            "message": self.message,
        }


@dataclass
class ScoredBatch:
    """The result of scoring a list of samples with a reward tree.

    ``values[path]`` is a float array with NaN where the node did not apply (``None``);
    ``rewards`` is the root's column. ``steps[path]`` holds per-sample step values for nodes that
    produce them. ``metrics`` holds the per-node statistics of this batch (see diagnostics).
    """

    samples: list[Sample]
    values: dict[str, np.ndarray]
    steps: dict[str, list[tuple[float, ...] | None]]
    info: dict[str, list[Mapping[str, Any]]]
    failures: list[Failure]
    root: str = "reward"
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def rewards(self) -> np.ndarray:
        """The root reward per sample (NaN where nothing applied)."""
        return self.values[self.root]

    def reward_list(self) -> list[float | None]:
        """Root rewards as Python floats, with None where nothing applied."""
        return [None if np.isnan(v) else float(v) for v in self.rewards]

    def group_ids(self) -> list[str]:
        return [s.group for s in self.samples]
