r"""Per-turn credit for multi-turn trajectories: per-turn rewards of a group -> per-turn advantages.

Sample i of a group of n has T_i turns with rewards r_0 .. r_{T_i-1} (a component's per-step
values; NaN, a turn not judged, counts as reward 0) and an outcome o credited with its last turn.
Its discounted returns-to-go over turns are

    G_t = sum_{k=t}^{T-1} gamma^(k-t) r_k  +  gamma^(T-1-t) o        (R = G_0 at gamma = 1)

and each estimator ``credit`` gives every turn t of sample i an advantage A_t:

    outcome        A_t = R^i - mean_j R^j                   (every turn alike; no per-turn credit)
    outcome_loo    A_t = R^i - mean_{j != i} R^j            (RLOO)
    returns        A_t = G_t^i - mean_j G_0^j               (AReaL / verifiers practice)
    index_returns  A_t = sum_{k>=t} gamma^(k-t) (r_k^i - rbar_k) + (o^i - obar)   (MT-GRPO, BIASED)
    loo_returns    A_t = G_t^i - b_t^i,  b_t^i = mean of G_t^j over the samples j != i with T_j > t

rbar_k is the mean of the group's judged k-th turn rewards and obar the group's mean outcome (own
sample included, NaN left out); b_t^i is 0 when no other sample reached turn t. With state
``keys`` (GiGPO-style), loo_returns' b_t^i is the mean of G_s^j over the turns s of the other
samples whose key equals the key of turn t of i, 0 when there is none.

Why loo_returns is unbiased. The estimate is g = sum_i sum_t grad log pi(a_t^i | s_t^i) A_t^i.
With gamma = 1 the G part has expectation grad J, J = E[sum_k r_k + o], because a turn's reward
depends on actions at that turn and before only. The baseline part vanishes: b_t^i is a function of
the other samples (and, keyed, of the state s_t^i), which are independent of sample i given the
prompt, and whether i reached turn t is settled before a_t^i is drawn, so

    E[grad log pi(a_t^i|s_t^i) b_t^i] = E[b_t^i * E_{a ~ pi(.|s_t^i)}[grad log pi(a|s_t^i)]] = 0,

even when i decides itself how many turns to take. index_returns subtracts sum_{k=t}^{T_i-1}
rbar_k: its number of terms is T_i, which is chosen by a_t^i and the actions after it, so the
baseline depends on the action it is a baseline for. For a large group (rbar_k -> m_k, the mean
reward of a judged k-th turn) its expectation is

    grad J - grad E[ sum_{k < T} m_k 1{turn k judged} ]

a hidden cost of m_k on taking turn k: with a constant mean intermediate reward mu the bias is
-mu grad E[number of judged turns] (verl issue 7244). outcome and returns, whose mean includes the
own sample, expect (1 - 1/n) grad J at gamma = 1 (the right direction, shrunk); returns and
loo_returns with gamma < 1 target a discounted credit, not grad J, trading bias for variance.

Assumptions: the group's samples are drawn i.i.d. from the current policy given the prompt (no
selection of groups by their rewards); gamma = 1 for the gradient of the undiscounted J; a turn's
reward depends on that turn and earlier ones; unjudged turns (NaN) earn 0 and stay in the
baselines; a state key is a function of the history before the turn's action. A sample without
turns (None or empty) gets None and takes no part in any baseline. No estimator divides by a
group std (one that includes the own sample would bias it again).

>>> g = Groups.from_ids(["q", "q"])
>>> [a.tolist() for a in turn_advantages([[1.0, 0.0], [1.0]], g, "loo_returns", outcome=[1, 0])]
[[1.0, 1.0], [-1.0]]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal, get_args

import numpy as np

from rewardkit.advantage.groups import Groups

__all__ = ["TURN_CREDITS", "TurnCredit", "returns_to_go", "turn_advantages"]

TurnCredit = Literal["outcome", "outcome_loo", "returns", "index_returns", "loo_returns"]
TURN_CREDITS: tuple[str, ...] = get_args(TurnCredit)


def _table(turns: Sequence[Sequence[float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Rewards padded to [samples, longest] with NaN, and each sample's number of turns."""
    lengths = np.array([0 if t is None else len(t) for t in turns], dtype=np.int64)
    table = np.full((len(turns), int(lengths.max(initial=0))), np.nan)
    for i, t in enumerate(turns):
        if t is not None and len(t):
            table[i, : len(t)] = np.asarray(t, dtype=float)
    return table, lengths


