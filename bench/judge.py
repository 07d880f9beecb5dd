"""Judge defenses against content-free answers, and the groupwise judge against the pointwise one.

Version 2 (issue 30; version 1's results stay in ``bench/results/judge.json``). For each judge:

- **defenses**: ``judge_reference`` (binary, few-shot) on arithmetic problems, every completion
  judged whole (``extract: text``, ``judge_sees: completion``), with each defense alone and all
  together: ``none``, ``prefilter`` (the opener list), ``extraction`` (``quote_answer``), ``decoy``
  (decoy-reference consistency), ``all``. Four sets: the 25 master-key triggers
  (``probe.master_keys.MASTER_KEYS``), the paraphrases made by rule
  (``master_key_paraphrases()``: openers x punctuation x filler, 6 languages, 240), genuine right
  answers and genuine wrong ones. Per cell: the share paid (value >= 0.5: a false positive on
  triggers, paraphrases and wrong answers, a true positive on right ones), the share
  verifier-failed, unparsed, and the judge calls per sample (cache hits included);
- **groupwise**: ``judge_group`` (``--repeats`` rotated orders) and ``judge_rubric`` (one call per
  completion, the same rubric as one principle) on the same groups (right, wrong, content-free):
  agreement (Spearman, Kendall over all completions), cost (calls, tokens, seconds, fresh cache),
  position bias (mean score by position; the mean spread of one completion's scores over orders).

The judges: ``gullible`` (scripted: "correct" to everything), ``discerning`` (scripted: right vs
wrong numbers, fooled by an answer without a number; ``judge.fakes``), and ``smollm2``
(SmolLM2-135M-Instruct behind ``transformers serve``, seconds per request on 2 cores: its cells use
the first ``--judged`` problems, ``--slow-keys`` triggers and as many paraphrases, evenly spaced).

    python bench/judge.py                                  # ~15 min on 2 cores, most of it SmolLM2
    python bench/judge.py --judges gullible discerning     # seconds
    python bench/judge.py --table bench/results/judge_v2.json
    python bench/judge.py --smoke                          # the fakes, tiny sizes (a test runs it)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import parse_with_smoke
from scipy.stats import kendalltau, spearmanr

from rewardkit.probe.master_keys import MASTER_KEYS, master_key_paraphrases
from rewardkit.registry import get
from rewardkit.rewards.judge.client import client_for
from rewardkit.rewards.judge.fakes import FAKES, fake_judge
from rewardkit.rewards.judge.group import DEFAULT_RUBRIC
from rewardkit.rewards.judge.local import prepare_smollm2, serve
from rewardkit.types import Sample, Score

JUDGES = {
    "gullible": "scripted: the top score to everything",
    "discerning": "scripted: right vs wrong numbers, fooled by an answer with no number",
    "smollm2": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised), transformers serve, CPU",
}
WHOLE = {"extract": "text", "judge_sees": "completion"}
DEFENSES: dict[str, dict[str, Any]] = {
    "none": {"prefilter": False, "quote_answer": False, "decoy": False},
    "prefilter": {"prefilter": True, "quote_answer": False, "decoy": False},
    "extraction": {"prefilter": False, "quote_answer": True, "decoy": False},
    "decoy": {"prefilter": False, "quote_answer": False, "decoy": True},
    "all": {"prefilter": True, "quote_answer": True, "decoy": True},
}
SETS = ("triggers", "paraphrases", "right", "wrong")


@contextmanager
def judge_server(kind: str) -> Iterator[tuple[str, str]]:
    """The judge's base URL and model name while the block runs."""
    if kind in FAKES:
        with fake_judge(FAKES[kind]) as url:
            yield url, kind
    else:
        with serve(prepare_smollm2()) as local:
            yield local.base_url, local.model


