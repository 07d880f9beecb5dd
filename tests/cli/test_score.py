from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rewardkit.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_score_the_shipped_example(tmp_path: Path) -> None:
    out = tmp_path / "scored.jsonl"
    result = runner.invoke(
        app,
        [
            "score",
            "-c",
            str(ROOT / "examples/configs/math_answer.yaml"),
            "-i",
            str(ROOT / "examples/data/math_rollouts.jsonl"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 16
    first = rows[0]
    assert set(first) == {"id", "reward", "components", "advantage", "errors", "unjudgeable"}
    # "<think>compute</think><answer>84</answer>": format passes, answer right -> top of both tiers
    assert first["reward"] == 1.0 and first["components"] == {
        "reward/format": 1.0,
        "reward/correct": 1.0,
    }
    # "The answer is 84": no tags -> fails the first tier, nothing else counts
    assert rows[2]["reward"] == 0.0
    # the two bad lines are reported with their line numbers and skipped
    assert ":17:" in result.output and ":18:" in result.output


def test_strict_stops_on_a_bad_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.yaml", "reward: {fn: exact_match}\n")
    data = write(tmp_path / "in.jsonl", '{"completion": "a", "reference": "a"}\n{oops\n')
    result = runner.invoke(
        app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(tmp_path / "o.jsonl"), "--strict"]
    )
    assert result.exit_code == 2 and ":2:" in result.output


def test_nothing_applies_gives_null_reward_and_errors_are_listed(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.yaml", "reward: {fn: numeric}\non_error: score\nerror_value: null\n")
    lines = [
        {"id": "ok", "completion": "42", "reference": "42"},
        {"id": "gold-unparseable", "completion": "42", "reference": "forty"},
    ]
    data = write(tmp_path / "in.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["ok"]["reward"] == 1.0
    assert rows["gold-unparseable"]["reward"] is None


def test_component_failure_under_raise_exits_2(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.yaml", "reward: {fn: tests.cli.test_score:explode}\n")
    data = write(tmp_path / "in.jsonl", '{"id": "x", "completion": "a"}\n')
    result = runner.invoke(
        app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2  # every failure is exit 2 (issue 11)
    assert "raised RuntimeError on sample 'x'" in result.output


def explode(sample: object, p: object) -> float:
    raise RuntimeError("boom")


def test_score_counts_unreadable_references(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "group": "g", "completion": "<think>x</think><answer>42</answer>", "reference": "42"}\n'
        '{"id": "b", "group": "g", "completion": "<think>x</think><answer>41</answer>", "reference": "N/A"}\n'
    )
    out = tmp_path / "out.jsonl"
    cfg = ROOT / "examples/configs/math_answer.yaml"
    result = runner.invoke(app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[1]["reward"] is None and rows[1]["advantage"] == 0.0
    assert rows[1]["unjudgeable"][0]["path"] == "reward/correct"
    assert "1 sample(s) with a reference a component cannot read (on_unjudgeable: skip)" in (
        result.output
    )


def test_a_config_that_is_not_the_runs_program_is_told_not_traced(tmp_path: Path) -> None:
    """The README's `score -c examples/configs/boxes_ladder.yaml --run runs/boxes-<time>`: the
    run's saved ladder state (window 10, no margin) does not fit that file's ladder (window 30,
    a margin): one message naming the differences and the fix, exit 2, no traceback."""
    import pytest
    from tests.cli.conftest import failed, rk, tiny_train_config

    pytest.importorskip("torch")
    config = tiny_train_config(tmp_path, tmp_path / "cache", task="boxes", run_name="boxes-t")
    trained = rk("train", config, "--out-dir", tmp_path / "runs", "-q")
    assert trained.returncode == 0, trained.stderr
    run = tmp_path / "runs" / "boxes-t"
    data = write(
        tmp_path / "in.jsonl",
        json.dumps({"completion": "[1,2,3,4]", "reference": [1, 2, 3, 4]}) + "\n",
    )
    out = tmp_path / "out.jsonl"
    ladder = ROOT / "examples/configs/boxes_ladder.yaml"
    shown = failed(
        rk("score", "-c", ladder, "-i", data, "-o", out, "--run", run),
        "does not fit",
        "window is 30 here, 10 in the run",
        "drop --config",
        "--fix iou_threshold=VALUE",
    )
    assert shown.count("\n") < 6
    # the fix it names works: the run's own program at the run's state
    assert rk("score", "-i", data, "-o", out, "--run", run).returncode == 0
    assert json.loads(out.read_text())["reward"] == 1.0


def test_a_train_config_scores_with_its_program_and_says_so(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "train.yaml",
        "task: chain\nsteps: 7\nprogram:\n  reward: {fn: exact_match}\n",
    )
    data = write(tmp_path / "in.jsonl", '{"completion": "4", "reference": "4"}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "train config: task chain, 7 steps" in result.output
    assert json.loads(out.read_text())["reward"] == 1.0
