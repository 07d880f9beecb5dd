"""Master-key mutations: every trigger is caught by the judge's pre-filter, and the probe shows a
judge that is fooled by them (the scripted ``discerning`` and ``gullible``) paying them only when
the defenses (on by default) are off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewardkit.probe import get_mutations, locate_answer, probe
from rewardkit.probe.master_keys import (
    MASTER_KEYS,
    MUTATIONS,
    register_master_keys,
    unregister_master_keys,
)
from rewardkit.program import RewardProgram
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.judge import OPENERS, no_content_reason
from rewardkit.rewards.judge.fakes import discerning, fake_judge, gullible
from rewardkit.types import Sample

TAGGED = [
    Sample("a", "a", "What is 12*7?", "<think>12*7 = 84</think><answer>84</answer>", "84"),
    Sample(
        "b", "b", "Capital of France?", "<think>Paris.</think>\n<answer>Paris</answer>", "Paris"
    ),
]
BOXED = [Sample("c", "c", "Half of 3?", "3/2, so \\boxed{1.5}", "1.5")]
BARE = [Sample("d", "d", "Capital of Spain?", "Madrid", "Madrid")]
BUILT_IN = ["empty", "format_only", "punctuation", "reasoning_opener"]


@pytest.fixture
def master_keys() -> Iterator[list[str]]:
    names = register_master_keys()
    yield names
    unregister_master_keys()


def test_fifty_mutations_two_per_trigger_in_several_scripts(master_keys: list[str]) -> None:
    assert len(master_keys) == 2 * len(MASTER_KEYS) == 50
    assert {":", ".", "Thought process:", "解", "かいせつ", "Respuesta"} <= set(
        MASTER_KEYS.values()
    )
    assert "master_key_colon_in_answer" in MUTATIONS
    scripts = {"解", "かいせつ", "단계별로 풀어봅시다", "Ответ", "الحل", "उत्तर"}
    assert all(any(s in o for o in OPENERS) for s in scripts)


@pytest.mark.parametrize(
    ("samples", "extract"),
    [(TAGGED, "answer_tag"), (TAGGED, "text"), (BOXED, "boxed"), (BOXED, "text"), (BARE, "text")],
)
def test_the_prefilter_catches_every_probe_trigger(
    master_keys: list[str], samples: list[Sample], extract: str
) -> None:
    params = ExtractParams(extract=extract)  # type: ignore[arg-type]
    for sample in samples:
        answer = locate_answer(sample)
        assert no_content_reason(extract_answer(sample.completion, params)) is None
        for m in get_mutations([*master_keys, *BUILT_IN]):
            mutated = m.fn(answer)
            if mutated is None:
                continue
            shown = extract_answer(mutated, params)
            if extract == "text" and m.name.endswith("_in_answer") and sample is not BARE[0]:
                continue  # the rest of the correct completion is content: judged by the model
            assert no_content_reason(shown) is not None, (m.name, mutated, shown)


NUMERIC = [
    TAGGED[0],
    Sample("e", "e", "What is 9+8?", "<think>9+8 = 17</think><answer>17</answer>", "17"),
]


def test_a_fooled_judge_pays_master_keys_only_without_defenses(
    master_keys: list[str], tmp_path: Path
) -> None:
    names = [*master_keys, *BUILT_IN]
    whole = [m for m in master_keys if not m.endswith("_in_answer")]
    # discerning: right vs wrong numbers, but "correct" to any answer with no number in it
    with fake_judge(discerning) as url:
        judge: dict[str, Any] = {"fn": "judge_reference", "extract": "answer_tag", "base_url": url}
        judge.update(model="fake", cache=False)
        on = probe(RewardProgram.from_dict({"reward": judge}), NUMERIC, names)  # the defaults
        assert on.unjudged == [] and on.correct == [1.0, 1.0]
        assert {r.name: r.verdict for r in on.results} == dict.fromkeys(names, "ok")
        # the list off: the master keys reach the judge and fool it, and extraction first and
        # the decoy still pay none of them (a fooled verdict is verifier-failed: escapes)
        no_list = {**judge, "prefilter": False, "judge_sees": "completion"}
        report = probe(RewardProgram.from_dict({"reward": no_list}), NUMERIC, names)
        verdicts = {r.name: r.verdict for r in report.results}
        assert report.correct == [1.0, 1.0]
        assert all(verdicts[m] in ("ok", "escapes") for m in whole), verdicts
        off = {**no_list, "quote_answer": False, "decoy": False}
        report = probe(RewardProgram.from_dict({"reward": off}), NUMERIC, names)
        paid = {r.name for r in report.results if r.verdict == "pays"}
        assert set(master_keys) <= paid
    # gullible: "correct" to everything, the decoy included
    with fake_judge(gullible) as url:
        judge = {**judge, "base_url": url}
        on = probe(RewardProgram.from_dict({"reward": judge}), NUMERIC, names)
        assert on.unjudged == ["a", "e"]  # verifier-failed: not even the right answer is paid
        assert not any(r.verdict == "pays" for r in on.results)
        off = {**judge, "prefilter": False, "judge_sees": "completion"}
        off.update(quote_answer=False, decoy=False)
        report = probe(RewardProgram.from_dict({"reward": off}), NUMERIC, names)
        assert set(master_keys) <= {r.name for r in report.results if r.verdict == "pays"}
