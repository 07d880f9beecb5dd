"""Peak memory and time of ``rewardkit score`` on a large JSONL file (issue 28, item 9).

Writes LINES rollouts of a math question (groups of 8, completions of about 200 characters)
and scores them with ``examples/configs/math_answer.yaml`` in a fresh process, as a user runs
it with its output going to a log file (no terminal). Reports the child's peak resident set
size (``ru_maxrss``), its wall time, and how many lines it printed on stderr.

    python bench/score_memory.py                     # 200,000 lines
    python bench/score_memory.py --src /tmp/old/src  # the same with another checkout's code
    python bench/score_memory.py --smoke             # 2,000 lines: checks the script runs

``--src`` puts another source tree first on ``PYTHONPATH`` (e.g. ``git archive HEAD~1 src |
tar -x -C /tmp/old``), so a before/after comparison runs the same input on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import parse_with_smoke

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples/configs/math_answer.yaml"
PADDING = "Let me work through this carefully, one step after another. " * 2


def write_input(path: Path, lines: int, group_size: int = 8) -> int:
    """LINES samples, ``group_size`` per question; returns the file's size in bytes."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(lines):
            q = i // group_size
            answer = q % 97 + (i % 2)  # half right, half off by one
            record = {
                "id": f"s{i}",
                "group": f"q{q}",
                "prompt": f"What is {q % 97} + 0? Think, then answer in <answer> tags.",
                "completion": f"<think>{PADDING}</think><answer>{answer}</answer>",
                "reference": str(q % 97),
            }
            f.write(json.dumps(record) + "\n")
    return path.stat().st_size


def measure(lines: int, src: Path | None, work: Path) -> dict[str, object]:
    """Score LINES lines in a child process; its peak RSS (MiB), wall time and stderr lines."""
    data, out = work / "in.jsonl", work / "out.jsonl"
    size = write_input(data, lines)
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "rewardkit.cli.main", "score", "-c", str(CONFIG)]
    cmd += ["-i", str(data), "-o", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    if done.returncode != 0:
        raise SystemExit(f"score exited {done.returncode}:\n{done.stderr[-3000:]}")
    scored = sum(1 for _ in out.open(encoding="utf-8"))
    return {
        "lines": lines,
        "input_mib": round(size / 2**20, 1),
        "scored": scored,
        "peak_rss_mib": round(max(peak, before) / 1024, 1),
        "wall_s": round(wall, 1),
        "stderr_lines": len(done.stderr.splitlines()),
        "code": str(src) if src is not None else "this checkout",
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=200_000, help="input lines")
    p.add_argument("--src", type=Path, default=None, help="another checkout's src/ to run")
    args = parse_with_smoke(p, {"lines": 2_000})
    with tempfile.TemporaryDirectory(prefix="rewardkit-score-memory-") as work:
        report = measure(args.lines, args.src, Path(work))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
