"""verl 0.9.1's own ToolRL reward (``rlla.compute_score``) against rewardkit's ``toolrl``.

The same completions and ToolRL ground-truth strings go to both: ``verl_toolrl_side.py`` runs
verl's code in ``.venv-verl``; rewardkit scores each completion as a single-turn ``Sample`` whose
reference is the ground-truth string. A case agrees when the format, the correctness and the total
are equal (1e-9). Every difference is one of the intended differences of docs/conformance.md
(``REASONS``, each with the rule that picks its cases), and every case a rule picks differs.

Cases: the hand cases below plus 60 generated ones (duplicates dropped) (a seeded mix of right calls, changed values,
dropped, extra, renamed, repeated and reordered calls, and layouts right and wrong).
Without .venv-verl the test is skipped, except under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.rewards.tool_match import gold_calls, jaccard, values_equal
from rewardkit.rewards.tools import ToolRLParams, toolrl
from rewardkit.types import Sample

pytestmark = [pytest.mark.venv, pytest.mark.process]

ROOT = Path(__file__).resolve().parents[2]
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
SIDE = Path(__file__).with_name("verl_toolrl_side.py")
Call = dict[str, Any]


def call(name: str, **params: Any) -> Call:
    return {"name": name, "parameters": params}


def gold(calls: list[Call], response: bool = False) -> str:
    parts = (
        ["<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>"]
        if calls
        else []
    )
    return "\n".join(parts + (["<response>Here you are.</response>"] if response else []))


def completion(calls: list[Call], response: bool = False, think: str = "I should call it.") -> str:
    return f"<think>{think}</think>\n" + gold(calls, response)


SEARCH = call("search", q="paris", n=3)
WEATHER = call("weather", city="Oslo", unit="C")
HAND: list[tuple[str, str]] = [
    (completion([SEARCH]), gold([SEARCH])),  # exact: 1 + 3
    (completion([call("search", q="paris", n=5)]), gold([SEARCH])),  # S 3 / 4: 1 + 1.5
    (completion([call("search", q="paris")]), gold([SEARCH])),  # S 1 + 0.5 + 1 = 2.5: 0.75
    (completion([WEATHER]), gold([SEARCH])),  # S 0: -3
    (completion([SEARCH, WEATHER]), gold([SEARCH])),  # S 0.5 + 3 = 3.5 / 4
    (completion([WEATHER, SEARCH]), gold([SEARCH, WEATHER])),  # reordered: 3
    (completion([SEARCH] * 3), gold([SEARCH])),  # J 1/3 + 3
    (completion([]), gold([SEARCH])),  # empty block
    ("<think>x</think>", gold([SEARCH])),  # no call: -3, format 0
    (completion([SEARCH], response=True), gold([SEARCH], response=True)),
    (completion([SEARCH]), gold([SEARCH], response=True)),  # format 0
    ("<think>x</think>\n<response>hi</response>", gold([], response=True)),  # 1 + 0
    (completion([SEARCH], response=True), gold([], response=True)),  # format 0 + 0
    ("  " + completion([SEARCH]) + "\n", gold([SEARCH])),  # whitespace around
    ("<think>a</think><tool_call>\n" + json.dumps(SEARCH) + "\n</tool_call>", gold([SEARCH])),
    (completion([SEARCH]) + " thanks", gold([SEARCH])),
    (completion([SEARCH]).replace("<think>I should call it.</think>\n", ""), gold([SEARCH])),
    (completion([call("now")]), gold([call("now")])),  # no parameters: 1 + 1 / 3
    (completion([call("search", q="paris", n=3.0)]), gold([SEARCH])),  # 3.0 == 3
    (completion([call("search", q="paris", n="3")]), gold([SEARCH])),  # "3" != 3
    (completion([call("book", meal=True)]), gold([call("book", meal=1)])),  # bool vs number
    (completion([call("search", q="Paris ", n=3)]), gold([SEARCH])),  # exact strings
    (
        completion([call("search", q={"city": "paris"}, n=[1, 2])]),
        gold([call("search", q={"city": "paris"}, n=[1, 2])]),
    ),
    # greedy pairing takes (g1, p1) first: 1 + 1.5 + 2 = 4.5; the best pairing: 1 + 1.5 + 3
    (
        completion([call("f", a=1, b=2), call("f", a=1, b=9)]),
        gold([call("f", a=1), call("f", a=1, b=2)]),
    ),
    # two blocks: verl reads the first only
    (
        completion([SEARCH]) + "\n<tool_call>\n" + json.dumps(WEATHER) + "\n</tool_call>",
        gold([SEARCH]),
    ),
    # forms verl's line reader refuses: a JSON list, an object over lines, a blank line, arguments
    ("<think>x</think>\n<tool_call>\n" + json.dumps([SEARCH]) + "\n</tool_call>", gold([SEARCH])),
    (
        "<think>x</think>\n<tool_call>\n" + json.dumps(SEARCH, indent=1) + "\n</tool_call>",
        gold([SEARCH]),
    ),
    (
        "<think>x</think>\n<tool_call>\n"
        + json.dumps(SEARCH)
        + "\n\n"
        + json.dumps(WEATHER)
        + "\n</tool_call>",
        gold([SEARCH, WEATHER]),
    ),
    (completion([{"name": "search", "arguments": {"q": "paris", "n": 3}}]), gold([SEARCH])),
    ("<think>x</think>\n<tool_call>\nnot json\n</tool_call>", gold([SEARCH])),
]


def generated(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Seeded cases: 1-3 gold calls, a mutated prediction, a right or wrong layout."""
    rng = random.Random(seed)
    pool = [
        lambda: call("search", q=rng.choice(["paris", "rome"]), n=rng.randint(1, 5)),
        lambda: call("weather", city=rng.choice(["Oslo", "Lima"]), unit=rng.choice(["C", "F"])),
        lambda: call("add", a=rng.randint(0, 9), b=rng.randint(0, 9)),
        lambda: call("lookup", id=rng.randint(1, 3)),
        lambda: call("now"),
    ]
    out = []
    for _ in range(n):
        want = [rng.choice(pool)() for _ in range(rng.randint(1, 3))]
        got = [json.loads(json.dumps(c)) for c in want]
        for _ in range(rng.randint(0, 2)):
            _mutate(got, pool, rng)
        response = rng.random() < 0.25
        text = completion(got, response and rng.random() < 0.8)
        if rng.random() < 0.15:
            text = text.replace("<think>", "<thinking>", 1)
        out.append((text, gold(want, response)))
    return out


