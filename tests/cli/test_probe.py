"""``rewardkit probe`` as a user runs it: exit codes 0/1/2, JSON results, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
TAGGED = [
    {
        "id": "a",
        "prompt": "12*7?",
        "completion": "<think>12*7</think><answer>84</answer>",
        "reference": "84",
    },
    {
        "id": "b",
        "prompt": "3/2?",
        "completion": "<think>half</think><answer>1.5</answer>",
        "reference": "1.5",
    },
]
CORRECT = "reward:\n  tiers:\n    - {name: format, fn: tags, mode: strict}\n    - {name: correct, fn: exact_match, extract: answer_tag}\n"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli.main", "probe", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def files(tmp_path: Path, config: str, lines: list[dict[str, object]] | str) -> tuple[str, str]:
    cfg, data = tmp_path / "c.yaml", tmp_path / "in.jsonl"
    cfg.write_text(config, encoding="utf-8")
    text = lines if isinstance(lines, str) else "".join(json.dumps(x) + "\n" for x in lines)
    data.write_text(text, encoding="utf-8")
    return str(cfg), str(data)


def test_a_config_that_pays_no_mutation_exits_0_and_writes_json(tmp_path: Path) -> None:
    cfg, data = files(tmp_path, CORRECT, TAGGED)
    out = tmp_path / "probe.json"
    result = run(cfg, "-i", data, "--json", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrong_answer" in result.stdout and "ok:" in result.stdout
    report = json.loads(out.read_text())
    assert report["probed"] == 2 and report["failing"] == []
    wrong = next(m for m in report["mutations"] if m["name"] == "wrong_answer")
    # tiers: format passed (1 of 2 tiers), answer wrong -> 0.5 against the correct 1.0
    assert wrong["mean_reward"] == 0.5 and wrong["mean_correct_reward"] == 1.0
    assert wrong["pays_share"] == 0.0 and wrong["paid_by"] == {"reward/format": 2}


def test_a_format_reward_alone_exits_1_naming_the_mutations(tmp_path: Path) -> None:
    cfg, data = files(tmp_path, "reward: {fn: tags, mode: strict}\n", TAGGED)
    result = run(cfg, "-i", data, "--mutations", "format_only,wrong_answer,empty")
    assert result.returncode == 1
    assert "FAIL format_only" in result.stdout and "FAIL wrong_answer" in result.stdout
    assert "FAIL empty" not in result.stdout
    # --allow: still reported, no longer fails
    allowed = run(
        cfg,
        "-i",
        data,
        "--mutations",
        "format_only,wrong_answer",
        "--allow",
        "format_only,wrong_answer",
    )
    assert allowed.returncode == 0 and "pays (allowed)" in allowed.stdout


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    cfg, data = files(tmp_path, CORRECT, '{"completion": "a"}\n{oops\n')
    result = run(cfg, "-i", data)
    assert result.returncode == 2 and ":2:" in result.stderr
    assert run(cfg, "-i", str(tmp_path / "missing.jsonl")).returncode == 2
    bad_cfg, good = files(tmp_path, "reward: {fn: exact_mtch}\n", TAGGED)
    result = run(bad_cfg, "-i", good)
    assert result.returncode == 2 and "did you mean 'exact_match'" in result.stderr
    # no correct completion gets a reward (numeric cannot read "forty-two"): nothing to compare
    cfg, data = files(
        tmp_path, "reward: {fn: numeric}\n", [{"completion": "42", "reference": "forty-two"}]
    )
    result = run(cfg, "-i", data)
    assert (
        result.returncode == 2 and "none of the 1 correct completions got a reward" in result.stderr
    )
    cfg, data = files(tmp_path, CORRECT, TAGGED)
    result = run(cfg, "-i", data, "--mutations", "wrong_anwser")
    assert result.returncode == 2 and "did you mean 'wrong_answer'" in result.stderr


def test_a_users_mutation_from_a_module(tmp_path: Path) -> None:
    (tmp_path / "my_mutations.py").write_text(
        "from rewardkit.probe import mutation\n\n"
        "@mutation('price')\n"
        "def price(answer):\n"
        "    '''The answer written as a price.'''\n"
        "    return answer.with_answer('$' + answer.text)\n",
        encoding="utf-8",
    )
    cfg, data = files(tmp_path, "reward: {fn: numeric, extract: answer_tag}\n", TAGGED)
    result = run(cfg, "-i", data, "--module", "my_mutations", "--mutations", "price", cwd=tmp_path)
    # numeric reads "$84" as 84: the mutation earns the correct 1.0 (here, rightly)
    assert result.returncode == 1 and "FAIL price" in result.stdout


def test_help_answers_what_it_does() -> None:
    result = run("--help")
    assert result.returncode == 0
    for words in ("exploit", "Exit codes", "wrong_answer", "--allow", "--json"):
        assert words in result.stdout


def test_master_keys_run_by_default_and_can_be_left_out(tmp_path: Path) -> None:
    cfg, data = files(tmp_path, CORRECT, TAGGED)
    out = tmp_path / "probe.json"
    assert run(cfg, "-i", data, "--json", str(out)).returncode == 0
    names = {m["name"] for m in json.loads(out.read_text())["mutations"]}
    assert {"master_key_colon", "master_key_thought_process_in_answer"} <= names
    assert run(cfg, "-i", data, "--no-master-keys", "--json", str(out)).returncode == 0
    names = {m["name"] for m in json.loads(out.read_text())["mutations"]}
    assert not any(n.startswith("master_key") for n in names) and "wrong_answer" in names


def test_the_table_is_a_summary_by_default_and_every_row_with_all(tmp_path: Path) -> None:
    cfg, data = files(tmp_path, CORRECT, TAGGED)
    short = run(cfg, "-i", data)
    assert short.returncode == 0, short.stderr
    rows = [
        line.split()[0]
        for line in short.stdout.splitlines()
        if line.startswith("  ") and line.split()
    ]
    assert "wrong_answer" in rows and "master_key_colon" not in rows
    assert any(r.startswith("master_key_*") for r in rows)  # the passing master keys, one row
    assert "rtl_empty_module" not in rows  # does not apply to math samples: left out, counted
    assert "do not apply to these samples" in short.stdout and "--all shows" in short.stdout
    assert len(rows) <= 20
    full = run(cfg, "-i", data, "--all")
    rows = [
        line.split()[0]
        for line in full.stdout.splitlines()
        if line.startswith("  ") and line.split()
    ]
    assert {"master_key_colon", "rtl_empty_module", "wrong_answer"} <= set(rows)
    assert len(rows) > 60
