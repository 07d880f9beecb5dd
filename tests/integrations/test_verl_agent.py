"""verl 0.9.1's tool agent loop through rewardkit: per-turn values on their turn's tokens, tools' tokens 0.

The batch is built in the layout of verl's agent loop (``verl_side_agent.py``, run in .venv-verl:
verl's ``DataProto``, rewardkit's reward manager as verl's workers call it, verl's
``compute_advantage``). Without .venv-verl those tests skip, except under CI (``CI=true``), where
they fail; the rest run the same pieces as plain functions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from verl_side_agent import TURN_VALUES  # noqa: E402

from rewardkit.advantage import Groups, turn_advantages  # noqa: E402
from rewardkit.integrations.verl_agent import (  # noqa: E402
    char_runs,
    env_meta,
    mask_runs,
    record_sample,
    turn_rewards,
)
from rewardkit.integrations.verl_estimator import dense_rewards, dual_advantages  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402

CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "answer", "fn": "verl_side_agent:final_answer", "weight": 1.0},
            {"name": "env", "fn": "verl_side_agent:env_turns", "weight": 0.0},
        ]
    },
    "advantage": {
        "estimator": "grpo",
        "steps_from": "reward/env",
        "step_weight": 1.0,
        "turn_credit": "loo_returns",
    },
    "on_error": "raise",
}
"""The outcome: the final answer (1/0); per-turn values: verl's tool rewards and turn scores
(weight 0: they move only the turn credit), credited by the leave-one-out returns-to-go."""

# loo_returns of TURN_VALUES by hand (returns-to-go G, baseline: the others' G at that turn)
# g0: G = [0.5, 0], [0.75, 0.25, 0], [0]; g1: G = [1.5, 0.3], [-1, 0]
TURN_ADV = [[0.125, -0.25], [0.5, 0.25, 0.0], [-0.625], [2.5, 0.3], [-2.5, -0.3]]


def test_tool_rewards_go_to_the_turn_whose_calls_earned_them() -> None:
    assert turn_rewards([], [1.0, -0.5, 0.25], [2, 1, 0], [0, 1], 3) == [0.5, 0.25, 0.0]
    assert turn_rewards([], [1.0, 2.0], [3, 0], [0], 2) is None  # 2 rewards, 3 calls, 1 turn
    assert turn_rewards([], [1.0, 2.0], [3, 1, 0], [0, 1], 3) == [1.0, 2.0, 0.0]  # one per turn
    assert turn_rewards([0.2, 0.3], [1.0], [1, 0], [0], 2) == [1.2, 0.3]  # a score per turn
    assert turn_rewards([0.2, 0.3, 0.4], [], [1, 0], [0], 2) is None


def test_a_rollout_is_a_trajectory_with_verls_rewards_in_meta() -> None:
    text = '<tool_call>{"name": "f", "arguments": {}}</tool_call>|tool says|done'
    starts = list(range(len(text) + 1))  # one token per character
    mask = [1] * 48 + [0] * 11 + [1] * 4
    assert mask_runs(mask) == [(1, 0, 48), (0, 48, 59), (1, 59, 63)]
    turns, env = char_runs(starts, mask)
    assert (turns, env) == (((0, 48), (59, 63)), ((48, 59),))
    meta = env_meta(text, turns, env, [], [0.75])
    assert meta == {"env_reward": 0.75, "env_rewards": [0.75, 0.0]}
    record = {"uid": "q", "text": text, "ids": list(range(63)), "ground_truth": "done",
              "offsets": [(t, t + 1) for t in range(63)], "starts": starts, "mask": mask,
              "tool_rewards": [0.75], "meta": {}}  # fmt: skip
    sample = record_sample(0, record)
    assert sample.steps == turns and sample.env_spans == env and sample.group == "q"
    assert sample.meta["env_rewards"] == [0.75, 0.0]


def _agent_layout(program: RewardProgram) -> tuple[Any, np.ndarray, np.ndarray, list[Any]]:
    """The manager's layout of TURN_VALUES-like rollouts with character tokens, numpy only."""
    from verl_side_agent import CALL, REPLY, ROLLOUTS

    records = []
    for uid, parts, scores, tools in ROLLOUTS:
        text = "".join(t for t, _ in parts)
        mask = [int(m) for t, m in parts for _ in t]
        records.append({"uid": uid, "text": text, "ids": list(range(len(text))),
                        "offsets": [(t, t + 1) for t in range(len(text))],
                        "starts": list(range(len(text) + 1)), "mask": mask, "ground_truth": "42",
                        "turn_scores": scores, "tool_rewards": tools, "meta": {}})  # fmt: skip
    assert CALL and REPLY
    samples = [record_sample(i, r) for i, r in enumerate(records)]
    scored = program.score(samples)
    width = max(len(r["ids"]) for r in records)
    rewards, mask = np.zeros((len(records), width)), np.zeros((len(records), width))
    for i, (r, s) in enumerate(zip(records, samples, strict=True)):
        n = len(r["ids"])
        which = np.full(n, -1)
        for k, (a, b) in enumerate(s.steps or ()):
            which[a:b] = k
        steps = scored.steps["reward/env"][i]
        rewards[i, :n] = dense_rewards(float(scored.rewards[i]), steps, which, n)
        mask[i, :n] = r["mask"]
    return scored, rewards, mask, [r["uid"] for r in records]