def _mutate(calls: list[Call], pool: list[Callable[[], Call]], rng: random.Random) -> None:
    op = rng.choice(
        ["value", "drop_param", "add_param", "rename", "drop", "add", "repeat", "shuffle"]
    )
    i = rng.randrange(len(calls)) if calls else 0
    params = calls[i]["parameters"] if calls else {}
    if op == "value" and params:
        key = rng.choice(sorted(params))
        params[key] = params[key] + 1 if isinstance(params[key], int) else params[key] + "x"
    elif op == "drop_param" and params:
        params.pop(rng.choice(sorted(params)))
    elif op == "add_param" and calls:
        params["extra"] = rng.randint(0, 2)
    elif op == "rename" and calls:
        calls[i]["name"] = rng.choice(["search", "weather", "add", "lookup", "now", "junk"])
    elif op == "drop" and calls:
        calls.pop(i)
    elif op == "add":
        calls.insert(rng.randint(0, len(calls)), rng.choice(pool)())
    elif op == "repeat" and calls:
        calls.append(json.loads(json.dumps(calls[i])))
    else:
        rng.shuffle(calls)


CASES = list(dict.fromkeys(HAND + generated(60)))  # duplicates dropped, order kept


def _first_block(text: str) -> str:
    return (
        text.split("<tool_call>")[1].split("</tool_call>")[0].strip()
        if "<tool_call>" in text
        else ""
    )


def _several_blocks(text: str, ref: str) -> bool:
    return text.count("<tool_call>") > 1 and "<tool_call>" in ref


def _line_reader_refuses(text: str, ref: str) -> bool:
    """verl reads a block as one JSON object per line with a 'parameters' key (for a gold name)."""
    if "<tool_call>" not in ref or "<tool_call>" not in text or "</tool_call>" not in text:
        return False
    names = {g["name"] for g in map(json.loads, _first_block(ref).split("\n"))}
    read = _verl_lines(_first_block(text), names)
    ours = Sample("c", "g", "", text, ref)
    return read is None and toolrl(ours, ToolRLParams()).info.get("reason") is None  # type: ignore[union-attr]


