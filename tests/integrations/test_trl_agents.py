"""TRL's tool-calling rollouts as rewardkit trajectories.

Fast tests: what a TRL reward call with tools becomes (messages as TRL builds them: tool calls
with ``arguments`` as a dict, tool results, several turns), the environment's reward in ``meta``,
TRL's tokens laid over the turns. Slow tests: TRL's own ``GRPOTrainer(environment_factory=...)``
on a tiny model warm-started to call a tool (``trl_agents_setup``).
"""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.integrations import trl_agents_setup as setup

from rewardkit.advantage import advantage_matrix
from rewardkit.errors import ConfigError
from rewardkit.integrations.trl_agents import (
    align_tokens,
    check_env_reward,
    environment_reward,
    reward_in_program,
    tool_schemas,
)
from rewardkit.integrations.trl_samples import to_samples
from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.trajectory import tool_calls
from rewardkit.types import Sample, Score, env_token_mask, token_step_index

PROMPT = [{"role": "user", "content": "2+3?"}]


def call(name: str, arguments: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def assistant(content: str = "", *calls: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
    return message


def tool(content: str, name: str = "add") -> dict[str, Any]:
    return {"role": "tool", "name": name, "content": content}


ONE_CALL = [
    assistant("", call("add", {"a": 2, "b": 3})),
    tool("5"),
    assistant("<answer>5</answer>"),
]
RENDERED = (
    '<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>\n'
    "<tool_response>5</tool_response>\n"
    "<answer>5</answer>"
)


class AddEnv:
    def reset(self, **kwargs: Any) -> None:
        self.calls = 0

    def add(self, a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: the first
            b: the second
        """
        self.calls += 1
        return a + b

    def get_reward(self) -> float:
        return 0.25 * self.calls


# -- TRL's messages -> Samples ---------------------------------------------------------------------


def test_a_tool_call_with_dict_arguments_is_one_trajectory() -> None:
    [s] = to_samples([PROMPT], [ONE_CALL], [[7, 8]], {"reference": ["5"]}, step=2)
    assert (s.id, s.group, s.prompt, s.reference, s.token_ids) == (
        "2-0-0",
        "2+3?",
        "2+3?",
        "5",
        (7, 8),
    )
    assert s.completion == RENDERED
    assert s.steps == ((0, 69), (103, 121)) and s.env_spans == ((70, 102),)
    assert [(c.name, c.arguments, c.turn) for c in tool_calls(s.messages, s.completion)] == [
        ("add", {"a": 2, "b": 3}, 0)
    ]


def test_json_string_arguments_render_and_parse_like_a_dict() -> None:
    as_text = [assistant("", call("add", json.dumps({"a": 2, "b": 3}))), *ONE_CALL[1:]]
    [s] = to_samples([PROMPT], [as_text], None, {}, reference_column=None)
    assert s.completion == RENDERED
    assert tool_calls(s.messages, s.completion)[0].arguments == {"a": 2, "b": 3}


def test_several_turns_and_calls() -> None:
    rollout = [
        assistant("first", call("add", {"a": 2, "b": 3}), call("add", {"a": 1, "b": 1})),
        tool("5"),
        tool("2"),
        assistant("", call("add", {"a": 5, "b": 2})),
        tool("7"),
        assistant("<answer>7</answer>"),
    ]
    [s] = to_samples([PROMPT], [rollout], None, {}, reference_column=None)
    assert len(s.steps or ()) == 3 and len(s.env_spans or ()) == 3
    turns = [s.completion[a:b] for a, b in s.steps or ()]
    assert turns[0].startswith("first\n<tool_call>") and turns[2] == "<answer>7</answer>"
    assert [s.completion[a:b] for a, b in s.env_spans or ()] == [
        "<tool_response>5</tool_response>",
        "<tool_response>2</tool_response>",
        "<tool_response>7</tool_response>",
    ]
    calls = tool_calls(s.messages, s.completion)
    assert [(c.arguments, c.turn) for c in calls] == [
        ({"a": 2, "b": 3}, 0),
        ({"a": 1, "b": 1}, 0),
        ({"a": 5, "b": 2}, 1),
    ]


def test_with_environments_even_a_rollout_without_a_call_is_a_trajectory() -> None:
    env = AddEnv()
    env.reset()
    env.add(1, 1)
    columns = {"environments": [env, env], "reference": ["5", "5"]}
    no_call = [assistant("<answer>5</answer>")]
    a, b = to_samples([PROMPT, PROMPT], [no_call, ONE_CALL], None, columns)
    assert a.completion == "<answer>5</answer>" and a.steps == ((0, 18),) and a.env_spans == ()
    assert [t["function"]["name"] for t in a.tools or ()] == ["add"]  # the env's methods
    assert a.tools == tool_schemas([env.add])
    assert a.meta == {"env_reward": 0.25, "env_rewards": [0.25]}
    assert b.meta == {"env_reward": 0.25, "env_rewards": [None, 0.25]}  # on the last turn


def test_chat_completions_without_tools_stay_plain_samples() -> None:
    [s] = to_samples([PROMPT], [[assistant("5")]], None, {"reference": ["5"]})
    assert (s.completion, s.messages, s.steps) == ("5", None, None)


def test_given_tools_are_the_sample_tools() -> None:
    schema = {"type": "function", "function": {"name": "mul", "parameters": {}}}
    [s] = to_samples(
        [PROMPT], [[assistant("5")]], None, {}, reference_column=None, tools=[[schema]]
    )
    assert s.tools == (schema,) and s.messages is not None


# -- the environment's reward ----------------------------------------------------------------------


def test_reward_in_program_hides_get_reward_from_trl_and_keeps_the_tools() -> None:
    env = reward_in_program(AddEnv)()
    env.reset()
    env.add(2, 3)
    # TRL's rule (GRPOTrainer.__init__): functions of the class; get_reward -> a reward column.
    members = dict(inspect.getmembers(type(env), predicate=inspect.isfunction))
    assert "get_reward" not in members and "add" in members and "reset" in members
    assert type(env).__name__ == "AddEnv" and isinstance(env, AddEnv)
    assert environment_reward(env) == 0.25 and environment_reward(object()) is None
    both = reward_in_program({"a": AddEnv, "b": AddEnv})
    assert set(both) == {"a", "b"} and both["b"]().get_reward is None  # TRL's dict form


def test_an_async_get_reward_is_awaited() -> None:
    class Judged(AddEnv):
        async def get_reward(self) -> float:  # type: ignore[override]
            return 0.5

    assert environment_reward(reward_in_program(Judged)()) == 0.5


def test_a_program_without_env_reward_refuses_an_environment_that_owns_one() -> None:
    plain = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    with pytest.raises(ConfigError, match=r"AddEnv has get_reward\(\).*fn: env_reward"):
        check_env_reward(plain, [reward_in_program(AddEnv)()])
    check_env_reward(plain, [object()])  # no reward of its own: nothing to lose
    program = RewardProgram.from_dict({"reward": {"fn": "env_reward"}})
    check_env_reward(program, [reward_in_program(AddEnv)()])


# -- TRL's tokens over the turns -------------------------------------------------------------------


def test_tokens_are_laid_over_their_turns_and_tool_tokens_over_the_results() -> None:
    from rewardkit.tasks.tokenizer import char_tokenizer

    tok = char_tokenizer()
    runs = ["CALL", "\nuser: 5\n", "<answer>5</answer>"]  # as a chat template writes them
    ids = [t for text in runs for t in tok(text)["input_ids"]]
    mask = [1] * 4 + [0] * 9 + [1] * 18
    [s] = to_samples([PROMPT], [ONE_CALL], [ids], {}, reference_column=None)
    aligned = align_tokens(s, mask, tok)
    offsets = aligned.token_offsets
    assert offsets is not None
    assert offsets[:4] == ((0, 17), (17, 34), (34, 51), (51, 69))  # spread over turn 0
    assert offsets[13:16] == ((103, 104), (104, 105), (105, 106))  # turn 1 spelled exactly
    assert env_token_mask(offsets, s.env_spans).tolist() == [m == 0 for m in mask]
    assert token_step_index(offsets, s.steps or ()).tolist() == [0] * 4 + [-1] * 9 + [1] * 18
    # runs that do not match the turns: no offsets rather than wrong ones
    assert align_tokens(s, [1] * len(ids), tok).token_offsets is None
    assert align_tokens(s, [1, 0] * (len(ids) // 2) + [1], tok).token_offsets is None


# -- TRL's own GRPOTrainer(environment_factory=...) ------------------------------------------------


class AlternateParams(Params):
    pass


@reward("trl_agents_alternate", params=AlternateParams)
def trl_agents_alternate(sample: Sample, p: AlternateParams) -> Score:
    """0, 1, 0, 1... by the rollout's index: a group whose rewards always differ."""
    return Score(float(int(sample.id.rsplit("-", 1)[1]) % 2))


CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "env", "fn": "env_reward"},
            {"name": "answer", "fn": "regex", "pattern": "<answer>42</answer>", "mode": "search",
             "weight": "${w}"},
            {"name": "alternate", "fn": "trl_agents_alternate", "weight": 0.5},
        ]
    },
    "schedules": {
        "w": {"ladder": [1.0, 0.5, 0.25], "watch": "reward/env/mean", "window": 1,
              "raise_when": {"mean_at_least": 0.0}}
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def warm() -> tuple[Any, Any]:
    tok = setup.tool_tokenizer()
    return tok, setup.warm_model(tok)


def _expected_env_reward(rollout: list[dict[str, Any]]) -> float:
    calls = [
        (c["function"]["name"], c["function"]["arguments"])
        for m in rollout
        for c in m.get("tool_calls") or ()
    ]
    return float(calls == [("lookup", {"key": "secret"})])


@pytest.mark.slow
def test_grpo_trainer_with_an_environment_scores_whole_trajectories(
    warm: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trl import GRPOTrainer

    from rewardkit.integrations.trl import RewardKitCallback, reward_funcs

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    tok, model = warm
    program = RewardProgram.from_dict(CONFIG)
    funcs, weights = reward_funcs(program)
    seen: list[Any] = []

    def spy(prompts: Any, completions: Any, **kwargs: Any) -> Any:
        seen.append(copy.deepcopy(completions))
        return funcs[0](prompts, completions, **kwargs)

    spy.__name__ = funcs[0].__name__
    callback = RewardKitCallback(program)
    trainer = GRPOTrainer(
        model=copy.deepcopy(model),
        processing_class=tok,
        reward_funcs=[spy, *funcs[1:]],
        args=setup.grpo_config(tmp_path, reward_weights=weights),
        train_dataset=setup.dataset(),
        environment_factory=reward_in_program(setup.SecretEnv),
        callbacks=[callback],
    )
    assert trainer.reward_func_names == ["reward/env", "reward/answer/weighted", "reward/alternate"]
    trainer.train()

    assert len(seen) == 2
    rollouts = [r for batch in seen for r in batch]
    assert any(
        m.get("tool_calls") and r[i + 1] == {"role": "tool", "name": "lookup", "content": "42"}
        for r in rollouts
        for i, m in enumerate(r[:-1])
    )
    logs = [r for r in trainer.state.log_history if "loss" in r]
    for batch, log in zip(seen, logs, strict=True):
        expected = np.mean([_expected_env_reward(r) for r in batch])
        assert log["rewardkit/reward/env/mean"] == pytest.approx(expected)
        assert log["rewards/reward/env/mean"] == pytest.approx(expected)  # TRL's column
        assert {"rewardkit/reward/answer/mean", "rewardkit/reward/alternate/mean"} <= set(log)
    assert [log["rewardkit/schedule/w"] for log in logs] == [1.0, 0.5]  # raised at each step
    assert program.variables["w"] == 0.25


class Recording:
    """Keeps, per training generation, the state before scoring, the samples, the advantages
    trained on and TRL's masks."""

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        state = self.program.state_dict()  # type: ignore[attr-defined]
        output = super()._generate_and_score_completions(inputs)  # type: ignore[misc]
        scored = self.last_scored  # type: ignore[attr-defined]
        masks = (output["advantages"], output["tool_mask"], output["completion_mask"])
        self.seen.append((state, scored.samples, *(m.numpy() for m in masks)))  # type: ignore[attr-defined]
        return output


@pytest.mark.slow
def test_rewardkit_trainer_gives_tool_result_tokens_no_advantage(
    warm: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    tok, model = warm
    program = RewardProgram.from_dict(CONFIG)
    cls = type("RecordingTrainer", (Recording, RewardKitGRPOTrainer), {})
    trainer = cls(
        program,
        model=copy.deepcopy(model),
        processing_class=tok,
        args=setup.grpo_config(tmp_path),
        train_dataset=setup.dataset(),
        environment_factory=setup.SecretEnv,  # the trainer hides get_reward from TRL itself
    )
    trainer.seen = []
    assert "SecretEnv" not in trainer.reward_func_names
    trainer.train()

    tool_tokens = 0
    for state, samples, trained, tool_mask, completion_mask in trainer.seen:
        live = completion_mask.astype(bool)
        tool_tokens += int((live & (tool_mask == 0)).sum())
        assert np.all(trained[live & (tool_mask == 0)] == 0.0)
        assert np.any(trained[live & (tool_mask == 1)] != 0.0)
        for sample, row in zip(samples, tool_mask, strict=True):
            assert sample.messages is not None and sample.token_offsets is not None
            n = len(sample.token_offsets)
            # the turn alignment agrees with TRL's mask token by token
            assert env_token_mask(sample.token_offsets, sample.env_spans).tolist() == [
                m == 0 for m in row[:n]
            ]
        fresh = RewardProgram.from_dict(CONFIG)
        fresh.load_state_dict(state)
        adv = fresh.advantages(fresh.score(list(samples)))
        expected = advantage_matrix(adv.per_sample, adv.per_token, trained.shape[1]) * tool_mask
        np.testing.assert_allclose(trained, expected, rtol=0, atol=1e-6)
    assert tool_tokens > 0  # some rollouts called the tool: the check above was not empty
    logs = [r for r in trainer.state.log_history if "loss" in r]
    assert [log["rewardkit/schedule/w"] for log in logs] == [1.0, 0.5]
    assert all("rewardkit/reward/env/mean" in log for log in logs)
