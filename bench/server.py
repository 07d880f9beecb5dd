"""Throughput and latency of ``rewardkit serve`` against in-process ``program.score``; prints JSON.

A real server (``rewardkit serve``, a subprocess on 127.0.0.1, ``--workers`` scoring processes)
is driven by asyncio clients at concurrency 1, 8 and 32 with batches of 1 and 256 samples; each
cell reports samples/s and p50/p99 request latency. The baseline scores the same samples with
``program.score`` in this process, in batches of the same size. The clients share the machine's
cores with the server, as a trainer on the same node would.

The clients are rewardkit's ``AsyncRewardClient`` (``--client rewardkit``) or a bare aiohttp one
(``--client aiohttp``). ``--connections N`` adds a run of N clients, each on its own connection,
sending batch-1 requests all at once: every id back exactly once, no error (its server gets a
queue limit of at least N, as docs/server.md says to size it).

Goals (issue 13): at batch 256 the server delivers at least 80% of in-process throughput; at batch
1, p99 is at most 20 ms for cheap components (the config below: a format check and a numeric
answer check). Issue 27: 32 clients of batch 1 at least 50% of in-process with p99 at most 3x p50.

    .venv/bin/python bench/server.py [--workers 2] [--seconds 3] [--out bench/results/server.json]
    .venv/bin/python bench/server.py --connections 2000 [--no-cells] [--client aiohttp]
    .venv/bin/python bench/server.py --smoke    # 1 worker, 0.2 s per cell (a test runs it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
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


def start_server(workers: int, state: Path, queue_limit: int = 256,
                 more: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:  # fmt: skip
    env = {**os.environ, "REWARDKIT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "rewardkit.cli.main", "serve", str(CONFIG), "--port", "0",
           "--workers", str(workers), "--state", str(state), "--queue-limit", str(queue_limit),
           *(more or [])]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("listening on "):
            return proc, line.split(" ", 2)[2].strip()
    raise RuntimeError("server did not start")


class LightClient:
    """``score`` over one aiohttp connection, no retries: a client that costs the shared cores
    about a fifth of the CPU of ``AsyncRewardClient`` (httpx) per request, as trainers' own
    aiohttp clients (OpenRLHF's, NeMo-Gym's) do."""

    def __init__(self, url: str):
        import aiohttp

        connector = aiohttp.TCPConnector(limit=1)
        self.session = aiohttp.ClientSession(url, connector=connector)
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def score(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"samples": samples})
        async with self.session.post("/v1/score", data=body, headers=self.headers) as resp:
            answer = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{resp.status}: {answer[:200]!r}")
        return dict(json.loads(answer))

    async def aclose(self) -> None:
        await self.session.close()


def make_client(url: str, kind: str) -> AsyncRewardClient | LightClient:
    if kind == "aiohttp":
        return LightClient(url)
    return AsyncRewardClient(url, token=TOKEN, timeout=120)


async def cell(url: str, samples: list[dict[str, Any]], batch: int, concurrency: int,
               seconds: float, kind: str = "rewardkit") -> dict[str, Any]:  # fmt: skip
    """Requests of ``batch`` samples from ``concurrency`` clients for about ``seconds``."""
    latencies: list[float] = []
    scored = 0

    # Made before the clock starts: an httpx client costs ~50 ms to build (its SSL context), which
    # at concurrency 32 would be most of a short cell.
    clients = [make_client(url, kind) for _ in range(concurrency)]
    stop_at = time.perf_counter() + seconds

    async def client(k: int, c: AsyncRewardClient | LightClient) -> None:
        nonlocal scored
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
    try:
        await asyncio.gather(*(client(k, c) for k, c in enumerate(clients)))
    finally:
        wall = time.perf_counter() - start
        for c in clients:
            await c.aclose()
    lat = np.array(latencies) * 1000
    return {
        "batch": batch,
        "concurrency": concurrency,
        "client": kind,
        "requests": len(latencies),
        "samples_per_s": round(scored / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
    }


async def many_connections(url: str, samples: list[dict[str, Any]], connections: int,
                           requests: int, bound_s: float) -> dict[str, Any]:  # fmt: skip
    """``connections`` clients, each with its own keep-alive connection (an aiohttp session of
    one connection: no shared pool to hang), all opened first (``GET /healthz``), then each sends
    ``requests`` batch-1 requests back to back, all clients at once. Every sample id must come
    back exactly once and no request may fail; the whole run is bounded by ``bound_s``."""
    import aiohttp

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    sent: list[str] = []
    got: Counter[str] = Counter()
    errors: list[str] = []
    latencies: list[float] = []
    opened, go = asyncio.Event(), asyncio.Event()
    ready = 0

    async def client(k: int) -> None:
        nonlocal ready
        connector = aiohttp.TCPConnector(limit=1, keepalive_timeout=bound_s)
        timeout = aiohttp.ClientTimeout(total=bound_s)
        async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
            try:
                async with session.get("/healthz") as r:  # opens this client's connection
                    await r.read()
            finally:
                ready += 1
                if ready == connections:
                    opened.set()
            await go.wait()
            for r in range(requests):
                sample = {**samples[(k * requests + r) % len(samples)], "id": f"c{k}-r{r}"}
                sent.append(sample["id"])
                t0 = time.perf_counter()
                try:
                    body = json.dumps({"samples": [sample]})
                    async with session.post("/v1/score", data=body, headers=headers) as resp:
                        answer = await resp.read()
                        if resp.status != 200:
                            errors.append(f"{resp.status}: {answer[:200]!r}")
                            continue
                    latencies.append(time.perf_counter() - t0)
                    got.update(row["id"] for row in json.loads(answer)["results"])
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

    t_open = time.perf_counter()
    tasks = [asyncio.ensure_future(client(k)) for k in range(connections)]
    await asyncio.wait_for(opened.wait(), bound_s)
    connected_s = time.perf_counter() - t_open
    start = time.perf_counter()
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), bound_s)
    wall = time.perf_counter() - start
    errors += [f"{type(t.exception()).__name__}: {t.exception()}" for t in tasks
               if t.exception() is not None]  # fmt: skip
    lat = np.array(latencies or [float("nan")]) * 1000
    back_once = sorted(got) == sorted(sent) and set(got.values()) <= {1}
    return {
        "connections": connections,
        "requests": len(sent),
        "samples_back": sum(got.values()),
        "every_id_back_once": back_once and len(got) == connections * requests,
        "errors": len(errors),
        "first_errors": errors[:5],
        "open_all_s": round(connected_s, 2),
        "wall_s": round(wall, 2),
        "samples_per_s": round(sum(got.values()) / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
    }


def raise_open_files(needed: int) -> int:
    """Raise this process's soft limit on open files toward ``needed`` (up to the hard limit);
    the server started from here inherits it. Returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


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
    parser.add_argument(
        "--connections",
        type=int,
        default=0,
        help="also run N concurrent connections of batch-1 requests (0: no)",
    )
    parser.add_argument("--requests-per-connection", type=int, default=2)
    parser.add_argument(
        "--bound", type=float, default=300.0, help="seconds the connections run may take in all"
    )
    parser.add_argument("--no-cells", action="store_true", help="only the connections run")
    parser.add_argument(
        "--client",
        choices=("rewardkit", "aiohttp"),
        default="rewardkit",
        help="the cells' clients: rewardkit's AsyncRewardClient (httpx) or a bare aiohttp one",
    )
    parser.add_argument("--serve-args", default="", help="more options for rewardkit serve")
    parser.add_argument("--out", type=Path, default=None)
    args = parse_with_smoke(parser, {"workers": 1, "seconds": 0.2})
    samples = make_samples(4096)
    load_before = round(os.getloadavg()[0], 2)
    # a queue limit below the connections would answer the surplus 503 (docs/server.md, Sizing)
    queue_limit = max(256, args.connections)
    files = raise_open_files(2 * args.connections + 256)
    cells: list[dict[str, Any]] = []
    many = None
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(args.workers, Path(tmp) / "state.db", queue_limit,
                                 args.serve_args.split())  # fmt: skip
        try:
            asyncio.run(cell(url, samples, 1, 1, 0.5))  # warm up the workers
            for batch in () if args.no_cells else (1, 256):
                for conc in (1, 8, 32):
                    # the baseline right before each cell: the same load from other processes
                    base = in_process(samples, batch, args.seconds)
                    cells.append(
                        asyncio.run(cell(url, samples, batch, conc, args.seconds, args.client))
                    )
                    cells[-1]["in_process_samples_per_s"] = base
                    cells[-1]["vs_in_process"] = round(cells[-1]["samples_per_s"] / base, 3)
            if args.connections:
                many = asyncio.run(many_connections(url, samples, args.connections,
                                                    args.requests_per_connection, args.bound))  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(60)
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cores": len(os.sched_getaffinity(0))},
        "workers": args.workers,
        "config": str(CONFIG.relative_to(ROOT)),
        "serve_args": args.serve_args,
        "load_average_1min": load_before,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "cells": cells,
    }
    if cells:
        result["goals"] = goals(cells)
    if many is not None:
        result["connections"] = {**many, "queue_limit": queue_limit, "open_files_limit": files}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def goals(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Issue 13's and issue 27's goals, read off the cells."""
    at = {(c["batch"], c["concurrency"]): c for c in cells}
    best_256 = max((c for c in cells if c["batch"] == 256), key=lambda c: c["vs_in_process"])
    worst_p99_1 = at[1, 1]["p99_ms"]
    c32 = at[1, 32]
    return {
        "batch256_vs_in_process": best_256["vs_in_process"],
        "batch256_at_least_0.8": best_256["vs_in_process"] >= 0.8,
        "batch1_concurrency1_p99_ms": worst_p99_1,
        "batch1_p99_at_most_20ms": worst_p99_1 <= 20.0,
        "batch1_concurrency32_vs_in_process": c32["vs_in_process"],
        "batch1_concurrency32_at_least_0.5": c32["vs_in_process"] >= 0.5,
        "batch1_concurrency32_p99_over_p50": round(c32["p99_ms"] / c32["p50_ms"], 2),
        "batch1_concurrency32_p99_at_most_3x_p50": c32["p99_ms"] <= 3 * c32["p50_ms"],
    }


if __name__ == "__main__":
    main()
