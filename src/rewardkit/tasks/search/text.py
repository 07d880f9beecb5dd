"""The words of the knowledge base: its relations with their question and document templates,
and the invented names (``kb.py`` builds the base from them).

>>> RELATIONS["born_in"].phrase.format(s="Anna Kessel")
'the city where Anna Kessel was born'
>>> RELATIONS["length_km"].value_aliases("420")
('420 km', '420 kilometres', '420 kilometers')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FIRST_NAMES", "RELATIONS", "SEAS", "Relation", "fact_sentence", "filler_sentence"]


@dataclass(frozen=True)
class Relation:
    """A relation from entities of kind ``domain`` to kind ``range`` (``value``: an attribute).

    ``question`` asks for it about ``{s}``; ``phrase`` names its object as a noun phrase (the
    bridge of a longer question); ``templates`` state it in a document (``{s}``, ``{o}``);
    ``words`` name it (the atomic thought reward reads them to see a hop planned).
    """

    name: str
    domain: str
    range: str
    question: str
    phrase: str
    words: tuple[str, ...]
    templates: tuple[str, ...]
    value_range: tuple[int, int, int] = (0, 1, 1)

    def value_aliases(self, value: str) -> tuple[str, ...]:
        """Other acceptable writings of an attribute's value."""
        if self.name == "length_km":
            return (f"{value} km", f"{value} kilometres", f"{value} kilometers")
        if self.name == "population":
            return (value.replace(",", ""),)
        return ()


def _rel(name: str, domain: str, range_: str, question: str, phrase: str, words: str,
         *templates: str, values: tuple[int, int, int] = (0, 1, 1)) -> Relation:  # fmt: skip
    return Relation(name, domain, range_, question, phrase, tuple(words.split()), templates, values)


RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in (
        _rel("born_in", "person", "city", "In which city was {s} born?",
             "the city where {s} was born", "born birthplace native",
             "{s} was born in {o}.", "The birthplace of {s} is {o}.",
             "{s} is a native of {o}, the city of their birth."),
        _rel("works_for", "person", "company", "Which company does {s} work for?",
             "the company {s} works for", "works employer employed",
             "{s} works for {o}.", "{s} is employed by {o}.", "The employer of {s} is {o}."),
        _rel("studied_at", "person", "university", "At which university did {s} study?",
             "the university where {s} studied", "studied graduated alumnus",
             "{s} studied at {o}.", "{s} graduated from {o}.", "{s} is an alumnus of {o}."),
        _rel("birth_year", "person", "value", "In what year was {s} born?",
             "", "born year", "{s} was born in the year {o}.", "{s} (born {o}) grew up by the sea.",
             "The year of birth of {s} is {o}.", values=(1930, 2001, 1)),
        _rel("headquartered_in", "company", "city", "In which city is {s} headquartered?",
             "the city where {s} is headquartered", "headquartered headquarters based",
             "{s} is headquartered in {o}.", "The headquarters of {s} are in {o}.",
             "{s} is based in {o}."),
        _rel("company_founded", "company", "value", "In what year was {s} founded?",
             "", "founded established", "{s} was founded in {o}.",
             "{s} has been in business since its founding in {o}.", values=(1850, 2016, 1)),
        _rel("located_in", "university", "city", "In which city is {s} located?",
             "the city where {s} is located", "located campus situated",
             "{s} is located in {o}.", "The campus of {s} lies in {o}.",
             "{s} is situated in {o}."),
        _rel("university_established", "university", "value",
             "In what year was {s} established?", "", "established founded",
             "{s} was established in {o}.", "{s} opened its doors in {o}.",
             values=(1400, 1991, 1)),
        _rel("lies_on", "city", "river", "On which river does {s} lie?",
             "the river that {s} lies on", "river lies banks",
             "{s} lies on the river {o}.", "{s} was built on the banks of the {o}.",
             "The river {o} runs through {s}."),
        _rel("population", "city", "value", "What is the population of {s}?",
             "", "population inhabitants", "{s} has a population of {o}.",
             "{s} is home to {o} inhabitants.", values=(5000, 2000001, 1000)),
        _rel("length_km", "river", "value", "What is the length in kilometres of {s}?",
             "", "length long kilometres", "{s} is {o} kilometres long.",
             "The course of {s} runs for {o} km.", values=(40, 3001, 10)),
        _rel("flows_into", "river", "value", "Into which sea does {s} flow?",
             "", "flows mouth sea", "{s} flows into the {o}.", "{s} empties into the {o}.",
             "The mouth of {s} is on the {o}.", values=(0, 800, 1)),
    )
}  # fmt: skip

SEAS = ("Amber Sea", "Northern Sea", "Glass Sea", "Sea of Torren", "Quiet Sea", "Iron Bay",
        "Sea of Vael", "Western Gulf")  # fmt: skip

FIRST_NAMES = (
    "Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Karin", "Lukas", "Maren", "Nils", "Olga", "Pavel", "Rosa", "Stefan", "Tamara", "Ulrich",
    "Vera", "Walter", "Yara", "Zoran", "Agnes", "Bruno", "Dora", "Emil", "Frida", "Gustav",
    "Hanna", "Ivan", "Judit", "Kasimir", "Lena", "Marek", "Nora", "Otto", "Petra", "Rune",
)  # fmt: skip

_SYLLABLES = (
    "ka", "ves", "tor", "lin", "mar", "rel", "dun", "sa", "bri", "hol", "an", "ver", "mo",
    "ren", "tal", "ost", "vik", "el", "gar", "nes", "pol", "ri", "sten", "ul", "wen", "zar",
    "bel", "cor", "dra", "fen", "gil", "har", "is", "jor", "kel", "lo", "mir", "nor", "or",
    "pra",
)  # fmt: skip

_FILLERS = {
    "person": ("{s} moved to {c} in {y}.", "{s} is known for work on {t}.",
               "{s} spent several summers in {c}.", "{s} enjoys {h}."),
    "city": ("{s} is known for its {t}.", "{s} holds a festival of {h} every spring."),
    "company": ("{s} makes {t}.", "{s} opened an office in {c} in {y}."),
    "university": ("{s} is known for its faculty of {t}.", "{s} runs a field station near {c}."),
    "river": ("{s} is popular with anglers.", "{s} freezes in hard winters."),
}  # fmt: skip
_TOPICS = ("glass making", "bridges", "maps", "weather", "old clocks", "rail engines", "printing",
           "ceramics", "textiles", "optics")  # fmt: skip
_HOBBIES = ("chess", "sailing", "choir music", "hiking", "kites", "poetry", "rowing", "cards")


def word(rng: np.random.Generator, parts: int) -> str:
    """An invented word of ``parts`` syllables, capitalised (``Vestor``)."""
    return "".join(_SYLLABLES[int(rng.integers(len(_SYLLABLES)))] for _ in range(parts)).title()


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def fact_sentence(rel: Relation, subject: str, value: str, rng: np.random.Generator) -> str:
    """A sentence stating ``subject --rel--> value`` from one of the relation's templates."""
    return _pick(rng, rel.templates).format(s=subject, o=value)


def filler_sentence(entity: Any, city_names: list[str], rng: np.random.Generator) -> str:
    """A sentence that states no asked fact, now and then naming another city (a distractor)."""
    return _pick(rng, _FILLERS[entity.kind]).format(
        s=entity.name,
        c=_pick(rng, tuple(city_names)),
        y=int(rng.integers(1950, 2020)),
        t=_pick(rng, _TOPICS),
        h=_pick(rng, _HOBBIES),
    )
