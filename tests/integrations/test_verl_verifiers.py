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
