"""Bias and variance of per-turn credit estimators on a multi-turn problem with a known gradient.

The problem: an agent may search up to H - 1 times, then must answer. At turn t < H - 1 a softmax
(two-action, so sigmoid) policy with one logit theta_t per turn index searches with probability
s_t = sigmoid(theta_t); a search earns an intermediate (tool) reward mu + sigma * N(0, 1), an
answer after m searches succeeds (outcome 1, else 0) with probability 1 - (1 - p0) * decay^m.
The policy decides how many turns it takes. The answer turn has no tool reward (NaN). The true
gradient of J = E[sum of rewards + outcome] comes from enumerating the H stopping turns.

For each estimator of ``rewardkit.advantage.turn_advantages`` the policy-gradient estimate of a
group is mean_i sum_t grad log pi(a_t^i) A_t^i; over many groups of 8 this bench reports the bias
(mean estimate - true gradient, per parameter, its standard error and 95% CI, and its norm), the
variance of a group's estimate (trace), and the cosine to the true gradient, per horizon H (the
most turns a trajectory may take) and per mean intermediate reward mu (index_returns' bias,
-mu grad E[searches] for a large group, grows with mu; loo_returns stays within noise).

    .venv/bin/python bench/turns.py                                # about 70 s on 2 cores
    .venv/bin/python bench/turns.py --out bench/results/turns      # the committed JSON and PNG
    .venv/bin/python bench/turns.py --smoke                        # seconds (a test runs it)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import dump, parse_with_smoke

from rewardkit.advantage import Groups, turn_advantages

# (label, credit, gamma)
ESTIMATORS = (
    ("outcome", "outcome", 1.0),
    ("outcome_loo", "outcome_loo", 1.0),
    ("returns", "returns", 1.0),
    ("returns_g0.8", "returns", 0.8),
    ("index_returns", "index_returns", 1.0),
    ("loo_returns", "loo_returns", 1.0),
)


def search_prob(theta: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-theta))


def success(m: np.ndarray | int, p0: float, decay: float) -> np.ndarray:
    return 1.0 - (1.0 - p0) * decay ** np.asarray(m, dtype=float)


def exact(theta: np.ndarray, mu: float, p0: float, decay: float) -> dict[str, np.ndarray]:
    """True gradient of J and of E[searches], by enumerating the stopping turn T = 1 .. H."""
    s, h = search_prob(theta), len(theta) + 1
    grad_j, grad_n = np.zeros(h - 1), np.zeros(h - 1)
    mean_turns, stops = 0.0, np.zeros(h)
    for t_stop in range(1, h + 1):
        m = t_stop - 1  # searches before the answer
        prob = np.prod(s[:m]) * (1.0 - s[m] if m < h - 1 else 1.0)
        score = np.zeros(h - 1)
        score[:m] = 1.0 - s[:m]
        if m < h - 1:
            score[m] = -s[m]
        grad_j += prob * (m * mu + success(m, p0, decay)) * score
        grad_n += prob * m * score
        mean_turns += prob * t_stop
        stops[m] = prob
    return {
        "grad": grad_j,
        "grad_searches": grad_n,
        "mean_turns": np.array(mean_turns),
        "stops": stops,
    }


def simulate(
    rng: np.random.Generator, theta: np.ndarray, groups: int, size: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One batch of groups: turn rewards (list), outcomes, turns taken and grad log pi per turn."""
    h, n = len(theta) + 1, groups * size
    s = search_prob(theta)
    search = rng.random((n, h - 1)) < s
    searches = np.argmin(np.hstack([search, np.zeros((n, 1), bool)]), axis=1)  # first answer
    turns = searches + 1
    tool = args.mu + args.sigma * rng.standard_normal((n, h - 1))
    outcome = (rng.random(n) < success(searches, args.p0, args.decay)).astype(float)
    score = np.where(search, 1.0 - s, -s)  # d log pi(a_k) / d theta_k
    score[np.arange(h - 1) >= turns[:, None]] = 0.0  # turns never taken
    rewards = [np.append(tool[i, :m], np.nan) for i, m in enumerate(searches.tolist())]
    ids = np.repeat(np.arange(groups), size).astype(str).tolist()
    return {"rewards": rewards, "outcome": outcome, "turns": turns, "score": score, "ids": ids}


