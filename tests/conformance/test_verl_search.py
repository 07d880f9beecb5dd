"""verl 0.9.1's own Search-R1 exact match (``search_r1_like_qa_em.compute_score``) against
rewardkit's ``search_em``.

The same completions and gold answers go to both: ``verl_search_side.py`` runs verl's code in
``.venv-verl``; rewardkit scores each completion as a single-turn ``Sample`` whose reference is
``{"target": [...]}``. A case agrees when the scores are equal. Every difference is one of the
intended differences of docs/conformance.md (``REASONS``, each with the rule that picks its
cases), and every case a rule picks differs.

Cases: the hand cases below plus generated ones (a seeded mix of right, wrong, cased,
punctuated, article-led and padded answers, aliases, no tag, several tags, thoughts and
searches around them). Without .venv-verl the test is skipped, except under CI (``CI=true``),
where it fails.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.rewards.search import SearchAnswerParams, normalize_answer, search_em
from rewardkit.types import Sample

pytestmark = [pytest.mark.venv, pytest.mark.process]

ROOT = Path(__file__).resolve().parents[2]
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
SIDE = Path(__file__).with_name("verl_search_side.py")
GOLD = ["Amsel", "Amsel River", "River Amsel"]

HAND: list[tuple[str, list[str]]] = [
    ("<answer>Amsel</answer>", GOLD),
    ("<think>x</think><search>q</search><answer>the Amsel</answer>", GOLD),  # article
    ("<answer>AMSEL.</answer>", GOLD),  # case, punctuation
    ("<answer>  amsel   river </answer>", GOLD),  # alias, spaces
    ("<answer>Torlin</answer>", GOLD),
    ("Amsel", GOLD),  # no tag
    ("<answer></answer>", GOLD),
    ("<answer>Amsel</answer><answer>Torlin</answer>", GOLD),  # several different: verl the last
    ("<answer>Torlin</answer><answer>Amsel</answer>", GOLD),
    ("<answer>Amsel</answer> and again <answer>Amsel</answer>", GOLD),
    ("<answer>Amsel</answer>" * 11, GOLD),  # verl's many-tags rule: 1/4
    ("<answer>Amsel" + "</answer>" * 12, GOLD),
    ("<ANSWER>Amsel</ANSWER>", GOLD),  # tag case: rewardkit reads it
    ("<answer>Amsel</answer>", ["amsel"]),
    ("<answer>1,657,000</answer>", ["1,657,000", "1657000"]),
    ("<answer>1657000</answer>", ["1,657,000"]),
    ("<answer>an apple</answer>", ["apple"]),
    ("<answer>A-B</answer>", ["ab"]),
    ("<answer>Glass Sea</answer>", ["the Glass Sea"]),
    ("<answer>Glass</answer>", ["Glass Sea"]),
    ("<answer>\nAmsel\n</answer>", GOLD),
    ("<answer>Amsel</answer> trailing text", GOLD),
    ("<answer>Amsel</answer>", "Amsel"),  # type: ignore[list-item]  # a string target
]
WRONG = ["Torlin", "Vestor", "Amsel Sea", "the river", "", "Ams el", "Amsel Amsel"]


def generated(n: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    """Seeded answers around the gold ones: right and wrong, cased, punctuated, wrapped."""
    rng = random.Random(seed)
    out: list[tuple[str, list[str]]] = []
    for _ in range(n):
        answer = rng.choice([*GOLD, *WRONG])
        answer = rng.choice([answer, answer.upper(), answer.lower(), f"The {answer}",
                             f"{answer}!", f" {answer} ", f"a {answer}", answer.replace(" ", "  ")])  # fmt: skip
        body = f"<answer>{answer}</answer>"
        shape = rng.randrange(5)
        if shape == 1:
            body = f"<think>I think.</think>\n<search>Amsel</search>\n{body}"
        elif shape == 2:
            body = f"<answer>{rng.choice(WRONG)}</answer> {body}"
        elif shape == 3:
            body = f"{body}\n<answer>{answer}</answer>"
        out.append((body, GOLD))
    return out


CASES = list(dict.fromkeys((c, json.dumps(g)) for c, g in HAND + generated(60)))


def _tags(text: str) -> list[str]:
    return [a.strip() for a in re.findall(r"<answer>(.*?)</answer>", text, re.DOTALL)]


def _last_right(text: str, gold: str) -> bool:
    """verl's reading: the last ``<answer>`` equals a gold answer after normalisation."""
    target = json.loads(gold)
    wanted = {normalize_answer(g) for g in ([target] if isinstance(target, str) else target)}
    return bool(_tags(text)) and normalize_answer(_tags(text)[-1]) in wanted


