"""Per-turn credit: hand-worked groups, the leave-one-out property, and unbiasedness measured on a
small decision problem whose gradient is known (the problem of bench/turns.py, H = 3)."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.advantage import Groups, turn_advantages
from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.types import Sample

NAN = float("nan")


def rounded(advs: list[np.ndarray | None]) -> list[list[float] | None]:
    return [None if a is None else a.round(6).tolist() for a in advs]


# Two samples: 0 takes two turns (tool reward 1, then an unjudged answer turn) and succeeds,
# 1 answers at once and fails. Returns with the outcome on the last turn: G = [2, 1] and [0].
TURNS = [[1.0, NAN], [0.0]]
OUTCOME = [1.0, 0.0]
PAIR = Groups.from_ids(["q", "q"])


@pytest.mark.parametrize(
    ("credit", "gamma", "expected"),
    [
        ("outcome", 1.0, [[1.0, 1.0], [-1.0]]),  # R = 2, 0; mean 1
        ("outcome_loo", 1.0, [[2.0, 2.0], [-2.0]]),  # the other's R
        ("returns", 1.0, [[1.0, 0.0], [-1.0]]),  # G_t - mean G_0 = G_t - 1
        ("returns", 0.5, [[0.75, 0.25], [-0.75]]),  # G = [1 + .5, 1], [0]; mean G_0 .75
        # turn 0 mean (1 + 0) / 2, turn 1 judged by nobody, outcome mean .5:
        # sample 0: (1 - .5) + (0) + (1 - .5) = 1 at turn 0, .5 at turn 1; sample 1: -.5 - .5
        ("index_returns", 1.0, [[1.0, 0.5], [-1.0]]),
        # turn 0: the other's G_0; turn 1 of sample 0: nobody else got there, baseline 0
        ("loo_returns", 1.0, [[2.0, 1.0], [-2.0]]),
    ],
)
def test_hand_worked_pair(credit: str, gamma: float, expected: list[list[float]]) -> None:
    got = turn_advantages(TURNS, PAIR, credit, OUTCOME, gamma)  # type: ignore[arg-type]
    assert rounded(got) == expected


def test_loo_returns_of_three_with_no_outcome() -> None:
    # G: [1], [1, 1], [0, 0]; turn 0 against the others' mean G_0, turn 1 against sample 2 / 1 only
    turns = [[1.0], [0.0, 1.0], [0.0, 0.0]]
    got = turn_advantages(turns, Groups.from_ids(["q"] * 3), "loo_returns")
    assert rounded(got) == [[0.5], [0.5, 1.0], [-1.0, -1.0]]


def test_samples_without_turns_and_groups_of_one() -> None:
    groups = Groups.from_ids(["a", "b", "b"])
    turns = [[1.0], None, [3.0]]  # group a: one sample; group b: one sample with turns
    got = {
        c: rounded(turn_advantages(turns, groups, c))
        for c in ("outcome", "outcome_loo", "returns", "index_returns", "loo_returns")
    }
    assert got["outcome"] == [[0.0], None, [0.0]]  # its own mean
    assert got["returns"] == [[0.0], None, [0.0]]
    assert got["index_returns"] == [[0.0], None, [0.0]]
    assert got["outcome_loo"] == [[1.0], None, [3.0]]  # no other sample: baseline 0
    assert got["loo_returns"] == [[1.0], None, [3.0]]
    # a sample without turns takes no part in the baselines
    alone = turn_advantages([[1.0], [3.0]], Groups.from_ids(["b", "b"]), "outcome")
    beside = turn_advantages([[1.0], None, [3.0]], Groups.from_ids(["b"] * 3), "outcome")
    assert rounded(beside) == [*rounded(alone)[:1], None, *rounded(alone)[1:]]
    assert turn_advantages([None, []], Groups.from_ids(["a", "a"]), "loo_returns") == [None, None]


def test_state_keys_compare_with_other_samples_turns_of_the_same_state() -> None:
    turns = [[1.0, 0.0], [0.0, 2.0], [3.0]]  # G: [1, 0], [2, 2], [3]
    keys = [["s", "x"], ["x", "s"], ["s"]]
    got = turn_advantages(turns, Groups.from_ids(["q"] * 3), "loo_returns", keys=keys)
    # s0 t0 (s): others' s turns 2 and 3 -> 1 - 2.5; s0 t1 (x): s1 t0 = 2 -> -2
    # s1 t0 (x): s0 t1 = 0 -> 2; s1 t1 (s): 1 and 3 -> 0; s2 t0 (s): 1 and 2 -> 1.5
    assert rounded(got) == [[-1.5, -2.0], [2.0, 0.0], [1.5]]
    # a state recurring in one trajectory: both of its own turns are left out
    again = turn_advantages(
        [[1.0, 1.0], [4.0]], Groups.from_ids(["q"] * 2), keys=[["s", "s"], ["s"]]
    )
    assert rounded(again) == [[-2.0, -3.0], [2.5]]  # G [2, 1] - 4; 4 - mean(2, 1)


def test_bad_arguments_say_what_is_wrong() -> None:
    g = Groups.from_ids(["q"])
    with pytest.raises(ValueError, match="unknown turn credit 'loo'"):
        turn_advantages([[1.0]], g, "loo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gamma is a discount"):
        turn_advantages([[1.0]], g, "returns", gamma=1.5)
    with pytest.raises(ValueError, match="sample 0: 1 state keys for 2 turns"):
        turn_advantages([[1.0, 2.0]], g, keys=[["s"]])
    with pytest.raises(ValueError, match="state keys are a loo_returns baseline"):
        turn_advantages([[1.0]], g, "index_returns", keys=[["s"]])


def baselines(turns: list[list[float]], outcome: list[float], credit: str) -> list[np.ndarray]:
    """b_t = G_t - A_t: what each turn is compared with."""
    groups = Groups.from_ids(["q"] * len(turns))
    adv = turn_advantages(turns, groups, credit, outcome)  # type: ignore[arg-type]
    g = turn_advantages(
        turns, Groups.from_ids([str(i) for i in range(len(turns))]), "loo_returns", outcome
    )  # alone in its group: A = G
    return [gi - ai for gi, ai in zip(g, adv, strict=True)]  # type: ignore[operator]


def test_a_samples_leave_one_out_baseline_ignores_its_own_rewards_and_length() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        turns = [rng.normal(size=rng.integers(1, 5)).tolist() for _ in range(5)]
        outcome = rng.random(5).tolist()
        before = baselines(turns, outcome, "loo_returns")[0]
        turns[0] = rng.normal(size=4).tolist()  # sample 0 acts differently and stops later
        outcome[0] = 5.0
        after = baselines(turns, outcome, "loo_returns")[0]
        assert np.allclose(before, after[: len(before)])
    # index_returns' baseline is the sum of the turn means up to the own last turn: it moves
    short = baselines([[1.0], [1.0, 1.0]], [0.0, 0.0], "index_returns")[0]
    long = baselines([[1.0, 1.0, 1.0], [1.0, 1.0]], [0.0, 0.0], "index_returns")[0]
    assert short.tolist() == [1.0] and long.tolist()[0] == 3.0


def test_program_feeds_turn_credit_into_per_token_advantages() -> None:
    spans = ((0, 2), (2, 4))
    batch = [
        Sample(
            id=str(i),
            group="g",
            prompt="",
            completion="abcd",
            token_ids=(1, 2),
            token_offsets=spans,
            steps=spans,
            meta={"o": o, "steps": st},
        )
        for i, (o, st) in enumerate([(1.0, [1.0, 1.0]), (0.0, [1.0, 0.0])])
    ]
    advantage = {"estimator": "dr_grpo", "step_weight": 0.5, "turn_credit": "loo_returns"}
    program = RewardProgram.from_dict(
        {"reward": {"fn": "test_meta", "key": "o"}, "advantage": advantage}
    )
    adv = program.advantages(program.score(batch))
    # turn returns [2, 1] and [1, 0]; each against the other: [1, 1], [-1, -1]
    assert rounded(adv.per_step) == [[1.0, 1.0], [-1.0, -1.0]]
    # outcome advantages [.5, -.5] plus .5 x turn advantage
    assert rounded(adv.per_token) == [[1.0, 1.0], [-1.0, -1.0]]


def test_config_keeps_turn_credit_and_step_baseline_apart() -> None:
    with pytest.raises(ConfigError, match="step_baseline applies only with turn_credit: none"):
        RewardProgram.from_dict(
            {
                "reward": {"fn": "test_meta"},
                "advantage": {"turn_credit": "returns", "step_baseline": "index"},
            }
        )
    with pytest.raises(ConfigError, match="gamma"):
        RewardProgram.from_dict({"reward": {"fn": "test_meta"}, "advantage": {"gamma": 2.0}})
    cfg = RewardProgram.from_dict({"reward": {"fn": "test_meta"}}).config.advantage
    assert (cfg.turn_credit, cfg.gamma, cfg.step_baseline) == (
        "none",
        1.0,
        None,
    )  # None: group, the default


# -- unbiasedness on a decision problem with a known gradient ------------------------------------
# Up to H = 3 turns: at turns 0 and 1 search with probability sigmoid(theta_t) = 1/2 (tool reward
# MU + noise) or answer; turn 2 must answer. An answer after m searches succeeds with 1 - .8 * .6^m.

MU, H, SIZE, GROUPS = 0.5, 3, 8, 4000


def true_gradient() -> np.ndarray:
    s = np.full(H - 1, 0.5)
    grad = np.zeros(H - 1)
    for m in range(H):  # m searches, then the answer
        prob = np.prod(s[:m]) * (1 - s[m] if m < H - 1 else 1.0)
        score = np.where(np.arange(H - 1) < m, 1 - s, 0.0)
        if m < H - 1:
            score[m] = -s[m]
        grad += prob * (m * MU + 1 - 0.8 * 0.6**m) * score
    return grad


def estimates(credit: str) -> np.ndarray:
    """[groups, parameters]: one gradient estimate per group of SIZE."""
    rng = np.random.default_rng(7)
    n = SIZE * GROUPS
    search = rng.random((n, H - 1)) < 0.5
    searches = np.argmin(np.hstack([search, np.zeros((n, 1), bool)]), axis=1)
    tool = MU + 0.1 * rng.standard_normal((n, H - 1))
    outcome = (rng.random(n) < 1 - 0.8 * 0.6**searches).astype(float)
    turns = [np.append(tool[i, :m], NAN) for i, m in enumerate(searches.tolist())]
    groups = Groups.from_ids(np.repeat(np.arange(GROUPS), SIZE).astype(str).tolist())
    adv = turn_advantages(turns, groups, credit, outcome)  # type: ignore[arg-type]
    a = np.array([np.pad(x, (0, H - len(x)))[: H - 1] for x in adv])  # type: ignore[arg-type]
    score = np.where(search, 0.5, -0.5) * (np.arange(H - 1) <= searches[:, None])
    return (score * a).reshape(GROUPS, SIZE, H - 1).mean(axis=1)


def test_loo_returns_is_unbiased_where_index_returns_is_not() -> None:
    truth = true_gradient()
    for credit, biased in (("loo_returns", False), ("index_returns", True)):
        est = estimates(credit)
        z = (est.mean(axis=0) - truth) / (est.std(axis=0, ddof=1) / np.sqrt(GROUPS))
        assert (np.abs(z).max() > 4) == biased, (credit, z)


def test_a_program_with_turn_credit_rebuilds_from_its_own_dict() -> None:
    from rewardkit import RewardProgram

    config = {
        "reward": {"fn": "exact_match"},
        "advantage": {"estimator": "rloo", "turn_credit": "loo_returns"},
    }
    program = RewardProgram.from_dict(config)
    again = RewardProgram.from_dict(program.to_dict())
    assert again.config.advantage.turn_credit == "loo_returns"
