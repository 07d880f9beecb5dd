"""rewardkit inside verl 0.9.1's own code: the reward loop on Ray, the reward manager, the estimator.

verl lives in ``.venv-verl`` (scripts/venv_verl.sh); this test starts a real rewardkit server on
127.0.0.1 in this process, writes the module a verl user points at, and runs
``verl_side_reward_loop.py`` in that venv: verl's ``RewardLoopManager`` with 2 ``RewardLoopWorker``
actors on Ray (2 CPUs). Without .venv-verl it skips, except under CI (``CI=true``), where it fails.
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
SIDE = HERE / "verl_side_reward_loop.py"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from rewardkit.integrations.verl import make_compute_score  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402
from rewardkit.types import Sample  # noqa: E402

CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "exact", "fn": "exact_match", "weight": "${w}"},
            {"name": "steps", "fn": "rk_verl_components:lines", "weight": 1.0},
        ]
    },
    "schedules": {
        "w": {
            "ladder": [0.5, 1.0, 2.0],
            "watch": "reward/exact/mean",
            "window": 2,
            "raise_when": {"mean_at_least": 0.5},
        }
    },
    "advantage": {"estimator": "grpo", "steps_from": "reward/steps", "step_weight": 0.5},
    "on_error": "raise",
}
"""exact_match weighted by a laddered ``w`` (0.5 -> 1 after two steps averaging >= 0.5), plus a
process reward with one step per line."""

# (uid, response, ground truth): two groups of three; in each, the first is exact. Every step has
# two tokens or more (one character is one token): the dense layout's one condition that a
# one-token response breaks (docs/verl.md).
BATCH = [
    ("g0", "42", "42"),
    ("g0", "ok 4", "42"),
    ("g0", "ab\nok cd\nxyz", "42"),
    ("g1", "42", "42"),
    ("g1", "ok\nab", "42"),
    ("g1", "ok xy\nok zz\nqq", "42"),
]

MODULE = """
import os
from rewardkit.integrations.verl import make_compute_score, reward_manager

CONFIG = {config!r}
_score = make_compute_score(CONFIG, {where})


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return {{**_score(data_source, solution_str, ground_truth, extra_info), "pid": os.getpid()}}


def __getattr__(name):  # verl resolves the manager in its trainer process only
    if name == "RewardManager":
        return reward_manager(CONFIG, {where})
    raise AttributeError(name)
