"""A supervised warm start: imitate each task's reference answers for a few hundred steps.

A multi-turn task's answer is a whole trajectory (tool calls, tool results, the answer): the
spans its environment writes (``Problem.answer_env_spans``) are context, left out of the loss.

GRPO only moves a tiny model that already succeeds sometimes (a group of all-wrong rollouts has
zero advantage). The warm start trains just long enough for that, and is cached under
``~/.cache/rewardkit/warmstart`` (or ``REWARDKIT_CACHE``), keyed by task, model shape, warm-start
settings and seed, so it is paid once.

>>> WarmStartSpec().steps
250
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import require
from rewardkit.models import save_model
from rewardkit.tasks.base import Task, problem
from rewardkit.tasks.models import TinyModelSpec, build_tiny_model, position_ids
from rewardkit.types import Span, env_token_mask

VERSION = 3  # bump when the warm start's data or loss changes, so old caches are not reused


@dataclass(frozen=True)
class WarmStartSpec:
    """Supervised fine-tuning settings: steps of ``batch`` problems at learning rate ``lr``.

    >>> WarmStartSpec(steps=0).batch
    32
    """

    steps: int = 250
    batch: int = 32
    lr: float = 3e-3
    seed: int = 0


def cache_root() -> Path:
    """Where warm starts are cached: ``$REWARDKIT_CACHE/warmstart`` or ``~/.cache/rewardkit/...``."""
    base = os.environ.get("REWARDKIT_CACHE") or Path.home() / ".cache" / "rewardkit"
    return Path(base) / "warmstart"


def warm_start_key(task: Task, model: TinyModelSpec, spec: WarmStartSpec) -> str:
    """The cache folder name: task, model shape and a digest of everything that changes weights.

    >>> from rewardkit.tasks.boxes import Boxes
    >>> warm_start_key(Boxes(), TinyModelSpec(), WarmStartSpec()).startswith("boxes-qwen2-")
    True
    """
    parts = {
        "task": repr(task),
        "model": dataclasses.asdict(model),
        "spec": dataclasses.asdict(spec),
        "version": VERSION,
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:10]
    return f"{task.name.replace(':', '-')}-{model.key()}-{digest}"


def warm_start(
    task: Task,
    model: TinyModelSpec,
    spec: WarmStartSpec,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Path:
    """The folder of a warm-started tiny model for ``task`` (trained now unless cached).

    ``progress(step, loss)`` is called after every step while training.

    >>> from rewardkit.tasks.boxes import Boxes
    >>> import tempfile
    >>> path = warm_start(Boxes(), TinyModelSpec(layers=1, hidden=32, mlp=64),
    ...                   WarmStartSpec(steps=1, batch=2), cache_dir=tempfile.mkdtemp())
    >>> (path / "config.json").exists()
    True
    """
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    final = root / warm_start_key(task, model, spec)
    if (final / "warmstart.json").exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    net, tok = build_tiny_model(model, seed=spec.seed)
    losses = supervised_steps(net, tok, task, spec, progress)
    # Written aside and renamed, so a killed warm start never leaves a half folder in the cache.
    staging = Path(tempfile.mkdtemp(prefix=".warm-", dir=root))
    save_model(net, tok, staging)
    record = {"task": task.name, "spec": dataclasses.asdict(spec), "final_loss": losses[-1:]}
    (staging / "warmstart.json").write_text(json.dumps(record, indent=1))
    try:
        staging.rename(final)
    except OSError:  # another process finished the same warm start first: use theirs
        shutil.rmtree(staging, ignore_errors=True)
    return final


def supervised_steps(
    model: Any,
    tokenizer: Any,
    task: Task,
    spec: WarmStartSpec,
    progress: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``model`` in place on prompt -> answer pairs (loss on answer tokens); the losses."""
    torch = require("torch", "train")
    torch.manual_seed(spec.seed)
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=0.0)
    # Warmup then cosine decay, and clipping: a constant high rate ends on a loss spike.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _lr_factor(step, spec.steps)
    )
    model.train()
    losses: list[float] = []
    for step in range(spec.steps):
        start = step * spec.batch
        batch = [problem(task, spec.seed, "warm", start + i) for i in range(spec.batch)]
        ids, mask, labels = answer_batch(
            tokenizer, [(p.prompt, p.answer) for p in batch], [p.answer_env_spans for p in batch]
        )
        mask = mask.to(device)
        out = model(
            input_ids=ids.to(device),
            attention_mask=mask,
            position_ids=position_ids(mask),
            labels=labels.to(device),
        )
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(out.loss.item())
        if progress is not None:
            progress(step, losses[-1])
    model.eval()
    return losses


def _lr_factor(step: int, total: int) -> float:
    warmup = max(1, total // 10)
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))


def answer_batch(
    tokenizer: Any,
    pairs: list[tuple[str, str]],
    env_spans: Sequence[Sequence[Span]] | None = None,
) -> tuple[Any, Any, Any]:
    """Left-padded ``prompt + answer + eos`` ids, attention mask, and labels on the answer only.

    ``env_spans`` (per pair, character spans of the answer): tokens the environment writes get
    no label (``rewardkit.types.env_token_mask``), as a rollout's tool results get no loss.

    >>> from rewardkit.tasks.tokenizer import char_tokenizer
    >>> ids, mask, labels = answer_batch(char_tokenizer(), [("ab", "c")])
    >>> labels.tolist()[0][-2:] == [ids.tolist()[0][-2], 1] and labels.tolist()[0][0] == -100
    True
    >>> answer_batch(char_tokenizer(), [("a", "bcd")], [[(1, 2)]])[2].tolist()[0][1:]
    [70, -100, 72, 1]
    """
    torch = require("torch", "train")
    eos = tokenizer.eos_token_id
    rows, env_rows = [], []
    for k, (prompt, answer) in enumerate(pairs):
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        enc = tokenizer(answer, add_special_tokens=False, return_offsets_mapping=bool(env_spans))
        a = enc["input_ids"] + [eos]
        rows.append((p, a))
        spans = env_spans[k] if env_spans else ()
        env = env_token_mask(enc["offset_mapping"], spans).tolist() if spans else [False] * len(a)
        env_rows.append([bool(x) for x in env[: len(a) - 1]] + [False])
    width = max(len(p) + len(a) for p, a in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (p, a) in enumerate(rows):
        seq = p + a
        ids[i, width - len(seq) :] = torch.tensor(seq)
        mask[i, width - len(seq) :] = 1
        labels[i, width - len(a) :] = torch.tensor(a)
        if any(env_rows[i]):
            written = torch.tensor(env_rows[i])
            labels[i, width - len(a) :][written] = -100
    return ids, mask, labels