def group_estimates(batch: dict[str, Any], credit: str, gamma: float, groups: int) -> np.ndarray:
    """[groups, parameters]: mean over a group's samples of sum_t grad log pi(a_t) A_t."""
    adv = turn_advantages(
        batch["rewards"],
        Groups.from_ids(batch["ids"]),
        credit,  # type: ignore[arg-type]
        batch["outcome"],
        gamma,
    )
    score = batch["score"]
    table = np.zeros((len(adv), score.shape[1]))
    for i, a in enumerate(adv):
        assert a is not None  # every trajectory has its answer turn
        k = min(len(a), score.shape[1])  # the forced last answer has no parameter
        table[i, :k] = a[:k]
    per_sample = score * table
    return per_sample.reshape(groups, -1, score.shape[1]).mean(axis=1)


def summarise(est: np.ndarray, truth: dict[str, np.ndarray]) -> dict[str, Any]:
    """Bias, its standard error and 95% CI, variance and cosines of the group estimates."""
    grad = truth["grad"]
    mean = est.mean(axis=0)
    se = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    bias = mean - grad
    unit = grad / np.linalg.norm(grad)
    along = est @ unit - np.linalg.norm(grad)  # bias along the true gradient, per group
    norms = np.linalg.norm(est, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_each = np.where(norms > 0, (est @ unit) / norms, 0.0)
    return {
        "bias": bias.round(5).tolist(),
        "se": se.round(5).tolist(),
        "ci95": np.stack([bias - 1.96 * se, bias + 1.96 * se], axis=1).round(5).tolist(),
        "bias_z": (bias / se).round(2).tolist(),
        "bias_norm": round(float(np.linalg.norm(bias)), 5),
        "bias_along_grad": round(float(along.mean()), 5),
        "bias_along_grad_se": round(float(along.std(ddof=1) / np.sqrt(len(est))), 5),
        "variance": round(float(est.var(axis=0, ddof=1).sum()), 5),
        "cosine_of_mean": round(float(mean @ unit / np.linalg.norm(mean)), 5),
        "mean_cosine": round(float(cos_each.mean()), 4),
    }


def setting(h: int, mu: float, args: argparse.Namespace) -> dict[str, Any]:
    """Every estimator on the same simulated groups for one horizon and intermediate reward."""
    theta = np.full(h - 1, args.theta)
    run = argparse.Namespace(**{**vars(args), "mu": mu})
    truth = exact(theta, mu, args.p0, args.decay)
    rng = np.random.default_rng([args.seed, h, round(mu * 1000)])
    per: dict[str, list[np.ndarray]] = {label: [] for label, _, _ in ESTIMATORS}
    for _ in range(args.batches):
        batch = simulate(rng, theta, args.groups, args.size, run)
        for label, credit, gamma in ESTIMATORS:
            per[label].append(group_estimates(batch, credit, gamma, args.groups))
    return {
        "horizon": h,
        "mu": mu,
        "groups": args.groups * args.batches,
        "mean_turns": round(float(truth["mean_turns"]), 4),
        "p_turns": truth["stops"].round(4).tolist(),  # P(T = 1), P(T = 2), ...
        "true_gradient": truth["grad"].round(5).tolist(),
        "index_bias_large_group": (-mu * truth["grad_searches"]).round(5).tolist(),
        # plus the outcome's own share in its group mean, -grad E[o] / n (the 1/n_k share of
        # the own tool reward in its turn mean is left out: the tool reward's noise is small)
        "index_bias_predicted": (
            -mu * truth["grad_searches"] - (truth["grad"] - mu * truth["grad_searches"]) / args.size
        )
        .round(5)
        .tolist(),
        "estimators": {k: summarise(np.concatenate(v), truth) for k, v in per.items()},
    }


def table(rows: list[dict[str, Any]], key: str) -> list[str]:
    lines = [f"| estimator | {key} | bias along grad (SE) | bias norm | max abs z | variance |"]
    lines.append("|---|---|---|---|---|---|")
    for label, _, _ in ESTIMATORS:
        for row in rows:
            e = row["estimators"][label]
            z = max(abs(v) for v in e["bias_z"])
            lines.append(
                f"| {label} | {row[key]} | {e['bias_along_grad']:+.4f} ({e['bias_along_grad_se']:.4f}) "
                f"| {e['bias_norm']:.4f} | {z:.1f} | {e['variance']:.4f} |"
            )
    return lines


def plot(report: dict[str, Any], path: Path) -> None:
    """Bias along the true gradient (95% CI) per estimator, vs horizon and vs mu."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4), dpi=100)
    panels = (
        ("by_horizon", "horizon", "horizon H (most turns a trajectory may take)"),
        ("by_intermediate_reward", "mu", "mean intermediate reward mu"),
    )
    for ax, (section, key, xlabel) in zip(axes, panels, strict=False):
        rows = report[section]
        for j, (label, _, _) in enumerate(ESTIMATORS):
            x = np.array([r[key] for r in rows], dtype=float)
            step = (x.max() - x.min() or 1.0) * 0.008
            y = [r["estimators"][label]["bias_along_grad"] for r in rows]
            err = [1.96 * r["estimators"][label]["bias_along_grad_se"] for r in rows]
            ax.errorbar(x + (j - 2.5) * step, y, yerr=err, marker="o", ms=3, capsize=2, label=label)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("bias along the true gradient (95% CI)")
        ax.grid(alpha=0.3)
    axes[0].set_title(f"mu = {report['setup']['mu']}, groups of {report['setup']['size']}")
    axes[1].set_title(f"H = {report['setup']['mu_horizon']}")
    axes[1].legend(fontsize=8)
    # the unbiased ones at their own scale: the CI should cover 0
    ax = axes[2]
    for j, (label, colour) in enumerate(
        (("outcome_loo", "tab:orange"), ("loo_returns", "tab:brown"))
    ):
        for section, key, marker in (
            ("by_horizon", "horizon", "o"),
            ("by_intermediate_reward", "mu", "s"),
        ):
            rows = report[section]
            x = np.arange(len(rows)) + (0 if key == "horizon" else len(rows) + 1) + 0.15 * j
            y = [r["estimators"][label]["bias_along_grad"] for r in rows]
            err = [1.96 * r["estimators"][label]["bias_along_grad_se"] for r in rows]
            ax.errorbar(
                x,
                y,
                yerr=err,
                fmt=marker,
                ms=3,
                capsize=2,
                color=colour,
                label=label if key == "horizon" else None,
            )
    ticks = [f"H={r['horizon']}" for r in report["by_horizon"]]
    ticks += [""] + [f"mu={r['mu']}" for r in report["by_intermediate_reward"]]
    ax.set_xticks(range(len(ticks)), ticks, rotation=60, fontsize=7)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_ylabel("bias along the true gradient (95% CI)")
    ax.set_title("leave-one-out estimators, zoomed")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--horizons", type=int, nargs="+", default=[2, 3, 4, 5, 6])
    p.add_argument("--mus", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.4, 0.8])
    p.add_argument("--mu", type=float, default=0.2, help="mean intermediate reward (horizons)")
    p.add_argument("--mu-horizon", type=int, default=4, help="the horizon of the mu sweep")
    p.add_argument("--sigma", type=float, default=0.1, help="noise sd of an intermediate reward")
    p.add_argument("--p0", type=float, default=0.2, help="success without a search")
    p.add_argument("--decay", type=float, default=0.6, help="failure shrinks by this per search")
    p.add_argument("--theta", type=float, default=0.0, help="every logit (0: search half the time)")
    p.add_argument("--size", type=int, default=8, help="group size")
    p.add_argument("--groups", type=int, default=2000, help="groups per batch (one seed set)")
    p.add_argument("--batches", type=int, default=20, help="batches per setting")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="bench/out/turns")
    args = parse_with_smoke(
        p, {"horizons": [2, 3], "mus": [0.0, 0.4], "mu_horizon": 3, "groups": 50, "batches": 1}
    )
    start = time.perf_counter()
    by_h = [setting(h, args.mu, args) for h in args.horizons]
    by_mu = [setting(args.mu_horizon, mu, args) for mu in args.mus]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    setup = {k: v for k, v in vars(args).items() if k not in ("out", "smoke")}
    report = {
        "setup": setup,
        "estimators": {label: {"credit": c, "gamma": g} for label, c, g in ESTIMATORS},
        "by_horizon": by_h,
        "by_intermediate_reward": by_mu,
        "seconds": round(time.perf_counter() - start, 1),
    }
    report["table_by_horizon"] = table(by_h, "horizon")
    report["table_by_intermediate_reward"] = table(by_mu, "mu")
    plot(report, out.parent / f"{out.name}.png")
    dump(report, out.parent / f"{out.name}.json")


if __name__ == "__main__":
    main()
