"""The search knowledge base and the embedded engines: deterministic per seed, fast, gold documents
that state each hop, distractors present, and engines that find the gold document of a 1-hop
question by its question text."""

from __future__ import annotations

import importlib.util
import time

import numpy as np
import pytest

from rewardkit.errors import ConfigError
from rewardkit.tasks.search.engines import EngineName, embedded_engine, query_terms
from rewardkit.tasks.search.kb import Document, KnowledgeBase
from rewardkit.tasks.search.text import RELATIONS


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.build(seed=0)


def test_the_base_is_deterministic_per_seed_and_fast() -> None:
    start = time.perf_counter()
    a = KnowledgeBase.build(seed=3)
    assert time.perf_counter() - start < 2.0
    b, c = KnowledgeBase.build(seed=3), KnowledgeBase.build(seed=4)
    assert a.documents == b.documents and a.documents != c.documents
    assert 3000 <= len(a.documents) <= 5000
    assert len({d.id for d in a.documents}) == len(a.documents)
    qa = a.question(np.random.default_rng(9), 3)
    assert qa == b.question(np.random.default_rng(9), 3)


def test_every_hop_names_documents_that_state_its_fact(kb: KnowledgeBase) -> None:
    docs = kb.by_id
    for hops in (1, 2, 3):
        for i in range(30):
            q = kb.question(np.random.default_rng(i), hops)
            assert q.hops == hops and q.answers[0] == q.path[-1].object
            for k, hop in enumerate(q.path):
                assert hop.docs and all(docs[d].title == hop.subject for d in hop.docs)
                assert all(hop.object in docs[d].text for d in hop.docs)
                if k:  # a bridge: the previous hop's object is this hop's subject
                    assert hop.subject == q.path[k - 1].object
            # the bridges and the answer are never in the question: they must be searched
            assert all(h.object not in q.text for h in q.path)
            assert q.path[0].subject in q.text


def test_a_question_reads_as_its_path(kb: KnowledgeBase) -> None:
    q = kb.question(np.random.default_rng(4), 2)
    first, last = q.path
    inner = RELATIONS[first.relation].phrase.format(s=first.subject)
    assert q.text == RELATIONS[last.relation].question.format(s=inner)
    ref = q.reference()
    assert ref["target"] == list(q.answers) and ref["question"] == q.text
    assert [h["docs"] for h in ref["hops"]] == [list(first.docs), list(last.docs)]


def test_distractors_namesakes_and_near_duplicates(kb: KnowledgeBase) -> None:
    kinds: dict[str, set[str]] = {}
    for e in kb.entities.values():
        kinds.setdefault(e.name, set()).add(e.kind)
    assert any(k == {"city", "river"} for k in kinds.values())  # a river named like a city
    cities = {e.name for e in kb.entities.values() if e.kind == "city"}
    people = [e.name for e in kb.entities.values() if e.kind == "person"]
    assert any(p.split(" ", 1)[1] in cities for p in people)  # a city's name as a surname
    surnames = {p.split(" ", 1)[1] for p in people}
    assert sum(s[:-1] in surnames for s in surnames) >= 20  # one letter apart
    assert sum(len(v) > 1 for v in kb.fact_docs.values()) > 100  # facts stated twice
    assert any("moved to" in d.text for d in kb.documents)  # another city named


def test_hops_out_of_range_are_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="hops must be 1, 2 or 3"):
        kb.question(np.random.default_rng(0), 4)


def test_query_terms_drop_stopwords_and_punctuation() -> None:
    assert query_terms('Where was "Anna" born? (OR NEAR)') == ["anna", "born", "near"]
    assert query_terms("the of ?") == []


ENGINES = ["fts5"] + [n for n in ("bm25s", "tantivy") if importlib.util.find_spec(n)]


@pytest.mark.parametrize("name", ENGINES)
def test_engines_find_the_gold_document_of_one_hop_questions(
    kb: KnowledgeBase, name: EngineName
) -> None:
    engine = embedded_engine(kb.documents, name)
    questions = [kb.question(np.random.default_rng(i), 1) for i in range(60)]
    results = engine.search([q.text for q in questions], topk=5)
    recall = np.mean(
        [
            any(p.doc_id in q.path[0].docs for p in r)
            for q, r in zip(questions, results, strict=True)
        ]
    )
    assert recall >= 0.8
    assert all(len(r) <= 5 for r in results)
    assert all(r[i].score >= r[i + 1].score for r in results for i in range(len(r) - 1))
    assert engine.search(["the of", "Anna"], topk=0) == [[], []]


def test_fts5_query_syntax_in_a_query_is_only_words() -> None:
    engine = embedded_engine([Document("d1", "A", 'NEAR(x y) "quoted" AND*')])
    assert [p.doc_id for p in engine.search(['NEAR(x y) AND* "quoted"'], topk=3)[0]] == ["d1"]


def test_an_unknown_engine_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="choose fts5, bm25s or tantivy"):
        embedded_engine([], "lucene")  # type: ignore[arg-type]
