"""Atom-Searcher's question on the ``search`` task: does the atomic thought reward, moved to the
outcome over the run, reach a held-out success target sooner than the outcome alone?

Four reward programs, everything else equal (task, one shared warm start, lr, steps, seeds, the
one held-out set):

- ``em``: ``search_em`` only (Search-R1's exact match);
- ``f1``: ``search_f1`` only (R1-Searcher's outcome);
- ``atom``: ``search_em`` + w x ``atomic_thoughts`` (the rule-based reasoning reward model) in
  the reward, w moving from ``--w-from`` to 0 over ``--fade-steps`` (the ``transition`` schedule:
  process early, outcome late, as Atom-Searcher);
- ``turns``: as ``atom``, and the atomic reward's per-turn values give each turn its own
  advantage (``turn_credit: loo_returns``, the unbiased leave-one-out baseline over returns-to-go,
  step weight w on the same schedule).

The protocol of ``bench/protocol.py``: the held-out set (``EVAL_SEED``) and the target are fixed
before the runs, the same lr for every arm; per run steps to target (smoothed, the rule of
``rewardkit compare``), AUC, final with its Wilson interval, the zero-variance group fraction and
the mean |advantage| over time; per arm seeds reaching, the median steps, pooled final accuracy.
Goal: the best process arm reaches the target at least 1.66x sooner than ``em``, both reaching.

    python bench/search.py             # the measured setting (bench/results/search.*; docs/search.md)
    python bench/search.py --smoke     # runs? (seconds)

The setting and the target were fixed before the measured runs, from pilots (docs/search.md):
2-hop questions (a thought can name the bridge before the answer is right), the tiny Qwen2 at
2 x 128 warm-started for 400 steps (the 2 x 64 model of the first measurement copies nothing a
tool wrote; after 400 steps this one answers every held-out question greedily, after 200 steps
a fifth), ``max_new_tokens`` 600 (at 440 a quarter of the rollouts were cut short and paid 0),
sampled success on the 64-problem held-out set (greedy is at 100%; sampled 0.59-0.70 by the eval's
sampling seed), 30 steps of 4 x 8 at lr 2e-5 for every arm (at 2e-4, a first start of this run
broke the warm start: em and f1 on seed 0 went 0.64 -> 0.16 and 0.14, and it was stopped; em pilots
on seed 100 over 20 steps: 5e-5 and 2e-5 flat), target 0.8 (above the warm start's 95%
interval). The first measurement (1 hop, 2 x 64, 3 seeds) is bench/results/search_1hop_2x64.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import dump, parse_with_smoke, run_all, tiny_shape, warm_start_progress
from protocol import EVAL_SEED, arm_stats, plot_protocol, run_options, run_stats, speedup

ARMS = ("em", "f1", "atom", "turns")
COLOURS = {"em": "tab:blue", "f1": "tab:purple", "atom": "tab:orange", "turns": "tab:green"}
SMOKE: dict[str, Any] = {
    "seeds": [0],
    "steps": 2,
    "prompts": 2,
    "group": 2,
    "warm_steps": 2,
    "fade_steps": 2,
    "eval_every": 1,
    "eval_size": 4,
    "max_new_tokens": 40,
    "layers": 1,
    "hidden": 32,
    "workers": 1,
}
"""``--smoke``: every arm, one seed, 2 steps (tests/bench/test_smoke.py)."""


def program(arm: str, args: argparse.Namespace) -> dict[str, Any]:
    """The RewardProgram config of ``arm`` (module doc)."""
    if arm in ("em", "f1"):
        return {"reward": {"weighted": [{"name": "outcome", "fn": f"search_{arm}"}]}}
    reward = {
        "weighted": [
            {"name": "outcome", "fn": "search_em"},
            {"name": "atom", "fn": "atomic_thoughts", "weight": "${w_atom}"},
        ]
    }
    fade = {"linear": {"steps": args.fade_steps}}
    schedules = {"w_atom": {"transition": {"from": args.w_from, "to": 0.0, "over": fade}}}
    advantage: dict[str, Any] = {"estimator": "grpo"}
    if arm == "turns":
        advantage |= {
            "steps_from": "reward/atom",
            "turn_credit": "loo_returns",
            "step_weight": "${w_atom}",
        }
    return {"reward": reward, "advantage": advantage, "schedules": schedules}


def task_options(args: argparse.Namespace) -> dict[str, Any]:
    """The task's options; a pretrained model reads Search-R1's instruction before the question."""
    return {"hops": args.hops, "topk": args.topk, "instruction": bool(args.model)}


def job(arm: str, seed: int, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """One run's name and TrainConfig options (the protocol's shared ones, then the arm's)."""
    name = f"{arm}-s{seed}"
    arm_options = {
        "task": "search",
        "task_options": task_options(args),
        "program": program(arm, args),
        "seed": seed,
        "lr": args.lr,
        "loss_aggregation": "dapo",
        "prompts_per_step": args.prompts,
        "group_size": args.group,
        "max_turns": 3,
        "eval_sampled": args.metric.startswith("eval/sampled/"),  # greedy only, unless measured
    }
    if args.model:  # a pretrained model: the instruction gives the format, no warm start
        arm_options |= {"model": args.model, "device": args.device, "dtype": args.dtype}
        if args.device != "cpu":  # on a CPU, one thread per run: runs go side by side
            arm_options["threads"] = None
    else:
        arm_options |= {
            "tiny": tiny_shape(args.layers, args.hidden),
            "warm_start": {
                "steps": args.warm_steps,
                "seed": args.warm_seed,
                "cache_dir": args.cache,
            },
        }
    return name, run_options(name, Path(args.out), arm_options, args, args.max_new_tokens)


