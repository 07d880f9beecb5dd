"""``difficulty_ladder`` against reasoning-gym's own curriculum, on the same accuracy streams.

The reasoning-gym side is its own code: a ``CurriculumExperiment`` (real curricula of real
datasets, its composite dataset and score board), every answer scored by
``score_answer_with_id`` (the dataset's right answer, or a wrong one), levels moved by
``update_difficulty``. Only the trigger is written here, because it lives in reasoning-gym's
training recipe (``training/trainers/ray_grpo_trainer.py``), not in the wheel: after each step,
for every dataset on the score board, take ``aggregate(last_n=last_k)``; when its mean is
``> success_threshold`` with ``>= last_k`` samples, clear the board and ``increment``; when it is
``< failure_threshold`` with ``>= last_k`` samples, clear and ``decrement``.

Each case draws 1-3 datasets, starting levels (equal, lagging, at the top), a window, thresholds
and 25 steps of answers whose accuracy wanders between 0 and 1. A case agrees when the level of
every attribute after every step is the same on both sides. The cases where they disagree must be
exactly the intended differences listed in ``docs/conformance.md``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rewardkit.curriculum import DifficultyLadder, Outcome, build_curriculum

rg_experiment = pytest.importorskip("reasoning_gym.coaching.experiment")
rg_config = pytest.importorskip("reasoning_gym.coaching.curriculum_config")
rg_factory = pytest.importorskip("reasoning_gym.factory")

DATASETS = ["chain_sum", "basic_arithmetic", "products", "count_bits", "leg_counting"]
WINDOWS = [1, 2, 3, 4, 6, 10]
THRESHOLDS = [(0.7, 0.1), (0.5, 0.2), (0.8, 0.3), (0.6, 0.4)]
ACCURACIES = [0.0, 0.05, 0.3, 0.5, 0.75, 0.95, 1.0]
N_CASES, N_STEPS = 220, 25
DOC = Path(__file__).parents[2] / "docs" / "conformance.md"
SMALL = {"basic_arithmetic": {"num_terms": 4, "num_digits": 2}}
"""The top level kept of each attribute, so that reasoning-gym generates every entry fast: its
``basic_arithmetic`` makes a division exact by trial division of the dividend
(``find_common_divisors``), minutes for the 19-digit dividends of six 4-digit terms; four 2-digit
terms keep dividends under 9 digits (microseconds). Both sides use the same, smaller levels."""

Levels = dict[str, dict[str, int]]


def create_curriculum(name: str) -> Any:
    """reasoning-gym's own curriculum of ``name``, its attributes' levels cut at ``SMALL``."""
    curriculum = rg_factory.create_curriculum(name)
    for attribute, top in SMALL.get(name, {}).items():
        definition = curriculum.attributes[attribute]
        definition.levels = [v for v in definition.levels if v <= top]
    return curriculum


@pytest.fixture(autouse=True)
def _small_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    """The experiment builds its curricula by name, too: give it the same small levels."""
    monkeypatch.setattr(rg_experiment, "create_curriculum", create_curriculum)


@dataclass
class Case:
    seed: int
    starts: Levels  # dataset -> attribute -> starting level index
    last_k: int
    success: float
    failure: float
    steps: list[list[tuple[str, bool]]]  # per step: (dataset, answered right?)


def make_case(seed: int) -> Case:
    """A random case; a third start with every attribute equal, the rest lag or sit at the top."""
    rng = random.Random(seed)
    names = rng.sample(DATASETS, rng.randint(1, 3))
    starts: Levels = {}
    for name in names:
        sizes = {a: len(d.levels) for a, d in create_curriculum(name).attributes.items()}
        pick = rng.random()
        if pick < 0.33:
            level = rng.randint(0, 2)
            starts[name] = {a: min(level, n - 1) for a, n in sizes.items()}
        elif pick < 0.5:
            starts[name] = {a: n - 1 - rng.randint(0, 1) for a, n in sizes.items()}
        else:
            starts[name] = {a: rng.randint(0, n - 1) for a, n in sizes.items()}
    success, failure = rng.choice(THRESHOLDS)
    accuracy = {name: rng.choice(ACCURACIES) for name in names}
    steps = []
    for _ in range(N_STEPS):
        step = []
        for name in names:
            if rng.random() < 0.25:  # the accuracy wanders
                accuracy[name] = rng.choice(ACCURACIES)
            count = 0 if rng.random() < 0.15 else rng.randint(1, 5)
            step += [(name, rng.random() < accuracy[name]) for _ in range(count)]
        rng.shuffle(step)
        steps.append(step)
    return Case(seed, starts, rng.choice(WINDOWS), success, failure, steps)


def run_reasoning_gym(case: Case) -> list[Levels]:
    """Levels after every step, from reasoning-gym's experiment and the recipe's trigger."""
    curricula = {
        name: rg_config.CurriculumAttributeConfig(attribute_levels=dict(levels))
        for name, levels in case.starts.items()
    }
    config = rg_config.CurriculumExperimentConfig(curricula=curricula)
    experiment = rg_experiment.CurriculumExperiment(
        "conformance", config, size=10_000, seed=case.seed
    )
    history, index = [], 0
    for step in case.steps:
        for name, right in step:
            index += 1
            entry = experiment.composite.datasets[name][index]
            entry_id = f"{experiment.composite.dataset_versions[name]}.{index}"
            score = experiment.score_answer_with_id(entry["answer"] if right else "wrong", entry_id)
            assert score == float(right), (name, entry, score)
        for name, grouped in experiment.score_board.aggregate(last_n=case.last_k).items():
            if not grouped.scores:  # cleared and not trained on since: the recipe would crash
                continue
            accuracy = np.mean(next(iter(grouped.scores.values())))
            enough = grouped.total_scores >= case.last_k
            if accuracy > case.success and enough:
                experiment.score_board.clear(name)
                experiment.update_difficulty(name, "increment")
            elif accuracy < case.failure and enough:
                experiment.score_board.clear(name)
                experiment.update_difficulty(name, "decrement")
        history.append(
            {
                name: {a: c.get_attr_level(a) for a in c.attributes}
                for name, c in experiment.curricula.items()
            }
        )
    return history


def run_rewardkit(case: Case, move: str | None) -> list[Levels]:
    """Levels after every step, from ``difficulty_ladder`` with the same levels and thresholds."""
    sources = {
        name: {a: list(d.levels) for a, d in create_curriculum(name).attributes.items()}
        for name in case.starts
    }
    body: dict[str, Any] = {
        "sources": sources,
        "start": case.starts,
        "last_k": case.last_k,
        "success_threshold": case.success,
        "failure_threshold": case.failure,
    }
    if move is not None:
        body["move"] = move
    ladder = build_curriculum("gym", {"difficulty_ladder": body})
    assert isinstance(ladder, DifficultyLadder)
    history = []
    for t, step in enumerate(case.steps):
        ladder.observe(t, [Outcome(name, f"g{t}", correct=right) for name, right in step])
        history.append(ladder.state_dict()["levels"])
    return history


def first_difference(case: Case, ours: list[Levels], theirs: list[Levels]) -> str | None:
    """None when the level sequences agree, else the kind of the first step that differs.

    ``raise-lagging`` / ``lower-below-max``: both sides moved the same way from the same levels
    and landed on different ones; ``window``: one side moved and the other did not (their
    windows differ).
    """
    before = {name: dict(levels) for name, levels in case.starts.items()}
    for mine, peer in zip(ours, theirs, strict=True):
        for name in before:
            if mine[name] == peer[name]:
                continue
            up_mine, up_peer = (_direction(before[name], x[name]) for x in (mine, peer))
            if up_mine == up_peer == 1:
                return "raise-lagging"
            if up_mine == up_peer == -1:
                return "lower-below-max"
            return "window"
        before = peer
    return None


def _direction(old: dict[str, int], new: dict[str, int]) -> int:
    return int(np.sign(sum(new.values()) - sum(old.values())))


def documented_differences() -> set[str]:
    """The ids listed under the difficulty_ladder sub-section of docs/conformance.md."""
    text = DOC.read_text()
    section = text.split("### curriculum: difficulty_ladder", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^- `(move=\w+/[\w-]+)`", section, flags=re.M))


def compare(move: str | None) -> tuple[int, dict[int, str]]:
    """(agreeing cases, {seed: kind of difference}) over N_CASES generated cases."""
    differ: dict[int, str] = {}
    for seed in range(N_CASES):
        case = make_case(seed)
        kind = first_difference(case, run_rewardkit(case, move), run_reasoning_gym(case))
        if kind is not None:
            differ[seed] = kind
    return N_CASES - len(differ), differ


def test_cases_cover_the_rule() -> None:
    """The generated cases start lagging and at the top, and both raise and lower levels."""
    cases = [make_case(seed) for seed in range(N_CASES)]
    assert sum(len({*c.starts[n].values()}) > 1 for c in cases for n in c.starts) >= 100
    histories = [run_reasoning_gym(c) for c in cases[:40]]
    moves = {
        _direction(a[n], b[n])
        for h, c in zip(histories, cases, strict=False)
        for a, b in zip([c.starts, *h], h, strict=False)
        for n in c.starts
    }
    assert moves == {-1, 0, 1}


@pytest.mark.parametrize("move", ["global", "per_attribute"])
def test_difficulty_ladder_matches_reasoning_gym(move: str) -> None:
    agree, differ = compare(move)
    print(f"\ndifficulty_ladder move={move} vs reasoning-gym: {agree}/{N_CASES} cases agree")
    kinds = {f"move={move}/{kind}" for kind in differ.values()}
    intended = {d for d in documented_differences() if d.startswith(f"move={move}/")}
    assert kinds == intended, f"differences {kinds} != documented {intended}; cases {differ}"
