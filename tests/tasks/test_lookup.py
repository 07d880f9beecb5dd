"""The lookup task: reproducible problems, the right trace, the environment's turn rewards, the
warm start's masking of tool results and the default reward program."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task
from rewardkit.tasks.base import problem
from rewardkit.tasks.lookup import Lookup, call_text
from rewardkit.trajectory import parse_tool_calls
from rewardkit.types import Sample


def _calls(*keys: str) -> list:  # type: ignore[type-arg]
    return parse_tool_calls("".join(call_text(k) for k in keys))


def test_problems_are_reproducible_and_their_trace_is_judged_right() -> None:
    task = make_task("lookup")
    a, b = problem(task, 3, "train", 7), problem(task, 3, "train", 7)
    assert a == b and a.id == "lookup/train/3/7"
    for i in range(20):
        p = problem(task, 0, "eval", i)
        hops = p.difficulty["hops"]
        assert p.category == {1: "one_hop", 2: "two_hop"}[hops]
        assert p.prompt == f"value of {p.env['chain'][0]}?\n"
        assert task.judge(p.reference, p.answer) == {"success": 1.0, "tool_calls": float(hops)}
        # the value is in the environment's table only, never in the prompt
        assert p.reference not in p.prompt and p.env["table"][p.env["chain"][-1]] == p.reference
        # the answer's environment spans are exactly its tool results (with joining newlines)
        shown = [p.answer[x:y] for x, y in p.answer_env_spans]
        assert all(
            s.startswith("\n<tool_response>") and s.endswith("</tool_response>\n") for s in shown
        )
        assert len(shown) == hops


def test_judge_is_strict_about_the_answer() -> None:
    judge = Lookup().judge
    assert judge("417", "<answer>417</answer>")["success"] == 1.0
    assert judge("417", "<answer>417</answer><answer>418</answer>")["success"] == 0.0
    assert judge("417", "417")["success"] == 0.0
    assert judge("417", "<tool_response>417</tool_response>")["success"] == 0.0


def test_the_environment_rewards_the_key_the_chain_needs_next() -> None:
    p = Lookup(hops=2).make(np.random.default_rng(5), None)
    first, second = p.env["chain"]
    env = Lookup().environment()
    assert env.reset(p) is None
    one = env.step(_calls(first))
    assert one.observation == (f"see {second}",) and one.reward == 1.0 and not one.done
    assert env.step(_calls(first)).reward == 0.0  # a repeat is not the key needed now
    two = env.step(_calls(second))
    assert two.observation == (p.reference,) and two.reward == 1.0
    assert env.step(_calls(second)).reward == 0.0  # the value is known: a call is wasted
    env.reset(p)
    assert env.step(_calls("zz")).observation == ("error: no key 'zz'",)
    env.reset(p)
    assert env.step(_calls(first, first)).reward == 0.0  # one call per turn
    assert env.step(parse_tool_calls("<tool_call>oops</tool_call>")).reward == 0.0


def test_hops_come_from_the_category_the_option_or_a_ladder() -> None:
    rng = np.random.default_rng(0)
    assert Lookup().make(rng, "two_hop").difficulty == {"hops": 2}
    assert Lookup(hops=1).make(rng, "two_hop").difficulty == {"hops": 1}
    p = problem(Lookup(), 0, "train", 0, levels={"hops": 3})
    assert p.difficulty == {"hops": 3} and len(p.env["chain"]) == 3
    with pytest.raises(ConfigError, match="hops"):
        problem(Lookup(), 0, "train", 0, levels={"depth": 2})
    with pytest.raises(ValueError, match="hops"):
        Lookup(hops=4)


def test_the_category_names_the_hops_a_ladder_or_the_option_fixed() -> None:
    # A ladder at hops 1 used to label about half its problems "two_hop" (the drawn category),
    # so per-category metrics and category arms read one-hop problems as two-hop ones.
    for i in range(8):
        default = problem(Lookup(), 0, "train", i)
        assert default.category == {1: "one_hop", 2: "two_hop"}[default.difficulty["hops"]]
        laddered = problem(Lookup(), 0, "train", i, levels={"hops": 1})
        assert laddered.category == "one_hop" and laddered.difficulty == {"hops": 1}
        assert problem(Lookup(hops=2), 0, "train", i).category == "two_hop"
        assert problem(Lookup(), 0, "train", i, levels={"hops": 3}).category == "three_hop"
        # the same draws: the first key does not depend on how hops was fixed
        assert laddered.prompt == problem(Lookup(hops=1), 0, "train", i).prompt


def test_the_default_program_pays_the_answer_and_half_the_turn_rewards_sum() -> None:
    p = problem(Lookup(hops=2), 0, "train", 0)
    program = RewardProgram.from_dict(Lookup().reward_config())
    samples = [
        Sample("a", "g", p.prompt, p.answer, p.reference, {"env_rewards": [1.0, 1.0, None]}),
        Sample("b", "g", p.prompt, "<answer>1</answer>", p.reference, {"env_rewards": [None]}),
        Sample("c", "g", p.prompt, "x", p.reference, {"env_rewards": [0.0, 1.0, None]}),
    ]
    scored = program.score(samples)
    # a: 1 + 0.5 * 2; b: wrong answer, no rewarded turn (tool node does not apply): 0
    assert scored.rewards.tolist() == [2.0, 0.0, 0.5]
    assert scored.steps["reward/tool"][2][:2] == (0.0, 1.0)


def test_warm_start_traces_leave_tool_results_out_of_the_loss() -> None:
    pytest.importorskip("torch")
    from rewardkit.tasks.tokenizer import char_tokenizer
    from rewardkit.tasks.warmstart import answer_batch

    p = problem(Lookup(hops=2), 0, "warm", 0)
    tok = char_tokenizer()
    ids, _, labels = answer_batch(tok, [(p.prompt, p.answer)], [p.answer_env_spans])
    learned = [i for i, lab in zip(ids[0].tolist(), labels[0].tolist(), strict=True) if lab != -100]
    env_chars = sum(b - a for a, b in p.answer_env_spans)
    assert len(learned) == len(p.answer) - env_chars + 1  # + eos
    text = tok.decode(learned, skip_special_tokens=True)
    assert "tool_response" not in text and text.endswith(f"<answer>{p.reference}</answer>")


def test_env_reward_is_the_hosts_total_when_given_else_the_turns_sum() -> None:
    from rewardkit.rewards.env import EnvRewardParams, env_reward

    def score(meta: dict, aggregate: str = "sum") -> object:  # type: ignore[type-arg]
        s = Sample("a", "g", "p", "c", None, meta)
        return env_reward(s, EnvRewardParams(aggregate=aggregate))  # type: ignore[arg-type]

    turns = {"env_rewards": [1.0, 0.5, None]}
    assert score(turns).value == 1.5 and score(turns, "mean").value == 0.75  # type: ignore[attr-defined]
    assert score({**turns, "env_reward": 2.0}).value == 2.0  # type: ignore[attr-defined]
    assert score({"env_reward": 1.0}).steps is None  # type: ignore[attr-defined]
    assert score({"env_rewards": [None, None]}) is None and score({}) is None
