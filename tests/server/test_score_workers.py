"""``rewardkit score --workers N`` scores in the server's pool of processes: same output as
scoring in one process."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewardkit.cli.main import app

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]


def test_score_with_two_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    outputs = []
    for workers in ("0", "2"):
        out = tmp_path / f"scored-{workers}.jsonl"
        result = CliRunner().invoke(
            app,
            [
                "score",
                "-c", str(ROOT / "examples/configs/math_answer.yaml"),
                "-i", str(ROOT / "examples/data/math_rollouts.jsonl"),
                "-o", str(out),
                "--workers", workers,
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 16
