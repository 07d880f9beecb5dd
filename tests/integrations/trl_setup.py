"""A tiny TRL GRPO setup for the integration tests: a 2-layer Qwen2 built locally (no download),
the character tokenizer, and a dataset of short prompts. Shared by the tests and the two-process
worker script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROMPTS = ["2+2=", "3+4=", "1+5=", "6+2="]
REFERENCES = ["4", "7", "6", "8"]

# The program of the two-process runs: the ladder watches a metric that varies with the batch.
TWO_RANK_CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "vowel", "fn": "regex", "pattern": "[aeiou]", "mode": "search"},
            {"name": "ok", "fn": "exact_match"},
            {"name": "length", "fn": "length_budget", "target": "${budget}", "weight": 0.1},
        ]
    },
    "schedules": {
        "budget": {
            "ladder": [8, 7, 6, 5, 4, 3],
            "watch": "reward/vowel/mean",
            "window": 1,
            "raise_when": {"mean_at_least": 0.3},
        }
    },
}


def tiny_model(folder: Path) -> str:
    """A saved tiny model folder (built once per folder)."""
    from rewardkit.models import save_model
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    if not (folder / "config.json").exists():
        save_model(*build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64)), folder)
    return str(folder)


def dataset(rows: int = 8, **columns: Any) -> Any:
    """``rows`` prompts with their references, plus constant extra columns (``v=1.0``)."""
    from datasets import Dataset

    n = len(PROMPTS)
    data: dict[str, list[Any]] = {
        "prompt": [PROMPTS[i % n] for i in range(rows)],
        "reference": [REFERENCES[i % n] for i in range(rows)],
        "task": ["add"] * rows,
    }
    data.update({k: [v] * rows for k, v in columns.items()})
    return Dataset.from_dict(data)


def grpo_config(out: Path, **overrides: Any) -> Any:
    """A GRPOConfig for CPU runs of a few steps: groups of 4, 8 completion tokens."""
    from trl import GRPOConfig

    options: dict[str, Any] = {
        "output_dir": str(out),
        "per_device_train_batch_size": 4,
        "num_generations": 4,
        "max_completion_length": 8,
        "max_steps": 3,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "bf16": False,
        "seed": 0,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }
    options.update(overrides)
    return GRPOConfig(**options)


def trainer(
    program: Any, model_dir: str, config: Any, cls: Any = None, callback: Any = None, **kwargs: Any
) -> Any:
    """A GRPOTrainer (or ``cls``) on the tiny model with the program's reward functions and
    callback; the callback is ``trainer.rewardkit_callback``."""
    from trl import GRPOTrainer

    from rewardkit.integrations.trl import RewardKitCallback, reward_funcs
    from rewardkit.models import load_model

    model, tok = load_model(model_dir)
    callback = callback or RewardKitCallback(program)
    common = {
        "model": model,
        "processing_class": tok,
        "args": config,
        "train_dataset": kwargs.pop("train_dataset", dataset()),
        "callbacks": [*kwargs.pop("callbacks", []), callback],
        **kwargs,
    }
    if cls is not None and cls is not GRPOTrainer:  # RewardKitGRPOTrainer builds its functions
        out = cls(program, **common)
    else:
        funcs, weights = reward_funcs(program)
        config.reward_weights = weights
        out = GRPOTrainer(reward_funcs=funcs, **common)
    out.rewardkit_callback = callback
    return out
