"""A batch's advantages laid out over completion tokens, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.advantage import Advantages, advantage_matrix


@pytest.mark.parametrize(
    ("per_sample", "per_token", "expected"),
    [
        ([1.0, -1.0], [None, None], [[1.0, 1.0], [-1.0, -1.0]]),
        ([1.0, -1.0], [None, np.array([0.5])], [[1.0, 1.0], [0.5, 0.0]]),  # past its tokens: 0
        ([1.0], [np.array([0.5, 2.0, 3.0])], [[0.5, 2.0]]),  # longer than the width: cut
        ([float("nan"), 2.0], [], [[0.0, 0.0], [2.0, 2.0]]),  # NaN: the sample is not pushed
    ],
)
def test_advantage_matrix(
    per_sample: list[float], per_token: list[np.ndarray | None], expected: list[list[float]]
) -> None:
    assert advantage_matrix(np.array(per_sample), per_token, 2).tolist() == expected


def test_the_program_module_still_names_advantages() -> None:
    from rewardkit.program import Advantages as FromProgram

    assert FromProgram is Advantages
