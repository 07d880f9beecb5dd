"""Building curricula from YAML mappings: the right type, and every problem with its path."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.curriculum import (
    UCB,
    ArmSampler,
    BalancedFilter,
    Bandit,
    Curriculum,
    DifficultyLadder,
    build_curricula,
    build_curriculum,
)
from rewardkit.errors import ConfigError, UnknownNameError


def paths(config: Any, name: str = "c") -> list[str]:
    with pytest.raises(ConfigError) as info:
        build_curriculum(name, config)
    return [p for p, _ in info.value.problems]


@pytest.mark.parametrize(
    ("config", "cls"),
    [
        ({"difficulty_ladder": {"sources": {"arith": {"digits": [1, 2]}}}}, DifficultyLadder),
        ({"balanced_filter": None}, BalancedFilter),
        ({"balanced_filter": {"low": 0.1}}, BalancedFilter),
        ({"bandit": {"arms": ["a", "b"]}}, Bandit),
        ({"ucb": {"arms": ["a", "b"]}}, UCB),
    ],
)
def test_each_type_builds(config: dict[str, Any], cls: type) -> None:
    c = build_curriculum("c", config)
    assert isinstance(c, cls) and isinstance(c, Curriculum)
    assert c.name == "c" and c.kind == next(iter(config))
    assert isinstance(c, ArmSampler) == (cls in (Bandit, UCB))


def test_misspelt_type_suggests_the_right_one() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'bandit'") as info:
        build_curriculum("sec", {"bandt": {"arms": ["a"]}})
    assert info.value.problems[0][0] == "curricula.sec"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"bandit": {"arms": []}}, ["curricula.c.bandit.arms"]),
        ({"bandit": {"arms": ["a", "a"]}}, ["curricula.c.bandit.arms"]),
        (
            {"bandit": {"arms": ["a"], "temperature": 0, "learning_rate": 2}},
            ["curricula.c.bandit.learning_rate", "curricula.c.bandit.temperature"],
        ),
        ({"ucb": {"arms": ["a"], "window": 0}}, ["curricula.c.ucb.window"]),
        ({"balanced_filter": {"low": 0.8, "high": 0.2}}, ["curricula.c.balanced_filter.high"]),
        (
            {"balanced_filter": {"accuracy_from": "score"}},
            ["curricula.c.balanced_filter.accuracy_from"],
        ),
        ({"difficulty_ladder": {}}, ["curricula.c.difficulty_ladder.sources"]),
        (
            {"difficulty_ladder": {"sources": {"s": {"a": [1]}}, "failure_threshold": 0.9}},
            ["curricula.c.difficulty_ladder.failure_threshold"],
        ),
        (
            {"difficulty_ladder": {"sources": {"s": {"a": [1]}}, "start": {"s": {"b": 0}}}},
            ["curricula.c.difficulty_ladder.start.s.b"],
        ),
        (
            {"difficulty_ladder": {"sources": {"s": {"a": []}}}},
            ["curricula.c.difficulty_ladder.sources.s.a"],
        ),
        ({"bandit": {"arms": ["a"]}, "temperature": 1}, ["curricula.c.temperature"]),
    ],
)
def test_problems_name_their_field(config: dict[str, Any], expected: list[str]) -> None:
    assert sorted(paths(config)) == expected


def test_unknown_field_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError, match="did you mean 'temperature'"):
        build_curriculum("c", {"bandit": {"arms": ["a"], "tempreature": 1}})


def test_build_curricula_collects_every_problem() -> None:
    config = {
        "ok": {"balanced_filter": {}},
        "sec": {"bandit": {"arms": []}},
        "dump": {"ucb": {}},
    }
    with pytest.raises(ConfigError) as info:
        build_curricula(config)
    assert [p for p, _ in info.value.problems] == [
        "curricula.sec.bandit.arms",
        "curricula.dump.ucb.arms",
    ]


def test_build_curricula() -> None:
    assert build_curricula(None) == {}
    built = build_curricula({"odf": {"balanced_filter": {}}, "sec": {"bandit": {"arms": ["a"]}}})
    assert list(built) == ["odf", "sec"]