"""


def _samples() -> list[Sample]:
    return [
        Sample(
            id=str(i),
            group=uid,
            prompt="",
            completion=text,
            reference=truth,
            token_ids=tuple(range(len(text))),
            token_offsets=tuple((t, t + 1) for t in range(len(text))),
        )
        for i, (uid, text, truth) in enumerate(BATCH)
    ]


@pytest.fixture(scope="module")
def verl_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not VERL_PYTHON.exists():
        reason = f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the verl integration must run in CI: {reason}")
        pytest.skip(reason)
    sys.path.insert(0, str(ROOT / "tests" / "server"))
    from rk_servers import TOKEN, thread_server

    work = tmp_path_factory.mktemp("verl")
    rows = [{"uid": u, "text": t, "ground_truth": g} for u, t, g in BATCH]
    (work / "batch.json").write_text(json.dumps(rows))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    with thread_server(CONFIG) as server:
        for name, where in (
            ("reward_module.py", 'server=os.environ["RK_SERVER"]'),
            ("reward_down.py", 'server="http://127.0.0.1:9"'),  # nothing listens on port 9
            ("reward_actor.py", "actor=True"),
        ):
            (work / name).write_text(MODULE.format(config=CONFIG, where=where))
        (work / "config.json").write_text(json.dumps(CONFIG))
        out = work / "out.json"
        run = subprocess.run(
            [str(VERL_PYTHON), str(SIDE), str(work), server.url, TOKEN, str(out)],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
        assert run.returncode == 0, run.stderr[-6000:]
        state = server.service.authority.snapshot()
    result = json.loads(out.read_text())
    result["server_state"] = state[1]
    print(
        f"  verl {result['verl']}: ray.init {result['ray_init_s']:.1f} s, "
        f"all {result['total_s']:.1f} s"
    )
    return result


def test_compute_score_keeps_one_key_set_without_verl() -> None:
    score = make_compute_score(CONFIG)
    one, two = score("d", "42", "42"), score("d", "ab\ncd", "42", {"uid": "g"})
    assert one.keys() == two.keys()
    assert one["score"] == 0.5 + 0.1 and one["reward/exact"] == 1.0  # w=0.5 * 1 + one step 0.1
    assert two["reward/steps"] == pytest.approx((0.1 + 0.2) / 2)


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_reward_loop_workers_see_the_raised_ladder(verl_run: dict[str, Any]) -> None:
    before, after = verl_run["naive"]["calls"]
    exact = np.array([1.0, 0, 0, 1.0, 0, 0])
    steps = np.array([s.steps and np.mean(s.steps) for s in _steps()])
    for call, w in ((before, 0.5), (after, 1.0)):
        score = np.array(call["extra"]["score"])
        np.testing.assert_allclose(score, w * exact + steps, atol=1e-6)
        rm = np.array(call["rm_scores"])  # verl's naive manager: the score on the last token
        lengths = [len(t) for _, t, _ in BATCH]
        np.testing.assert_allclose(rm.sum(axis=1), score, atol=1e-6)
        assert all(rm[i, n - 1] == pytest.approx(score[i], abs=1e-6) for i, n in enumerate(lengths))
    pids = set(before["extra"]["pid"]) | set(after["extra"]["pid"])
    assert len(pids) == 2, f"scored in {len(pids)} worker processes"
    print(
        f"  workers {sorted(pids)}; first call {before['seconds']:.2f} s, "
        f"second {after['seconds']:.2f} s"
    )


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_reward_loop_workers_read_the_ray_actor(verl_run: dict[str, Any]) -> None:
    before, after = verl_run["actor"]["calls"]
    exact = np.array([1.0, 0, 0, 1.0, 0, 0])
    steps = np.array([s.value for s in _steps()])
    np.testing.assert_allclose(before["extra"]["score"], 0.5 * exact + steps, atol=1e-6)
    np.testing.assert_allclose(after["extra"]["score"], 1.0 * exact + steps, atol=1e-6)
    assert len(set(before["extra"]["pid"]) | set(after["extra"]["pid"])) == 2


def _steps() -> list[Any]:
    return [__import__("rk_verl_components").lines(s, {}) for s in _samples()]


def _program_after_observe(state: dict[str, Any]) -> RewardProgram:
    program = RewardProgram.from_dict(CONFIG)
    program.load_state_dict(state)
    assert program.variables["w"] == 1.0
    return program


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_reward_manager_writes_dense_group_rewards(verl_run: dict[str, Any]) -> None:
    program = _program_after_observe(verl_run["server_state"])
    scored = program.score(_samples())
    rm = np.array(verl_run["rewardkit"]["rm_scores"])
    for i, sample in enumerate(scored.samples):
        n = len(sample.completion)
        steps, spans = scored.steps["reward/steps"][i], scored.info["reward/steps"][i]["spans"]
        want = np.zeros(rm.shape[1])
        for value, (a, b) in zip(steps, spans, strict=True):
            want[a:b] = value
        want[n - 1] = scored.rewards[i]
        want[n:] = 0.0
        np.testing.assert_allclose(rm[i], want, atol=1e-6)
    # dense_batch_rewards (a trainer hook, no workers) gives exactly the manager's rm_scores
    assert verl_run["rewardkit"]["hook_rm_scores"] == verl_run["rewardkit"]["rm_scores"]


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_registered_estimator_equals_program_advantages(verl_run: dict[str, Any]) -> None:
    program = _program_after_observe(verl_run["server_state"])
    scored = program.score(_samples())
    ours = program.advantages(scored).per_token
    theirs = np.array(verl_run["rewardkit"]["advantages"])
    worst = 0.0
    for i, row in enumerate(ours):
        assert row is not None
        worst = max(worst, float(np.abs(theirs[i, : len(row)] - row).max()))
        assert not theirs[i, len(row) :].any()
    print(
        f"  rewardkit_dual through verl's compute_advantage vs program.advantages: "
        f"max |diff| {worst:.2e} over {sum(len(r) for r in ours if r is not None)} tokens"
    )
    assert worst < 1e-5


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_unreachable_server_fails_in_verls_worker(verl_run: dict[str, Any]) -> None:
    down = verl_run["down"]
    assert down["raised"] is not None, f"a number came back: {down.get('rm_scores')}"
    assert "StateUnreachable" in down["message"]
    assert "rewardkit could not read the shared schedule state" in down["message"]


@pytest.mark.venv
@pytest.mark.ray
@pytest.mark.server
@pytest.mark.process
def test_step_metrics_from_verls_extra_info_raise_the_ladder(verl_run: dict[str, Any]) -> None:
    from rk_servers import thread_server

    from rewardkit.integrations.verl_steps import observe_step, reward_metrics

    columns = {**verl_run["naive"]["calls"][0]["extra"], "uid": [u for u, _, _ in BATCH]}
    metrics = reward_metrics(columns)
    assert metrics["reward/exact/mean"] == pytest.approx(2 / 6)  # "42" twice in six
    assert metrics["reward/steps/mean"] == pytest.approx(np.mean([s.value for s in _steps()]))
    good = {**columns, "reward/exact": [1.0] * 6}
    with thread_server(CONFIG) as server:
        sent = observe_step(0, good, server=server.url, token=server.headers["Authorization"][7:])
        observe_step(1, good, server=server.url, token=server.headers["Authorization"][7:])
        assert server.service.authority.snapshot()[2]["w"] == 1.0
    assert sent["rewardkit/reward/exact/mean"] == 1.0


def _layout(program: RewardProgram, batch: list[tuple[str, str, str]]) -> tuple[Any, Any, Any]:
    from rewardkit.integrations.verl_manager import group_scores

    records = [
        {
            "uid": u,
            "text": t,
            "ids": list(range(len(t))),
            "offsets": [(i, i + 1) for i in range(len(t))],
            "ground_truth": g,
            "meta": {},
        }
        for u, t, g in batch
    ]
    width = max(len(t) for _, t, _ in batch)
    dense = group_scores(program, records, width)
    mask = np.array([[1.0] * len(t) + [0.0] * (width - len(t)) for _, t, _ in batch])
    return dense, mask, [u for u, _, _ in batch]


def test_dense_layout_round_trips_to_program_advantages_without_verl() -> None:
    from rewardkit.integrations.verl import dual_advantages

    program = RewardProgram.from_dict(CONFIG)
    dense, mask, uids = _layout(program, BATCH)
    ours = program.advantages(program.score(_samples())).per_token
    theirs = dual_advantages(program, dense, mask, uids)
    for i, row in enumerate(ours):
        assert row is not None
        np.testing.assert_allclose(theirs[i, : len(row)], row, atol=1e-12)


def test_dense_layout_merges_adjacent_equal_steps_as_documented() -> None:
    from rewardkit.integrations.verl import dual_advantages

    # every step of a response worth its number of lines: adjacent steps are equal, so the layout
    # reads one step where the program has two or three (docs/verl.md lists this condition)
    program = RewardProgram.from_dict(
        {
            "reward": {"weighted": [{"name": "steps", "fn": "rk_verl_components:flat"}]},
            "advantage": {"estimator": "grpo", "steps_from": "reward/steps"},
        }
    )
    batch = [("g", "ab\ncd", "x"), ("g", "abc\nd\nef", "x")]
    dense, mask, uids = _layout(program, batch)
    samples = [
        Sample(
            id=str(i),
            group=u,
            prompt="",
            completion=t,
            reference=g,
            token_ids=tuple(range(len(t))),
            token_offsets=tuple((k, k + 1) for k in range(len(t))),
        )
        for i, (u, t, g) in enumerate(batch)
    ]
    ours = program.advantages(program.score(samples)).per_token
    theirs = dual_advantages(program, dense, mask, uids)
    assert not all(np.allclose(theirs[i, : len(r)], r) for i, r in enumerate(ours) if r is not None)


def test_unreachable_server_raises_without_verl() -> None:
    from rewardkit.integrations.verl import StateUnreachable

    score = make_compute_score(CONFIG, server="http://127.0.0.1:9", token="x")
    with pytest.raises(StateUnreachable, match="could not read the shared schedule state"):
        score("d", "42", "42")


# -- the step protocol under verl: observe_step (issue 23) ----------------------------------------

METRIC_NODE: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "exact", "fn": "exact_match", "weight": "${w}"},
            {"metric": {"name": "steps", "fn": "rk_verl_components:lines"}, "name": "process"},
        ]
    },
    "schedules": {
        "w": {
            "ladder": [0.5, 1.0],
            "watch": "advantage/zero_frac",
            "window": 1,
            "raise_when": {"mean_at_least": 0.5},
        }
    },
    "advantage": {"estimator": "grpo"},
}
"""A ``metric`` node (never in the reward) and a schedule watching an advantage statistic."""


def _token() -> str:
    from rk_servers import TOKEN

    return TOKEN


@pytest.mark.server
def test_observe_step_sends_a_node_that_applied_to_nothing_as_null() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "server"))
    from rk_servers import thread_server

    from rewardkit.integrations.verl_steps import observe_step

    score = make_compute_score(METRIC_NODE)
    rows = [score("d", t, "42", {"uid": "g"}) for t in ("42", "42")]
    columns = {k: [r[k] for r in rows] for k in rows[0]} | {"uid": ["g", "g"]}
    assert columns["reward/process/applies"] == [0.0, 0.0]  # a metric node is not in the tree's sum
    with thread_server(METRIC_NODE) as server:
        # before the fix: ValueError: Out of range float values are not JSON compliant
        sent = observe_step(0, columns, server=server.url, token=_token(), config=METRIC_NODE)
        assert np.isnan(sent["rewardkit/reward/process/mean"])
        assert sent["rewardkit/advantage/zero_frac"] == 1.0  # one group, both right
        assert server.service.authority.snapshot()[2]["w"] == 1.0  # the watched metric moved it


@pytest.mark.server
def test_observe_step_without_the_advantage_metrics_is_refused_not_skipped() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "server"))
    from rk_servers import thread_server

    from rewardkit.client import InvalidRequest
    from rewardkit.integrations.verl_steps import observe_step

    columns = {"score": [1.0, 1.0], "reward/applies": [1.0, 1.0], "uid": ["g", "g"]}
    with thread_server(METRIC_NODE) as server:
        with pytest.raises(InvalidRequest, match="'advantage/zero_frac'"):
            observe_step(0, columns, server=server.url, token=_token())  # no config=
        assert server.service.authority.program.step == 0  # refused: nothing moved
        done = observe_step(0, columns, server=server.url, token=_token(), config=METRIC_NODE)
        assert done["rewardkit/advantage/zero_frac"] == 1.0


def test_verl_config_check_names_the_keys_to_set() -> None:
    from rewardkit.errors import ConfigError
    from rewardkit.integrations.verl_config import VerlConfigWarning, check_verl_config

    legacy = {"reward_model": {"reward_manager": "naive", "num_workers": 4}}
    with pytest.warns(VerlConfigWarning):
        notes = check_verl_config(legacy)
    assert notes[0].endswith("set reward.reward_manager.name instead")
    assert [n.split(" ")[0] for n in notes] == [
        "reward_model.reward_manager",
        "reward_model.num_workers",
    ]
    dual = {"algorithm": {"adv_estimator": "rewardkit_dual"}, "reward": {}}
    with pytest.raises(ConfigError, match=r"reward\.reward_manager\.source=importlib"):
        check_verl_config(dual)
    manager = {"source": "importlib", "name": "RewardManager"}
    kl = {"algorithm": {"adv_estimator": "rewardkit_dual", "use_kl_in_reward": True},
          "reward": {"reward_manager": manager}}  # fmt: skip
    with pytest.warns(VerlConfigWarning, match="use_kl_in_reward=false"):
        check_verl_config(kl)


def test_dual_advantages_use_the_programs_public_advantages() -> None:
    import inspect

    from rewardkit.integrations import verl_estimator

    source = inspect.getsource(verl_estimator)
    assert "_step_weight" not in source and "program.advantages(" in source


@pytest.fixture(scope="module")
def eos_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not VERL_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the verl integration must run in CI: .venv-verl is absent")
        pytest.skip(f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh")
    work = tmp_path_factory.mktemp("verl_eos")
    (work / "config.json").write_text(json.dumps(CONFIG))
    rows = [{"uid": u, "text": t, "ground_truth": g} for u, t, g in BATCH]
    (work / "batch.json").write_text(json.dumps(rows))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    out = work / "out.json"
    run = subprocess.run(
        [str(VERL_PYTHON), str(HERE / "verl_side_layouts.py"), str(work), str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-6000:]
    return dict(json.loads(out.read_text()))


def _manager_samples(records: list[dict[str, Any]]) -> list[Sample]:
    return [
        Sample(
            id=str(i),
            group=uid,
            prompt="",
            completion=r["text"],
            reference=truth,
            token_ids=tuple(range(len(r["offsets"]))),
            token_offsets=tuple((a, b) for a, b in r["offsets"]),
        )
        for i, (r, (uid, _, truth)) in enumerate(zip(records, BATCH, strict=True))
    ]


@pytest.mark.venv
@pytest.mark.process
def test_rewardkit_dual_equals_program_advantages_on_eos_terminated_responses(
    eos_run: dict[str, Any],
) -> None:
    run = eos_run["rewardkit_dual"]
    program = RewardProgram.from_dict(CONFIG)
    samples = _manager_samples(run["records"])
    assert all(s.token_offsets[-1] == (len(s.completion) - 1, len(s.completion)) for s in samples)
    ours = program.advantages(program.score(samples)).per_token
    theirs = np.array(run["advantages"])
    worst = max(
        float(np.abs(theirs[i, : len(row)] - row).max())
        for i, row in enumerate(ours)
        if row is not None
    )
    print(f"  EOS-terminated: rewardkit_dual vs program.advantages max |diff| {worst:.2e}")
    assert worst < 1e-5  # before EOS took the last step's span: 0.638 (0.5 x a step advantage)


@pytest.mark.venv
@pytest.mark.process
def test_verls_grpo_on_the_managers_rewards_sees_the_outcome_alone(
    eos_run: dict[str, Any],
) -> None:
    run = eos_run["grpo"]
    program = RewardProgram.from_dict(CONFIG)
    scored = program.score(_manager_samples(run["records"]))
    rm = np.array(run["rm_scores"])
    lengths = [len(r["offsets"]) for r in run["records"]]
    for i, n in enumerate(lengths):  # the outcome alone, on the last response token (the EOS)
        assert rm[i, n - 1] == pytest.approx(scored.rewards[i], abs=1e-6)
        assert not rm[i, : n - 1].any()
    theirs = np.array(run["advantages"])[:, 0]  # verl's grpo: one value over the response
    want = program.advantages(scored).per_sample
    print(f"  verl grpo on the manager's rewards: sums {rm.sum(axis=1).round(3).tolist()}")
    np.testing.assert_allclose(theirs, want, atol=1e-5)  # before: dense sums up to 8.9, off by 2.19
