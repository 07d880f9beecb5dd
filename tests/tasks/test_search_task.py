"""The ``search`` task: reproducible problems, a warm-start trace the rewards pay in full, the
environment's text turns through the multi-turn trainer (passages masked), the default program."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.rewards.atomic import AtomicParams, atomic_thoughts
from rewardkit.rewards.search import RetrievalParams, retrieval_hit
from rewardkit.tasks import TASKS, make_task
from rewardkit.tasks.base import problem
from rewardkit.tasks.search_task import Search, trace_sample
from rewardkit.train.config import BUILTIN_TASKS


def test_registered_by_name() -> None:
    assert TASKS["search"] is Search and "search" in BUILTIN_TASKS
    assert make_task("search", {"hops": 2}) == Search(hops=2)


def test_problems_are_reproducible_and_the_ladder_sets_hops() -> None:
    task = Search()
    a, b = problem(task, 0, "train", 7), problem(task, 0, "train", 7)
    assert (a.prompt, a.answer, a.reference) == (b.prompt, b.answer, b.reference)
    assert problem(task, 0, "eval", 7).prompt != a.prompt or problem(task, 1, "train", 7) != a
    for hops in (1, 2, 3):
        p = problem(task, 0, "train", 3, levels={"hops": hops})
        assert p.difficulty == {"hops": hops} and len(p.reference["hops"]) == hops
    with pytest.raises(ConfigError, match="takes the attribute 'hops'"):
        problem(task, 0, "train", 0, levels={"depth": 2})
    with pytest.raises(ValueError, match="hops must be"):
        Search(hops=4)


def test_question_never_names_its_bridges_or_answer() -> None:
    task = Search(hops=2)
    for i in range(40):
        p = problem(task, 0, "train", i)
        assert all(h["object"] not in p.prompt for h in p.reference["hops"])


@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("turn_format", ["search_r1", "tool_call"])
def test_the_trace_is_a_right_trajectory_the_rewards_pay_in_full(
    hops: int, turn_format: str
) -> None:
    task = Search(hops=hops, turn_format=turn_format)  # type: ignore[arg-type]
    program = RewardProgram.from_dict(task.reward_config())
    samples = [trace_sample(task, problem(task, 0, "train", i)) for i in range(12)]
    assert program.score(samples).rewards.tolist() == [2.0] * 12  # 1 + 0.5 + 0.5
    s = samples[0]
    assert task.judge(s.reference, s.completion) == {
        "success": 1.0,
        "f1": 1.0,
        "searches": float(hops),
    }
    atom = atomic_thoughts([s], AtomicParams())[0]
    assert atom.value == 1.0 and atom.steps is not None and np.isnan(atom.steps[0])
    hit = retrieval_hit(s, RetrievalParams())
    assert hit.steps == (*[1 / hops] * hops, pytest.approx(np.nan, nan_ok=True))


def test_judge_counts_searches_and_needs_one_answer() -> None:
    ref = {"target": ["Amsel", "Amsel River"]}
    judge = Search().judge
    assert judge(ref, "<answer>amsel river</answer>")["success"] == 1.0
    assert judge(ref, "<answer>Amsel</answer><answer>Vestor</answer>")["success"] == 0.0
    assert judge(ref, "<answer>Amsel town</answer>")["f1"] == pytest.approx(2 / 3)
    assert judge(ref, "<search>a</search><search>b</search>")["searches"] == 2.0


def test_environment_speaks_the_search_r1_turn_format() -> None:
    task = Search(hops=1)
    env = task.environment()
    assert env.stop == "</search>" and env.observation_role == "user"
    p = problem(task, 0, "train", 0)
    env.reset(p)
    query = p.answer[len("<search>") : p.answer.index("</search>")]
    out = env.step(env.parse_calls(f"<search>{query}</search>", 0))
    start, end = p.answer_env_spans[0]
    assert p.answer[start:end] == "\n" + out.observation[0] + "\n"
    assert task.environment().backend is env.backend  # one engine for every rollout
    tools = Search(turn_format="tool_call").environment()
    assert tools.stop == "</tool_call>" and tools.observation_role == "tool"


class _Follow:
    """A causal-LM stand-in that writes the trace of its prompt, one character per step, for sure
    (it reads the text so far: the environment's passages included)."""

    def __init__(self, prompt: str, answer: str, tok: Any):
        import torch

        self.prompt, self.answer, self.tok = prompt, answer, tok
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def parameters(self) -> Any:
        return iter([self.anchor])

    def __call__(self, input_ids: Any, cache: Any = None, **_: Any) -> Any:
        import torch

        rows = cache if cache is not None else _Rows([[] for _ in range(input_ids.shape[0])])
        logits = torch.full((input_ids.shape[0], 1, len(self.tok)), -1e4)
        for i, ids in enumerate(input_ids.tolist()):
            rows.rows[i].extend(ids)
            done = self.tok.decode(rows.rows[i], skip_special_tokens=True)[len(self.prompt) :]
            nxt = self.answer[len(done)] if len(done) < len(self.answer) else None
            logits[
                i, 0, self.tok.eos_token_id if nxt is None else self.tok.convert_tokens_to_ids(nxt)
            ] = 1e4
        return SimpleNamespace(logits=logits, cache=rows)


class _Rows:
    def __init__(self, rows: list[list[int]]):
        self.rows = rows

    def batch_repeat_interleave(self, n: int) -> None:
        self.rows = [list(r) for r in self.rows for _ in range(n)]


def test_rollouts_write_the_passages_as_masked_user_text() -> None:
    """The trace's policy drives the multi-turn sampler through the real environment: the
    environment writes exactly the trace's passages (env_mask), as plain-text user messages."""
    torch = pytest.importorskip("torch")
    from rewardkit.tasks.tokenizer import char_tokenizer
    from rewardkit.train.multiturn import sample_rollouts
    from rewardkit.trajectory import render

    tok = char_tokenizer()
    task = Search(hops=2)
    p = problem(task, 0, "train", 1)
    model = _Follow(p.prompt, p.answer, tok)
    r = sample_rollouts(model, tok, task, [p], 2, 700, 4, 1.0, torch.Generator().manual_seed(0))
    assert r.texts == [p.answer] * 2 and r.truncated == [False, False]
    assert r.trajectories is not None and r.env_mask is not None
    t = r.trajectories[0]
    assert t.env_spans == p.answer_env_spans
    assert [m["role"] for m in t.messages] == ["user", *["assistant", "user"] * 2, "assistant"]
    assert render(t.messages)[0] == p.answer  # passages rendered as plain text
    n = len(r.token_ids[0])
    written = [i for i, x in enumerate(r.env_mask[0, :n].tolist()) if x]
    assert written == [i for a, b in p.answer_env_spans for i in range(a, b)]  # 1 char, 1 token


def test_default_program_builds_with_its_components() -> None:
    program = RewardProgram.from_dict(Search().reward_config())
    assert program is not None
    names = [c["fn"] for c in Search().reward_config()["reward"]["weighted"]]
    assert names == ["search_em", "atomic_thoughts", "retrieval_hit"]
