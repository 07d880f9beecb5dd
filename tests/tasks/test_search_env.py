"""The search environment: the tool's passages, both turn formats, a trajectory the search
rewards read, and the tool's schema for TRL's and verl's tool loops."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from rewardkit.rewards.search import (
    RetrievalParams,
    SearchAnswerParams,
    retrieval_hit,
    retrieved_passages,
    search_em,
)
from rewardkit.tasks.env import Environment
from rewardkit.tasks.search.engines import Passage
from rewardkit.tasks.search.env import SEARCH_R1_INSTRUCTION, SearchEnv, search_calls
from rewardkit.tasks.search.kb import Document, KnowledgeBase
from rewardkit.trajectory import parse_tool_calls
from rewardkit.types import Sample

DOCS = [
    Document("d1", "Anna Kessel", "Anna Kessel was born in Vestor."),
    Document("d2", "Vestor", "Vestor lies on the river Amsel."),
    Document("d3", "Anna Kesseln", "Anna Kesseln was born in Torlin."),
]


class Recorder:
    """A backend that records its calls and returns one fixed passage."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], int]] = []

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        self.calls.append((list(queries), topk))
        return [[Passage("d9", "T", "text", 1.0)] for _ in queries]


def test_the_tool_returns_the_top_passages_in_the_information_format() -> None:
    env = SearchEnv.from_documents(DOCS, topk=2)
    assert isinstance(env, Environment)
    env.reset(None)
    out = env.step(parse_tool_calls(
        '<tool_call>{"name": "search", "arguments": {"query": "Anna Kessel born"}}</tool_call>'
    ))  # fmt: skip
    text = out.observation[0]
    assert text.startswith("<information>\nDoc 1 [d1] (Title: Anna Kessel)\n")
    assert text.count("\nDoc ") == 2 and text.endswith("\n</information>")
    assert out.reward is None and not out.done and env.queries == ["Anna Kessel born"]


def test_search_r1_turns_and_tool_calls_reach_the_same_backend() -> None:
    backend = Recorder()
    env = SearchEnv(backend, topk=4)
    env.reset(None)
    env.step(search_calls("<think>who?</think>\n<search>Vestor river</search>", turn=1))
    call = {"name": "search", "arguments": {"query": "Vestor river"}}
    env.step(parse_tool_calls(f"<tool_call>{json.dumps(call)}</tool_call>"))
    assert backend.calls == [(["Vestor river"], 4)] * 2
    assert search_calls("no search here") == []
    assert "<search>" in SEARCH_R1_INSTRUCTION and "<answer>" in SEARCH_R1_INSTRUCTION


def test_bad_calls_are_answered_as_errors_and_reset_forgets_queries() -> None:
    env = SearchEnv(Recorder())
    env.reset(None)
    bad = env.step(search_calls("<search>  </search>")).observation[0]
    assert bad == "error: the query is empty; write the words to search for"
    other = parse_tool_calls('<tool_call>{"name": "lookup", "arguments": {"q": 1}}</tool_call>')
    assert env.step(other).observation[0] == "error: unknown tool 'lookup'"
    env.step(search_calls("<search>x</search>"))
    env.reset(None)
    assert env.queries == []
    with pytest.raises(ValueError, match="topk"):
        SearchEnv(Recorder(), topk=0)


def test_the_tool_schema_is_an_openai_function() -> None:
    (tool,) = SearchEnv(Recorder()).tools
    assert tool["type"] == "function" and tool["function"]["name"] == "search"
    assert tool["function"]["parameters"] == {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    }


def test_a_rollout_through_the_environment_is_scored_by_the_search_rewards() -> None:
    kb = KnowledgeBase.build(seed=0)
    q = kb.question(np.random.default_rng(2), 2)
    env = SearchEnv.from_documents(kb.documents, topk=3)
    env.reset(None)
    messages: list[dict[str, Any]] = [{"role": "user", "content": q.text}]
    for k, hop in enumerate(q.path):
        query = f"{hop.subject} {' '.join(hop.words)}"
        call = {"type": "function", "function": {"name": "search",
                "arguments": json.dumps({"query": query})}}  # fmt: skip
        messages.append({"role": "assistant", "content": f"<think>hop {k}</think>",
                         "tool_calls": [call]})  # fmt: skip
        observation = env.step(search_calls(f"<search>{query}</search>", turn=k))
        messages += observation.messages()
    messages.append({"role": "assistant", "content": f"<answer>{q.answers[0]}</answer>"})
    sample = Sample.from_trajectory(messages, reference=q.reference(), tools=env.tools)
    assert {p.turn for p in retrieved_passages(sample)} == {0, 1}
    hit = retrieval_hit(sample, RetrievalParams())
    assert hit.value == 1.0 and hit.steps is not None
    assert hit.steps[:2] == (0.5, 0.5) and math.isnan(hit.steps[2])  # the answer turn searched not
    assert search_em(sample, SearchAnswerParams()).value == 1.0
