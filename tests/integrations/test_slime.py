"""rewardkit as slime's ``--custom-rm-path`` and ``--custom-reward-post-process-path``.

slime is not installable here (THUDM's slime is not on the package index; the ``slime`` there is
another project), so its calling convention is reproduced from THUDM/slime@624b824:

- ``load_function(path)``: import the module, take the attribute (slime/utils/misc.py:38-47);
- one rollout: ``await rm_function(args, sample)`` (slime/rollout/rm_hub/__init__.py:61-63),
  then ``sample.reward = ...`` (slime/rollout/sglang_rollout.py:285-288);
- ``--group-rm``: ``await rm_function(args, samples)`` for the whole group
  (rm_hub/__init__.py:104-107, sglang_rollout.py:330-334);
- the reward read with ``--reward-key`` (``Sample.get_reward_value``, slime/utils/types.py:246-247)
  and ``custom_reward_post_process_func(args, samples)`` (slime/ray/rollout.py:608-610);
- ``SlimeSample`` carries the attributes of ``slime.utils.types.Sample`` that these read
  (types.py:94-146).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
from argparse import Namespace
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardkit.errors import ConfigError, VerifierFailed
from rewardkit.integrations import slime
from rewardkit.registry import Params
from rewardkit.types import Sample

PROGRAM = {
    "reward": {
        "weighted": [
            {"name": "correct", "fn": "numeric", "extract": "answer_tag"},
            {"name": "judge", "fn": "tests.integrations.test_slime:judge", "weight": 0.0},
        ]
    }
}
RIGHT, WRONG = "<think>12*7</think><answer>84</answer>", "<answer>85</answer>"


def judge(sample: Sample, p: Params) -> float:
    """A judge that fails (no verdict) on the samples whose metadata says so."""
    if sample.meta.get("judge_down"):
        raise VerifierFailed("judge_timeout", "the judge did not answer")
    return 1.0


@dataclass
class SlimeSample:
    group_index: int | None = None
    index: int | None = None
    prompt: str | list[dict[str, str]] = ""
    response: str = ""
    label: str | None = None
    reward: float | dict[str, Any] | None = None
    remove_sample: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    def get_reward_value(self, args: Namespace) -> Any:
        return self.reward if not args.reward_key else self.reward[args.reward_key]  # type: ignore[index]


def load_function(path: str) -> Any:
    module_path, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_path), attr)


def slime_args(**extra: Any) -> Namespace:
    defaults = {
        "custom_rm_path": "rewardkit.integrations.slime.rm",
        "custom_reward_post_process_path": "rewardkit.integrations.slime.post_process",
        "reward_key": "reward",
        "group_rm": False,
        "n_samples_per_prompt": 4,
        "advantage_estimator": "grpo",
        "rewards_normalization": True,
        "grpo_std_normalization": False,
    }
    return Namespace(**(defaults | extra))


def write(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def group(prompt: Any = "What is 12*7?") -> list[SlimeSample]:
    texts = [RIGHT, WRONG, RIGHT, RIGHT]
    down = [False, False, True, False]
    return [
        SlimeSample(0, i, prompt, t, "84", metadata={"judge_down": d})
        for i, (t, d) in enumerate(zip(texts, down, strict=True))
    ]


def test_rm_scores_one_rollout_as_slime_awaits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(slime.PROGRAM_ENV, write(tmp_path, PROGRAM))
    args = slime_args()
    rm = load_function(args.custom_rm_path)
    chat = [{"role": "user", "content": "What is 12*7?"}]
    samples = [SlimeSample(0, 0, chat, RIGHT, "84"), SlimeSample(0, 1, chat, WRONG, "84")]
    for sample in samples:
        sample.reward = asyncio.run(rm(args, sample))
    assert [s.get_reward_value(args) for s in samples] == [1.0, 0.0]
    first = samples[0].reward
    assert isinstance(first, dict)
    assert first["components"] == {"reward/correct": 1.0, "reward/judge": 1.0}


def test_group_rm_and_post_process_leave_a_failed_verifier_out_of_the_baseline(
    tmp_path: Path,
) -> None:
    args = slime_args(group_rm=True, rewardkit_program=write(tmp_path, PROGRAM))
    samples = group()
    rewards = asyncio.run(load_function(args.custom_rm_path)(args, samples))
    for sample, reward in zip(samples, rewards, strict=True):
        sample.reward = reward
    assert [s.get_reward_value(args) for s in samples] == [1.0, 0.0, None, 1.0]
    failed = samples[2].reward
    assert isinstance(failed, dict) and failed["errors"][0]["type"] == "VerifierFailed"
    raw, normalized = load_function(args.custom_reward_post_process_path)(args, samples)
    # mean of the three verdicts 2/3; the failed sample is neither a 0 nor in the mean
    assert raw == [1.0, 0.0, 0.0, 1.0]
    assert normalized == pytest.approx([1 / 3, -2 / 3, 0.0, 1 / 3])
    assert [s.remove_sample for s in samples] == [False, False, True, False]


def test_post_process_divides_by_the_unbiased_std_as_slime_does() -> None:
    args = slime_args(grpo_std_normalization=True, n_samples_per_prompt=2)
    samples = [SlimeSample(reward={"reward": r}) for r in (1.0, 0.0, 0.5, 0.5)]
    _, normalized = slime.post_process(args, samples)
    # group 1: mean 0.5, std sqrt(0.5); group 2: no spread -> 0
    assert normalized == pytest.approx([0.5 / (0.5**0.5 + 1e-6), -0.5 / (0.5**0.5 + 1e-6), 0, 0])


def test_a_program_with_schedules_is_refused_in_process(tmp_path: Path) -> None:
    config = {
        "reward": {"weighted": [{"name": "exact", "fn": "exact_match", "weight": "${w}"}]},
        "schedules": {
            "w": {
                "ladder": [0.5, 1.0],
                "watch": "reward/exact/mean",
                "window": 2,
                "raise_when": {"mean_at_least": 0.5},
            }
        },
    }
    args = slime_args(rewardkit_program=write(tmp_path, config))
    with pytest.raises(ConfigError, match="REWARDKIT_URL"):
        asyncio.run(slime.rm(args, SlimeSample(0, 0, "q", "a", "a")))


def test_no_program_named_is_an_error_naming_both_ways() -> None:
    with pytest.raises(ConfigError, match="REWARDKIT_PROGRAM"):
        asyncio.run(slime.rm(slime_args(), SlimeSample(0, 0, "q", "a", "a")))


@pytest.mark.server
def test_rm_scores_through_a_rewardkit_server(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    from rk_servers import TOKEN, thread_server

    monkeypatch.setenv("REWARDKIT_TOKEN", TOKEN)
    with thread_server(PROGRAM) as s:
        args = slime_args(rewardkit_url=s.url)
        rewards = asyncio.run(slime.rm(args, group()))
    assert isinstance(rewards, list)
    assert [r["reward"] for r in rewards] == [1.0, 0.0, None, 1.0]
    assert rewards[0]["id"] == "0" and rewards[2]["errors"][0]["type"] == "VerifierFailed"


def _thudm_slime() -> bool:
    """Whether THUDM's slime is importable (the ``slime`` on the package index is another
    project, without ``slime.rollout``)."""
    try:
        return importlib.util.find_spec("slime.rollout.rm_hub") is not None
    except ImportError:
        return False


@pytest.mark.server
@pytest.mark.skipif(
    not _thudm_slime(),
    reason="THUDM/slime is not on the package index: PYTHONPATH=<a THUDM/slime checkout>",
)
def test_slimes_own_reward_code_calls_rm_and_the_rm_url(tmp_path: Path) -> None:
    """slime's own ``async_rm``, ``batched_async_rm``, ``remote_rm`` and ``Sample`` (its rm_hub
    and types import with this venv's packages)."""
    rm_hub = importlib.import_module("slime.rollout.rm_hub")
    types = importlib.import_module("slime.utils.types")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    from rk_servers import TOKEN, thread_server

    def samples() -> list[Any]:
        return [
            types.Sample(
                prompt=s.prompt,
                response=s.response,
                label=s.label,
                index=s.index,
                group_index=s.group_index,
                metadata=s.metadata,
            )
            for s in group()
        ]

    args = slime_args(rewardkit_program=write(tmp_path, PROGRAM), rm_type=None)
    one = samples()[0]
    one.reward = asyncio.run(rm_hub.async_rm(args, one))
    assert one.get_reward_value(args) == 1.0
    whole = samples()
    for sample, reward in zip(
        whole, asyncio.run(rm_hub.batched_async_rm(args, whole)), strict=True
    ):
        sample.reward = reward
    raw, normalized = slime.post_process(args, whole)
    assert raw == [1.0, 0.0, 0.0, 1.0] and whole[2].remove_sample
    assert normalized == pytest.approx([1 / 3, -2 / 3, 0.0, 1 / 3])

    async def remote(url: str, items: list[Any]) -> list[Any]:
        remote_args = slime_args(rm_url=url, custom_rm_path=None, rm_type="remote_rm")
        try:
            return [await rm_hub.async_rm(remote_args, s) for s in items]
        finally:  # slime's shared session outlives a call; close it in this event loop
            await rm_hub._get_shared_session().close()

    with thread_server(PROGRAM) as s:
        url = s.url.replace("http://", f"http://rewardkit:{TOKEN}@") + "/slime/rm"
        remote_rewards = asyncio.run(remote(url, samples()))
    # --rm-url sends prompt, response and label only: the metadata that downs the judge stays home
    assert [r["reward"] for r in remote_rewards] == [1.0, 0.0, 1.0, 1.0]