def returns_to_go(
    rewards: np.ndarray, lengths: np.ndarray, outcome: np.ndarray, gamma: float
) -> np.ndarray:
    """G_t for a padded [samples, turns] reward table (NaN = 0); the outcome joins the last turn.

    Entries past a sample's last turn are NaN.

    >>> returns_to_go(np.array([[1.0, 2.0], [3.0, np.nan]]), np.array([2, 1]),
    ...               np.array([10.0, 0.0]), 0.5).tolist()
    [[7.0, 12.0], [3.0, nan]]
    """
    n, depth = rewards.shape
    reached = np.arange(depth) < lengths[:, None]
    r = np.where(reached, np.nan_to_num(rewards, nan=0.0), 0.0)
    has = lengths > 0
    r[np.flatnonzero(has), lengths[has] - 1] += np.nan_to_num(outcome[has], nan=0.0)
    out = np.zeros((n, depth + 1))
    for t in range(depth - 1, -1, -1):
        out[:, t] = r[:, t] + gamma * out[:, t + 1]
    return np.where(reached, out[:, :depth], np.nan)


def _cell_sums(codes: np.ndarray, x: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, turn index): the sum and the number of the non-NaN entries of x."""
    ok = ~np.isnan(x)
    depth = x.shape[1]
    cell = codes[:, None] * depth + np.arange(depth)
    size = count * depth
    s = np.bincount(cell[ok], weights=x[ok], minlength=size).reshape(count, depth)
    c = np.bincount(cell[ok], minlength=size).reshape(count, depth)
    return s, c


def _loo_mean(total: np.ndarray, n: np.ndarray, own: np.ndarray, own_n: np.ndarray) -> np.ndarray:
    """Mean over the others: (total - own) / (n - own_n), 0 where no other entry exists."""
    rest = n - own_n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rest > 0, (total - own) / np.maximum(rest, 1), 0.0)


def _keyed_baseline(
    g: np.ndarray, codes: np.ndarray, keys: Sequence[Sequence[Hashable] | None]
) -> np.ndarray:
    """loo_returns' baseline by state key: other samples' returns at turns with the same key."""
    total: dict[tuple[int, Hashable], list[float]] = {}
    own: dict[tuple[int, Hashable], list[float]] = {}
    for i, row in enumerate(keys):
        for t, key in enumerate(row or ()):
            cell = total.setdefault((int(codes[i]), key), [0.0, 0.0])
            cell[0] += g[i, t]
            cell[1] += 1
    b = np.zeros_like(g)
    for i, row in enumerate(keys):
        own.clear()
        for t, key in enumerate(row or ()):
            cell = own.setdefault((int(codes[i]), key), [0.0, 0.0])
            cell[0] += g[i, t]
            cell[1] += 1
        for t, key in enumerate(row or ()):
            (s, c), (s_own, c_own) = total[(int(codes[i]), key)], own[(int(codes[i]), key)]
            b[i, t] = (s - s_own) / (c - c_own) if c > c_own else 0.0
    return b


def _check_keys(
    keys: Sequence[Sequence[Hashable] | None], lengths: np.ndarray, credit: str
) -> None:
    if credit != "loo_returns":
        raise ValueError(f"state keys are a loo_returns baseline; credit {credit!r} takes none")
    if len(keys) != len(lengths):
        raise ValueError(f"{len(keys)} key rows for {len(lengths)} samples")
    for i, (row, n) in enumerate(zip(keys, lengths.tolist(), strict=True)):
        if len(row or ()) != n:
            raise ValueError(f"sample {i}: {len(row or ())} state keys for {n} turns")


def turn_advantages(
    turn_rewards: Sequence[Sequence[float] | None],
    groups: Groups,
    credit: TurnCredit = "loo_returns",
    outcome: Sequence[float] | np.ndarray | None = None,
    gamma: float = 1.0,
    keys: Sequence[Sequence[Hashable] | None] | None = None,
) -> list[np.ndarray | None]:
    """One advantage per turn (formulas in the module doc); None for a sample without turns.

    ``outcome``: one reward per sample, credited with its last turn (None: no outcome, the turn
    rewards alone); ``keys``: loo_returns only, one hashable state key per turn.

    A group of three (no outcome) where sample 0 stops after one turn, 1 and 2 take two. Returns
    G: [1], [1, 1], [0, 0]. Sample 0's turn 0 is compared with the others' G_0, (1 + 0) / 2; sample
    1's turn 1 with the only other sample that reached turn 1, G_1 = 0. index_returns centres each
    turn's reward on its index' mean (1/3 at turn 0, 1/2 at turn 1) and sums what is left.

    >>> g = Groups.from_ids(["q"] * 3)
    >>> turns = [[1.0], [0.0, 1.0], [0.0, 0.0]]
    >>> [a.tolist() for a in turn_advantages(turns, g, "loo_returns")]
    [[0.5], [0.5, 1.0], [-1.0, -1.0]]
    >>> [(a * 6).round(6).tolist() for a in turn_advantages(turns, g, "index_returns")]  # sixths
    [[4.0], [1.0, 3.0], [-5.0, -3.0]]
    """
    if credit not in TURN_CREDITS:
        raise ValueError(f"unknown turn credit {credit!r}; one of {', '.join(TURN_CREDITS)}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma is a discount in [0, 1], got {gamma}")
    rewards, lengths = _table(turn_rewards)
    n, depth = rewards.shape
    if len(groups.codes) != n:
        raise ValueError(f"{len(groups.codes)} group ids for {n} samples")
    o = np.zeros(n) if outcome is None else np.asarray(outcome, dtype=float).reshape(n)
    codes, count = groups.codes, groups.count
    has = (lengths > 0).astype(float)
    if keys is not None:
        _check_keys(keys, lengths, credit)
    g = returns_to_go(rewards, lengths, o, 1.0 if credit.startswith("outcome") else gamma)
    if credit == "index_returns":
        s, c = _cell_sums(codes, rewards, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            rbar = np.where(c > 0, s / np.maximum(c, 1), 0.0)[codes]
        o_ok = np.where(has > 0, o, np.nan)
        obar = np.nan_to_num(groups.mean(o_ok), nan=0.0)
        centred = np.nan_to_num(rewards - rbar, nan=0.0)
        adv = returns_to_go(centred, lengths, np.nan_to_num(o - obar, nan=0.0), gamma)
    elif credit == "loo_returns" and keys is not None:
        adv = g - _keyed_baseline(g, codes, keys)
    elif credit == "loo_returns":
        s, c = _cell_sums(codes, g, count)
        reached = ~np.isnan(g)
        adv = g - _loo_mean(s[codes], c[codes], np.nan_to_num(g), reached.astype(int))
    else:  # outcome, outcome_loo, returns: one baseline per sample, the group's G_0
        g0 = g[:, 0] if depth else np.zeros(n)
        total = np.bincount(codes, weights=np.nan_to_num(g0), minlength=count)[codes]
        size = np.bincount(codes, weights=has, minlength=count)[codes]
        if credit == "outcome_loo":
            base = _loo_mean(total, size, np.nan_to_num(g0), has)
        else:
            base = total / np.maximum(size, 1)
        if credit == "returns":
            adv = g - base[:, None]
        else:
            adv = np.where(np.isnan(g), np.nan, (g0 - base)[:, None])
    return [adv[i, :k].copy() if k else None for i, k in enumerate(lengths.tolist())]
