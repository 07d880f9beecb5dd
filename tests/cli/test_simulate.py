from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rewardkit.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_simulate_the_shipped_stream() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            str(ROOT / "examples/configs/boxes_ladder.yaml"),
            "-m",
            str(ROOT / "examples/data/boxes_metrics.jsonl"),
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.output)
    raises = [(e["step"], e["old"], e["new"]) for e in timeline["events"]]
    assert raises[0] == (78, 0.3, 0.45)
    # half refresh: after a raise the window keeps 15 of 30 values, so the next raise is 15 steps later
    assert raises[1] == (93, 0.45, 0.55)
    assert [new for *_, new in raises] == [0.45, 0.55, 0.65, 0.75, 0.8]


def test_simulate_reports_bad_streams(tmp_path: Path) -> None:
    stream = tmp_path / "m.jsonl"
    stream.write_text('{"step": 0, "reward/hit/mean": 1}\n{"no_step": 1}\n')
    result = runner.invoke(
        app, ["simulate", str(ROOT / "examples/configs/boxes_ladder.yaml"), "-m", str(stream)]
    )
    assert result.exit_code == 2 and ":2:" in result.output


def test_simulate_needs_schedules() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            str(ROOT / "examples/configs/math_answer.yaml"),
            "-m",
            str(ROOT / "examples/data/boxes_metrics.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "no schedules" in result.output


def test_simulate_refuses_a_stream_that_never_reports_the_watched_metric(tmp_path: Path) -> None:
    stream = tmp_path / "m.jsonl"
    stream.write_text(
        "".join(
            json.dumps({"step": i, "reward/hti/mean": 1.0, "reward/mean": 1.0}) + "\n"
            for i in range(3)
        )
    )
    result = runner.invoke(
        app, ["simulate", str(ROOT / "examples/configs/boxes_ladder.yaml"), "-m", str(stream)]
    )
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # the console wraps long lines
    assert "never reports the watched metric 'reward/hit/mean'" in text
    assert "(did you mean 'reward/hti/mean'" in text
    assert "The stream reports: reward/hti/mean, reward/mean" in text
    assert "Traceback" not in text
