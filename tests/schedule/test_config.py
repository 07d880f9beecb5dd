"""Validation helpers: field paths, did-you-mean, type keys."""

from __future__ import annotations

import pytest
from pydantic import Field

from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.schedule.config import ConfigModel, collect, join, type_key, validate


class Inner(ConfigModel):
    level: float = Field(ge=0)


class Outer(ConfigModel):
    name: str
    inner: Inner | None = None
    items: list[Inner] = Field(default_factory=list)


def test_join_skips_empty_parts() -> None:
    assert join("", "a", 0, "b") == "a.0.b"


def test_validate_lists_every_problem_with_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Outer, {"inner": {"level": -1}, "items": [{"level": 1}, {"lvl": 2}]}, "root")
    assert info.value.problems == [
        ("root.name", "Field required"),
        ("root.inner.level", "Input should be greater than or equal to 0"),
        ("root.items.1.level", "Field required"),
        ("root.items.1.lvl", "unknown field 'lvl' (did you mean 'level'?); valid fields: level"),
    ]


def test_unknown_field_without_close_match_lists_the_fields() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Outer, {"name": "a", "zzz": 1}, "root")
    assert info.value.problems == [
        ("root.zzz", "unknown field 'zzz'; valid fields: inner, items, name")
    ]


def test_non_mapping_body() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Outer, [1, 2], "root")
    assert info.value.problems == [("root", "expected a mapping, got list")]


def test_type_key() -> None:
    assert type_key({"b": 1, "x": 2}, ["a", "b"], "thing", "p") == "b"
    with pytest.raises(UnknownNameError, match="did you mean 'bandit'"):
        type_key({"bandt": {}}, ["bandit", "ucb"], "curriculum type", "p")
    with pytest.raises(ConfigError, match="several"):
        type_key({"a": 1, "b": 2}, ["a", "b"], "thing", "p")


def test_collect() -> None:
    collect([])
    with pytest.raises(ConfigError, match="2 problems"):
        collect([("a", "bad"), ("b", "worse")])
