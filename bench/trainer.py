"""Trainer benchmark: the built-in GRPO trainer against TRL's ``GRPOTrainer``, same everything.

Both train the same warm-started tiny model on ``boxes`` prompts with the same reward program,
prompts per step, group size, completion length, learning rate and one gradient step per batch,
on CPU. Runs alternate (built-in, TRL, built-in, TRL, ...) so that machine load hits both alike.
Reported: median seconds per optimizer step of each (first step of every run excluded: it warms
caches), and the ratio built-in / TRL. Goal: at most 0.3.

    python bench/trainer.py                 # 3 rounds of 12 steps each
    python bench/trainer.py --smoke         # 1 round of 3 tiny steps, a 2-step warm start
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import dump, parse_with_smoke

from rewardkit.program import RewardProgram
from rewardkit.tasks import make_task, problem
from rewardkit.tasks.boxes import boxes_reward_config
from rewardkit.tasks.models import TinyModelSpec
from rewardkit.tasks.warmstart import WarmStartSpec, warm_start
from rewardkit.types import Sample


def builtin_times(model_path: str, args: argparse.Namespace, out: Path) -> list[float]:
    """Seconds per step of the built-in trainer (wall time between step ends)."""
    from rewardkit.train import TrainConfig
    from rewardkit.train.loop import train

    stamps: list[float] = []
    cfg = TrainConfig(
        model=model_path,
        steps=args.steps,
        prompts_per_step=args.prompts,
        group_size=args.group,
        max_new_tokens=args.tokens,
        lr=args.lr,
        eval_every=0,
        checkpoint_every=0,
        plots=False,
        device="cpu",
        threads=args.threads,
        out_dir=str(out),
    )
    start = time.perf_counter()
    train(cfg, on_step=lambda step, metrics: stamps.append(time.perf_counter()))
    return gaps(start, stamps)


def trl_times(model_path: str, args: argparse.Namespace, out: Path) -> list[float]:
    """Seconds per step of TRL's GRPOTrainer (between ``on_step_end`` callbacks)."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rewardkit.models import load_model

    torch.set_num_threads(args.threads)
    model, tok = load_model(model_path)
    task = make_task("boxes")
    rows = [problem(task, 0, "train", i) for i in range(args.prompts * (args.steps + 2))]
    data = Dataset.from_list([{"prompt": p.prompt, "reference": p.reference} for p in rows])
    program = RewardProgram.from_dict(boxes_reward_config())

    def reward(
        prompts: list[str], completions: list[str], reference: list[Any], **_: Any
    ) -> list[float]:
        samples = [
            Sample(str(i), p, p, c, reference=r)
            for i, (p, c, r) in enumerate(zip(prompts, completions, reference, strict=True))
        ]
        return [0.0 if r is None else r for r in program.score(samples).reward_list()]

    stamps: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, *a: Any, **k: Any) -> None:
            stamps.append(time.perf_counter())

    config = GRPOConfig(
        output_dir=str(out),
        per_device_train_batch_size=args.prompts * args.group,
        num_generations=args.group,
        max_completion_length=args.tokens,
        learning_rate=args.lr,
        max_steps=args.steps,
        beta=0.0,
        temperature=1.0,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="no",
        logging_steps=1000,
        disable_tqdm=True,
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model, reward_funcs=reward, args=config, train_dataset=data, processing_class=tok
    )
    trainer.add_callback(Clock())
    start = time.perf_counter()
    trainer.train()
    return gaps(start, stamps)


def gaps(start: float, stamps: list[float]) -> list[float]:
    """Seconds between consecutive step ends, without the first step (it warms caches)."""
    return [b - a for a, b in itertools.pairwise([start, *stamps])][1:]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--prompts", type=int, default=8, help="prompts per step")
    p.add_argument("--group", type=int, default=8, help="completions per prompt")
    p.add_argument("--tokens", type=int, default=16, help="max completion tokens")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cache", default=None, help="warm start cache folder")
    p.add_argument("--warm-steps", type=int, default=WarmStartSpec.steps)
    p.add_argument("--out", default="bench/out")
    smoke = {"rounds": 1, "steps": 3, "prompts": 2, "group": 2, "tokens": 4, "warm_steps": 2}
    args = parse_with_smoke(p, smoke)
    if args.smoke:
        args.cache = args.cache or str(Path(args.out) / "warmstart")  # not the shared cache
    spec = WarmStartSpec(steps=args.warm_steps)
    model_path = str(warm_start(make_task("boxes"), TinyModelSpec(), spec, args.cache))
    times: dict[str, list[float]] = {"builtin": [], "trl": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, fn in (("builtin", builtin_times), ("trl", trl_times)):
                got = fn(model_path, args, Path(tmp) / f"{name}-{r}")
                times[name].extend(got)
                print(
                    f"[bench] round {r} {name}: {statistics.median(got):.3f} s/step",
                    file=sys.stderr,
                )
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "setup": {
            "task": "boxes",
            "model": "qwen2 2 layers x 64 hidden (warm-started)",
            "prompts_per_step": args.prompts,
            "group_size": args.group,
            "max_new_tokens": args.tokens,
            "threads": args.threads,
            "rounds": args.rounds,
            "steps_per_run": args.steps,
            "warm_start_steps": args.warm_steps,
        },
        "seconds_per_step_median": med,
        "seconds_per_step_mean": {k: statistics.mean(v) for k, v in times.items()},
        "ratio_builtin_over_trl": med["builtin"] / med["trl"],
        "goal": "ratio <= 0.3",
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot(times, out / "trainer.png")
    dump(result, out / "trainer.json")


def plot(times: dict[str, list[float]], path: Path) -> None:
    """Box plot of seconds per step for both trainers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    ax.boxplot([times["builtin"], times["trl"]], tick_labels=["rewardkit", "TRL GRPOTrainer"])
    ax.set_ylabel("seconds per step")
    ax.set_title("GRPO step time, same tiny model and batch (CPU)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