def _several_different(text: str, gold: str) -> bool:
    """Several ``<answer>`` that differ, the last one right: verl pays it, rewardkit takes no
    answer."""
    return len({" ".join(a.split()) for a in _tags(text)}) > 1 and _last_right(text, gold)


def _many_tags(text: str, gold: str) -> bool:
    """More than 10 opening or closing tags on a right answer: verl pays 1/4, rewardkit 1."""
    many = text.count("<answer>") > 10 or text.count("</answer>") > 10
    return many and _last_right(text, gold) and len({" ".join(a.split()) for a in _tags(text)}) == 1


def _tag_case(text: str, gold: str) -> bool:
    """An ``<ANSWER>`` tag: rewardkit's shared reader ignores the tag's case, verl does not."""
    if _tags(text) or not re.search(r"<answer>", text, re.IGNORECASE):
        return False
    return (
        search_em(
            Sample("c", "g", "", text, {"target": json.loads(gold)}), SearchAnswerParams()
        ).value
        == 1.0
    )


Reason = Callable[[str, str], bool]
REASONS: dict[str, Reason] = {
    "several different answers are no answer": _several_different,
    "no 1/4 for many answer tags": _many_tags,
    "the answer tag in any case": _tag_case,
}


@pytest.fixture(scope="module")
def verl_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not VERL_PYTHON.exists():
        reason = f"{VERL_PYTHON.parent.parent} is absent: run scripts/venv_verl.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"verl conformance must run in CI: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("verl_search")
    cases, out = folder / "cases.json", folder / "verl.json"
    cases.write_text(json.dumps([{"completion": c, "target": json.loads(g)} for c, g in CASES]))
    run = subprocess.run([str(VERL_PYTHON), str(SIDE), str(cases), str(out)],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(out.read_text())
    assert results["verl"] == "0.9.1"
    return list(results["cases"])


def test_cases_are_enough() -> None:
    assert len(CASES) >= 40


def test_verl_search_em_differs_only_as_listed(
    verl_results: list[dict[str, Any]], record_agreement: Callable[..., None]
) -> None:
    differ, listed, by_reason = set(), set(), dict.fromkeys(REASONS, 0)
    for k, ((text, gold), theirs) in enumerate(zip(CASES, verl_results, strict=True)):
        assert "error" not in theirs, f"case {k}: verl raised {theirs['error']}"
        ours = search_em(Sample(str(k), "g", "", text, {"target": json.loads(gold)}),
                         SearchAnswerParams())  # fmt: skip
        if abs(ours.value - theirs["score"]) > 1e-9:
            differ.add(k)
        reasons = [name for name, rule in REASONS.items() if rule(text, gold)]
        if reasons:
            listed.add(k)
            by_reason[reasons[0]] += 1
    record_agreement("verl search_r1_like_qa_em vs rewardkit search_em", len(CASES) - len(differ),
                     len(CASES), len(differ & listed))  # fmt: skip
    print(f"  differing cases by first intended reason: {by_reason}")
    assert sorted(differ - listed) == [], "differences not in docs/conformance.md"
    assert sorted(listed - differ) == [], "listed differences that no longer differ"
