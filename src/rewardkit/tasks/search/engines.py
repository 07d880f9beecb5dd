"""Search backends: one small interface, ``search(queries, topk)``, and the embedded engines.

A backend takes a batch of queries and returns, per query, its top ``topk`` passages best first
(``Passage``: the document's id, title, text and the engine's score). Three embedded engines
index a list of ``Document`` (``kb.py``) in memory, each ranking with BM25:

- ``Fts5Engine`` (the default): SQLite's FTS5 full-text index from the standard library's
  ``sqlite3`` (Porter stemmer, ``bm25()`` ranking); no dependency;
- ``Bm25sEngine``: ``bm25s`` (sparse matrices, numpy and scipy);
- ``TantivyEngine``: ``tantivy`` (the Rust engine's bindings; English stemmer).

bm25s and tantivy are the ``search`` extra. Every engine sees the same query terms
(``query_terms``: lowercased words, English stopwords dropped, OR-ed together), so a query that
is a whole question still ranks by its content words. ``bench/search_engine.py`` measures the
three (build time, queries per second, recall of gold documents); docs/search.md has the table
and the reason for the default. ``http.RetrievalClient`` is a fourth backend, over HTTP.

>>> from rewardkit.tasks.search.kb import Document
>>> engine = Fts5Engine([Document("d1", "Anna Kessel", "Anna Kessel was born in Vestor."),
...                      Document("d2", "Vestor", "Vestor lies on the river Amsel.")])
>>> [p.doc_id for p in engine.search(["Where was Anna Kessel born?"], topk=2)[0]]
['d1']
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from rewardkit.errors import ConfigError, require
from rewardkit.tasks.search.kb import Document

__all__ = [
    "ENGINES",
    "Bm25sEngine",
    "Fts5Engine",
    "Passage",
    "SearchBackend",
    "TantivyEngine",
    "embedded_engine",
    "query_terms",
]

EngineName = Literal["fts5", "bm25s", "tantivy"]


@dataclass(frozen=True)
class Passage:
    """One retrieved document: its id, title, text and the engine's score (higher is better)."""

    doc_id: str
    title: str
    text: str
    score: float


@runtime_checkable
class SearchBackend(Protocol):
    """What the search environment and the retrieval server need of an engine."""

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        """Per query, its ``topk`` best passages, best first (fewer when fewer match)."""
        ...


_STOP_TEXT = (
    "a an and are as at be by did do does for from has have how in into is it its of on or "
    "that the their there this to was were what when where which who whom whose why will with "
    "lie lies"
)
STOPWORDS = frozenset(_STOP_TEXT.split(" "))
"""English function words (and the question verb "lie"), left out of every engine's query."""
_WORD = re.compile(r"\w+")


def query_terms(query: str) -> list[str]:
    """The words a query searches for: lowercased, stopwords dropped, each once, in order.

    >>> query_terms("On which river does the city of Anna Kessel lie?")
    ['river', 'city', 'anna', 'kessel']
    """
    words = [w for w in _WORD.findall(query.lower()) if w not in STOPWORDS]
    return list(dict.fromkeys(words))


class Fts5Engine:
    """SQLite FTS5 over the documents, in memory, ranked by ``bm25()`` (module doc)."""

    def __init__(self, documents: Sequence[Document]):
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()  # one connection, used by the server's threads in turn
        try:
            self._db.execute(
                "CREATE VIRTUAL TABLE docs USING fts5("
                "doc_id UNINDEXED, title, text, tokenize='porter unicode61')"
            )
        except sqlite3.OperationalError as exc:  # a Python built against a SQLite without FTS5
            raise ConfigError(
                [("search.engine", f"this Python's SQLite has no FTS5 ({exc}); use 'bm25s'")]
            ) from None
        self._db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?)", [(d.id, d.title, d.text) for d in documents]
        )
        self._db.commit()

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        out: list[list[Passage]] = []
        with self._lock:
            for query in queries:
                terms = query_terms(query)
                if not terms or topk < 1:
                    out.append([])
                    continue
                match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
                rows = self._db.execute(
                    "SELECT doc_id, title, text, bm25(docs) FROM docs WHERE docs MATCH ? "
                    "ORDER BY bm25(docs) LIMIT ?",
                    (match, topk),
                ).fetchall()
                # bm25() is lower-is-better (negative); the passage score is higher-is-better
                out.append([Passage(i, t, x, -float(s)) for i, t, x, s in rows])
        return out


class Bm25sEngine:
    """``bm25s`` over title and text (module doc); needs the ``search`` extra."""

    def __init__(self, documents: Sequence[Document]):
        bm25s = require("bm25s", "search")
        self._docs = list(documents)
        self._retriever = bm25s.BM25()
        corpus = [query_terms(f"{d.title} {d.text}") for d in self._docs]
        self._retriever.index(corpus, show_progress=False)
        self._vocab: dict[str, int] = self._retriever.vocab_dict

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        out: list[list[Passage]] = []
        for query in queries:
            terms = [t for t in query_terms(query) if t in self._vocab]
            k = min(topk, len(self._docs))
            if not terms or k < 1:
                out.append([])
                continue
            ids, scores = self._retriever.retrieve([terms], k=k, show_progress=False)
            found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
            out.append([self._passage(i, s) for i, s in found])
        return out

    def _passage(self, i: int, score: float) -> Passage:
        d = self._docs[i]
        return Passage(d.id, d.title, d.text, score)


class TantivyEngine:
    """``tantivy`` over title and text, in memory, English stemmer (module doc); needs the
    ``search`` extra."""

    def __init__(self, documents: Sequence[Document]):
        tantivy = require("tantivy", "search")
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
        self._index = tantivy.Index(builder.build())
        writer = self._index.writer()
        for d in documents:
            writer.add_document(tantivy.Document(doc_id=d.id, title=d.title, text=d.text))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        out: list[list[Passage]] = []
        for query in queries:
            terms = query_terms(query)
            if not terms or topk < 1:
                out.append([])
                continue
            parsed = self._index.parse_query(" OR ".join(terms), ["title", "text"])
            hits = self._searcher.search(parsed, topk).hits
            out.append([self._passage(score, address) for score, address in hits])
        return out

    def _passage(self, score: float, address: Any) -> Passage:
        doc = self._searcher.doc(address)
        return Passage(doc["doc_id"][0], doc["title"][0], doc["text"][0], float(score))


ENGINES: dict[str, type[Any]] = {"fts5": Fts5Engine, "bm25s": Bm25sEngine, "tantivy": TantivyEngine}


def embedded_engine(documents: Sequence[Document], engine: EngineName = "fts5") -> SearchBackend:
    """An embedded engine over ``documents`` by name (``fts5``, ``bm25s``, ``tantivy``).

    >>> embedded_engine([], "lucene")
    Traceback (most recent call last):
    ...
    rewardkit.errors.ConfigError: invalid config:
      search.engine: unknown engine 'lucene'; choose fts5, bm25s or tantivy
    """
    if engine not in ENGINES:
        raise ConfigError(
            [("search.engine", f"unknown engine {engine!r}; choose fts5, bm25s or tantivy")]
        )
    backend: SearchBackend = ENGINES[engine](documents)
    return backend
