"""The chain task: checkable steps, the judge, and per-token advantages from step values."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.program import RewardProgram
from rewardkit.registry import get
from rewardkit.tasks.chain import Chain, chain_equations, check_step
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
            "2 +1 *2\n",
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


def test_chain_equations_of_every_generated_prompt_match_its_answer() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        p = Chain().make(rng, None)
        lines = [f"{a}{op}{b}={c}" for a, op, b, c in chain_equations(p.prompt)]
        assert lines == p.answer.splitlines()[:-1]


@pytest.mark.parametrize("prompt", ["", "7", "7 + 5", "7 +5 /3", "seven +5", "7 +5\n*3"])
def test_chain_equations_reject_other_prompts(prompt: str) -> None:
    with pytest.raises(UnjudgeableReference, match="not a chain prompt"):
        chain_equations(prompt)


def test_a_completion_of_only_the_final_line_earns_no_process_credit() -> None:
    """'=36' alone has no step check_step judges: 0.0 from step_check, not a None that would
    leave it out of the group's baseline (better off than a wrong step under GRPO)."""
    step_check = get("step_check")
    params = step_check.build_params(
        {"verifier": "function", "fn_ref": "rewardkit.tasks.chain:check_step"}
    )
    score = step_check.call(Sample("0", "g", "7 +5 *3\n", "=36", reference=36), params)
    assert score is not None and score.value == 0.0 and np.isnan(score.steps[0])


def test_judge_needs_an_integer_reference() -> None:
    with pytest.raises(UnjudgeableReference, match="must be an int"):
        Chain().judge("thirty-two", "=32")


# Prompt "7 +5 *3 -4": the equations are 7+5=12, 12*3=36, 36-4=32 (checked by hand). A later
# step is judged on the value the line before it wrote (error carried forward).
RIGHT = "7+5=12\n12*3=36\n36-4=32\n=32"


@pytest.mark.parametrize(
    ("completion", "index", "step", "value"),
    [
        (RIGHT, 0, "7+5=12", 1.0),
        (RIGHT, 0, " 7 + 5 = 12 ", 1.0),  # spacing does not matter
        (RIGHT, 1, "12*3=36", 1.0),
        (RIGHT, 2, "36-4=32", 1.0),
        (RIGHT, 1, "12*3=35", 0.0),  # wrong result
        (RIGHT, 1, "12+3=15", 0.0),  # true, but not the operation the prompt asks for
        (RIGHT, 1, "12*4=48", 0.0),  # true, but not the prompt's operand
        (RIGHT, 1, "13*3=39", 0.0),  # true, but not the value the line before wrote
        ("7+5=13\n13*3=39\n=39", 1, "13*3=39", 1.0),  # the error was step 0's: carried forward
        ("7+5=13\n13*3=39\n=39", 0, "7+5=13", 0.0),
        ("7 plus 5\n12*3=36\n=36", 1, "12*3=36", 0.0),  # no value written before it
        (RIGHT, 0, "1+1=2", 0.0),  # true and irrelevant: what the plain arithmetic verifier pays
        (RIGHT, 0, "12*3=36", 0.0),  # the right equation at the wrong position
        (RIGHT + "\n32+0=32", 3, "32+0=32", 0.0),  # a step past the last operation
        (RIGHT, 0, "7+5", 0.0),  # no result
        (RIGHT, 0, "so 7+5=12", 0.0),  # the step is the equation and nothing else
        (RIGHT, 3, "=32", None),  # the final answer line is the outcome's to judge
        (RIGHT, 1, "= 5", None),
    ],
)
def test_check_step(completion: str, index: int, step: str, value: float | None) -> None:
    sample = Sample("0", "g", "7 +5 *3 -4\n", completion)
    assert check_step(step, sample, index) == value


def test_step_check_with_check_step_does_not_pay_for_irrelevant_equations() -> None:
    farmed = Sample("0", "g", "7 +5 *3\n", "1+1=2\n2+2=4\n=36", reference=36)
    honest = Sample("1", "g", "7 +5 *3\n", "7+5=12\n12*3=36\n=36", reference=36)
    step_check = get("step_check")
    plain = step_check.call(farmed, step_check.build_params({"verifier": "arithmetic"}))
    on_chain = step_check.build_params(
        {"verifier": "function", "fn_ref": "rewardkit.tasks.chain:check_step"}
    )
    chain = [step_check.call(s, on_chain) for s in (farmed, honest)]
    assert plain is not None and plain.value == 1.0 and plain.steps[:2] == (1.0, 1.0)
    assert chain[0] is not None and chain[0].value == 0.0
    assert chain[1] is not None and chain[1].value == 1.0
    assert np.isnan(chain[1].steps[2])  # the "=36" line is not a step to judge
