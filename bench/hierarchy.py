"""Hierarchy benchmark on ``countdown``: weighted sum vs tiers vs gated accumulation.

The four checks (parses -> only given numbers -> hits the target -> shortest) are combined three
ways (see ``rewardkit.tasks.countdown.countdown_reward_config``); everything else is equal. For
each arm and seed: held-out success (target reached with the given numbers, sampled answers),
the steps until its smoothed value reaches ``--target``, and the final value.

    python bench/hierarchy.py                  # 3 seeds, sequential
    python bench/hierarchy.py --workers 9
    python bench/hierarchy.py --smoke      # 1 seed, 2 steps, a 2-step warm start (a test runs it)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import (
    arm_means,
    curve,
    dump,
    first_reaching,
    parse_with_smoke,
    plot_curves,
    run_all,
    warm_starts,
)

from rewardkit.tasks.countdown import countdown_reward_config
from rewardkit.tasks.warmstart import WarmStartSpec

ARMS = ("weighted", "tiers", "gated")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--prompts", type=int, default=16)
    p.add_argument("--target", type=float, default=0.3)
    p.add_argument("--metric", default="eval/sampled/success")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", default="bench/out/hierarchy")
    p.add_argument("--cache", default=None)
    p.add_argument("--warm-steps", type=int, default=WarmStartSpec.steps)
    p.add_argument("--eval-size", type=int, default=256)
    smoke = {"seeds": [0], "steps": 2, "prompts": 2, "warm_steps": 2, "eval_size": 8}
    args = parse_with_smoke(p, smoke)
    if args.smoke:
        args.cache = args.cache or str(Path(args.out) / "warmstart")  # not the shared cache
    out = Path(args.out)
    warm_starts("countdown", args.seeds, args.cache, args.warm_steps)
    jobs = [
        (
            f"{arm}-s{seed}",
            {
                "task": "countdown",
                "program": countdown_reward_config(arm),  # type: ignore[arg-type]
                "seed": seed,
                "steps": args.steps,
                "lr": args.lr,
                "prompts_per_step": args.prompts,
                "max_new_tokens": 16,
                "eval_every": 10,
                "eval_size": args.eval_size,
                "checkpoint_every": 0,
                "plots": False,
                "device": "cpu",
                "warm_start": {"cache_dir": args.cache, "steps": args.warm_steps},
                "out_dir": str(out),
                "run_name": f"{arm}-s{seed}",
            },
        )
        for seed in args.seeds
        for arm in ARMS
    ]
    summaries = run_all(jobs, args.workers)
    per_run: dict[str, Any] = {}
    for name in sorted(summaries):
        steps, values = curve(out / name, args.metric)
        per_run[name] = {
            "steps_to_target": first_reaching(steps, values, args.target),
            "start": values[0] if values else None,
            "final": summaries[name]["final_eval"].get(args.metric),
            "zero_std_frac@first50": summaries[name]["reward/zero_std_frac@first50"],
        }
    per_arm = {}
    for arm in ARMS:
        per_arm[arm] = arm_means(per_run, arm, args.steps)
    plot(out, args)
    dump(
        {
            "metric": args.metric,
            "target": args.target,
            "seeds": args.seeds,
            "steps": args.steps,
            "per_arm": per_arm,
            "per_run": per_run,
        },
        out.parent / f"{out.name}.json",
    )


def plot(out: Path, args: argparse.Namespace) -> None:
    """Held-out curves per arm (one line per seed)."""
    plot_curves(
        out,
        {"weighted": "tab:blue", "tiers": "tab:green", "gated": "tab:orange"},
        args.seeds,
        args.metric,
        args.target,
        f"countdown: held-out success ({args.metric})",
    )


if __name__ == "__main__":
    main()