def test_the_layout_reads_turns_from_the_mask_zero_turns_included_without_verl() -> None:
    program = RewardProgram.from_dict(CONFIG)
    scored, rewards, mask, uids = _agent_layout(program)
    assert [list(s) for s in scored.steps["reward/env"]] == TURN_VALUES
    ours = program.advantages(scored).per_token
    theirs = dual_advantages(program, rewards, mask, uids)
    for i, row in enumerate(ours):
        assert row is not None
        np.testing.assert_allclose(theirs[i, : len(row)], row, atol=1e-12)
        assert not theirs[i][mask[i] == 0].any()  # the tool's tokens: no advantage
    got = turn_advantages(TURN_VALUES, Groups.from_ids(uids), "loo_returns")
    assert [np.round(a, 12).tolist() for a in got if a is not None] == TURN_ADV


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not VERL_PYTHON.exists():
        reason = f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the verl integration must run in CI: {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("verl_agent")
    (work / "config.json").write_text(json.dumps(CONFIG))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    out = work / "out.json"
    run = subprocess.run(
        [str(VERL_PYTHON), str(HERE / "verl_side_agent.py"), str(work), str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-6000:]
    return dict(json.loads(out.read_text()))


def _turn_tokens(mask: list[int]) -> list[list[int]]:
    """The token indices of each turn (the mask's runs of 1s) of one response."""
    return [list(range(a, b)) for v, a, b in mask_runs(mask) if v]


@pytest.mark.venv
@pytest.mark.process
def test_verl_agent_batch_per_turn_values_land_on_their_turns(agent_run: dict[str, Any]) -> None:
    run = agent_run["rewardkit_dual"]
    rm = np.array(run["rm_scores"])
    for i, record in enumerate(run["records"]):
        mask = record["mask"] if "mask" in record else [1] * len(record["ids"])
        last = len(record["ids"]) - 1  # the EOS closes the last turn and holds the outcome
        for k, tokens in enumerate(_turn_tokens(mask)):
            values = {round(float(rm[i, t]), 6) for t in tokens if t != last}
            assert values == {TURN_VALUES[i][k]}, (i, k, values)
        assert not rm[i, [t for t, m in enumerate(mask) if not m]].any()  # tools' tokens: 0
    outcomes = [round(float(rm[i, len(r["ids"]) - 1]), 6) for i, r in enumerate(run["records"])]
    assert outcomes == [1.0, 0.0, 1.0, 1.0, 0.0]  # the final answer, on the EOS


@pytest.mark.venv
@pytest.mark.process
def test_rewardkit_dual_credits_each_turn_and_masks_the_tools(agent_run: dict[str, Any]) -> None:
    run = agent_run["rewardkit_dual"]
    adv = np.array(run["advantages"])
    response_mask = np.array(run["response_mask"])
    assert not adv[response_mask == 0].any()  # tools' tokens and padding
    program = RewardProgram.from_dict(CONFIG)
    records = [r if "mask" in r else {**r, "mask": [1] * len(r["ids"])} for r in run["records"]]
    for r in records:
        r.update(ground_truth="42", meta={})
    scored = program.score([record_sample(i, r) for i, r in enumerate(records)])
    outcome = program.advantages(scored).per_sample
    for i, record in enumerate(records):
        for k, tokens in enumerate(_turn_tokens(record["mask"])):
            got = {round(float(adv[i, t] - outcome[i]), 6) for t in tokens}
            assert got == {TURN_ADV[i][k]}, (i, k, got)
    ours = program.advantages(scored).per_token
    worst = max(float(np.abs(adv[i, : len(row)] - row).max()) for i, row in enumerate(ours))
    print(f"  verl agent batch: rewardkit_dual vs program.advantages max |diff| {worst:.1e}")
    assert worst < 1e-5


@pytest.mark.venv
@pytest.mark.process
def test_verls_grpo_on_an_agent_batch_sees_the_outcome_alone(agent_run: dict[str, Any]) -> None:
    run = agent_run["grpo"]
    rm = np.array(run["rm_scores"])
    assert rm.sum(axis=1).round(6).tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert [round(x, 6) for x in run["single"]] == [1.0, 0.0, 1.0, 1.0, 0.0]  # run_single
    assert [e["reward/env"] for e in run["extra"]] == pytest.approx([0.5, 0.75, 0.0, 1.5, -1.0])