def prepare(args: argparse.Namespace) -> None:
    """Build the one shared warm start before the runs, so parallel runs do not race for it."""
    if args.model:
        return
    import torch

    from rewardkit.tasks import make_task
    from rewardkit.tasks.models import TinyModelSpec
    from rewardkit.tasks.warmstart import WarmStartSpec, warm_start

    torch.set_num_threads(1)
    spec = WarmStartSpec(seed=args.warm_seed, steps=args.warm_steps)
    shape = TinyModelSpec(**tiny_shape(args.layers, args.hidden))
    task = make_task("search", task_options(args))
    warm_start(task, shape, spec, args.cache, warm_start_progress(spec.steps))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--hops", type=int, default=2)
    p.add_argument("--topk", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--prompts", type=int, default=4)
    p.add_argument("--group", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=600)  # 2 hops: up to ~500
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument(
        "--model",
        default=None,
        help="a pretrained model instead of the tiny one (smollm2; no warm start): on a GPU, "
        "through scripts/gpu_smoke.sh",
    )
    p.add_argument("--device", default="cpu", help="with --model: cuda on a GPU")
    p.add_argument("--dtype", default="float32", help="with --model: bfloat16 where supported")
    p.add_argument("--warm-steps", type=int, default=400)
    p.add_argument("--warm-seed", type=int, default=0, help="seed of the one shared warm start")
    p.add_argument("--w-from", type=float, default=0.5)
    p.add_argument("--fade-steps", type=int, default=30)
    p.add_argument("--target", type=float, default=0.8)
    p.add_argument("--metric", default="eval/sampled/success")
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--eval-size", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default="bench/out/search")
    p.add_argument("--cache", default=None)
    p.add_argument("--reuse", action="store_true", help="keep runs already finished in --out")
    args = parse_with_smoke(p, SMOKE)
    out = Path(args.out)
    prepare(args)
    jobs = [job(arm, seed, args) for seed in args.seeds for arm in args.arms]
    summaries = run_all(jobs, args.workers, reuse=args.reuse)
    per_run = {n: run_stats(out / n, args.metric, args.target, args.eval_size) for n in summaries}
    by_arm = {arm: arm_stats(per_run, arm, args.eval_size) for arm in args.arms}
    speedups = {a: speedup(by_arm, "em", a, args.steps) for a in args.arms if a != "em"}
    title = f"search ({args.hops}-hop): held-out {args.metric}, {len(args.seeds)} seeds"
    colours = {a: COLOURS[a] for a in args.arms}
    plot_protocol(out, colours, args.seeds, args.metric, args.target, title, by_arm, args.steps)
    keys = ("metric", "target", "seeds", "steps", "lr", "hops", "topk", "prompts", "group")
    dump(
        {
            **{k: getattr(args, k) for k in keys},
            "warm_steps": args.warm_steps,
            "warm_seed": args.warm_seed,
            "model": args.model or tiny_shape(args.layers, args.hidden),
            "device": args.device,
            "max_new_tokens": args.max_new_tokens,
            "w_from": args.w_from,
            "fade_steps": args.fade_steps,
            "eval_size": args.eval_size,
            "eval_seed": EVAL_SEED,
            "per_arm": by_arm,
            "speedup_vs_em": speedups,
            "goal": "the best process arm reaches the target >= 1.66x sooner than em, both reaching",
            "per_run": per_run,
        },
        out.parent / f"{out.name}.json",
    )


if __name__ == "__main__":
    main()
