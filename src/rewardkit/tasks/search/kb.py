"""A knowledge base generated from a seed: fictional entities, short documents, multi-hop questions.

People, cities, companies, universities and rivers with attributes (years, populations,
lengths) and relations (born in, works for, studied at, headquartered in, located in, lies on),
each fact written as a short document from one of several templates. The names are invented, so
a model can only know a fact by searching for it. Distractors make search matter:

- **namesakes**: a river named like a city, a person whose surname is a city's name, a
  university named after a city it is not in;
- **near-duplicates**: people whose surnames differ by one letter, a second document stating a
  fact again in other words (a "profile"), and sentences that name another city ("moved to").

A question asks for the end of a path of 1, 2 or 3 relations from a named entity ("On which
river lies the city where Anna Kessel was born?"); it carries its gold answers (with aliases)
and, per hop, the documents stating that hop's fact. Everything is deterministic per seed; the
default base (about 3,400 documents) builds in well under a second.

>>> kb = KnowledgeBase.build(seed=0)
>>> len(kb.documents) > 3000
True
>>> q = kb.question(np.random.default_rng(1), hops=2)
>>> q.hops, len(q.path)
(2, 2)
>>> all(kb.by_id[d].title == hop.subject for hop in q.path for d in hop.docs)
True
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.tasks.search.text import (
    FIRST_NAMES,
    RELATIONS,
    SEAS,
    Relation,
    fact_sentence,
    filler_sentence,
    word,
)

__all__ = ["Document", "Entity", "Hop", "KnowledgeBase", "Question"]


@dataclass(frozen=True)
class Document:
    """One passage of the base: ``id`` (``d00042``), the ``title`` (its entity) and ``text``."""

    id: str
    title: str
    text: str


@dataclass
class Entity:
    """A named thing of a ``kind`` (person, city, company, university, river) and its facts:
    relation name -> the related entity's name or the attribute's value."""

    name: str
    kind: str
    facts: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Hop:
    """One step of a question's path: ``subject --relation--> object``, and the documents that
    state it (any of them is gold); ``words`` are the words that name the relation."""

    subject: str
    relation: str
    object: str
    docs: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A question, its acceptable answers (the first is canonical) and its gold path."""

    id: str
    text: str
    answers: tuple[str, ...]
    path: tuple[Hop, ...]

    @property
    def hops(self) -> int:
        """How many facts the answer needs (1, 2 or 3)."""
        return len(self.path)

    def reference(self) -> dict[str, Any]:
        """The sample reference the search rewards read (``rewards/search.py``): ``target`` (the
        answers, as Search-R1's ground truth names them), ``question`` and the ``hops``.

        >>> Question("q", "Who?", ("A",), ()).reference()
        {'target': ['A'], 'question': 'Who?', 'hops': []}
        """
        hops = [
            {"subject": h.subject, "relation": h.relation, "object": h.object,
             "docs": list(h.docs), "words": list(h.words)}
            for h in self.path
        ]  # fmt: skip
        return {"target": list(self.answers), "question": self.text, "hops": hops}


