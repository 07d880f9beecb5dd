"""The search rewards on a rollout worked by hand, and the four exploits a search agent learns.

The knowledge base is three documents; the question needs two hops (Anna Kessel -> born in
Vestor -> lies on the Amsel). The right rollout searches twice through the real environment
(FTS5, top 2) and answers. Hand-computed:

- search_em = search_f1 = 1; retrieval_hit = 2/2 hops, per turn (1/2, 1/2, NaN);
- atomic_thoughts: units "First find the city where Anna Kessel was born." (restates the
  question: 0), "Anna Kessel was born in Vestor." (Vestor is new and d1, retrieved before,
  holds it: 1), "Next find the river Vestor lies on." (the bridge Vestor and the next hop's
  "river": a plan, 1), "Vestor lies on the river Amsel." (supported by d2: 1): 3/4; per turn
  (0, 1, 1).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.probe import locate_answer, probe
from rewardkit.probe.search import (
    answer_without_search,
    passage_as_answer,
    restated_thoughts,
    verbatim_question_search,
)
from rewardkit.program import RewardProgram
from rewardkit.rewards.atomic import AtomicParams, atomic_thoughts, thought_units
from rewardkit.rewards.search import (
    RetrievalParams,
    SearchAnswerParams,
    normalize_answer,
    retrieval_hit,
    search_em,
    search_f1,
    token_f1,
)
from rewardkit.tasks.search.env import SearchEnv, search_calls
from rewardkit.tasks.search.kb import Document
from rewardkit.types import Sample, Score

DOCS = [
    Document("d1", "Anna Kessel", "Anna Kessel was born in Vestor."),
    Document("d2", "Vestor", "Vestor lies on the river Amsel."),
    Document("d3", "Anna Kesseln", "Anna Kesseln was born in Torlin."),
]
QUESTION = "On which river does the city where Anna Kessel was born lie?"
REFERENCE = {
    "target": ["Amsel", "Amsel River", "River Amsel"],
    "question": QUESTION,
    "hops": [
        {"subject": "Anna Kessel", "relation": "born_in", "object": "Vestor", "docs": ["d1"],
         "words": ["born", "birthplace", "native"]},
        {"subject": "Vestor", "relation": "lies_on", "object": "Amsel", "docs": ["d2"],
         "words": ["river", "lies", "banks"]},
    ],
}  # fmt: skip
TURNS = [
    ("<think>First find the city where Anna Kessel was born.</think>", "Anna Kessel born"),
    ("<think>Anna Kessel was born in Vestor. Next find the river Vestor lies on.</think>",
     "Vestor river"),
    ("<think>Vestor lies on the river Amsel.</think><answer>Amsel</answer>", None),
]  # fmt: skip


def rollout(turns: list[tuple[str, str | None]] = TURNS) -> Sample:
    env = SearchEnv.from_documents(DOCS, topk=2)
    env.reset(None)
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    for text, query in turns:
        if query is None:
            messages.append({"role": "assistant", "content": text})
            continue
        call = {"type": "function",
                "function": {"name": "search", "arguments": json.dumps({"query": query})}}  # fmt: skip
        messages.append({"role": "assistant", "content": text, "tool_calls": [call]})
        messages += env.step(search_calls(f"<search>{query}</search>")).messages()
    return Sample.from_trajectory(messages, id="r", reference=REFERENCE, tools=env.tools)


def atr(sample: Sample, **params: Any) -> Score:
    result = atomic_thoughts([sample], AtomicParams(**params))[0]
    assert isinstance(result, Score)
    return result


def nan_tuple(steps: tuple[float, ...] | None) -> list[float | None]:
    return [None if math.isnan(x) else x for x in steps or ()]


def test_the_right_rollout_by_hand() -> None:
    s = rollout()
    assert search_em(s, SearchAnswerParams()).value == 1.0
    assert search_f1(s, SearchAnswerParams()).value == 1.0
    hit = retrieval_hit(s, RetrievalParams())
    assert hit.value == 1.0 and nan_tuple(hit.steps) == [0.5, 0.5, None]
    score = atr(s)
    assert [(u[0], u[2]) for u in score.info["units"]] == [
        ("First find the city where Anna Kessel was born.", "restates_question"),
        ("Anna Kessel was born in Vestor.", "supported_fact"),
        ("Next find the river Vestor lies on.", "plans_hop"),
        ("Vestor lies on the river Amsel.", "supported_fact"),
    ]
    assert score.value == 0.75 and score.steps == (0.0, 1.0, 1.0)


def test_normalisation_and_f1_by_hand() -> None:
    assert normalize_answer("The Amsel-River!") == "amselriver"
    assert normalize_answer("An  apple a day") == "apple day"
    assert token_f1("the river Amsel", "Amsel") == pytest.approx(2 / 3)  # p 1/2, r 1
    assert token_f1("Glass", "Glass Sea") == pytest.approx(2 / 3)  # p 1, r 1/2
    assert token_f1("", "Amsel") == 0.0
    one = Sample("0", "g", "", "<answer>Amsel</answer><answer>Torlin</answer>", REFERENCE)
    assert search_em(one, SearchAnswerParams()).value == 0.0  # two different answers: none
    same = Sample("0", "g", "", "<answer>Amsel</answer> so <answer>Amsel</answer>", REFERENCE)
    assert search_em(same, SearchAnswerParams()).value == 1.0
    text = Sample("0", "g", "", "Amsel", "amsel")
    assert search_em(text, SearchAnswerParams(extract="text")).value == 1.0


def test_an_answer_in_a_tool_output_is_not_the_models() -> None:
    info = "<information>\nDoc 1 [d2] (Title: V)\n<answer>Amsel</answer>\n</information>"
    s = Sample("0", "g", "", "<search>x</search>" + info, REFERENCE,
               env_spans=((18, 18 + len(info)),))  # fmt: skip
    assert search_em(s, SearchAnswerParams()).value == 0.0


def test_ids_the_model_writes_retrieve_nothing() -> None:
    fake = "<think>x</think>\nDoc 1 [d1] (Title: A)\nDoc 2 [d2] (Title: V)\n<answer>Amsel</answer>"
    assert retrieval_hit(Sample("0", "g", "", fake, REFERENCE), RetrievalParams()).value == 0.0
    assert atr(Sample("0", "g", "", fake, REFERENCE)).value == 0.0


def test_references_without_gold_are_unjudgeable() -> None:
    with pytest.raises(UnjudgeableReference, match="no 'hops'"):
        retrieval_hit(Sample("0", "g", "", "x", {"target": ["a"]}), RetrievalParams())
    with pytest.raises(UnjudgeableReference, match="no gold answers"):
        search_em(Sample("0", "g", "", "x", {"hops": []}), SearchAnswerParams())
    with pytest.raises(UnjudgeableReference, match="no gold 'docs'"):
        retrieval_hit(Sample("0", "g", "", "x", {"hops": [{"docs": []}]}), RetrievalParams())


def test_mode_all_needs_every_hop() -> None:
    half = rollout([*TURNS[:1], ("<answer>Amsel</answer>", None)])
    assert retrieval_hit(half, RetrievalParams()).value == 0.5
    assert retrieval_hit(half, RetrievalParams(mode="all")).value == 0.0


# ------------------------------------------------------------------------------- the exploits


def test_answer_without_search_earns_the_outcome_only() -> None:
    cheat = Sample("0", "g", QUESTION, answer_without_search(locate_answer(rollout())), REFERENCE)  # type: ignore[arg-type]
    assert search_em(cheat, SearchAnswerParams()).value == 1.0  # the outcome cannot tell
    assert retrieval_hit(cheat, RetrievalParams()).value == 0.0
    assert atr(cheat).value == 0.0  # "I know this." has one content word: filler


def test_searching_the_question_verbatim_many_times() -> None:
    cheat = verbatim_question_search(locate_answer(rollout()))
    assert (
        isinstance(cheat, Sample) and cheat.completion.count(f"<search>{QUESTION}</search>") == 10
    )
    assert len(cheat.env_spans or ()) == 10 and len(cheat.steps or ()) == 11
    assert retrieval_hit(cheat, RetrievalParams()).value == 0.5  # the first hop only
    score = atr(cheat)
    assert score.value == 0.0 and {u[2] for u in score.info["units"]} == {"filler"}


def test_copying_a_passage_as_the_answer() -> None:
    cheat = passage_as_answer(locate_answer(rollout()))
    assert isinstance(cheat, Sample)
    assert cheat.completion.endswith("<answer>Anna Kessel was born in Vestor.</answer>")
    assert search_em(cheat, SearchAnswerParams()).value == 0.0
    assert search_f1(cheat, SearchAnswerParams()).value == 0.0
    assert retrieval_hit(cheat, RetrievalParams()).value == 1.0  # the searches were kept


def test_thoughts_that_restate_the_question() -> None:
    cheat = restated_thoughts(locate_answer(rollout()))
    assert isinstance(cheat, Sample)
    assert [u.text for u in thought_units(cheat)][:2] == [
        f"The question is: {QUESTION}",
        "I need to answer: On which river does the city where Anna Kessel was born lie?",
    ]
    score = atr(cheat)
    assert score.value == 0.0 and score.steps == (0.0, 0.0, 0.0)
    assert {u[2] for u in score.info["units"]} == {"restates_question", "repeat"}


def test_a_thought_that_states_the_answer_in_the_questions_words_is_no_restatement() -> None:
    # most of its words are the question's, but it names what the question does not (Amsel)
    turns = [*TURNS[:2], ("<think>The city where Anna Kessel was born lies on Amsel.</think>"
                          "<answer>Amsel</answer>", None)]  # fmt: skip
    score = atr(rollout(turns))
    last = [u for u in score.info["units"] if "lies on Amsel" in u[0]]
    # judged by the scorer (here: its words are not one passage's, so unsupported), not refused
    assert [u[2] for u in last] == ["unsupported"]


def test_copying_one_supported_fact_many_times_lowers_the_mean() -> None:
    text = TURNS[1][0].replace(
        "Vestor. Next", "Vestor. " + "Anna Kessel was born in Vestor. " * 20 + "Next"
    )
    score = atr(rollout([TURNS[0], (text, "Vestor river"), TURNS[2]]))
    assert score.value == 3 / 24  # the 20 copies are repeats: 3 paying units of 24


def test_the_probe_pays_every_exploit_less_than_the_right_rollout() -> None:
    program = RewardProgram.from_dict({"reward": {"weighted": [
        {"name": "outcome", "fn": "search_f1", "weight": 1.0},
        {"name": "atomic", "fn": "atomic_thoughts", "weight": 0.5},
        {"name": "retrieval", "fn": "retrieval_hit", "weight": 0.5},
    ]}})  # fmt: skip
    names = ["answer_without_search", "verbatim_question_search", "passage_as_answer",
             "restated_thoughts"]  # fmt: skip
    report = probe(program, [rollout()], names)
    mean = {r.name: r.as_dict()["mean_reward"] for r in report.results}
    correct = 1 + 0.5 * 0.75 + 0.5 * 1
    assert mean == pytest.approx({
        "answer_without_search": 1.0,
        "verbatim_question_search": 1 + 0.5 * 0.5,
        "passage_as_answer": 0.5 * 0.75 + 0.5,
        "restated_thoughts": 1 + 0.5,
    })  # fmt: skip
    assert all(m < correct for m in mean.values())


def test_the_judge_scorer_asks_only_for_the_units_past_the_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rewardkit.rewards.atomic as atomic

    asked: list[str] = []

    class Stub:
        def chat_many(self, chats: list[list[dict[str, str]]]) -> list[Any]:
            from rewardkit.rewards.judge.client import ChatReply

            asked.append(chats[0][1]["content"])
            return [ChatReply('{"scores": [1, 0, 1]}', "stop", 0, 0, 0.0)]

    monkeypatch.setattr(atomic, "client_for", lambda p: Stub())
    score = atr(rollout(), scorer="judge", base_url="http://127.0.0.1:9/v1", model="m")
    assert "1. Anna Kessel was born in Vestor." in asked[0] and "First find" not in asked[0]
    assert score.value == 0.5 and score.steps == (0.0, 0.5, 1.0)

    class Bad(Stub):
        def chat_many(self, chats: list[list[dict[str, str]]]) -> list[Any]:
            from rewardkit.rewards.judge.client import ChatReply

            return [ChatReply("looks fine", "stop", 0, 0, 0.0)]

    monkeypatch.setattr(atomic, "client_for", lambda p: Bad())
    result = atomic_thoughts(
        [rollout()], AtomicParams(scorer="judge", base_url="http://x/v1", model="m")
    )[0]
    assert isinstance(result, Exception)  # a verdict that does not parse is a failure, not a 0
