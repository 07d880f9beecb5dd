"""The chain task: checkable steps, the judge, and per-token advantages from step values."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.program import RewardProgram
from rewardkit.tasks.chain import Chain
from rewardkit.types import Sample


@pytest.mark.parametrize(("category", "steps"), [("short", 2), ("medium", 3), ("long", 4)])
def test_answer_has_one_equation_per_operation(category: str, steps: int) -> None:
    p = Chain().make(np.random.default_rng(0), category)
    lines = p.answer.splitlines()
    assert len(lines) == steps + 1 and lines[-1] == f"={p.reference}"
    assert Chain().judge(p.reference, p.answer) == {"steps_right": 1.0, "success": 1.0}


@pytest.mark.parametrize(
    ("completion", "steps_right", "success"),
    [
        ("2+1=3\n3*2=6\n=6", 1.0, 1.0),
        ("2+1=3\n3*2=7\n=6", 0.5, 1.0),  # a wrong step, the right result
        ("2+1=4\n4*2=8\n=8", 0.5, 0.0),  # the first step is wrong, the second follows from it
        ("no numbers", 0.0, 0.0),
    ],
)
def test_judge(completion: str, steps_right: float, success: float) -> None:
    assert Chain().judge(6, completion) == {"steps_right": steps_right, "success": success}


def test_program_gives_per_token_advantages_over_steps() -> None:
    program = RewardProgram.from_dict(Chain().reward_config())
    good, bad = "2+1=3\n3*2=6\n=6", "2+1=3\n3*2=7\n=7"
    samples = [
        Sample(
            str(i),
            "g",
            "",
            c,
            reference=6,
            token_ids=tuple(range(len(c))),
            token_offsets=tuple((j, j + 1) for j in range(len(c))),
        )
        for i, c in enumerate([good, bad])
    ]
    scored = program.score(samples)
    assert scored.reward_list() == [1.5, 0.25]  # outcome 1 + 0.5 * 1; outcome 0 + 0.5 * mean(1, 0)
    adv = program.advantages(scored)
    assert adv.per_token[0] is not None and len(adv.per_token[0]) == len(good)
    bad_tokens = adv.per_token[1]
    assert bad_tokens is not None
    # The wrong second step's tokens are pushed down more than the right first step's.
    assert bad_tokens[8] < bad_tokens[0]
