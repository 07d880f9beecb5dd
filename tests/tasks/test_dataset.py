"""``task: jsonl``: your own prompts and references from a JSONL file (tasks/dataset.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from rewardkit.errors import ConfigError, InputError, RewardKitError
from rewardkit.tasks import JsonlTask, make_task, problem
from rewardkit.tasks.dataset import gsm8k_answer
from rewardkit.train.config import load_train_config

ROOT = Path(__file__).resolve().parents[2]
MATH = ROOT / "examples" / "data" / "math_train.jsonl"
CODE = ROOT / "examples" / "data" / "code_train.jsonl"


def write(path: Path, rows: Iterable[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def gsm(tmp_path: Path, n: int = 20) -> Path:
    rows = [
        {"question": f"What is {k} + 2?", "answer": f"{k} + 2 = {k + 2}\n#### {k + 2}"}
        for k in range(n)
    ]
    return write(tmp_path / "data.jsonl", rows)


def test_gsm8k_lines_become_problems_with_the_final_answer_as_reference(tmp_path: Path) -> None:
    task = make_task(
        "jsonl",
        {
            "path": str(gsm(tmp_path)),
            "reference_format": "gsm8k",
            "prompt_template": "Q: {prompt}\n",
        },
    )
    assert isinstance(task, JsonlTask) and task.name == "jsonl"
    assert (len(task.train), len(task.held_out)) == (18, 2)
    p = problem(task, 0, "train", 0)
    k = int(p.prompt.split()[3])
    assert p.prompt == f"Q: What is {k} + 2?\n" and p.reference == str(k + 2)
    assert p.id == "jsonl/train/0/0" and p.meta("jsonl")["line"] == k + 1
    assert task.judge(p.reference, f"<answer>{k + 2}</answer>") == {"score": 1.0, "success": 1.0}
    assert task.judge(p.reference, "<answer>-1</answer>")["success"] == 0.0
    assert task.reward_config()["reward"]["fn"] == "numeric"


def test_gsm8k_answer() -> None:
    assert gsm8k_answer("a #### b\n#### 1,500") == "1500"
    assert gsm8k_answer("#### 3.5 ") == "3.5"
    with pytest.raises(InputError, match="ends in '#### <final answer>'"):
        gsm8k_answer("42")
    with pytest.raises(InputError, match="nothing after"):
        gsm8k_answer("so ####  ")


def test_named_fields_raw_references_and_a_separate_eval_file(tmp_path: Path) -> None:
    train = write(
        tmp_path / "t.jsonl",
        [{"q": "capital of France?", "gold": "Paris"}, "", {"q": "x?", "gold": "y"}],
    )
    held = write(tmp_path / "e.jsonl", [{"q": "capital of Peru?", "gold": "Lima"}])
    task = JsonlTask(
        {"path": str(train), "eval_path": str(held), "prompt": "q", "reference": "gold"}
    )
    assert [r.line for r in task.train] == [1, 3] and task.held_out[0].reference == "Lima"
    assert [problem(task, 0, "eval", i).reference for i in range(3)] == ["Lima"] * 3
    assert task.judge("Lima", "<answer>Lima</answer>")["success"] == 1.0
    assert task.reward_config()["reward"]["fn"] == "exact_match"


def test_the_held_out_split_is_fixed_by_the_task_seed_and_each_epoch_sees_every_line(
    tmp_path: Path,
) -> None:
    options = {"path": str(gsm(tmp_path, 40)), "reference_format": "gsm8k", "eval_fraction": 0.25}
    a, b = JsonlTask(options), JsonlTask(options)
    assert len(a.held_out) == 10 and a.held_out == b.held_out
    assert JsonlTask({**options, "seed": 1}).held_out != a.held_out
    held = {r.line for r in a.held_out}
    for seed in (0, 1):  # the run seed orders training, never touches the held-out lines
        epoch = [problem(a, seed, "train", i).meta("jsonl")["line"] for i in range(30)]
        assert sorted(epoch) == sorted(r.line for r in a.train) and not held & set(epoch)
    order = [problem(a, 0, "train", i).reference for i in range(30)]
    assert order == [problem(b, 0, "train", i).reference for i in range(30)]
    assert order != [problem(a, 1, "train", i).reference for i in range(30)]
    assert [problem(a, 0, "eval", i).reference for i in range(10)] == [
        r.reference for r in a.held_out
    ]


@pytest.mark.parametrize(
    ("rows", "options", "error", "message"),
    [
        (None, {}, ConfigError, "'missing.jsonl': no such file .relative paths are read from"),
        ([], {}, InputError, "holds no problems"),
        (["", "  "], {}, InputError, "holds no problems"),
        ([{"question": "a", "answer": "1"}, "{oops"], {}, InputError, r"line 2: not JSON"),
        (["[1, 2]"], {}, InputError, "line 1: a JSON list, not an object"),
        ([{"text": "a", "answer": "1"}], {}, InputError, "line 1: no 'prompt' or 'question' field"),
        (
            [{"question": "a", "answer": "1"}, {"question": "b"}],
            {},
            InputError,
            "line 2: field 'answer' is missing .it has 'question'.",
        ),
        (
            [{"question": "a", "answer": "1"}],
            {"reference": "gold"},
            InputError,
            "line 1: field 'gold'",
        ),
        ([{"question": 3, "answer": "1"}], {}, InputError, "line 1: field 'question' must be"),
        (
            [{"question": "a", "answer": "no marker"}],
            {"reference_format": "gsm8k"},
            InputError,
            "line 1: reference_format gsm8k needs",
        ),
        ([{"question": "a", "answer": "1"}], {"colour": 1}, ConfigError, "task_options.colour"),
        ([{"question": "a", "answer": "1"}], {"eval_fraction": 1.5}, ConfigError, "eval_fraction"),
        ([{"question": "a", "answer": "1"}], {"prompt_template": "Q:"}, ConfigError, "{prompt}"),
        ([{"question": "a", "answer": {"x": 1}}], {}, ConfigError, "task_options.judge"),
        (
            [{"question": "a", "answer": "1"}],
            {"judge": {"fn": "nope"}},
            ConfigError,
            "task_options.judge",
        ),
    ],
)
def test_errors_say_what_is_wrong_and_where(
    tmp_path: Path, rows: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    path = "missing.jsonl" if rows is None else str(write(tmp_path / "d.jsonl", rows))
    with pytest.raises(error, match=message):
        JsonlTask({"path": path, **options})


def test_a_path_is_required_and_an_empty_held_out_split_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"task_options\.path"):
        make_task("jsonl", {})
    task = JsonlTask({"path": str(gsm(tmp_path)), "eval_fraction": 0})
    assert len(task.held_out) == 0
    with pytest.raises(ConfigError, match="eval_every: 0"):
        problem(task, 0, "eval", 0)


def test_the_warm_start_needs_completions_and_says_what_to_do(tmp_path: Path) -> None:
    task = JsonlTask({"path": str(gsm(tmp_path)), "reference_format": "gsm8k"})
    with pytest.raises(ConfigError, match=r"model: smollm2.*task_options\.completion.*steps: 0"):
        problem(task, 0, "warm", 0)
    rows = [{"question": "1+1?", "answer": "2", "trace": "<answer>2</answer>"}] * 3
    traced = JsonlTask({"path": str(write(tmp_path / "t.jsonl", rows)), "completion": "trace"})
    assert problem(traced, 0, "warm", 0).answer == "<answer>2</answer>"
    assert repr(traced) != repr(task)  # the warm-start cache key holds the data's digest


def test_the_examples_load_and_their_references_judge_right() -> None:
    math = make_task(
        "jsonl", {"path": str(MATH), "reference_format": "gsm8k", "eval_fraction": 0.2}
    )
    assert isinstance(math, JsonlTask) and (len(math.train), len(math.held_out)) == (32, 8)
    assert all(str(r.reference).lstrip("-").isdigit() for r in math.train)
    code = make_task("jsonl", {"path": str(CODE)})
    assert isinstance(code, JsonlTask) and code.reward_config()["reward"]["fn"] == "unit_tests_all"
    assert all(set(r.reference) == {"asserts", "entry"} for r in code.train)


@pytest.mark.process
def test_the_code_example_solutions_pass_its_judge() -> None:
    probe = ROOT / "examples" / "data" / "probe_jsonl_code.jsonl"
    code = JsonlTask({"path": str(CODE)})
    for line in probe.read_text().splitlines():
        row = json.loads(line)
        assert code.judge(row["reference"], row["completion"])["success"] == 1.0, row["id"]
        assert code.judge(row["reference"], "```python\ndef f():\n    pass\n```")["success"] == 0.0


def test_example_configs_build_their_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # their paths are relative to the repository root
    for name in ("train_jsonl_math.yaml", "train_jsonl_code.yaml"):
        cfg = load_train_config(ROOT / "examples" / "configs" / name)
        task = make_task(cfg.task, cfg.task_options)
        assert isinstance(task, JsonlTask) and len(task.held_out) == cfg.eval_size


@pytest.mark.process
def test_the_cli_reports_a_bad_data_file_without_a_traceback(tmp_path: Path) -> None:
    from rewardkit.cli.main import app

    data = write(tmp_path / "d.jsonl", [{"question": "a", "answer": "#### 1"}, "not json"])
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"task": "jsonl", "task_options": {"path": str(data)}}))
    result = CliRunner().invoke(app, ["train", str(config), "--out-dir", str(tmp_path / "runs")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert f"{data}, line 2: not JSON" in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.slow
def test_two_steps_on_the_math_example_with_the_tiny_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    from rewardkit.train.loop import train

    monkeypatch.chdir(ROOT)
    cfg = load_train_config(
        ROOT / "examples" / "configs" / "train_jsonl_math.yaml",
        {
            "model": None,
            "warm_start": {"steps": 0, "cache_dir": str(tmp_path / "cache")},
            "steps": 2,
            "prompts_per_step": 2,
            "group_size": 2,
            "max_new_tokens": 8,
            "eval_every": 2,
            "eval_sampled": False,
            "checkpoint_every": 0,
            "plots": False,
            "out_dir": str(tmp_path / "runs"),
            "run_name": "math",
        },
    )
    result = train(cfg)
    run = result.run_dir
    saved = json.loads((run / "config.json").read_text())
    assert saved["task"] == "jsonl" and saved["program"]["reward"]["tiers"][1]["name"] == "correct"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "reward/mean" in m][-1] == 1
    assert any("eval/greedy/success" in m for m in metrics)


def test_errors_are_rewardkit_errors() -> None:
    assert issubclass(InputError, RewardKitError) and issubclass(ConfigError, RewardKitError)
