"""``task: rtl`` through the server's HTTP API: the chipseek config scores Verilog like any reward."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rk_servers import ROOT, thread_server
from tests.rewards.rtl_cases import need_tools

from rewardkit.config import load_yaml

pytestmark = [pytest.mark.server, pytest.mark.process]


def test_server_scores_rtl_samples() -> None:
    need_tools()
    lines = (ROOT / "examples" / "data" / "chipseek.jsonl").read_text(encoding="utf-8").splitlines()
    right = json.loads(lines[0])  # add8, the reference renamed TopModule
    wrong = dict(right, id="wrong", completion=right["completion"].replace("a + b", "a - b"))
    broken = dict(right, id="broken", completion=right["completion"][:60])
    config = {**load_yaml(ROOT / "examples" / "configs" / "chipseek.yaml"), "on_error": "score"}
    with thread_server(config) as server:
        reply = httpx.post(
            f"{server.url}/v1/score",
            json={"samples": [right, wrong, broken]},
            headers=server.headers,
            timeout=120,
        )
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    rewards = [r["reward"] for r in results]
    # right: syntax 1, function 1, quality = w_function * 1 + w_ppa * 1 = 1 at step 0 -> 3/3.
    assert rewards[0] == pytest.approx(1.0)
    assert rewards[1] is not None and 1 / 3 <= rewards[1] < 2 / 3  # parses, fails the testbench
    assert rewards[2] == pytest.approx(0.0)  # truncated: does not parse
    assert results[0]["components"]["reward/syntax"] == 1.0
