"""Record the README's figures: ``rewardkit train`` with no config (the embedded default), run as
the README runs it, and the numbers the README quotes, with the machine they came from.

    python bench/default_run.py                 # about 3 minutes on 2 CPU cores
    python bench/default_run.py --smoke         # a few steps: checks the script, measures nothing

Writes ``bench/results/default_run.json``; ``readme_sentence`` turns it into the README's sentence,
and ``tests/test_readme.py`` checks that the README says exactly that. The run is seeded and uses
one torch thread, so a machine with the same torch build and CPU family repeats it to the digit;
another torch build or CPU instruction set rounds differently and the figures move by a few
points. What must hold anywhere (sampled success rises beyond the noise, the ladder raises at
least twice) is checked by ``tests/train/test_default_run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import parse_with_smoke

from rewardkit.runs.headline import final_point
from rewardkit.runs.runlog import read_jsonl
from rewardkit.runs.summary import two_proportion_test, wilson_interval

ROOT = Path(__file__).resolve().parents[1]
SMOKE = {"set": ["steps=3", "eval_size=8", "eval_every=2", "warm_start.steps=2"]}


def change(rows: list[dict[str, Any]], summary: dict[str, Any], key: str, n: int) -> dict[str, Any]:
    """Start and end of one eval series: values, 95% Wilson intervals, the two-proportion test."""
    points = [(int(r["step"]), float(r[key])) for r in rows if isinstance(r.get(key), int | float)]
    final = final_point(summary)
    if final is not None and isinstance(final.get(key), int | float):
        points.append((int(final["step"]), float(final[key])))
    (s0, p0), (s1, p1) = points[0], points[-1]
    z, p = two_proportion_test(p0, p1, n, n)
    return {
        "start": {"step": s0, "success": p0, "ci95": wilson_interval(p0 * n, n)},
        "end": {"step": s1, "success": p1, "ci95": wilson_interval(p1 * n, n)},
        "z": z,
        "p": p,
    }


def record(run_dir: Path, wall_s: float) -> dict[str, Any]:
    """The figures of one finished run folder."""
    summary = json.loads((run_dir / "summary.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    rows = read_jsonl(run_dir / "metrics.jsonl")
    n = int(config["eval_size"])
    raises = [e for e in read_jsonl(run_dir / "events.jsonl") if e.get("kind") == "raise"]
    import torch

    return {
        "command": "rewardkit train",
        "steps": int(config["steps"]),
        "eval_size": n,
        "sampled": change(rows, summary, "eval/sampled/success", n),
        "greedy": change(rows, summary, "eval/greedy/success", n),
        "ladder": {
            "raises": len(raises),
            "from": raises[0]["old"] if raises else None,
            "to": raises[-1]["new"] if raises else None,
            "at_steps": [e["step"] for e in raises],
        },
        "wall_s": round(wall_s, 1),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": config.get("threads"),
        },
    }


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def readme_sentence(rec: dict[str, Any]) -> str:
    """The README's sentence on the default run, from a record."""
    s, g, lad = rec["sampled"], rec["greedy"], rec["ladder"]
    times = {1: "once", 2: "twice"}.get(lad["raises"], f"{lad['raises']} times")
    greedy_verdict = (
        f"larger than the noise ({_p(g['p'])})"
        if g["p"] < 0.05
        else f"within the noise (p = {g['p']:.2f})"
    )
    return (
        f"held-out sampled success goes from {_pct(s['start']['success'])} to "
        f"{_pct(s['end']['success'])} on {rec['eval_size']} problems ({_p(s['p'])}) while the "
        f"ladder raises the IoU threshold {times}, {lad['from']:g} -> {lad['to']:g}; greedy "
        f"success moves {_pct(g['start']['success'])} -> {_pct(g['end']['success'])}, "
        f"{greedy_verdict}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="bench/results/default_run", help="writes OUT.json")
    p.add_argument("--set", action="append", default=[], help="KEY=VALUE for rewardkit train")
    args = parse_with_smoke(p, SMOKE, argv)
    with tempfile.TemporaryDirectory(prefix="rewardkit-default-") as tmp:
        cmd = [sys.executable, "-m", "rewardkit", "train", "--out-dir", tmp]
        cmd += [f"--set={kv}" for kv in args.set]
        print(f"[bench] {' '.join(cmd)}", file=sys.stderr)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr, check=False)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            sys.exit(f"rewardkit train exited {done.returncode}")
        (run_dir,) = Path(tmp).iterdir()
        rec = record(run_dir, wall)
    rec["overrides"] = args.set
    if rec["ladder"]["raises"]:
        rec["readme_sentence"] = readme_sentence(rec)
    out = Path(args.out).with_suffix(".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=1) + "\n")
    print(json.dumps(rec, indent=1))
    return rec


if __name__ == "__main__":
    main()
