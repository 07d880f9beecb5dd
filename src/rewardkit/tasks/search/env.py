"""``SearchEnv``: the environment of the search task, one ``search(query)`` tool over a backend.

The tool returns the top ``topk`` passages as the search rewards read them
(``rewardkit.rewards.search.format_passages``)::

    <information>
    Doc 1 [d00042] (Title: Anna Kessel)
    Anna Kessel was born in Vestor.
    </information>

Two turn formats reach it:

- **OpenAI tool calls** (TRL's and verl's tool loops, the built-in trainer's ``<tool_call>``
  blocks): the tool is offered as the function schema ``env.tools`` and called as
  ``{"name": "search", "arguments": {"query": "..."}}``; the result is the ``tool`` message;
- **Search-R1's text format**: the model writes ``<think>...</think>`` then
  ``<search>query</search>`` (its turn ends there), the environment appends the
  ``<information>`` block, and the model answers with ``<answer>...</answer>``.
  ``search_calls(turn_text)`` reads a turn's ``<search>`` blocks as the same tool calls, so
  ``env.step(search_calls(text))`` serves both; ``SEARCH_R1_INSTRUCTION`` explains the format.

``SearchEnv(backend, turn_format="search_r1")`` declares that format to the built-in trainer
(``train/multiturn.py``): a turn ends at ``stop`` (``</search>``), its calls are read by
``parse_calls`` (``search_calls``), and the passages come back as plain text
(``observation_role`` "user": no ``<tool_response>`` around them). The default, ``tool_call``,
is the trainer's own ``<tool_call>`` format.

A backend failure (a retrieval server down) raises: it is not the model's error to read. The
environment gives no per-turn reward (``retrieval_hit`` and ``atomic_thoughts`` score the
trajectory).

>>> from rewardkit.tasks.search.kb import Document
>>> env = SearchEnv.from_documents([Document("d1", "Vestor", "Vestor lies on the Amsel.")])
>>> env.reset(None) is None
True
>>> print(env.step(search_calls("<think>find it</think><search>Vestor river</search>")).observation[0])
<information>
Doc 1 [d1] (Title: Vestor)
Vestor lies on the Amsel.
</information>
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from rewardkit.rewards.search import format_passages
from rewardkit.tasks.env import ToolEnv
from rewardkit.tasks.search.engines import EngineName, SearchBackend, embedded_engine
from rewardkit.tasks.search.kb import Document
from rewardkit.trajectory import ToolCall, parse_tool_calls

__all__ = ["SEARCH_R1_INSTRUCTION", "SearchEnv", "search_calls"]

_SEARCH = re.compile(r"<search>(.*?)</search>", re.DOTALL)
TurnFormat = Literal["tool_call", "search_r1"]

SEARCH_R1_INSTRUCTION = (
    "Answer the question. Think inside <think> and </think> whenever you get new information. "
    "To look something up, write <search>your query</search>; the top results come back "
    "between <information> and </information>. Search as often as you need. When you know the "
    "answer, write it inside <answer> and </answer>, with no explanation, for example "
    "<answer>Vestor</answer>."
)
"""The turn format of Search-R1-style prompts, in rewardkit's words."""


def search_calls(turn_text: str, turn: int = 0) -> list[ToolCall]:
    """The ``<search>`` blocks of one assistant turn as ``search`` tool calls.

    >>> [(c.name, c.arguments) for c in search_calls("<think>x</think><search> Anna </search>")]
    [('search', {'query': 'Anna'})]
    """
    return [
        ToolCall("search", {"query": m.group(1).strip()}, turn=turn, raw=m.group(0))
        for m in _SEARCH.finditer(turn_text)
    ]


class SearchEnv(ToolEnv):
    """One rollout's search environment (module doc): ``search(query)`` over ``backend``."""

    tool_names = ("search",)

    def __init__(
        self, backend: SearchBackend, topk: int = 3, turn_format: TurnFormat = "tool_call"
    ):
        if topk < 1:
            raise ValueError(f"topk must be at least 1, got {topk}")
        if turn_format not in ("tool_call", "search_r1"):
            raise ValueError(f"turn_format is 'tool_call' or 'search_r1', got {turn_format!r}")
        self.backend, self.topk, self.turn_format = backend, topk, turn_format
        self.queries: list[str] = []

    @property
    def stop(self) -> str:
        """The text that ends a turn that searches (the trainer then steps the environment).

        >>> SearchEnv(None, turn_format="search_r1").stop
        '</search>'
        """
        return "</search>" if self.turn_format == "search_r1" else "</tool_call>"

    @property
    def parse_calls(self) -> Callable[[str, int], list[ToolCall]]:
        """The reader of one turn's calls: ``search_calls`` or ``<tool_call>`` blocks."""
        return search_calls if self.turn_format == "search_r1" else parse_tool_calls

    @property
    def observation_role(self) -> str:
        """The role of the passages' message: ``user`` (plain text) in the Search-R1 format."""
        return "user" if self.turn_format == "search_r1" else "tool"

    @classmethod
    def from_documents(
        cls, documents: Sequence[Document], engine: EngineName = "fts5", topk: int = 3
    ) -> SearchEnv:
        """An environment over an embedded engine of ``documents``. Building the index takes
        tens of milliseconds: share one backend between rollouts (``SearchEnv(backend)``)."""
        return cls(embedded_engine(documents, engine), topk)

    def reset(self, problem: object) -> str | None:
        """Forget the queries of the last episode; no first observation."""
        self.queries = []
        return super().reset(problem)

    def search(self, query: str) -> str:
        """Search the knowledge base; returns the top passages.

        Args:
            query: what to search for, in words
        """
        if not isinstance(query, str) or not query.strip():
            raise ValueError("the query is empty; write the words to search for")
        self.queries.append(query)
        found = self.backend.search([query], self.topk)[0]
        return format_passages([(p.doc_id, p.title, p.text) for p in found])
