"""``rewardkit rescore``: a verifier that was down when a file was scored is asked again, only
for the samples it failed; the new file, the changes and the counts per status are written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.cli.conftest import failed, rk

pytestmark = pytest.mark.process

FLAKY = '''
from pathlib import Path

from rewardkit.registry import Params
from rewardkit.types import Sample


def flaky(sample: Sample, p: Params) -> float:
    """1 for the reference, 0 otherwise; raises on a flaky sample while ./down exists."""
    if sample.meta.get("flaky") and Path("down").exists():
        raise RuntimeError("judge down")
    return 1.0 if sample.completion == sample.reference else 0.0
'''

ROLLOUTS = [
    {"id": "a", "group": "g", "completion": "4", "reference": "4"},
    {"id": "b", "group": "g", "completion": "5", "reference": "4"},
    {"id": "c", "group": "g", "completion": "4", "reference": "4", "meta": {"flaky": True}},
    {"id": "d", "group": "h", "completion": "7", "reference": "7"},
    {"id": "e", "group": "h", "completion": "1", "reference": "7"},
]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def scored_while_down(tmp_path: Path) -> None:
    """``scored.jsonl``: the file scored while the judge was down (c verifier-failed)."""
    (tmp_path / "flaky.py").write_text(FLAKY)
    config = {"reward": {"fn": "flaky:flaky"}, "on_error": "score", "error_value": None}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROLLOUTS))
    (tmp_path / "down").write_text("")
    done = rk("score", "-c", "config.yaml", "-i", "in.jsonl", "-o", "scored.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "down").unlink()


def test_only_the_failed_sample_is_rescored_and_its_group_baseline_is_redone(
    tmp_path: Path,
) -> None:
    scored_while_down(tmp_path)
    before = lines(tmp_path / "scored.jsonl")
    assert [r["reward"] for r in before] == [1.0, 0.0, None, 1.0, 0.0]
    assert before[2]["advantage"] == 0.0  # out of the baseline: a and b alone
    args = ["rescore", "scored.jsonl", "-c", "config.yaml", "-i", "in.jsonl", "--workers", "0"]
    done = rk(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "re-scored 1 of 5 samples; 1 changed" in done.stderr
    (row,) = [x for x in done.stderr.splitlines() if "verifier_failed" in x]
    assert row.replace("│", " ").split() == ["verifier_failed", "1", "0"]  # before -> after
    after = lines(tmp_path / "scored.rescored.jsonl")
    assert [r["id"] for r in after] == ["a", "b", "c", "d", "e"]
    assert [r["status"] for r in after] == ["scored"] * 5
    assert [r["reward"] for r in after] == [1.0, 0.0, 1.0, 1.0, 0.0]
    # group g is now 1, 0, 1: a and c above the mean, b below; group h is unchanged
    assert after[0]["advantage"] == after[2]["advantage"] > 0 > after[1]["advantage"]
    assert [after[3]["advantage"], after[4]["advantage"]] == [
        before[3]["advantage"],
        before[4]["advantage"],
    ]
    (change,) = lines(tmp_path / "scored.rescored.changes.jsonl")
    assert change == {
        "id": "c",
        "before": {"status": "verifier_failed", "cause": "crash", "reward": None},
        "after": {"status": "scored", "reward": 1.0},
    }
    again = rk("rescore", "scored.rescored.jsonl", "-c", "config.yaml", "-i", "in.jsonl",
               cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0 and "nothing to re-score" in again.stderr


def test_all_rescores_every_sample_in_a_worker_and_changes_nothing_that_held(
    tmp_path: Path,
) -> None:
    scored_while_down(tmp_path)
    args = ["rescore", "scored.jsonl", "-c", "config.yaml", "-i", "in.jsonl", "--all"]
    done = rk(*args, "-o", "all.jsonl", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "re-scored 5 of 5 samples; 1 changed" in done.stderr
    assert [r["reward"] for r in lines(tmp_path / "all.jsonl")] == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert [c["id"] for c in lines(tmp_path / "all.changes.jsonl")] == ["c"]


def test_mistakes_are_one_line_with_the_fix(tmp_path: Path) -> None:
    scored_while_down(tmp_path)
    failed(rk("rescore", "nope.jsonl", "-c", "config.yaml", cwd=tmp_path), "nope.jsonl")
    failed(
        rk("rescore", "scored.jsonl", "-c", "config.yaml", cwd=tmp_path),
        "give --input ROLLOUTS.jsonl",
    )
    failed(rk("rescore", "scored.jsonl", "-i", "in.jsonl", cwd=tmp_path), "--config")
    (tmp_path / "other.jsonl").write_text(json.dumps({"id": "zz", "completion": "1"}) + "\n")
    failed(
        rk("rescore", "scored.jsonl", "-c", "config.yaml", "-i", "other.jsonl", cwd=tmp_path),
        "5 ids of scored.jsonl are not in other.jsonl",
    )
    (tmp_path / "taken.jsonl").write_text("")
    args = ["rescore", "scored.jsonl", "-c", "config.yaml", "-i", "in.jsonl", "-o", "taken.jsonl"]
    failed(rk(*args, cwd=tmp_path), "taken.jsonl exists; add --force")
    failed(rk("rescore", str(tmp_path), cwd=tmp_path), "has no samples.jsonl")


def test_a_run_folders_failed_answers_are_rescored_with_the_runs_program(
    run_copy: Callable[[], Path],
) -> None:
    run = run_copy()
    stored = lines(run / "samples.jsonl")
    assert all(r["error"] is None for r in stored)
    nodes = stored[0]["nodes"]
    stored[0] = {**stored[0], "reward": None, "nodes": {}, "error": "JudgeRequestError: 503"}
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stored))
    done = rk("rescore", run, "--workers", "0")
    assert done.returncode == 0, done.stderr
    assert f"re-scored 1 of {len(stored)} samples; 1 changed" in done.stderr
    after = lines(run / "samples.rescored.jsonl")
    assert after[0]["error"] is None and after[0]["status"] in ("scored", "not_applicable")
    assert set(after[0]["nodes"]) == set(nodes)  # every node's value again
    assert after[1:] == stored[1:]
    (change,) = lines(run / "samples.rescored.changes.jsonl")
    assert change["before"] == {"status": "error", "cause": "JudgeRequestError", "reward": None}
