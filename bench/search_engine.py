"""Measure the embedded search engines on the generated knowledge base and print JSON.

For each engine (SQLite FTS5, bm25s, tantivy; an engine that is not installed is reported as
skipped): the index build time (median of ``--repeats``), queries per second (the questions
searched one call per query, as the environment does, median of ``--repeats``), and the recall
at 1, 3 and 5 of a gold document of 1-hop questions searched by their whole text. The same
question set for every engine. ``docs/search.md`` has the table and the choice.

    python bench/search_engine.py                       # bench/results/search_engine.json
    python bench/search_engine.py --smoke               # tiny, checks the code path
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import parse_with_smoke

from rewardkit.tasks.search.engines import ENGINES, embedded_engine
from rewardkit.tasks.search.kb import KnowledgeBase


def measure(name: str, kb: KnowledgeBase, questions: list, repeats: int) -> dict:
    builds, rates = [], []
    engine = None
    for _ in range(repeats):
        start = time.perf_counter()
        engine = embedded_engine(kb.documents, name)  # type: ignore[arg-type]
        builds.append(time.perf_counter() - start)
    assert engine is not None
    texts = [q.text for q in questions]
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = [engine.search([t], 5)[0] for t in texts]
        rates.append(len(texts) / (time.perf_counter() - start))
    recall = {
        f"recall@{k}": float(np.mean([any(p.doc_id in q.path[0].docs for p in r[:k])
                                      for q, r in zip(questions, results, strict=True)]))
        for k in (1, 3, 5)
    }  # fmt: skip
    return {
        "build_s": statistics.median(builds),
        "queries_per_s": statistics.median(rates),
        **recall,
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--questions", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default="bench/results/search_engine.json")
    args = parse_with_smoke(p, {"questions": 20, "repeats": 1}, argv)
    kb = KnowledgeBase.build(args.seed)
    rng = np.random.default_rng(args.seed + 1)
    questions = [kb.question(rng, 1) for _ in range(args.questions)]
    engines: dict[str, dict] = {}
    for name in ENGINES:
        if name != "fts5" and importlib.util.find_spec(name) is None:
            engines[name] = {
                "skipped": f"{name} is not installed (pip install 'rewardkit[search]')"
            }
            continue
        engines[name] = measure(name, kb, questions, args.repeats)
    report = {
        "setup": {"seed": args.seed, "documents": len(kb.documents), "questions": len(questions),
                  "hops": 1, "topk": 5, "repeats": args.repeats, "sqlite": sqlite3.sqlite_version,
                  "python": platform.python_version(), "machine": platform.machine(),
                  "cpus": __import__("os").cpu_count()},
        "engines": engines,
        "default": "fts5",
    }  # fmt: skip
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