def problems(n: int, seed: int) -> list[tuple[str, str, str, str]]:
    """``n`` (question, working, right answer, wrong answer) arithmetic problems."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        op = rng.choice("+-*")
        value = a + b if op == "+" else a - b if op == "-" else a * b
        wrong = value + rng.choice([-10, -2, -1, 1, 2, 10])
        out.append((f"What is {a} {op} {b}?", f"{a} {op} {b}", str(value), str(wrong)))
    return out


def spread(items: list[str], k: int) -> list[str]:
    """``k`` items evenly spaced over ``items`` (all of them when k is 0 or too large)."""
    if not k or k >= len(items):
        return items
    return [items[i * len(items) // k] for i in range(k)]


def sample_sets(probs: list[tuple[str, str, str, str]], keys: int) -> dict[str, list[Sample]]:
    """The four sets; a content-free answer is set on the problems in turn."""

    def keyed(kind: str, texts: list[str]) -> list[Sample]:
        return [
            Sample(
                f"{kind}{k}", f"{kind}{k}", probs[k % len(probs)][0], t, probs[k % len(probs)][2]
            )
            for k, t in enumerate(texts)
        ]

    triggers = spread(list(MASTER_KEYS.values()), keys)
    paraphrases = spread(list(master_key_paraphrases().values()), keys)
    return {
        "triggers": keyed("t", triggers),
        "paraphrases": keyed("p", paraphrases),
        "right": [
            Sample(f"r{i}", f"r{i}", q, f"{w} = {ans}. The answer is {ans}.", ans)
            for i, (q, w, ans, _) in enumerate(probs)
        ],
        "wrong": [
            Sample(f"w{i}", f"w{i}", q, f"{w} = {bad}. The answer is {bad}.", ans)
            for i, (q, w, ans, bad) in enumerate(probs)
        ],
    }


def run_cell(fn: str, samples: list[Sample], params: dict[str, Any]) -> dict[str, Any]:
    """Score ``samples``; shares paid / verifier-failed / unparsed, calls, tokens and time."""
    comp = get(fn)
    p = comp.build_params(params)
    stats = client_for(p).stats  # type: ignore[arg-type]
    before = (
        stats.requests - stats.retries + stats.cache_hits,
        stats.prompt_tokens,
        stats.completion_tokens,
    )
    start = time.perf_counter()
    results = comp.fn(samples, p)
    seconds = time.perf_counter() - start
    n = len(samples)
    scores = [r for r in results if isinstance(r, Score)]
    failed = [r for r in results if type(r).__name__ == "VerifierFailed"]
    after = (
        stats.requests - stats.retries + stats.cache_hits,
        stats.prompt_tokens,
        stats.completion_tokens,
    )
    return {
        "n": n,
        "paid": sum(s.value >= 0.5 for s in scores) / n,
        "verifier_failed": len(failed) / n,
        "unparsed": (n - len(scores) - len(failed)) / n,
        "calls_per_sample": (after[0] - before[0]) / n,
        "prompt_tokens": after[1] - before[1],
        "completion_tokens": after[2] - before[2],
        "seconds": seconds,
        "values": [r.value if isinstance(r, Score) else None for r in results],
        "info": [r.info if isinstance(r, Score) else {"error": str(r)[:160]} for r in results],
    }


def defenses(sets: dict[str, list[Sample]], base: dict[str, Any], log: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, defense in DEFENSES.items():
        tokens = 40 if defense["quote_answer"] else 8
        params = {**base, **WHOLE, **defense, "max_tokens": tokens}
        out[name] = {k: run_cell("judge_reference", s, params) for k, s in sets.items()}
        row = ", ".join(f"{k} {c['paid']:.2f}" for k, c in out[name].items())
        print(f"[bench] {log} {name}: paid {row}", file=sys.stderr, flush=True)
    return out


def groups(probs: list[tuple[str, str, str, str]], size: int) -> list[Sample]:
    """Per problem, one group: a right answer, wrong ones, a content-free paraphrase."""
    keys = list(master_key_paraphrases().values())
    out = []
    for i, (q, w, ans, bad) in enumerate(probs):
        texts = [
            f"{w} = {ans}. The answer is {ans}.",
            f"{w} = {bad}. The answer is {bad}.",
            keys[i * 7 % len(keys)],
        ]
        texts += [f"The answer is {int(bad) + 5 * k}." for k in range(1, size)]
        out += [Sample(f"g{i}_{k}", f"g{i}", q, t, ans) for k, t in enumerate(texts[:size])]
    return out


def groupwise(samples: list[Sample], base: dict[str, Any], repeats: int) -> dict[str, Any]:
    common = {**base, **WHOLE, "prefilter": False, "cache_dir": tempfile.mkdtemp()}
    point = run_cell(
        "judge_rubric", samples, {**common, "principles": [DEFAULT_RUBRIC], "max_tokens": 8}
    )
    size = len(samples) // len({s.group for s in samples})
    params = {**common, "repeats": repeats, "max_tokens": 16 + 8 * size}
    group = run_cell("judge_group", samples, params)
    pairs = [
        (a, b)
        for a, b in zip(point["values"], group["values"], strict=True)
        if a is not None and b is not None
    ]
    agree: dict[str, Any] = {"n": len(pairs)}
    if len(pairs) > 2 and len({a for a, _ in pairs}) > 1 and len({b for _, b in pairs}) > 1:
        agree["spearman"] = float(spearmanr(*zip(*pairs, strict=True)).statistic)
        agree["kendall"] = float(kendalltau(*zip(*pairs, strict=True)).statistic)
    by_pos: dict[int, list[float]] = {}
    spreads = []
    for info in group["info"]:
        scores = info.get("judge_group_scores")
        if not scores:
            continue
        for pos, s in zip(info["judge_group_positions"], scores, strict=True):
            by_pos.setdefault(pos, []).append(s)
        spreads.append(max(scores) - min(scores))
    bias = {
        "mean_score_by_position": {k: sum(v) / len(v) for k, v in sorted(by_pos.items())},
        "mean_spread_over_orders": sum(spreads) / len(spreads) if spreads else math.nan,
    }
    for cell in (point, group):
        cell.pop("info")
    return {"pointwise": point, "groupwise": group, "agreement": agree, "position_bias": bias}


def run(args: argparse.Namespace, out: dict[str, Any]) -> dict[str, Any]:
    """Every judge's cells into ``out``, saved after each judge (a SmolLM2 run is long)."""
    out.setdefault("defenses", {})
    out.setdefault("groupwise", {})
    for kind in args.judges:
        slow = kind == "smollm2"
        probs = problems(args.judged if slow else args.problems, args.seed)
        keys = args.slow_keys if slow else args.keys
        cache = args.cache or tempfile.mkdtemp()  # a re-run with --cache costs no model call
        with judge_server(kind) as (url, model):
            base = {"base_url": url, "model": model, "cache_dir": cache, "timeout_s": 900}
            base["max_concurrency"] = args.concurrency if slow else 16
            cells = defenses(sample_sets(probs, keys), base, kind)
            for c in (c for d in cells.values() for c in d.values()):
                c.pop("values"), c.pop("info")
            out["defenses"][kind] = cells
            gprobs = problems(args.groups, args.seed + 1)
            out["groupwise"][kind] = groupwise(groups(gprobs, args.group_size), base, args.repeats)
            print(
                f"[bench] {kind} groupwise: {out['groupwise'][kind]['agreement']}", file=sys.stderr
            )
        save(args, out)
    return out


