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
