"""``search``: a multi-turn task where the answer is in a knowledge base only a search tool reads.

Each problem is a question of the generated knowledge base (``tasks/search/kb.py``) needing 1, 2
or 3 facts (the ``hops`` ladder attribute; categories ``one_hop``, ``two_hop``, ``three_hop``).
The model searches (``SearchEnv``: a real embedded search engine, SQLite FTS5, built once per task
and shared by every rollout), reads the passages, thinks, searches again for the next hop, and
answers. The default turn format is Search-R1's text format (short enough for a tiny character
model's context); ``turn_format="tool_call"`` uses ``<tool_call>`` blocks instead. A right
trajectory for "In which city was Anna Kessel born?"::

    <search>Anna Kessel born</search>
    <information>
    Doc 1 [d00012] (Title: Anna Kessel)
    Anna Kessel was born in Vestor.
    </information>
    <think>Anna Kessel: Vestor.</think><answer>Vestor</answer>

The warm-start trace (``Problem.answer``) is such a trajectory: per hop a query that retrieves a
gold document (checked against the engine itself), the passages (environment spans, masked from
the loss), a thought stating the fact the passage supports (``subject: object``: short, for a
tiny model's context), and the answer. The default reward:
``search_em`` (1) + 0.5 ``atomic_thoughts`` (rule scorer) + 0.5 ``retrieval_hit``. The judge's
``success`` is the exact answer (Search-R1's normalisation); ``searches`` the searches made.

``kb="small"`` (default) builds a base of about 330 documents with one template per relation and
no filler sentences (passages of one sentence); ``kb="full"`` the default base of about 3,900.

>>> task = Search(hops=1)
>>> p = task.make(np.random.default_rng(0), None)
>>> task.judge(p.reference, p.answer)
{'success': 1.0, 'f1': 1.0, 'searches': 1.0}
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.errors import ConfigError
from rewardkit.rewards.search import gold_answers, normalize_answer, token_f1
from rewardkit.tasks.base import Problem
from rewardkit.tasks.env import observation_text
from rewardkit.tasks.search.engines import SearchBackend, embedded_engine
from rewardkit.tasks.search.env import SEARCH_R1_INSTRUCTION, SearchEnv, TurnFormat
from rewardkit.tasks.search.kb import Hop, KnowledgeBase, Question
from rewardkit.types import Sample

__all__ = ["KB_SIZES", "Search", "trace_sample"]

HOPS_PER_CATEGORY = {"one_hop": 1, "two_hop": 2, "three_hop": 3}
KB_SIZES: dict[str, dict[str, int]] = {
    "small": {"people": 60, "cities": 20, "companies": 20, "universities": 8, "rivers": 8},
    "full": {},
}
"""Entity counts per kind of each knowledge-base size (``full``: ``KnowledgeBase.build``'s)."""
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_SEARCHES = re.compile(r"<search>.*?</search>|<tool_call>.*?</tool_call>", re.DOTALL)
_TRIES = 50  # questions drawn before giving up on one whose hops the engine can retrieve


@functools.lru_cache(maxsize=8)
def _base(seed: int, size: str) -> tuple[KnowledgeBase, SearchBackend]:
    """The knowledge base and its search engine, built once per process (tens of ms)."""
    kb = KnowledgeBase.build(seed, **KB_SIZES[size], variety=size == "full")
    return kb, embedded_engine(kb.documents)


@dataclass(frozen=True)
class Search:
    """Answer a question of a generated knowledge base by searching it (module doc).

    ``hops`` fixes the facts a question needs (else the category's; a ``difficulty_ladder`` may
    set ``hops`` 1..3); ``topk`` passages per search; ``kb_seed`` and ``kb`` choose the base;
    ``instruction`` puts Search-R1's instruction before the question (for pretrained models).

    >>> Search().categories
    ('one_hop', 'two_hop')
    """

    hops: int | None = None
    topk: int = 1
    turn_format: TurnFormat = "search_r1"
    kb: Literal["small", "full"] = "small"
    kb_seed: int = 0
    instruction: bool = False
    name: str = "search"
    categories: tuple[str, ...] = ("one_hop", "two_hop")
    takes_levels: bool = True

    def __post_init__(self) -> None:
        if self.hops is not None and not 1 <= self.hops <= 3:
            raise ValueError(f"hops must be 1, 2 or 3, got {self.hops}")
        if self.kb not in KB_SIZES:
            raise ValueError(f"kb is one of {sorted(KB_SIZES)}, got {self.kb!r}")
        if self.topk < 1:
            raise ValueError(f"topk must be at least 1, got {self.topk}")
        unknown = set(self.categories) - set(HOPS_PER_CATEGORY)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}; {list(HOPS_PER_CATEGORY)}")

    @property
    def base(self) -> KnowledgeBase:
        """The knowledge base the questions are drawn from."""
        return _base(self.kb_seed, self.kb)[0]

    def environment(self) -> SearchEnv:
        """A fresh environment for one rollout, over the task's one shared engine."""
        return SearchEnv(_base(self.kb_seed, self.kb)[1], self.topk, self.turn_format)

    def make(
        self,
        rng: np.random.Generator,
        category: str | None,
        levels: Mapping[str, Any] | None = None,
    ) -> Problem:
        """A question of ``hops`` facts whose every hop a query can retrieve and whose bridges and
        answer the question does not name, and its trace."""
        category = category or str(rng.choice(self.categories))
        hops = self._hops(category, levels or {})
        for _ in range(_TRIES):
            question = self.base.question(rng, hops)
            if any(h.object in question.text for h in question.path):
                continue  # "In which city is University of Vestor located?": Vestor
            trace = self._trace(question)
            if trace is not None:
                break
        else:
            raise RuntimeError(f"search: no retrievable {hops}-hop question in {_TRIES} draws")
        answer, spans = trace
        prompt = question.text + "\n"
        if self.instruction:
            prompt = f"{SEARCH_R1_INSTRUCTION}\nQuestion: {prompt}"
        return Problem(
            id="",
            prompt=prompt,
            reference=question.reference(),
            answer=answer,
            difficulty={"hops": hops},
            category=category,
            answer_env_spans=spans,
        )

    def _hops(self, category: str, levels: Mapping[str, Any]) -> int:
        unknown = set(levels) - {"hops"}
        if unknown:
            raise ConfigError(
                [("curricula", f"task search takes the attribute 'hops', not {sorted(unknown)}")]
            )
        hops = int(levels.get("hops", self.hops or HOPS_PER_CATEGORY[category]))
        if not 1 <= hops <= 3:
            raise ConfigError([("curricula", f"search: hops must be 1..3, got {hops}")])
        return hops

    def _trace(self, question: Question) -> tuple[str, tuple[tuple[int, int], ...]] | None:
        """The right trajectory (search, read, think per hop; answer) and its env spans; None
        when no query of a hop retrieves one of its gold documents."""
        env = self.environment()
        env.reset(None)
        text, spans, thought = "", [], ""
        for hop in question.path:
            found = _retrieving_query(env, hop, question.text)
            if found is None:
                return None
            query, passages = found
            call = self._call(query)
            text += (f"<think>{thought}</think>" if thought else "") + call
            role = env.observation_role
            observation = observation_text([{"role": role, "content": passages}])
            spans.append((len(text), len(text) + len(observation)))
            text += observation
            thought = _thought(hop)
        text += f"<think>{thought}</think><answer>{question.answers[0]}</answer>"
        return text, tuple(spans)

    def _call(self, query: str) -> str:
        if self.turn_format == "search_r1":
            return f"<search>{query}</search>"
        return f"<tool_call>{json.dumps({'name': 'search', 'arguments': {'query': query}})}</tool_call>"

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """``success``: one answer (the same every time it is written) and it is a gold answer
        after Search-R1's normalisation; ``f1``: its token F1; ``searches``: searches made.

        >>> Search().judge({"target": ["Amsel"]}, "<search>x</search><answer>the amsel</answer>")
        {'success': 1.0, 'f1': 1.0, 'searches': 1.0}
        """
        gold = gold_answers(reference, "search")
        answers = {normalize_answer(a) for a in _ANSWER.findall(completion)}
        answer = next(iter(answers)) if len(answers) == 1 else None
        success = answer is not None and answer in {normalize_answer(g) for g in gold}
        f1 = max(token_f1(answer, g) for g in gold) if answer is not None else 0.0
        searches = len(_SEARCHES.findall(completion))
        return {"success": float(success), "f1": f1, "searches": float(searches)}

    def reward_config(self) -> dict[str, Any]:
        """Exact match, plus half the atomic thought reward and half the retrieval reward."""
        return {
            "reward": {
                "weighted": [
                    {"name": "outcome", "fn": "search_em"},
                    {"name": "atom", "fn": "atomic_thoughts", "weight": 0.5},
                    {"name": "retrieval", "fn": "retrieval_hit", "weight": 0.5},
                ]
            },
            "advantage": {"estimator": "grpo"},
        }


