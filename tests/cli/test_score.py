from __future__ import annotations

import json
from pathlib import Path

import pytest
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
    keys = {"id", "reward", "components", "advantage", "errors", "unjudgeable", "why_zero"}
    assert set(first) == keys
    # "<think>compute</think><answer>84</answer>": format passes, answer right -> top of both tiers
    assert first["reward"] == 1.0 and first["components"] == {
        "reward/format": 1.0,
        "reward/correct": 1.0,
    }
    assert first["why_zero"] == {}
    # "The answer is 84": no tags -> fails the first tier, nothing else counts
    assert rows[2]["reward"] == 0.0
    assert rows[2]["why_zero"]["reward/format"].startswith("wrong")
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


def test_streamed_chunks_give_the_numbers_of_one_batch(tmp_path: Path) -> None:
    """Groups interleaved in the file and more samples than a chunk: the output order, the
    advantages and the summary equal scoring the whole file as one batch."""
    import numpy as np

    from rewardkit.cli.rollouts import index_rollouts, read_samples
    from rewardkit.cli.score_summary import ScoreSummary
    from rewardkit.cli.scoring import score_into
    from rewardkit.program import RewardProgram

    records = [
        {"id": f"s{i}", "group": f"g{i % 37}", "completion": str(i % 3), "reference": "1"}
        for i in range(500)
    ]
    data = write(tmp_path / "in.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    out = tmp_path / "out.jsonl"
    summary = score_into(program, index_rollouts(data), out, workers=0)
    streamed = [json.loads(line) for line in out.read_text().splitlines()]
    samples, _ = read_samples(data, strict=True)
    whole = program.score(samples)
    expected = ScoreSummary()
    expected.add(whole)
    adv = dict(zip([s.id for s in samples], program.advantages(whole).per_sample, strict=True))
    # groups in the order they first appear, each group's lines together
    assert [r["id"] for r in streamed[:3]] == ["s0", "s37", "s74"]
    assert len(streamed) == 500
    assert all(abs(r["advantage"] - adv[r["id"]]) < 1e-6 for r in streamed)
    for path in ("reward",):
        got, want = summary.stats(path), expected.stats(path)
        assert np.allclose(list(got.values()), list(want.values()), equal_nan=True)
    assert summary.stats("reward")["mean"] == (500 // 3 + (500 % 3 > 1)) / 500  # i % 3 == 1


def test_duplicate_ids_are_bad_lines_found_by_hash_then_exactly(tmp_path: Path) -> None:
    from rewardkit.cli.rollouts import index_rollouts

    lines = ['{"id": "a", "completion": "x"}', '{"id": "b", "completion": "x"}']
    lines += ['{"id": "a", "completion": "y"}', "", '{"completion": "z"}']
    data = write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    rollouts = index_rollouts(data)
    assert len(rollouts) == 3 and rollouts.linenos.tolist() == [1, 2, 5]
    assert rollouts.bad == [(3, "duplicate id 'a' (first at line 1)")]


def test_an_existing_output_is_kept_unless_force(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.yaml", "reward: {fn: exact_match}\n")
    data = write(tmp_path / "in.jsonl", '{"completion": "4", "reference": "4"}\n')
    out = write(tmp_path / "out.jsonl", "precious\n")
    args = ["score", "-c", str(cfg), "-i", str(data), "-o", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "exists; add --force" in refused.output
    assert out.read_text() == "precious\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert json.loads(out.read_text())["reward"] == 1.0


def test_why_a_component_scored_zero() -> None:
    from rewardkit.cli.score_summary import zero_reason
    from rewardkit.types import Failure

    crash = Failure("reward/tests", "s", "ZeroDivisionError", "division by zero")
    assert zero_reason(0.0, {}, crash) == "crash: ZeroDivisionError: division by zero"
    assert zero_reason(0.0, {"error": "timeout", "detail": "2 s"}, None) == "timeout: timeout"
    assert zero_reason(0.0, {"errors": {"runtime_error": 3}}, None) == "crash: 3 runtime_error"
    assert zero_reason(0.0, {"errors": {"wrong_answer": 2}}, None) == "wrong: 2 wrong_answer"
    assert zero_reason(0.0, {}, None) == "wrong" and zero_reason(0.5, {}, None) is None


def test_a_crashing_component_is_named_as_the_cause_in_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "crashy_rewards.py",
        "def crashy(sample, params):\n    return 1 / len(sample.completion)\n",
    )
    monkeypatch.chdir(tmp_path)
    cfg = write(
        tmp_path / "c.yaml",
        "reward:\n  weighted:\n    - {name: crashy, fn: 'crashy_rewards:crashy'}\n"
        "    - {name: exact, fn: exact_match}\non_error: score\n",
    )
    lines = [{"id": "empty", "completion": "", "reference": "4"}]
    lines += [{"id": "wrong", "completion": "5", "reference": "4"}]
    data = write(tmp_path / "in.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "-c", str(cfg), "-i", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    empty, wrong = (json.loads(line) for line in out.read_text().splitlines())
    assert empty["why_zero"]["reward/crashy"].startswith("crash: ZeroDivisionError")
    assert empty["why_zero"]["reward/exact"] == "wrong"
    assert wrong["why_zero"] == {"reward/exact": "wrong"}
    assert "reward/exact: 2 wrong" in result.output and "reward/crashy: 1 crash" in result.output


@pytest.mark.process
def test_in_a_log_the_summary_table_keeps_long_node_names_whole(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    name = "exact_answer_of_the_final_line_after_all_the_reasoning"
    cfg = write(
        tmp_path / "c.yaml",
        f"reward:\n  weighted:\n    - {{name: {name}, fn: exact_match}}\n"
        "    - {name: short, fn: exact_match}\n",
    )
    data = write(tmp_path / "in.jsonl", '{"completion": "4", "reference": "4"}\n')
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    args = ["score", "-c", str(cfg), "-i", str(data), "-o", str(tmp_path / "out.jsonl")]
    done = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stderr.splitlines() if name in line)
    assert f"reward/{name}" in row and "1.000" in row and "…" not in done.stderr


@pytest.mark.process
def test_workers_minus_one_means_one_per_core_as_in_serve(tmp_path: Path) -> None:
    from tests.cli.conftest import rk

    cfg = write(tmp_path / "c.yaml", "reward: {fn: exact_match}\n")
    data = write(tmp_path / "in.jsonl", '{"completion": "4", "reference": "4"}\n' * 3)
    out = tmp_path / "out.jsonl"
    done = rk("score", "-c", cfg, "-i", data, "-o", out, "--workers", "-1")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["reward"] for line in out.read_text().splitlines()] == [1.0] * 3
    for command in ("score", "serve"):
        assert "-1: one per core" in " ".join(rk(command, "--help").stdout.split())
