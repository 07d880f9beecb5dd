"""Problems are reproducible from (seed, split, index); tasks are found by name."""

from __future__ import annotations

import pytest

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.tasks import TASKS, make_task, problem


@pytest.mark.parametrize("name", sorted(TASKS))
def test_problem_ids_and_meta(name: str) -> None:
    task = make_task(name)
    p = problem(task, 1, "warm", 4)
    assert p.id == f"{name}/warm/1/4"
    assert p.meta(name)["task"] == name and p.meta(name)["category"] in task.categories
    assert problem(task, 1, "train", 0, task.categories[0]).category == task.categories[0]


def test_unknown_task_and_bad_options() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'boxes'"):
        make_task("boxs")
    with pytest.raises(ConfigError, match="task_options"):
        make_task("boxes", {"colour": "red"})