@dataclass(frozen=True)
class KnowledgeBase:
    """The entities, their documents, and the question generator (module doc)."""

    seed: int
    entities: Mapping[str, Entity]
    documents: tuple[Document, ...]
    fact_docs: Mapping[tuple[str, str], tuple[str, ...]]

    @property
    def by_id(self) -> dict[str, Document]:
        """The documents by id."""
        return {d.id: d for d in self.documents}

    @classmethod
    def build(
        cls,
        seed: int = 0,
        people: int = 600,
        cities: int = 150,
        companies: int = 200,
        universities: int = 60,
        rivers: int = 50,
        variety: bool = True,
    ) -> KnowledgeBase:
        """Generate the base for ``seed`` (the sizes are entity counts per kind).

        ``variety=False`` writes every fact with its relation's first template and no filler
        sentence: short passages, for a tiny model's context (the ``search`` training task).

        >>> KnowledgeBase.build(0, 8, 4, 4, 2, 2, variety=False).documents[0].text
        'Stenvesgil is 1150 kilometres long.'
        """
        rng = np.random.default_rng(seed)
        names = _Names(rng)
        ents: dict[tuple[str, str], Entity] = {}
        city_names = [names.place() for _ in range(cities)]
        river_names = [
            # namesakes: one river in five is named like a city
            city_names[int(rng.integers(cities))] if rng.random() < 0.2 else names.place()
            for _ in range(rivers)
        ]
        for r in dict.fromkeys(river_names):
            ents[("river", r)] = _entity(r, "river")
        for c in city_names:
            ents[("city", c)] = _entity(c, "city")
        for _ in range(companies):
            n = names.company()
            ents[("company", n)] = _entity(n, "company")
        for _ in range(universities):
            n = f"University of {city_names[int(rng.integers(cities))]}"
            n = names.unique(n, lambda: f"{names.place()} Institute")
            ents[("university", n)] = _entity(n, "university")
        for _ in range(people):
            n = names.person(city_names)
            ents[("person", n)] = _entity(n, "person")
        by_kind: dict[str, list[Entity]] = {}
        for e in ents.values():
            by_kind.setdefault(e.kind, []).append(e)
        for e in ents.values():
            for rel in (r for r in RELATIONS.values() if r.domain == e.kind):
                _set_fact(e, rel, by_kind, rng)
        entities = {e.name + "|" + e.kind: e for e in ents.values()}
        documents, fact_docs = _write(list(ents.values()), city_names, rng, variety)
        return cls(seed, entities, tuple(documents), fact_docs)

    def entity(self, name: str, kind: str) -> Entity:
        """The entity of that name and kind."""
        return self.entities[name + "|" + kind]

    def question(self, rng: np.random.Generator, hops: int) -> Question:
        """A question whose answer needs ``hops`` facts (1 to 3), drawn with ``rng``."""
        if not 1 <= hops <= 3:
            raise ValueError(f"hops must be 1, 2 or 3, got {hops}")
        starts = [e for e in self.entities.values() if e.kind in _STARTS[hops]]
        while True:
            path = self._walk(starts[int(rng.integers(len(starts)))], hops, rng)
            if path is not None:
                break
        subject_np = path[0].subject
        for hop in path[:-1]:
            subject_np = RELATIONS[hop.relation].phrase.format(s=subject_np)
        last = RELATIONS[path[-1].relation]
        text = last.question.format(s=subject_np)
        end = path[-1]
        answers = self._aliases(end.object, last)
        qid = f"q{self.seed}-{zlib.crc32(text.encode()):08x}"
        return Question(qid, text, answers, tuple(path))

    def _walk(self, start: Entity, hops: int, rng: np.random.Generator) -> list[Hop] | None:
        path, here = [], start
        for k in range(hops):
            last = k == hops - 1
            options = [
                r for r in RELATIONS.values()
                if r.domain == here.kind and (last or r.range in _CONTINUES[hops - k - 1])
            ]  # fmt: skip
            if not options:
                return None
            rel = options[int(rng.integers(len(options)))]
            obj = here.facts[rel.name]
            docs = self.fact_docs[(here.name + "|" + here.kind, rel.name)]
            path.append(Hop(here.name, rel.name, obj, docs, rel.words))
            if not last:
                here = self.entity(obj, rel.range)
        return path

    def _aliases(self, value: str, rel: Relation) -> tuple[str, ...]:
        if rel.range in _KINDS:
            return (value, *self.entity(value, rel.range).aliases.get("name", ()))
        return (value, *rel.value_aliases(value))


_KINDS = ("person", "city", "company", "university", "river")
# which kinds can start a path of n hops, and which can continue with n more
_CONTINUES = {1: {"city", "company", "university", "river"}, 2: {"city", "company", "university"}}
_STARTS = {
    1: set(_KINDS),
    2: {"person", "company", "university", "city"},
    3: _CONTINUES[2] | {"person"},
}


