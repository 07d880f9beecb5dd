"""docs/agents.md: every YAML block builds a program, and the rendered example's spans hold."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardkit.program import RewardProgram
from rewardkit.types import Sample

DOC = Path(__file__).resolve().parents[1] / "docs" / "agents.md"
TEXT = DOC.read_text()
BLOCKS = [  # the reward programs (the others are a host's own settings)
    b for b in re.findall(r"```yaml\n(.*?)```", TEXT, flags=re.S) if b.startswith("reward:")
]


def test_the_doc_has_its_examples() -> None:
    assert len(BLOCKS) >= 1


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_yaml_block_builds(block: str) -> None:
    config: dict[str, Any] = yaml.safe_load(block)
    RewardProgram.from_dict(config)


def test_the_trajectory_example_renders_as_the_doc_says() -> None:
    (line,) = re.findall(r"```json\n(.*?)```", TEXT, flags=re.S)[:1]
    sample = Sample.from_dict(json.loads(line))
    (shown,) = re.findall(r"renders as\n\n```text\n(.*?)\n```", TEXT, flags=re.S)
    assert sample.completion == shown
    assert f"`steps = {json.dumps([list(s) for s in sample.steps or ()])}`" in TEXT
    assert f"`env_spans = {json.dumps([list(s) for s in sample.env_spans or ()])}`" in TEXT


def test_the_toolrl_golden_case_of_the_doc() -> None:
    program = RewardProgram.from_dict({"reward": {"fn": "toolrl"}})
    gold = [{"name": "search", "arguments": {"q": "paris", "n": 3}}]

    def layout(*calls: str) -> str:
        return "<think>x</think>\n<tool_call>\n" + "\n".join(calls) + "\n</tool_call>"

    call = '{"name": "search", "parameters": {"q": "paris", "n": %d}}'
    junk = '{"name": "junk", "parameters": {}}'
    texts = [layout(call % 5), layout(call % 5, junk), layout(call % 3)]
    samples = [
        Sample(id=str(i), group=str(i), prompt="", completion=t, reference=gold)
        for i, t in enumerate(texts)
    ]
    got = program.score(samples).reward_list()
    assert got == [2.5, 1.75, 4.0]
    for value in got:
        assert f"**{value:g}**" in TEXT or f"**{value:g}.0**" in TEXT or f": {value:g})" in TEXT
