"""Tolerance-ladder benchmark on reasoning-gym arithmetic: exact match vs dense error vs the ladder.

The task is reasoning-gym's ``chain_sum`` (its own generator, offline), restricted to one
operation on two numbers of ``--digits`` digits (``a + b`` or ``a - b``). Three reward programs,
everything else equal (warm start per seed, lr, steps, one held-out set):

- ``exact``: ``numeric`` on the entry's ``answer`` (the right integer or 0);
- ``dense``: ``numeric_error``, minus the capped relative error (closeness, not correctness);
- ``ladder``: ``numeric`` with ``rel_tol: ${tol}``, the tolerance laddered 10% -> 5% -> 1% ->
  exact by the full rule: window mean of the hit rate at the current tolerance, window std,
  half refresh (no margin condition: the ladder's margin is ``mean(margin_of) - level``, a
  quantity that only means "above the threshold" on an increasing ladder);
- ``ladder_gain``: the same ladder with section 1's ``ladder_gain`` rule, fixed before its runs
  (2026-12-01) as it is there, with no pilot of its own: ``gain_at_least`` 1.5 over each rung's
  entry mean, ``mean_at_least`` 0.02 as a floor, std <= 0.35, half refresh. Added after the first
  seed's ``ladder`` run had cascaded 10% -> exact in 10 steps (181, 186, 191).

Held-out accuracy is reasoning-gym's own ``score_answer`` == 1 (exact), on one fixed set of
``--eval-size`` problems (``eval_seed``), sampled at the training temperature (pass@1).

    python bench/tolerance.py --sweep            # lr sweep, seed 100
    python bench/tolerance.py                    # 3 arms x 5 seeds, 2 at a time (version 2)
    python bench/tolerance.py --smoke            # runs? (seconds, a temporary folder)

Version 1 (3-digit numbers, the default tiny model: 2 layers, hidden 64; warm start 800 steps;
``bench/results/tolerance_sweep.*``, measured 2026-12-01) failed its precondition: in the lr sweep
(seed 100, 500 steps, lr 3e-4 and 1e-3) no arm moved held-out exact accuracy (0.000-0.004 from
0.004), and a 1500-step warm start with the dense arm moved it 0.004 -> 0.010 in 600 steps, within
the noise. Pilots after it (seed 100): 2-digit numbers on the same model, 2000 steps at lr 3e-4
and 1e-3: exact and dense both stayed at 0.000-0.018 from 0.006.

Version 2, the setting chosen before its measured runs (2026-12-01) from pilots on seed 100:

- 2-digit numbers and a larger tiny model, 4 layers, hidden 128 (MLP 384), warm start 150 steps;
- at the warm start (128 prompts x 8 samples): exact hits 0.9% of samples, zero-variance groups
  93.8% (just under the 95% bar of section 1); at 10% tolerance 9.8% hits / 53% zero-variance,
  5%: 5.8% / 66%, 1%: 1.6% / 90%;
- learnability: the dense arm at lr 3e-4 moved sampled exact accuracy 0.008 -> 0.021 in 800 steps
  (512 problems; z = 1.8, p = 0.07: a trend, not beyond the noise); exact stayed at 0.004-0.016;
  a ladder at a P of 0.5 sat at 10% for 700 steps while its hit rate rose 0.13 -> 0.36;
- so the ladder's ``mean_at_least`` table is [0.2, 0.1, 0.03], about twice each rung's starting
  hit rate (as in section 1), ``std_at_most`` 0.35, window 10;
- lr 3e-4 for every arm (not swept on this model: the one pilot lr), 800 steps, evaluation every
  100 steps on the fixed 512 problems; target: sampled exact accuracy 0.02, set before the runs.

Version 2 outcome (2026-12-01, 2-core machine; ``bench/results/tolerance_v2.*``): both goals
missed, and the setting failed two of its preconditions. Seed 1's warm start began at 0.023, above
the target, so every arm "reached" it at step 0 there (listed, not hidden); and no arm learned
exact answers beyond the noise. Sampled exact accuracy, pooled final over 5 seeds (start 0.012):
exact 0.009 (0.006-0.014), dense 0.016 (0.012-0.022; reached 0.02 on seeds 0 and 2 at 400 and
600), ladder 0.006 (0.004-0.010), ladder_gain 0.010 (0.007-0.015); no ladder's median seed reached
the target, so there is no ratio. The absolute-P ladder cascaded on every seed: 10% -> exact in
10 steps (seed 0: 181, 186, 191; half refresh of a 10-step window), then starved like exact
(zero-variance 0.97 in the last bin). ``ladder_gain`` climbed slowly (seed 0: 162, 546, 712;
seed 3 stayed at 5% from step 76) and its zero-variance fraction rose 0.51 -> 0.90 all the same:
at 5% and 1% the hit rate stayed too low for the groups to differ. Dense kept informative groups
longest (0.13 -> 0.65 zero-variance) and is the only arm whose mean curve rose (0.012 -> 0.020 at
step 700). This model learns exact 2-digit arithmetic too slowly from sequence-level rewards for
"sooner" to be measured; a pretrained model (SmolLM2 on a lent GPU) is the next thing to try.
A dense run (seed 2) also found a bug: ``numeric_error`` raised on a model's ``1e400`` (fixed).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import dump, parse_with_smoke, run_all, tiny_shape, warm_starts
from protocol import (
    SWEEP_SEED,
    arm_stats,
    plot_protocol,
    run_options,
    run_stats,
    speedup,
    sweep_name,
    sweep_summary,
)

TASK = "reasoning_gym:chain_sum"


def task_options(digits: int) -> dict[str, int]:
    """One operation on two numbers of ``digits`` digits."""
    return {"min_terms": 2, "max_terms": 2, "min_digits": digits, "max_digits": digits}


LADDER = [0.1, 0.05, 0.01, 0.0]
COLOURS = {
    "exact": "tab:red",
    "dense": "tab:blue",
    "ladder": "tab:green",
    "ladder_gain": "tab:cyan",
}
SMOKE: dict[str, Any] = {
    "seeds": [0],
    "steps": 4,
    "target": 0.0,  # reached at the start: the "reached" side of the protocol runs too
    "eval_every": 2,
    "eval_size": 8,
    "window": 2,
    "raise_at": [0.0] * 3,  # the ladder raises as soon as its window fills
    "warm_steps": 2,
    "layers": 1,
    "hidden": 32,
    "prompts": 2,
    "group": 4,
    "workers": 1,
}
"""``--smoke``: every arm, one seed, 4 steps, a 1-layer model (tests/bench/test_training_smoke.py)."""


def programs(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The reward programs of the arms (module doc)."""
    answer = {"reference_key": "answer", "extract": "last_number"}

    def ladder(rule: dict[str, Any]) -> dict[str, Any]:
        schedule = {"ladder": LADDER, "watch": "reward/mean", "window": args.window}
        return {
            "reward": {"fn": "numeric", **answer, "rel_tol": "${tol}"},
            "schedules": {"tol": {**schedule, "raise_when": rule, "refresh": "half"}},
        }

    return {
        "exact": {"reward": {"fn": "numeric", **answer}},
        "dense": {"reward": {"fn": "numeric_error", **answer}},
        "ladder": ladder({"mean_at_least": args.raise_at, "std_at_most": 0.35}),
        "ladder_gain": ladder(
            {"mean_at_least": args.gain_floor, "gain_at_least": args.gain, "std_at_most": 0.35}
        ),
    }


