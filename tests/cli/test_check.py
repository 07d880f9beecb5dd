from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rewardkit.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_check_prints_the_tree() -> None:
    result = runner.invoke(app, ["check", str(ROOT / "examples/configs/math_answer.yaml")])
    assert result.exit_code == 0, result.output
    assert "reward  tiers" in result.output
    assert "reward/format  tags(mode='strict')  pass_at=1.0" in result.output
    assert "ok" in result.output


def test_check_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(
        "reward:\n  weighted:\n    - {fn: iou_hti}\n    - {fn: iou_hit, threshold: '${t}'}\n    - {fn: iou, threshold: 1}\n"
    )
    result = runner.invoke(app, ["check", str(cfg)])
    assert result.exit_code == 2
    assert "3 problem(s)" in result.output
    assert "did you mean 'iou_hit'" in result.output
    assert "undefined variable '${t}'" in result.output


def test_check_reports_yaml_syntax_and_missing_files(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("reward: [unclosed\n")
    assert runner.invoke(app, ["check", str(cfg)]).exit_code == 2
    assert runner.invoke(app, ["check", str(tmp_path / "missing.yaml")]).exit_code == 2


def test_check_with_samples_scores_under_raise(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("reward: {fn: tests.cli.test_score:explode}\non_error: score\n")
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "x", "completion": "a"}\n')
    result = runner.invoke(app, ["check", str(cfg), "--samples", str(data)])
    assert result.exit_code == 2 and "RuntimeError" in result.output


def test_components_lists_builtins() -> None:
    result = runner.invoke(app, ["components"])
    assert result.exit_code == 0
    for name in ("exact_match", "iou_hit", "graph_f1", "bleu", "step_check"):
        assert name in result.output


def test_check_data_lists_unreadable_references_per_component(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "completion": "<think>x</think><answer>42</answer>", "reference": "42"}\n'
        '{"id": "b", "completion": "<think>x</think><answer>41</answer>", "reference": "N/A"}\n'
        '{"id": "c", "completion": "<think>x</think><answer>41</answer>", "reference": "forty"}\n'
    )
    cfg = ROOT / "examples/configs/math_answer.yaml"
    result = runner.invoke(app, ["check", str(cfg), "--data", str(data)])
    assert result.exit_code == 2, result.output
    assert "2 sample(s) with a reference a component cannot read" in result.output
    assert "reward/correct: 2 unjudgeable reference(s)" in result.output
    assert "sample 'b'" in result.output and "Traceback" not in result.output


def test_components_read_as_sentences_with_yaml_defaults() -> None:
    import os

    result = CliRunner(env={**os.environ, "COLUMNS": "400"}).invoke(app, ["components"])
    assert result.exit_code == 0
    text = result.output
    assert "PydanticUndefined" not in text and "``" not in text and ":func:" not in text
    assert "=None" not in text and ": null" in text  # YAML, as a config file writes it
    # the whole first sentence, not its first line: cosine_length's wraps in its docstring
    assert "long wrong ones are punished least." in " ".join(text.split())
