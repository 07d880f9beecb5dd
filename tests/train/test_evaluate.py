"""Held-out evaluation: greedy and sampled, judged by the task, and not touching training RNG."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rewardkit.tasks import make_task  # noqa: E402
from rewardkit.tasks.models import TinyModelSpec, build_tiny_model  # noqa: E402
from rewardkit.train.evaluate import eval_problems, evaluate, summarise  # noqa: E402


def test_evaluate_is_repeatable_and_keyed() -> None:
    model, tok = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64))
    task = make_task("countdown")
    problems = eval_problems(task, 0, 3)
    a = evaluate(model, tok, task, problems, 6, 1.0, seed=0, step=4)
    b = evaluate(model, tok, task, problems, 6, 1.0, seed=0, step=4)
    assert a == b
    assert set(a) == {
        "eval/greedy/parses",
        "eval/greedy/success",
        "eval/sampled/parses",
        "eval/sampled/success",
    }
    assert set(evaluate(model, tok, task, problems, 6, 1.0, 0, 4, sampled=False)) == {
        "eval/greedy/parses",
        "eval/greedy/success",
    }


def test_summarise() -> None:
    assert summarise([{"success": 1.0}, {"success": 0.0}, {"success": 0.0}], "x") == {
        "x/success": pytest.approx(1 / 3)
    }
    assert summarise([], "x") == {}


def test_shown_answers_carry_reward_per_node_and_leave_the_program_alone() -> None:
    from rewardkit.program import RewardProgram
    from rewardkit.train.evaluate import EvalResult, shown_answers

    task = make_task("boxes")
    problems = eval_problems(task, 0, 3)
    program = RewardProgram.from_dict(task.reward_config())
    before = program.state_dict()
    right, wrong = "[" + ",".join(map(str, problems[0].reference)) + "]", "no box"
    result = EvalResult({}, {"greedy": [(right, {"success": 1.0}), (wrong, {"success": 0.0})]})
    records = shown_answers(result, problems, program, "boxes", step=7, keep=5)
    assert [r["completion"] for r in records] == [right, wrong]  # only the answers there are
    assert records[0]["nodes"]["reward/hit"] == 1.0 and records[0]["reward"] == 1.0
    assert records[1]["nodes"]["reward/format"] == 0.0 and records[1]["step"] == 7
    assert program.state_dict() == before


def test_shown_answers_of_a_program_that_needs_logprobs_say_why_they_are_unscored() -> None:
    from rewardkit.program import RewardProgram
    from rewardkit.train.evaluate import EvalResult, shown_answers

    task = make_task("boxes")
    program = RewardProgram.from_dict({"reward": {"fn": "implicit_prm"}})  # reads log-probs
    result = EvalResult({}, {"greedy": [("[0,0,1,1]", {"success": 0.0})]})
    (record,) = shown_answers(result, eval_problems(task, 0, 1), program, "boxes", step=0)
    assert record["nodes"] == {} and "logprobs" in record["error"]
