"""rewardkit's verifiers 0.4 functions, scored by verifiers' own ``Task.score`` (in .venv-verl).

verifiers 0.4 is installed in ``.venv-verl`` (scripts/venv_verl.sh, held to verl's pins). This test
writes the module a verifiers user points at and runs ``verifiers_side.py`` there: a real
``verifiers.v1.Task`` plugging ``reward`` (weight 2) and ``metrics`` by path, scoring real
``Trace`` objects. Without .venv-verl it skips, except under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from rewardkit.integrations.verifiers import verifiers_functions  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402

pytestmark = [pytest.mark.venv, pytest.mark.process]

CONFIG = {"reward": {"fn": "rk_verl_components:judged"}}  # 1/0 against the answer; None without

MODULE = f"""
from rewardkit.integrations.verifiers import verifiers_functions

reward, metrics = verifiers_functions({CONFIG!r})
"""


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not VERL_PYTHON.exists():
        reason = f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the verifiers adapter must be tested in CI: {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("verifiers")
    (work / "rk_verifiers.py").write_text(MODULE)
    out = work / "out.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    run = subprocess.run(
        [
            str(VERL_PYTHON),
            str(HERE / "verifiers_side.py"),
            str(work / "rk_verifiers.py"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    result = json.loads(out.read_text())
    assert result["verifiers"] == "0.4.0"
    return list(result["cases"])


def test_reward_is_recorded_with_its_weight(scored: list[dict[str, Any]]) -> None:
    right, wrong, _ = scored
    assert right["rewards"] == {"rewardkit": [1.0, 2.0]} and right["reward"] == 2.0
    assert wrong["rewards"] == {"rewardkit": [0.0, 2.0]} and wrong["reward"] == 0.0
    assert right["metrics"] == {"reward": 1.0, "reward/applies": 1.0}


def test_none_is_a_metric_never_a_summed_reward(scored: list[dict[str, Any]]) -> None:
    none = scored[2]
    assert none["rewards"] == {}  # nothing recorded: verifiers sums nothing for it
    assert none["metrics"] == {"reward/applies": 0.0}
    assert none["reward"] == 0


def test_one_score_per_trace_without_verifiers() -> None:
    program = RewardProgram.from_dict(CONFIG)
    batches: list[int] = []
    score = program.score
    program.score = lambda samples: batches.append(len(samples)) or score(samples)  # type: ignore[method-assign]
    reward, metrics = verifiers_functions(program)
    task = types.SimpleNamespace(answer="4", prompt_text="2+2?")
    trace = types.SimpleNamespace(id="t", last_reply="4", task=None)

    async def both() -> tuple[Any, Any]:
        return await metrics(task, trace), await reward(task, trace)

    assert asyncio.run(both()) == ({"reward": 1.0, "reward/applies": 1.0}, 1.0)
    assert batches == [1]  # the reward read the metrics' score of this trace


TRAJECTORY = {
    "reward": {
        "weighted": [
            {"name": "answer", "fn": "verl_side_agent:final_answer", "weight": 1.0},
            {"name": "turns", "fn": "rk_verifiers_turns:turns", "weight": 0.0},
        ]
    }
}
"""The final answer (the model's last line) and the number of model turns (a metric: weight 0)."""

TURNS = """
from rewardkit.types import Score


def turns(sample, p):
    return Score(float(len(sample.steps or ())), info={"env": list(sample.env_spans or ())})
"""


def test_a_multi_turn_trace_is_scored_as_a_trajectory_in_verifiers(
    tmp_path: Path,
) -> None:
    if not VERL_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the verifiers adapter must be tested in CI: .venv-verl is absent")
        pytest.skip(f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh")
    (tmp_path / "rk_verifiers_turns.py").write_text(TURNS)
    module = f"""
from rewardkit.integrations.verifiers import verifiers_functions

reward, metrics = verifiers_functions({TRAJECTORY!r})
"""
    (tmp_path / "rk_traj.py").write_text(module)
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(HERE), str(ROOT / "src")]),
    }
    run = subprocess.run(
        [str(VERL_PYTHON), str(HERE / "verifiers_side.py"), str(tmp_path / "rk_traj.py"), str(out),
         "--trajectory"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    right, wrong = json.loads(out.read_text())["cases"]
    assert right["reward"] == 1.0 and right["metrics"]["reward/turns"] == 2.0
    assert wrong["reward"] == 0.0  # the tool said 5; the model's own last line says 6


def test_legacy_rubric_group_function_scores_message_completions() -> None:
    sys.path.insert(0, str(HERE))
    from rewardkit.integrations.verifiers import rubric_function

    def turns_config() -> dict[str, Any]:
        return {"reward": {"weighted": [
            {"name": "answer", "fn": "verl_side_agent:final_answer", "weight": 1.0}]}}  # fmt: skip

    call = {"id": "c", "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'}}  # fmt: skip
    done = [{"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c", "content": "5"},
            {"role": "assistant", "content": "it is 5"}]  # fmt: skip
    echo = [*done[:2], {"role": "assistant", "content": "no idea"}]
    prompt = [{"role": "user", "content": "2+3?"}]
    fn = rubric_function(turns_config())
    states: list[dict[str, Any]] = [{}, {}, {}]
    got = asyncio.run(fn(prompts=[prompt] * 3, completions=[done, echo, "5"],
                         answers=["5"] * 3, states=states))  # fmt: skip
    assert got == [1.0, 0.0, 1.0]  # a message list is a trajectory; a string stays a completion
    assert states[1]["rewardkit"] == {"reward": 0.0, "reward/answer": 0.0}
    import inspect

    assert {"prompts", "completions", "answers"} <= set(inspect.signature(fn).parameters)
