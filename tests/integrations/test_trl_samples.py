"""What a TRL reward call becomes: Samples, one scoring per call, scheduled weights."""

from __future__ import annotations

import pytest

from rewardkit.errors import InputError
from rewardkit.integrations.trl import reward_funcs
from rewardkit.integrations.trl_rewards import BatchScorer
from rewardkit.integrations.trl_samples import recorder, to_samples
from rewardkit.program import RewardProgram

CHAT_PROMPT = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]
CHAT_COMPLETION = [{"role": "assistant", "content": "4"}]


def test_chat_prompts_and_completions_are_read_as_text() -> None:
    [s] = to_samples([CHAT_PROMPT], [CHAT_COMPLETION], None, {"reference": ["4"]}, step=3)
    assert (s.prompt, s.completion, s.reference, s.group) == ("be brief\n2+2?", "4", "4", s.prompt)
    assert s.id == "3-0-0" and s.token_ids is None


def test_columns_become_meta_and_trainer_kwargs_do_not() -> None:
    columns = {"answer": ["4"], "level": [2], "trainer_state": object(), "log_metric": print}
    [s] = to_samples(["q"], ["4"], [[1, 2]], columns, reference_column="answer")
    assert s.reference == "4" and dict(s.meta) == {"level": 2} and s.token_ids == (1, 2)


def test_a_missing_reference_column_names_the_columns_and_the_fix() -> None:
    with pytest.raises(InputError, match=r"no column 'reference' \(columns: answer\)"):
        to_samples(["q"], ["4"], None, {"answer": ["4"]})
    [s] = to_samples(["q"], ["4"], None, {"answer": ["4"]}, reference_column=None)
    assert s.reference is None and s.meta["answer"] == "4"


def test_the_tree_is_scored_once_per_call() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    scorer = BatchScorer(program)
    completions = ["4", "5"]
    call = (["q", "q"], completions, None, {"reference": ["4", "4"]})
    first = scorer(*call)
    assert scorer(*call) is first  # the same list object: the same scoring
    assert scorer(["q", "q"], ["4", "5"], None, {"reference": ["4", "4"]}) is not first
    assert first.reward_list() == [1.0, 0.0]
    assert recorder(program).pending == []  # nothing kept while no callback listens


def test_a_scheduled_weight_reaches_trl_through_the_value() -> None:
    program = RewardProgram.from_dict(
        {
            "reward": {
                "weighted": [
                    {"name": "ok", "fn": "exact_match", "weight": "${w}"},
                    {"name": "digit", "fn": "regex", "pattern": "\\d", "weight": 0.5},
                ]
            },
            "schedules": {"w": {"linear": {"start": 1.0, "end": 0.0, "steps": 4}}},
        }
    )
    funcs, weights = reward_funcs(program)
    assert weights == [1.0, 0.5]
    call = {"prompts": ["q"], "completions": ["4"], "reference": ["4"]}
    assert funcs[0](**call) == [1.0]
    program.observe(1, {})  # step 2 of a linear 1 -> 0 over 4 steps: w = 0.5
    assert program.variables["w"] == 0.5
    assert funcs[0](**{**call, "completions": ["4"]}) == [0.5]
    # TRL's weighted sum equals the program's reward.
    scored = program.score(to_samples(["q"], ["4"], None, {"reference": ["4"]}))
    assert scored.reward_list() == [0.5 * 1.0 + 0.5 * 1.0]


def test_a_root_that_is_not_weighted_is_one_function() -> None:
    program = RewardProgram.from_dict(
        {
            "reward": {
                "tiers": [
                    {"name": "fmt", "fn": "regex", "pattern": "\\d"},
                    {"name": "ok", "fn": "exact_match"},
                ]
            }
        }
    )
    funcs, weights = reward_funcs(program)
    assert [f.__name__ for f in funcs] == ["reward"] and weights == [1.0]
    assert funcs[0](prompts=["q", "q"], completions=["4", "x"], reference=["4", "4"]) == [1.0, 0.0]
