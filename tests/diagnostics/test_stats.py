from __future__ import annotations

import numpy as np

from rewardkit.advantage import Groups
from rewardkit.diagnostics import advantage_stats, node_stats
from rewardkit.types import Failure

NAN = float("nan")


def test_node_stats_by_hand() -> None:
    values = {"reward": np.array([1.0, 1.0, 0.0, 1.0]), "reward/x": np.array([0.0, NAN, 0.0, 2.0])}
    failures = [Failure("reward/x", "s1", "ValueError", "bad")]
    m = node_stats(values, Groups.from_ids("aabb"), failures)
    assert (
        m["reward/mean"] == 0.75
        and m["reward/zero_std_frac"] == 0.5
        and m["reward/sparsity"] == 0.25
    )
    # x: applicable [0, 0, 2] mean 2/3; group a has one applicable value, group b differs -> 0.0
    assert np.isclose(m["reward/x/mean"], 2 / 3)
    assert m["reward/x/zero_std_frac"] == 0.0
    assert np.isclose(m["reward/x/sparsity"], 2 / 3)
    assert m["reward/x/none_frac"] == 0.25
    assert m["reward/x/errors"] == 1.0 and m["reward/errors"] == 0.0


def test_nothing_applies_gives_nan_not_zero() -> None:
    m = node_stats({"reward": np.array([NAN, NAN])}, Groups.from_ids("aa"), [])
    assert np.isnan(m["reward/mean"]) and m["reward/none_frac"] == 1.0


def test_advantage_stats() -> None:
    m = advantage_stats(np.array([1.0, -1.0, 0.0, 0.0]), np.array([1.0, 0.0, 1.0, NAN]))
    assert np.isclose(m["advantage/abs_mean"], 2 / 3) and np.isclose(
        m["advantage/zero_frac"], 1 / 3
    )


def test_verifier_failures_are_counted_by_path_and_in_total() -> None:
    from rewardkit.diagnostics.stats import batch_metrics

    failures = [
        Failure("reward/judge", "a", "VerifierFailed", "decoy_consistent: ..."),
        Failure("reward/judge", "b", "ValueError", "boom"),
    ]
    cols = {"reward": np.array([np.nan, np.nan]), "reward/judge": np.array([np.nan, np.nan])}
    m = batch_metrics(cols, Groups.from_ids("gg"), failures)
    assert m["reward/judge/errors"] == 2.0 and m["reward/judge/verifier_failed"] == 1.0
    assert m["verifier_failed/total"] == 1.0 and "reward/verifier_failed" not in m
