"""What rewardkit costs inside TRL's GRPOTrainer; prints JSON (and writes it with --out).

Three variants train the same tiny Qwen2 (built locally) on the same prompts with the same
seed: ``plain`` (TRL with hand-written Python reward functions), ``callback`` (rewardkit's
reward functions + RewardKitCallback) and ``subclass`` (RewardKitGRPOTrainer). The reward
functions of all three compute the same values (checked before timing). Rounds alternate the
variants. Two figures per variant:

- ``step_s``: median over rounds of the mean optimizer-step time (the first step left out);
- ``reward_s``: time spent in the reward functions and, for rewardkit, the callback's step end
  (scoring, gathering, diagnostics, advantages, observe). ``overhead_frac`` is rewardkit's
  extra reward time over plain's, as a fraction of plain's step time (goal: <= 0.05).

    .venv/bin/python bench/trl_vs_plain.py [--rounds 3] [--steps 8] [--out bench/results/trl.json]
    .venv/bin/python bench/trl_vs_plain.py --smoke     # 1 round of 2 steps (a test runs it)
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import parse_with_smoke

from rewardkit.integrations.trl import RewardKitCallback, reward_funcs
from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer, local_advantages
from rewardkit.program import RewardProgram

ORIGINAL_LOCAL_ADVANTAGES = local_advantages

TARGET = 24
CONFIG = {
    "reward": {
        "weighted": [
            {"name": "digit", "fn": "regex", "pattern": "\\d", "mode": "search"},
            {"name": "ok", "fn": "exact_match"},
            {"name": "length", "fn": "length_budget", "target": TARGET, "weight": 0.2},
        ]
    },
    "schedules": {
        "w": {
            "ladder": [1, 2, 3],
            "watch": "reward/digit/mean",
            "raise_when": {"mean_at_least": 0.9},
        }
    },
}


def plain_funcs() -> list[Any]:
    """The same three rewards written by hand, as a TRL user would."""

    def digit(completions: list[str], **kw: Any) -> list[float]:
        return [1.0 if re.search(r"\d", c) else 0.0 for c in completions]

    def ok(completions: list[str], reference: list[str], **kw: Any) -> list[float]:
        return [float(c.strip() == r.strip()) for c, r in zip(completions, reference, strict=True)]

    def length(completion_ids: list[list[int]], **kw: Any) -> list[float]:
        over = [(len(ids) - TARGET) / (TARGET * 0.5) for ids in completion_ids]
        return [0.0 if o <= 0 else -min(1.0, o) for o in over]

    return [digit, ok, length]


class Timed:
    """A reward function that adds its time to a shared counter (TRL reads ``__name__``)."""

    def __init__(self, func: Any, clock: dict[str, float]):
        self.func, self.clock = func, clock
        self.__name__ = getattr(func, "__name__", "f")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.clock["reward_s"] += time.perf_counter() - start


def step_clock(steps: list[tuple[float, float]], clock: dict[str, float]) -> Any:
    """A callback that records each optimizer step's time and reward time (listed after
    rewardkit's callback, so a step includes its ``on_step_end``)."""
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.start, self.reward = time.perf_counter(), clock["reward_s"]

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            steps.append((time.perf_counter() - self.start, clock["reward_s"] - self.reward))

    return StepClock()


class TimedCallback(RewardKitCallback):
    """RewardKitCallback whose step end (gather, diagnostics, advantages, observe) is timed."""

    def __init__(self, program: RewardProgram, clock: dict[str, float]):
        super().__init__(program)
        self.clock = clock

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        super().on_step_end(args, state, control, **kwargs)
        self.clock["reward_s"] += time.perf_counter() - start


def dataset() -> Any:
    from datasets import Dataset

    rows = [
        {"prompt": f"{a}+{b}=", "reference": str(a + b)} for a in range(1, 9) for b in range(1, 9)
    ]
    return Dataset.from_list(rows)