def save(args: argparse.Namespace, result: dict[str, Any]) -> None:
    settings = result.setdefault("settings", {})
    settings[",".join(args.judges)] = {**vars(args), "wall_s": time.time() - args.started}
    settings["judge_models"] = {k: JUDGES[k] for k in result["defenses"]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def table(result: dict[str, Any]) -> str:
    lines = [
        "| judge | defense | FP triggers | FP paraphrases | TP right | FP wrong | verifier-failed "
        "(trig/para/right/wrong) | calls/sample |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, cells in result["defenses"].items():
        for name, c in cells.items():
            n = sum(c[s]["n"] for s in SETS)
            calls = sum(c[s]["calls_per_sample"] * c[s]["n"] for s in SETS) / n
            vf = "/".join(f"{c[s]['verifier_failed']:.2f}" for s in SETS)
            paid = " | ".join(f"{c[s]['paid']:.2f} (n={c[s]['n']})" for s in SETS)
            lines.append(f"| {kind} | {name} | {paid} | {vf} | {calls:.2f} |")
    lines += [
        "",
        "| judge | Spearman | Kendall | calls point/group | tokens point/group | seconds point/group "
        "| mean score by position (group) | spread over orders |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, g in result["groupwise"].items():
        p, q, a, b = g["pointwise"], g["groupwise"], g["agreement"], g["position_bias"]
        tok = [c["prompt_tokens"] + c["completion_tokens"] for c in (p, q)]
        pos = ", ".join(f"{v:.1f}" for v in b["mean_score_by_position"].values())
        lines.append(
            f"| {kind} | {a.get('spearman', math.nan):.2f} | {a.get('kendall', math.nan):.2f} "
            f"| {p['calls_per_sample'] * p['n']:.0f}/{q['calls_per_sample'] * q['n']:.0f} "
            f"| {tok[0]}/{tok[1]} | {p['seconds']:.1f}/{q['seconds']:.1f} | {pos} "
            f"| {b['mean_spread_over_orders']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--judges", nargs="+", choices=list(JUDGES), default=list(JUDGES))
    parser.add_argument("--problems", type=int, default=200, help="problems per scripted cell")
    parser.add_argument("--judged", type=int, default=3, help="problems per SmolLM2 cell")
    parser.add_argument("--keys", type=int, default=0, help="triggers and paraphrases (0: all)")
    parser.add_argument("--slow-keys", type=int, default=12, help="the same, for SmolLM2")
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--group-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--out", default="bench/results/judge_v2.json")
    parser.add_argument("--merge", action="store_true", help="keep the other judges in --out")
    parser.add_argument("--cache", help="judge cache for the defense cells (default: a fresh one)")
    parser.add_argument(
        "--table", metavar="JSON", help="print a saved result's tables, run nothing"
    )
    smoke = {"judges": ["gullible", "discerning"], "problems": 4, "keys": 10, "groups": 2}
    args = parse_with_smoke(parser, smoke)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    args.started = time.time()
    # a SIGTERM unwinds like an exception: the `transformers serve` it started is stopped too
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    kept = json.loads(Path(args.out).read_text()) if args.merge and Path(args.out).is_file() else {}
    print(table(run(args, kept)))


if __name__ == "__main__":
    main()
