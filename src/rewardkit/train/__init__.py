"""The built-in GRPO trainer (torch + transformers; the ``train`` extra).

- ``config``: ``TrainConfig``, every option with its default;
- ``loop``: ``train()``, the algorithm top to bottom;
- ``rollout`` (KV-cached sampling), ``loss`` (clipped surrogate, KL, aggregation), ``update``;
- ``samples`` (rollouts as Samples, scored and judged), ``batch`` (a step's refill rounds, merged);
- ``data`` (prompts and curricula), ``evaluate`` (held-out), ``checkpoint``, ``progress``.

The run folder it writes (logs, summary, report.html) and ``rewardkit compare`` are
``rewardkit.runs``.

Importing this package does not import torch; ``train()`` does.

>>> TrainConfig(steps=5).steps
5
"""

from __future__ import annotations

from typing import Any

from rewardkit.train.config import TrainConfig, load_train_config

__all__ = ["TrainConfig", "load_train_config", "train"]


def train(*args: Any, **kwargs: Any) -> Any:
    """Run GRPO (see ``rewardkit.train.loop.train``)."""
    from rewardkit.train.loop import train as run

    return run(*args, **kwargs)
