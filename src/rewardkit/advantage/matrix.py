"""A batch's advantages (``Advantages``) and their ``[rows, width]`` layout for a policy loss.

``RewardProgram.advantages`` returns an ``Advantages``; every host lays it out over completion
tokens with ``advantage_matrix``: a sample's per-token array where it has one, else its scalar
repeated, and 0 where there is no push (a NaN advantage, or tokens past the per-token array).

>>> adv = Advantages(np.array([1.0, -1.0]), per_token=[None, np.array([0.5, 2.0])])
>>> advantage_matrix(adv.per_sample, adv.per_token, 3).tolist()
[[1.0, 1.0, 1.0], [0.5, 2.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Advantages:
    """Per-sample advantages, per-token advantages (None where not computed) and their metrics.

    >>> Advantages(np.zeros(2)).per_token
    []
    """

    per_sample: np.ndarray
    per_token: list[np.ndarray | None] = field(default_factory=list)
    per_step: list[np.ndarray | None] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


def advantage_matrix(
    per_sample: np.ndarray, per_token: Sequence[np.ndarray | None], width: int
) -> np.ndarray:
    """``[rows, width]`` advantages: a sample's per-token array where given, else its scalar.

    NaN advantages (a sample no component applied to) become 0: no push either way.

    >>> advantage_matrix(np.array([np.nan, 2.0]), [], 2).tolist()
    [[0.0, 0.0], [2.0, 2.0]]
    """
    out = np.repeat(np.nan_to_num(per_sample.astype(float))[:, None], width, axis=1)
    for i, row in enumerate(per_token):
        if row is not None:
            n = min(len(row), width)
            out[i, :n] = np.nan_to_num(row[:n])
            out[i, n:] = 0.0
    return out
