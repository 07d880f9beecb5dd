"""Throughput and latency of ``rewardkit serve`` against in-process ``program.score``; prints JSON.

A real server (``rewardkit serve``, a subprocess on 127.0.0.1, ``--workers`` scoring processes)
is driven by asyncio clients at concurrency 1, 8 and 32 with batches of 1 and 256 samples; each
cell reports samples/s and p50/p99 request latency. The baseline scores the same samples with
``program.score`` in this process, in batches of the same size. The clients share the machine's
cores with the server, as a trainer on the same node would.

Goals (issue 13): at batch 256 the server delivers at least 80% of in-process throughput; at batch
1, p99 is at most 20 ms for cheap components (the config below: a format check and a numeric
answer check).

    .venv/bin/python bench/server.py [--workers 2] [--seconds 3] [--out bench/results/server.json]
    .venv/bin/python bench/server.py --smoke    # 1 worker, 0.2 s per cell (a test runs it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from common import parse_with_smoke  # noqa: E402

from rewardkit.client import AsyncRewardClient  # noqa: E402
from rewardkit.program import RewardProgram  # noqa: E402
from rewardkit.types import Sample  # noqa: E402

CONFIG = ROOT / "examples/configs/math_answer.yaml"
TOKEN = "bench-token-0123456789abcdef"


def make_samples(n: int) -> list[dict[str, Any]]:
    """R1-style math rollouts: a quarter malformed, half right."""
    out = []
    for i in range(n):
        a, b = i % 97, i % 13 + 2
        answer = a * b + (i % 2)
        body = f"<think>{a}*{b}</think><answer>{answer}</answer>"
        out.append(
            {
                "id": str(i),
                "group": f"g{i // 8}",
                "prompt": f"What is {a}*{b}?",
                "completion": body if i % 4 else body.replace("<think>", ""),
                "reference": str(a * b),
            }
        )
    return out


def start_server(workers: int, state: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "REWARDKIT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "rewardkit.cli.main", "serve", str(CONFIG), "--port", "0",
           "--workers", str(workers), "--state", str(state), "--queue-limit", "256"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("listening on "):
            return proc, line.split(" ", 2)[2].strip()
    raise RuntimeError("server did not start")


async def cell(url: str, samples: list[dict[str, Any]], batch: int, concurrency: int,
               seconds: float) -> dict[str, float]:  # fmt: skip
    """Requests of ``batch`` samples from ``concurrency`` clients for about ``seconds``."""
    latencies: list[float] = []
    scored = 0
    stop_at = time.perf_counter() + seconds

    async def client(k: int) -> None:
        nonlocal scored
        async with AsyncRewardClient(url, token=TOKEN, timeout=120) as c:
            i, first = k * batch, True
            while first or time.perf_counter() < stop_at:  # each client sends at least once
                first = False
                chunk = [samples[(i + j) % len(samples)] for j in range(batch)]
                chunk = [{**s, "id": f"{k}-{i}-{j}"} for j, s in enumerate(chunk)]
                t0 = time.perf_counter()
                body = await c.score(chunk)
                latencies.append(time.perf_counter() - t0)
                scored += len(body["results"])
                i += batch * concurrency

    start = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(concurrency)))
    wall = time.perf_counter() - start
    lat = np.array(latencies) * 1000
    return {
        "batch": batch,
        "concurrency": concurrency,
        "requests": len(latencies),
        "samples_per_s": round(scored / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
    }


def in_process(samples: list[dict[str, Any]], batch: int, seconds: float) -> float:
    """Samples/s of ``program.score`` on the same samples, batches of ``batch``, one process."""
    program = RewardProgram.from_yaml(CONFIG)
    rows = [Sample.from_dict(s) for s in samples]
    scored, i = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        program.score([rows[(i + j) % len(rows)] for j in range(batch)])
        scored += batch
        i += batch
    return round(scored / (time.perf_counter() - start), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--seconds", type=float, default=3.0, help="per cell")
    parser.add_argument("--out", type=Path, default=None)
    args = parse_with_smoke(parser, {"workers": 1, "seconds": 0.2})
    samples = make_samples(4096)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(args.workers, Path(tmp) / "state.db")
        try:
            asyncio.run(cell(url, samples, 1, 1, 0.5))  # warm up the workers
            cells = []
            for batch in (1, 256):
                for conc in (1, 8, 32):
                    # the baseline right before each cell: the same load from other processes
                    base = in_process(samples, batch, args.seconds)
                    cells.append(asyncio.run(cell(url, samples, batch, conc, args.seconds)))
                    cells[-1]["in_process_samples_per_s"] = base
                    cells[-1]["vs_in_process"] = round(cells[-1]["samples_per_s"] / base, 3)
        finally:
            proc.terminate()
            proc.wait(60)
    best_256 = max((c for c in cells if c["batch"] == 256), key=lambda c: c["vs_in_process"])
    worst_p99_1 = max(c["p99_ms"] for c in cells if c["batch"] == 1 and c["concurrency"] == 1)
    result = {
        "machine": {"python": platform.python_version(), "cores": len(os.sched_getaffinity(0))},
        "workers": args.workers,
        "config": str(CONFIG.relative_to(ROOT)),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cells": cells,
        "goals": {
            "batch256_vs_in_process": best_256["vs_in_process"],
            "batch256_at_least_0.8": best_256["vs_in_process"] >= 0.8,
            "batch1_concurrency1_p99_ms": worst_p99_1,
            "batch1_p99_at_most_20ms": worst_p99_1 <= 20.0,
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
