"""Pipeline overhead of rewardkit and per-sample cost of each built-in signal; prints JSON.

Overhead = composition + advantages + diagnostics, without the signal functions themselves: the
8 leaves are one batched component that returns precomputed values, so what is timed is the
tree, the bookkeeping, the group statistics and the advantages. Goal: at most 1 us per sample
per component at 1,024 and 16,384 samples.

``--compare REV`` measures the overhead of this tree and of git revision REV side by side: REV
is checked out into a temporary worktree and the two are timed alternately, ``--rounds`` times,
in fresh interpreters on the same machine, so that load hits both alike; it reports each
round's figures and the ratio of the medians.

    .venv/bin/python bench/overhead.py [--repeats 5]
    .venv/bin/python bench/overhead.py --compare 6b3fc93 [--rounds 5]
    .venv/bin/python bench/overhead.py --smoke     # 64 and 256 samples, one repeat (a test runs it)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import parse_with_smoke

from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.types import Sample


class Column(Params):
    key: str


@reward("bench_column", params=Column, batched=True)
def bench_column(samples: Sequence[Sample], p: Column) -> list[float]:
    """Precomputed values (so the bench times rewardkit, not a signal)."""
    return [s.meta[p.key] for s in samples]


def leaf(key: str, **kw: Any) -> dict[str, Any]:
    return {"fn": "bench_column", "key": key, "name": key, **kw}


TREE = {
    "weighted": [
        {"tiers": [leaf("c0"), leaf("c1"), leaf("c2")], "name": "tiers", "weight": 1.0},
        {
            "gate": {"when": leaf("c3"), "then": leaf("c4")},
            "at_least": 0.5,
            "name": "gate",
            "weight": 0.5,
        },
        {"clip": {"product": [leaf("c5"), leaf("c6")]}, "max": 0.8, "name": "clip", "weight": 0.3},
        {"metric": leaf("c7")},
    ]
}
COMPONENTS = 8


def batch(n: int, group_size: int = 8, seed: int = 0) -> list[Sample]:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2, size=(n, COMPONENTS)).astype(float)
    return [
        Sample(
            id=str(i),
            group=str(i // group_size),
            prompt="p",
            completion="c",
            meta={f"c{k}": values[i, k] for k in range(COMPONENTS)},
        )
        for i in range(n)
    ]


def overhead(n: int, repeats: int) -> dict[str, float]:
    program = RewardProgram.from_dict({"reward": TREE, "advantage": {"estimator": "grpo"}})
    samples = batch(n)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        program.advantages(program.score(samples))
        best = min(best, time.perf_counter() - start)
    # The leaf function itself (a list comprehension) is subtracted: it is the "signal".
    t0 = time.perf_counter()
    for k in range(COMPONENTS):
        bench_column(samples, Column(key=f"c{k}"))
    signal = time.perf_counter() - t0
    us = (best - signal) / n / COMPONENTS * 1e6
    return {
        "samples": n,
        "seconds_per_batch": round(best, 5),
        "us_per_sample_per_component": round(us, 3),
    }


SIGNALS: list[tuple[str, dict[str, Any], str, Any]] = [
    ("regex", {"pattern": r"\d+"}, "the answer is 42", None),
    ("tags", {"mode": "strict"}, "<think>a</think><answer>4</answer>", None),
    ("json_valid", {}, '{"a": [1, 2, {"b": null}]}', None),
    ("boxed", {}, "so \\boxed{42}", None),
    ("exact_match", {"punctuation": True}, "The Answer!", "the answer"),
    ("numeric", {"extract": "last_number"}, "about 1,234.5", "1234.5"),
    ("math_equivalent", {}, "\\boxed{\\frac{1}{2}}", "0.5"),
    ("choice", {}, "The answer is (B).", "B"),
    ("ternary", {}, "I don't know", "Paris"),
    ("set_f1", {}, "Paris, Rome, Oslo", ["paris", "rome", "berlin"]),
    ("iou", {}, "[10, 10, 50, 50]", [20, 20, 60, 60]),
    ("iou_hit", {"threshold": 0.5}, "[10, 10, 50, 50]", [20, 20, 60, 60]),
    ("multi_box_iou", {}, "[0,0,10,10] [20,20,30,30]", [[0, 0, 10, 10], [21, 21, 30, 30]]),
    ("distance_tiers", {}, "[10, 10, 50, 50]", [12, 12, 52, 52]),
    (
        "graph_f1",
        {},
        '{"nodes": [{"id": 1, "type": "A"}, {"id": 2, "type": "B"}], "edges": '
        '[{"source": 1, "target": 2}]}',
        {
            "nodes": [{"id": "x", "type": "A"}, {"id": "y", "type": "B"}],
            "edges": [{"source": "x", "target": "y"}],
        },
    ),
    ("json_match", {}, '{"a": 1, "b": "x"}', {"a": 1, "b": "y"}),
    ("bleu", {}, "the cat sat on the mat", "the cat is on the mat"),
    ("chrf", {}, "the cat sat on the mat", "the cat is on the mat"),
    ("rouge_l", {}, "the cat sat on the mat", "the cat is on the mat"),
    ("length_budget", {"target": 10}, "x" * 40, None),
    ("overlong", {"max_length": 30, "cache": 10}, "x" * 25, None),
    ("repetition", {}, "a b c a b c a b c a b c", None),
    ("reasoning_steps", {}, "Step 1: a\nStep 2: b\n", None),
    ("step_check", {"verifier": "arithmetic"}, "1+1=2\n2*3=6\n7-2=4", None),
    ("cosine_length", {"max_len": 100}, "42", "42"),
    ("cost", {"budget": 2.0}, "x", None),
]


def signal_costs(repeats: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, params, completion, ref in SIGNALS:
        program = RewardProgram.from_dict({"reward": {"fn": name, **params}, "on_error": "raise"})
        samples = [
            Sample(
                id=str(i),
                group="g",
                prompt="p",
                completion=completion,
                reference=ref,
                meta={"cost": 1.0},
            )
            for i in range(64)
        ]
        program.score(samples)  # warm caches (regex compilation, imports)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            program.score(samples)
            best = min(best, time.perf_counter() - t0)
        out[name] = round(best / len(samples) * 1e6, 1)
    return out


def compare(rev: str, sizes: list[int], repeats: int, rounds: int) -> dict[str, Any]:
    """This tree's overhead and ``rev``'s, alternately in fresh interpreters (module doc)."""
    here = Path(__file__).resolve().parents[1]
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import overhead as o; "
        f"print(json.dumps([o.overhead(n, {repeats})['us_per_sample_per_component'] "
        f"for n in {sizes!r}]))"
    )
    runs: dict[str, list[list[float]]] = {"current": [], rev: []}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["git", "-C", str(here), "worktree", "add", "-q", "--detach", tmp, rev], check=True
        )
        try:
            for _ in range(rounds):
                # Each side runs its own bench/overhead.py, whose common.py puts its own src/
                # first on the path: the revision's code is timed by the revision's script.
                for name, root in (("current", here), (rev, Path(tmp))):
                    env = {**os.environ, "PYTHONPATH": str(root / "src")}
                    cmd = [sys.executable, "-c", code, str(root / "bench")]
                    out = subprocess.run(cmd, env=env, check=True, capture_output=True,
                                         text=True).stdout  # fmt: skip
                    runs[name].append(json.loads(out.splitlines()[-1]))
        finally:
            subprocess.run(
                ["git", "-C", str(here), "worktree", "remove", "--force", tmp], check=False
            )
    medians = {name: [statistics.median(r[k] for r in rs) for k in range(len(sizes))]
               for name, rs in runs.items()}  # fmt: skip
    return {
        "sizes": sizes,
        "us_per_sample_per_component": runs,
        "median": medians,
        "ratio_current_over_rev": [
            round(c / b, 3) for c, b in zip(medians["current"], medians[rev], strict=True)
        ],
        "goal": "at most 1 us per sample per component",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 16384])
    parser.add_argument("--compare", metavar="REV", help="time git revision REV side by side")
    parser.add_argument("--rounds", type=int, default=5, help="alternations with --compare")
    args = parse_with_smoke(parser, {"repeats": 1, "sizes": [64, 256], "rounds": 1})
    if args.compare:
        print(json.dumps(compare(args.compare, args.sizes, args.repeats, args.rounds), indent=2))
        return
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "overhead": [overhead(n, args.repeats) for n in args.sizes],
        "target_us_per_sample_per_component": 1.0,
        "signal_us_per_sample": signal_costs(args.repeats),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