def job(
    args: argparse.Namespace, arm: str, seed: int, lr: float, out: Path, name: str
) -> tuple[str, dict]:
    arm_options = {
        "task": TASK,
        "task_options": task_options(args.digits),
        "program": programs(args)[arm],
        "tiny": tiny_shape(args.layers, args.hidden),
        "seed": seed,
        "lr": lr,
        "prompts_per_step": args.prompts,
        "group_size": args.group,
    }
    return name, run_options(name, out, arm_options, args, max_new_tokens=8)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--lrs", type=float, nargs="+", default=[3e-4, 1e-3], help="sweep")
    p.add_argument("--lr", type=str, default="exact=3e-4,dense=3e-4,ladder=3e-4,ladder_gain=3e-4")
    p.add_argument("--target", type=float, default=0.02)
    p.add_argument("--metric", default="eval/sampled/success")
    p.add_argument("--eval-size", type=int, default=512)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--raise-at", type=float, nargs="+", default=[0.2, 0.1, 0.03])
    p.add_argument("--warm-steps", type=int, default=150)
    p.add_argument("--digits", type=int, default=2, help="digits of each number")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--prompts", type=int, default=16, help="prompts per step")
    p.add_argument("--group", type=int, default=8, help="completions per prompt")
    p.add_argument("--gain", type=float, default=1.5, help="ladder_gain: gain_at_least")
    p.add_argument("--gain-floor", type=float, default=0.02, help="ladder_gain: mean_at_least")
    p.add_argument("--arms", nargs="+", default=list(COLOURS), choices=list(COLOURS))
    p.add_argument("--reuse", action="store_true", help="keep runs that finished (summary.json)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sweep", action="store_true", help="lr sweep on seed 100 instead")
    p.add_argument("--out", default="bench/out/tolerance")
    p.add_argument("--cache", default=None, help="warm start cache folder")
    args = parse_with_smoke(p, SMOKE)
    out = Path(args.out + ("_sweep" if args.sweep else ""))
    seeds = [SWEEP_SEED] if args.sweep else args.seeds
    shape = tiny_shape(args.layers, args.hidden)
    warm_starts(TASK, seeds, args.cache, args.warm_steps, task_options(args.digits), shape)
    if args.sweep:
        jobs = [
            job(args, arm, SWEEP_SEED, lr, out, sweep_name(arm, lr))
            for arm in args.arms
            for lr in args.lrs
        ]
    else:
        lrs = {k: float(v) for k, v in (kv.split("=") for kv in args.lr.split(","))}
        jobs = [
            job(args, arm, seed, lrs[arm], out, f"{arm}-s{seed}")
            for seed in seeds
            for arm in args.arms
        ]
    run_all(jobs, args.workers, reuse=args.reuse)
    per_run = {
        name: run_stats(out / name, args.metric, args.target, args.eval_size) for name, _ in jobs
    }
    if args.sweep:
        dump(
            {"metric": args.metric, "sweep": sweep_summary(per_run), "per_run": per_run},
            out.parent / f"{out.name}.json",
        )
        return
    per_arm = {arm: arm_stats(per_run, arm, args.eval_size) for arm in args.arms}
    result = {
        "task": TASK,
        "task_options": task_options(args.digits),
        "metric": args.metric,
        "target": args.target,
        "eval_size": args.eval_size,
        "seeds": seeds,
        "steps": args.steps,
        "lr": args.lr,
        "raise_at": args.raise_at,
        "per_arm": per_arm,
        "speedups": {
            f"{fast}_vs_{slow}": speedup(per_arm, slow, fast, args.steps)
            for fast in ("ladder", "ladder_gain")
            for slow in ("exact", "dense")
            if {fast, slow} <= set(per_arm)
        },
        "goal": "ladder reaches the target >= 1.66x sooner than exact, and no later than dense",
        "per_run": per_run,
    }
    title = f"held-out exact accuracy ({args.metric}), {len(seeds)} seeds"
    colours = {arm: COLOURS[arm] for arm in args.arms}
    plot_protocol(out, colours, seeds, args.metric, args.target, title, per_arm, args.steps)
    dump(result, out.parent / f"{out.name}.json")


if __name__ == "__main__":
    main()
