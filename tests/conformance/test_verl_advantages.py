"""verl 0.9.1's own ``core_algos`` estimators against ``rewardkit.advantage``, on 242 reward batches.

verl pins transformers < 5.11, so it lives in its own venv, ``.venv-verl`` (built by
``scripts/venv_verl.sh``, which ``scripts/venv.sh`` and so ``scripts/test.sh`` run). This test
writes the generated cases to a file, runs ``verl_side.py`` with that venv's python (verl's
``compute_grpo_outcome_advantage``, ``rloo`` and ``gdpo``, called as ``compute_advantage`` calls
them) and compares verl's advantages with rewardkit's (default eps 1e-6, verl's value).

Pairs: GRPO -> ``grpo``; GRPO with ``norm_adv_by_std_in_grpo=False`` -> ``dr_grpo``; RLOO ->
``rloo`` (each on the first reward component); GDPO with ``gdpo_reward_keys`` and weights ->
``gdpo`` (all components). Every difference is one of the intended differences of
docs/conformance.md, and every case where one of them applies differs: ``REASONS`` is that list,
each with the rule that picks its cases, and the test asserts that the differing cases are exactly
the union of those rules.

Without .venv-verl the test is skipped, except under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conformance.advantage_cases import Case, make_cases

from rewardkit.advantage import Groups, dr_grpo, gdpo, grpo, rloo

pytestmark = [pytest.mark.venv, pytest.mark.process]

ROOT = Path(__file__).resolve().parents[2]
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
SIDE = Path(__file__).with_name("verl_side.py")
CASES = make_cases(242)
ESTIMATORS = ("grpo", "dr_grpo", "rloo", "gdpo")
PEER = {
    "grpo": "GRPO",
    "dr_grpo": "GRPO (norm_adv_by_std_in_grpo=False)",
    "rloo": "RLOO",
    "gdpo": "GDPO",
}
# grpo, dr_grpo and rloo run in float64 on both sides: only rounding differs. verl's GDPO reads
# its components as float32 (an advantage of 0 comes out as about 4e-8) and whitens with 1e-8
# under the square root: rtol 1e-4 takes in that eps placement (a relative 1e-6 / std) for any
# batch std above 0.01.
RTOL = {"grpo": 1e-6, "dr_grpo": 1e-6, "rloo": 1e-6, "gdpo": 1e-4}
ATOL = {"grpo": 1e-9, "dr_grpo": 1e-9, "rloo": 1e-9, "gdpo": 1e-6}


def _nan_in_first(case: Case, ours: np.ndarray) -> bool:
    return bool(np.isnan(case.rewards[:, 0]).any())


def _nan_anywhere(case: Case, ours: np.ndarray) -> bool:
    return bool(np.isnan(case.rewards).any())


def _one_sample_groups(case: Case, ours: np.ndarray) -> bool:
    return case.size == 1 and bool((case.rewards != 0).any())


def _token_whitening(case: Case, ours: np.ndarray) -> bool:
    return bool((case.lengths > 1).any() and (ours != 0).any())


def _float32_components(case: Case, ours: np.ndarray) -> bool:
    return case.kind in ("low_variance", "offset")


def _eps_under_the_root(case: Case, ours: np.ndarray) -> bool:
    return case.kind == "tiny"


Reason = Callable[[Case, np.ndarray], bool]
# The intended differences (docs/conformance.md), per estimator, each with the rule for its cases.
REASONS: dict[str, dict[str, Reason]] = {
    "grpo": {"none": _nan_in_first, "one-sample group": _one_sample_groups},
    "dr_grpo": {"none": _nan_in_first, "one-sample group": _one_sample_groups},
    "rloo": {"none": _nan_in_first, "one-sample group": _one_sample_groups},
    "gdpo": {
        "none": _nan_anywhere,
        "one-sample group": _one_sample_groups,
        "token whitening": _token_whitening,
        "float32 components": _float32_components,
        "eps under the square root": _eps_under_the_root,
    },
}


@pytest.fixture(scope="module")
def verl_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not VERL_PYTHON.exists():
        reason = (
            f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh (or scripts/test.sh)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"verl conformance must run in CI: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("verl")
    cases, out = folder / "cases.json", folder / "verl.json"
    cases.write_text(json.dumps([case.to_json() for case in CASES]))
    run = subprocess.run(
        [str(VERL_PYTHON), str(SIDE), str(cases), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(out.read_text())
    assert results["verl"] == "0.9.1"
    return list(results["cases"])


def rewardkit_advantages(case: Case, estimator: str) -> np.ndarray:
    groups = Groups.from_ids(case.group_ids)
    if estimator == "gdpo":
        columns = [case.rewards[:, j] for j in range(case.rewards.shape[1])]
        root = np.where(np.isnan(case.rewards).all(axis=1), np.nan, 0.0)  # read for None only
        return gdpo(columns, case.weights, root, groups)
    single = {"grpo": grpo, "dr_grpo": dr_grpo, "rloo": rloo}[estimator]
    return single(case.rewards[:, 0], groups)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_verl_advantages_differ_only_as_listed(
    verl_results: list[dict[str, Any]], estimator: str, record_agreement: Callable[..., None]
) -> None:
    differ, listed = set(), set()
    by_reason = dict.fromkeys(REASONS[estimator], 0)
    for case, result in zip(CASES, verl_results, strict=True):
        theirs = np.array([np.nan if v is None else v for v in result[estimator]])
        ours = rewardkit_advantages(case, estimator)
        if not np.allclose(ours, theirs, rtol=RTOL[estimator], atol=ATOL[estimator]):
            differ.add(case.id)
        reasons = [name for name, rule in REASONS[estimator].items() if rule(case, ours)]
        if reasons:
            listed.add(case.id)
            by_reason[reasons[0]] += 1
    record_agreement(
        f"verl {PEER[estimator]} vs rewardkit {estimator}",
        len(CASES) - len(differ),
        len(CASES),
        len(differ & listed),
    )
    print(f"  differing cases by first intended reason: {by_reason}")
    assert sorted(differ - listed) == [], "differences not in docs/conformance.md"
    assert sorted(listed - differ) == [], "listed differences that no longer differ"