def run(variant: str, model_dir: str, n_steps: int, out: str) -> dict[str, float]:
    """Train ``n_steps`` with one variant; its mean step time and reward time per step."""
    from trl import GRPOConfig, GRPOTrainer

    import rewardkit.integrations.trl_trainer as sub
    from rewardkit.models import load_model

    model, tok = load_model(model_dir)
    config = GRPOConfig(
        output_dir=out,
        max_steps=n_steps,
        per_device_train_batch_size=16,
        num_generations=8,
        max_completion_length=32,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        seed=0,
        disable_tqdm=True,
    )
    clock: dict[str, float] = {"reward_s": 0.0}
    steps: list[tuple[float, float]] = []
    common = {"model": model, "processing_class": tok, "args": config, "train_dataset": dataset()}
    program = RewardProgram.from_dict(CONFIG)
    callbacks = [TimedCallback(program, clock), step_clock(steps, clock)]
    if variant == "plain":
        config.reward_weights = [1.0, 1.0, 0.2]
        plain = [Timed(f, clock) for f in plain_funcs()]
        trainer = GRPOTrainer(reward_funcs=plain, callbacks=[step_clock(steps, clock)], **common)
    elif variant == "callback":
        funcs, config.reward_weights = reward_funcs(program)
        timed = [Timed(f, clock) for f in funcs]
        trainer = GRPOTrainer(reward_funcs=timed, callbacks=callbacks, **common)
    else:
        trainer = RewardKitGRPOTrainer(program, callbacks=callbacks, **common)
        trainer._calculate_rewards = Timed(trainer._calculate_rewards, clock)  # type: ignore[method-assign]
        sub.local_advantages = Timed(ORIGINAL_LOCAL_ADVANTAGES, clock)
    from transformers import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    trainer.train()
    later = steps[1:]  # the first step warms caches up (and loads the reward registry)
    return {
        "step_s": statistics.fmean(t for t, _ in later),
        "reward_s": statistics.fmean(r for _, r in later),
    }


def check_same_values() -> None:
    """The plain functions and rewardkit's give the same rewards on the same completions."""
    program = RewardProgram.from_dict(CONFIG)
    funcs, _ = reward_funcs(program)
    completions = ["12", " 7 ", "abc", "x" * 30, "9" * 40, ""]
    kwargs: dict[str, Any] = {
        "prompts": ["1+1="] * 6,
        "completions": completions,
        "completion_ids": [list(range(len(c))) for c in completions],
        "reference": ["12", "7", "abc", "y", "9", "0"],
    }
    ours = [f(**kwargs) for f in funcs]
    theirs = [f(**kwargs) for f in plain_funcs()]
    assert ours == theirs, (ours, theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--out", default=None)
    args = parse_with_smoke(parser, {"rounds": 1, "steps": 2})
    import torch

    from rewardkit.models import save_model
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    torch.set_num_threads(1)
    check_same_values()
    variants = ["plain", "callback", "subclass"]
    results: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="bench-trl-") as tmp:
        work = Path(tmp)
        model_dir = str(save_model(*build_tiny_model(TinyModelSpec()), work / "model"))
        for r in range(args.rounds):
            order = variants[r % 3 :] + variants[: r % 3]  # alternate who goes first
            for v in order:
                results[v].append(run(v, model_dir, args.steps, str(work / f"{v}-{r}")))
                print(f"[bench] round {r} {v}: {results[v][-1]}", file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for v in variants:
        summary[v] = {
            k: statistics.median(x[k] for x in results[v]) for k in ("step_s", "reward_s")
        }
    base = summary["plain"]
    for v in ("callback", "subclass"):
        summary[v]["step_ratio"] = summary[v]["step_s"] / base["step_s"]
        summary[v]["overhead_frac"] = (summary[v]["reward_s"] - base["reward_s"]) / base["step_s"]
    report = {
        "what": "TRL GRPOTrainer step time: plain Python rewards vs rewardkit (callback, subclass)",
        "setup": {
            "model": "qwen2 2x64 (built locally)",
            "batch": "16 completions (2 prompts x 8), 32 tokens",
            "steps": args.steps,
            "rounds": args.rounds,
            "threads": 1,
            "python": platform.python_version(),
        },
        "rounds": results,
        "summary": summary,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