def _entity(name: str, kind: str) -> Entity:
    aliases: tuple[str, ...] = ()
    if kind == "river":
        aliases = (f"{name} River", f"River {name}")
    elif kind == "company":
        aliases = (name.rsplit(" ", 1)[0],)
    elif kind == "university" and name.startswith("University of "):
        aliases = (name.removeprefix("University of ") + " University",)
    elif kind == "city" and name.startswith("Port "):
        aliases = (name.removeprefix("Port "),)
    return Entity(name, kind, aliases={"name": aliases} if aliases else {})


def _set_fact(
    e: Entity, rel: Relation, by_kind: Mapping[str, list[Entity]], rng: np.random.Generator
) -> None:
    if rel.range in by_kind:
        pool = by_kind[rel.range]
        e.facts[rel.name] = pool[int(rng.integers(len(pool)))].name
    else:
        lo, hi, step = rel.value_range
        value = int(rng.integers(lo // step, hi // step)) * step
        e.facts[rel.name] = SEAS[value % len(SEAS)] if rel.name == "flows_into" else str(value)
        if rel.name == "population":
            e.facts[rel.name] = f"{value:,}"


def _write(
    ents: list[Entity], city_names: list[str], rng: np.random.Generator, variety: bool = True
) -> tuple[list[Document], dict[tuple[str, str], tuple[str, ...]]]:
    """One document per fact (a template drawn per fact), a second "profile" document for one
    fact in six, and a filler sentence in most (possibly naming another city); without
    ``variety``, the first template and no filler."""
    docs: list[Document] = []
    fact_docs: dict[tuple[str, str], list[str]] = {}
    for e in ents:
        for rel_name, value in e.facts.items():
            rel = RELATIONS[rel_name]
            copies = 2 if rng.random() < 1 / 6 and variety else 1
            for _ in range(copies):
                text = fact_sentence(rel, e.name, value, rng)
                if not variety:
                    text = rel.templates[0].format(s=e.name, o=value)
                if rng.random() < 0.7 and variety:
                    text += " " + filler_sentence(e, city_names, rng)
                doc_id = f"d{len(docs):05d}"
                docs.append(Document(doc_id, e.name, text))
                fact_docs.setdefault((e.name + "|" + e.kind, rel_name), []).append(doc_id)
    return docs, {k: tuple(v) for k, v in fact_docs.items()}


class _Names:
    """Invented, unique names; a person's surname is now and then a city's name or one letter
    away from an earlier person's (near-duplicates)."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.used, self.surnames = rng, set[str](), list[str]()

    def unique(self, name: str, other: Any) -> str:
        while name in self.used:
            name = other()
        self.used.add(name)
        return name

    def _word(self, parts: int) -> str:
        return word(self.rng, parts)

    def place(self) -> str:
        def make() -> str:
            base = self._word(int(self.rng.integers(2, 4)))
            return f"Port {base}" if self.rng.random() < 0.1 else base

        return self.unique(make(), make)

    def company(self) -> str:
        kinds = ("Group", "Works", "Labs", "Industries", "Systems", "Holdings", "Motors")

        def make() -> str:
            return f"{self._word(2)} {kinds[int(self.rng.integers(len(kinds)))]}"

        return self.unique(make(), make)

    def person(self, city_names: list[str]) -> str:
        def make() -> str:
            first = FIRST_NAMES[int(self.rng.integers(len(FIRST_NAMES)))]
            roll = self.rng.random()
            if roll < 0.1:  # namesake: a city's name as a surname
                last = city_names[int(self.rng.integers(len(city_names)))]
            elif roll < 0.25 and self.surnames:  # near-duplicate: one letter more
                last = self.surnames[int(self.rng.integers(len(self.surnames)))]
                last += "rnse"[int(self.rng.integers(4))]
            else:
                last = self._word(2)
                self.surnames.append(last)
            return f"{first} {last}"

        return self.unique(make(), make)
