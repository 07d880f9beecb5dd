"""`rewardkit probe` on every shipped config: it passes, or says in a comment what it pays.

A config that knowingly pays a mutation says so in a line ``# probe pays: name, name (why)``;
the probe must flag exactly those. Any other mutation that pays is a finding: fix the config or
the reward, never the probe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rewardkit.cli.probe import load_program
from rewardkit.cli.score import read_samples
from rewardkit.probe import MUTATIONS, probe
from rewardkit.probe.master_keys import register_master_keys, unregister_master_keys

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "examples" / "configs").glob("*.yaml"))
PROBE_DATA = {
    "boxes_ladder.yaml": "probe_boxes.jsonl",
    "train_boxes.yaml": "probe_boxes.jsonl",
    "math_answer.yaml": "probe_math.jsonl",
    "train_chain.yaml": "probe_chain.jsonl",
    "tool_calls.yaml": "tool_calls.jsonl",
    "chipseek.yaml": "chipseek.jsonl",
    "search_atom.yaml": "search_atom.jsonl",
    "train_lookup.yaml": "probe_lookup.jsonl",
    "train_jsonl_math.yaml": "probe_jsonl_math.jsonl",
    "train_jsonl_code.yaml": "probe_jsonl_code.jsonl",
}
"""Each config's samples with correct completions, in examples/data/."""
FINDINGS: dict[str, tuple[set[str], str]] = {}
"""Configs that fail the probe today: the mutations that pay, and why (shown as xfail). The test
asserts exactly this state, so a fix fails it until the entry is removed."""
_PAYS = re.compile(r"^#\s*probe pays:\s*([\w\s,]+?)\s*(?:\(|$)", re.MULTILINE)


def declared(path: Path) -> set[str]:
    """The mutations a config's ``# probe pays:`` comments name."""
    found = _PAYS.findall(path.read_text(encoding="utf-8"))
    return {name.strip() for names in found for name in names.split(",") if name.strip()}


def test_every_config_has_probe_data() -> None:
    assert sorted(PROBE_DATA) == [p.name for p in CONFIGS], (
        "give each example config a probe data file (correct completions) in examples/data/"
    )
    try:
        known = {*MUTATIONS, *register_master_keys()}  # a config may declare a master key too
    finally:
        unregister_master_keys()
    for config in CONFIGS:
        assert declared(config) <= known, f"{config.name}: unknown mutation in a comment"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_config_passes_the_probe_or_declares_what_it_pays(path: Path) -> None:
    samples, bad = read_samples(ROOT / "examples" / "data" / PROBE_DATA[path.name], strict=True)
    assert not bad
    names = [*MUTATIONS, *register_master_keys()]  # as `rewardkit probe` runs by default
    try:
        report = probe(load_program(path), samples, names)
    finally:
        unregister_master_keys()
    assert report.unjudged == [], "every correct completion must get a reward"
    finding, why = FINDINGS.get(path.name, (set(), ""))
    assert {r.name for r in report.failing()} == declared(path) | finding
    if finding:
        pytest.xfail(f"finding: {why}")