def _verl_lines(block: str, names: set[str]) -> list[Any] | None:
    try:
        items = [json.loads(line) for line in block.split("\n")]
        return (
            items
            if all(i["name"] not in names or isinstance(i["parameters"], dict) for i in items)
            else None
        )
    except (ValueError, TypeError, KeyError):
        return None


def _bool_as_number(text: str, ref: str) -> bool:
    """Python's True == 1 (verl) against JSON's true != 1 (rewardkit)."""
    pairs = [(g, c) for g in _calls(ref) for c in _calls(text) if g.name == c.name]
    return any(
        isinstance(v, bool) != isinstance((c.arguments or {}).get(k), bool) and (c.arguments or {}).get(k) == v
        for g, c in pairs for k, v in (g.arguments or {}).items()
    )  # fmt: skip


def _greedy_pairs_less(text: str, ref: str) -> bool:
    """Gold calls paired in order with their best unused call score less than the best pairing."""
    if "<tool_call>" not in ref:
        return False
    info = toolrl(Sample("c", "g", "", text, ref), ToolRLParams()).info  # type: ignore[union-attr]
    if "S" not in info:
        return False
    pred, used, s = (
        _calls(text),
        set(),
        jaccard([c.name for c in _calls(text)], [g.name for g in _calls(ref)]),
    )
    for g in _calls(ref):
        scores = [(_pair(c.arguments or {}, g.arguments or {}), j) for j, c in enumerate(pred)
                  if j not in used and c.name == g.name]  # fmt: skip
        best = max(scores, key=lambda t: (t[0], -t[1]), default=(0.0, -1))
        if best[0] > 0:
            used.add(best[1])
            s += best[0]
    return s < info["S"] - 1e-9


def _pair(pred: dict[str, Any], want: dict[str, Any]) -> float:
    return jaccard(list(want), list(pred)) + sum(
        1.0 for k, v in want.items() if k in pred and values_equal(pred[k], v, strip=False)
    )


def _calls(text: str) -> list[Any]:
    try:
        found = gold_calls(text, "conformance")
    except ValueError:
        return []
    return list(found.calls) if found else []


Reason = Callable[[str, str], bool]
# The intended differences (docs/conformance.md), each with the rule that picks its cases.
REASONS: dict[str, Reason] = {
    "every block read": _several_blocks,
    "the JSON forms of the shared reader": _line_reader_refuses,
    "booleans are not numbers": _bool_as_number,
    "the best pairing, not the greedy one": _greedy_pairs_less,
}


@pytest.fixture(scope="module")
def verl_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not VERL_PYTHON.exists():
        reason = (
            f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh (or scripts/test.sh)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"verl conformance must run in CI: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("verl_toolrl")
    cases, out = folder / "cases.json", folder / "verl.json"
    cases.write_text(json.dumps([{"completion": c, "ground_truth": g} for c, g in CASES]))
    run = subprocess.run(
        [str(VERL_PYTHON), str(SIDE), str(cases), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(out.read_text())
    assert results["verl"] == "0.9.1"
    return list(results["cases"])


def test_cases_are_enough() -> None:
    assert len(CASES) >= 40


def test_verl_toolrl_differs_only_as_listed(
    verl_results: list[dict[str, Any]], record_agreement: Callable[..., None]
) -> None:
    differ, listed, by_reason = set(), set(), dict.fromkeys(REASONS, 0)
    for k, ((text, ref), theirs) in enumerate(zip(CASES, verl_results, strict=True)):
        assert "error" not in theirs, f"case {k}: verl raised {theirs['error']}"
        ours = toolrl(Sample(str(k), "g", "", text, ref), ToolRLParams())
        assert ours is not None
        mine = (ours.info["format"], ours.info["correctness"], ours.value)
        if any(
            abs(a - b) > 1e-9
            for a, b in zip(
                mine, (theirs["format"], theirs["correctness"], theirs["score"]), strict=True
            )
        ):
            differ.add(k)
        reasons = [name for name, rule in REASONS.items() if rule(text, ref)]
        if reasons:
            listed.add(k)
            by_reason[reasons[0]] += 1
    record_agreement(
        "verl rlla (ToolRL) vs rewardkit toolrl",
        len(CASES) - len(differ),
        len(CASES),
        len(differ & listed),
    )
    print(f"  differing cases by first intended reason: {by_reason}")
    assert sorted(differ - listed) == [], "differences not in docs/conformance.md"
    assert sorted(listed - differ) == [], "listed differences that no longer differ"
