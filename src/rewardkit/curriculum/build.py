"""Build curricula from their YAML mappings, reporting every problem with its field path.

Each curriculum names exactly one type as its only key, with its fields inside::

    curricula:
      gym: {difficulty_ladder: {sources: {arith: {digits: [1, 2, 3]}}, last_k: 20}}
      odf: {balanced_filter: {}}
      sec: {bandit: {arms: [easy, medium, hard], temperature: 0.5}}
      dump: {ucb: {arms: [gsm8k, math, logic]}}

>>> build_curriculum("odf", {"balanced_filter": None}).kind
'balanced_filter'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rewardkit.curriculum.bandit import Bandit, BanditConfig, arms_problems
from rewardkit.curriculum.base import Curriculum
from rewardkit.curriculum.difficulty import DifficultyConfig, DifficultyLadder, difficulty_problems
from rewardkit.curriculum.filter import BalancedFilter, BalancedFilterConfig, filter_problems
from rewardkit.curriculum.ucb import UCB, UCBConfig
from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.schedule.config import collect, join, type_key, validate


def _difficulty(name: str, body: Any, path: str) -> Curriculum:
    cfg = validate(DifficultyConfig, body, path)
    collect(difficulty_problems(cfg, path))
    return DifficultyLadder(name, cfg)


def _filter(name: str, body: Any, path: str) -> Curriculum:
    cfg = validate(BalancedFilterConfig, body, path)
    collect(filter_problems(cfg, path))
    return BalancedFilter(name, cfg)


def _bandit(name: str, body: Any, path: str) -> Curriculum:
    cfg = validate(BanditConfig, body, path)
    collect(arms_problems(cfg.arms, path))
    return Bandit(name, cfg)


def _ucb(name: str, body: Any, path: str) -> Curriculum:
    cfg = validate(UCBConfig, body, path)
    collect(arms_problems(cfg.arms, path))
    return UCB(name, cfg)


BUILDERS: dict[str, Callable[[str, Any, str], Curriculum]] = {
    "difficulty_ladder": _difficulty,
    "balanced_filter": _filter,
    "bandit": _bandit,
    "ucb": _ucb,
}
TYPES: tuple[str, ...] = tuple(BUILDERS)
"""Every curriculum type a config may name."""


def build_curriculum(name: str, config: Mapping[str, Any], path: str = "curricula") -> Curriculum:
    """One curriculum from its config mapping (the value under ``curricula.<name>``).

    Raises ConfigError listing every problem with its path (``curricula.<name>.<type>.<field>``),
    or UnknownNameError for a misspelt type.

    >>> build_curriculum("sec", {"bandit": {"arms": ["a", "b"]}}).probabilities()
    {'a': 0.5, 'b': 0.5}
    """
    here = join(path, name)
    if not isinstance(config, Mapping):
        raise ConfigError(
            [
                (
                    here,
                    f"expected a mapping with one curriculum type "
                    f"({', '.join(TYPES)}), got {type(config).__name__}",
                )
            ]
        )
    kind = type_key(config, TYPES, "curriculum type", here)
    collect(
        (join(here, k), f"unexpected key next to {kind!r}; put the fields inside {kind}: {{...}}")
        for k in config
        if k != kind
    )
    return BUILDERS[kind](name, config[kind], join(here, kind))


def build_curricula(
    config: Mapping[str, Any] | None, path: str = "curricula"
) -> dict[str, Curriculum]:
    """Every curriculum of a ``curricula:`` mapping; all their problems are reported at once.

    >>> list(build_curricula({"odf": {"balanced_filter": {}}}))
    ['odf']
    """
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigError(
            [(path, f"expected a mapping of name -> curriculum, got {type(config).__name__}")]
        )
    built: dict[str, Curriculum] = {}
    errors: list[ConfigError] = []
    for name, body in config.items():
        try:
            built[str(name)] = build_curriculum(str(name), body, path)
        except ConfigError as exc:
            errors.append(exc)
    if len(errors) == 1 and isinstance(errors[0], UnknownNameError):
        raise errors[0]
    collect(problem for exc in errors for problem in exc.problems)
    return built