def _retrieving_query(env: SearchEnv, hop: Hop, question: str) -> tuple[str, str] | None:
    """The first query (the hop's subject and a word of its relation, the question's words
    first; then the subject alone) whose passages hold a gold document, with those passages."""
    words = sorted(hop.words, key=lambda w: w not in question.lower())
    for query in [f"{hop.subject} {w}" for w in words] + [hop.subject]:
        passages = env.search(query)
        if any(f"[{d}]" in passages for d in hop.docs):
            return query, passages
    return None


def _thought(hop: Hop) -> str:
    """The atomic thought after reading a hop's passage: the fact it found, ``subject: object``
    (short, for a tiny model's context; the atomic thought reward pays it as a supported fact)."""
    return f"{hop.subject}: {hop.object}."


def trace_sample(task: Search, p: Problem, completion: str | None = None) -> Sample:
    """A problem's trace (or ``completion`` with the same environment spans) as the trainer's
    ``Sample``: the assistant turns between the environment's spans are its ``steps``.

    >>> task = Search(hops=1)
    >>> s = trace_sample(task, task.make(np.random.default_rng(0), None))
    >>> len(s.steps), len(s.env_spans)
    (2, 1)
    """
    text = p.answer if completion is None else completion
    bounds = [0, *(x for span in p.answer_env_spans for x in span), len(text)]
    steps = tuple((bounds[k], bounds[k + 1]) for k in range(0, len(bounds), 2))
    return Sample(
        id=p.id or "0",
        group=p.id or "0",
        prompt=p.prompt,
        completion=text,
        reference=p.reference,
        meta=p.meta(task.name),
        steps=steps,
        env_spans=p.answer_env_spans,
    )
