"""``judge_reference``: an LLM judge's verdict on the answer against the reference.

Three defenses against answers that say nothing ("master keys"), none of which trusts the judge
to notice by itself, all on by default (extraction first and the decoy are the defenses; the
opener list is a cheap first filter):

- the pre-filter (``prefilter``, on by default, ``guard``): an answer with no content, or made
  only of known openers, is wrong without a request. A list: cheap, and beaten by a paraphrase;
- extraction first (``quote_answer``, on by default): the judge first quotes the response's
  final answer (``Answer span: "..."``), then compares it with the reference. No span, or a span
  with no content (``guard.no_content_reason``), is not paid (0.0); a span that is not in what
  the judge was shown, verbatim, is an invented answer: verifier-failed (``VerifierFailed``);
- decoy-reference consistency (``decoy``, on by default): where the verdict would pay, the judge
  is asked again with a decoy reference (a wrong answer of the same type, ``decoy``); a decoy
  scored at least as high as the reference means the judge did not judge: verifier-failed, never
  paid, never a 0 (the program leaves the sample out of the group baseline). One more call,
  cached.

>>> p = JudgeReferenceParams(base_url="http://127.0.0.1:9/v1", model="m")
>>> p.prefilter, p.quote_answer, p.decoy, p.decoy_seed
(True, True, True, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from rewardkit.errors import UnjudgeableReference, VerifierFailed
from rewardkit.registry import reward
from rewardkit.rewards.judge.client import ChatReply
from rewardkit.rewards.judge.components import (
    SYSTEM,
    Chat,
    JudgeParams,
    Result,
    accounting,
    ask,
    finished,
    prefiltered,
    reference_text,
)
from rewardkit.rewards.judge.decoy import decoy_reference
from rewardkit.rewards.judge.guard import no_content_reason
from rewardkit.rewards.judge.parse import parse_span, parse_verdict
from rewardkit.types import Sample, Score


class JudgeReferenceParams(JudgeParams):
    """``mode: binary`` (Score 1 or 0) or ``graded`` (Score 0..scale, value = score / scale).
    ``few_shot`` puts worked examples (one right, one wrong; with ``quote_answer`` also one that
    states nothing) before the question: small judges follow a format from examples far better
    than from instructions."""

    mode: Literal["binary", "graded"] = "binary"
    scale: int = Field(10, ge=1)
    few_shot: bool = True
    quote_answer: bool = True
    """Extraction first: the judge quotes the final answer before it scores (see the module)."""
    decoy: bool = True
    """Ask again with a decoy reference where the verdict would pay (see the module)."""
    decoy_seed: int = 0
    """Which decoy: the same reference and seed always give the same one."""


SHOTS: tuple[tuple[str, str, str, bool, str | None], ...] = (
    ("What is 3+4?", "7", "7", True, "7"),
    ("What is the capital of Italy?", "Rome", "Milan", False, "Milan"),
)
EMPTY_SHOT = ("What is 5*6?", "30", "Let us work through this carefully.", False, None)


@dataclass(frozen=True)
class ReferencePrompt:
    """The judge's chat for one (question, reference, candidate), under one set of params."""

    p: JudgeReferenceParams

    @property
    def hi(self) -> int:
        return 1 if self.p.mode == "binary" else self.p.scale

    def system(self) -> str:
        what = (
            "1 if the candidate answer is the same answer as the reference, 0 if it is not"
            if self.p.mode == "binary"
            else f"from 0 (wrong) to {self.hi} (the same answer as the reference)"
        )
        if not self.p.quote_answer:
            how = (
                'one JSON object {"score": S}' if self.p.verdict == "json" else "one line: Score: S"
            )
            return (
                f"{SYSTEM} You compare a candidate answer with the reference answer of a "
                f"question. Reply with {how}, where S is {what}."
            )
        how = (
            'one JSON object {"answer_span": "A", "score": S}'
            if self.p.verdict == "json"
            else 'two lines: Answer span: "A" then Score: S'
        )
        return (
            f"{SYSTEM} First copy the candidate's final answer exactly as it is written in the "
            "candidate answer (A, in double quotes; none if it states no final answer), then "
            f"compare that answer with the reference answer. Reply with {how}, where S is {what}."
        )

    def verdict_text(self, right: bool, span: str | None) -> str:
        score = self.hi if right else 0
        if self.p.verdict == "json":
            quoted = "null" if span is None else f'"{span}"'
            head = f'"answer_span": {quoted}, ' if self.p.quote_answer else ""
            return f'{{{head}"score": {score}}}'
        head = "Answer span: " + ("none" if span is None else f'"{span}"') + "\n"
        return (head if self.p.quote_answer else "") + f"Score: {score}"

    def chat(self, question: str, reference: str, candidate: str) -> Chat:
        chat: Chat = [{"role": "system", "content": self.system()}]
        shots = (*SHOTS, EMPTY_SHOT) if self.p.quote_answer else SHOTS
        for q, ref, cand, right, span in shots if self.p.few_shot else ():
            chat.append(_turn(q, ref, cand))
            chat.append({"role": "assistant", "content": self.verdict_text(right, span)})
        return [*chat, _turn(question, reference, candidate)]


def _turn(question: str, reference: str, candidate: str) -> dict[str, str]:
    text = f"Question: {question}\nReference answer: {reference}\nCandidate answer: {candidate}"
    return {"role": "user", "content": text}


@reward("judge_reference", params=JudgeReferenceParams, batched=True)
def judge_reference(samples: Sequence[Sample], p: JudgeReferenceParams) -> list[Score | Exception]:
    """An LLM judge's verdict on the answer against the reference (binary or graded)."""
    prompt = ReferencePrompt(p)
    results, shown = prefiltered(samples, p)
    todo: list[tuple[int, str, str]] = []  # (row, reference, what the judge sees)
    for i, sample in enumerate(samples):
        text = shown[i]
        if text is None:
            continue
        try:
            todo.append((i, reference_text(sample, "judge_reference"), text))
        except UnjudgeableReference as exc:
            results[i] = exc
    replies = ask(p, [prompt.chat(samples[i].prompt, ref, text) for i, ref, text in todo])
    for (i, _, text), reply in zip(todo, replies, strict=True):
        results[i] = _read(reply, text, prompt)
    if p.decoy:
        _check_decoys(samples, [(i, ref, text) for i, ref, text in todo], results, prompt)
    return finished(results)


def _read(reply: ChatReply | Exception, shown: str, prompt: ReferencePrompt) -> Result:
    """The verdict of one reply as a Score, or the exception it amounts to."""
    if isinstance(reply, Exception):
        return reply
    p, hi = prompt.p, prompt.hi
    try:
        (score,) = parse_verdict(
            reply.text, n=1, fmt=p.verdict, hi=hi, finish_reason=reply.finish_reason
        )
        info: dict[str, Any] = {"judge_score": score, "judge_calls": 1, **accounting(reply)}
        if not p.quote_answer:
            return Score(score / hi, info=info)
        span = parse_span(reply.text, p.verdict)
    except Exception as exc:
        return exc
    if span is None or not span.strip():
        return Score(0.0, info={**info, "no_span": "none_quoted"})
    if span.strip() not in shown:
        return VerifierFailed(
            "span_not_in_response", f"the judge quoted {span!r}, which the response does not hold"
        )
    reason = no_content_reason(span)
    if reason is not None:
        return Score(0.0, info={**info, "no_span": reason, "judge_span": span})
    return Score(score / hi, info={**info, "judge_span": span})


def _check_decoys(
    samples: Sequence[Sample],
    todo: list[tuple[int, str, str]],
    results: list[Result],
    prompt: ReferencePrompt,
) -> None:
    """Ask again with a decoy reference where the verdict pays; a decoy scored at least as high
    turns the sample verifier-failed."""
    paid = [(i, ref, text) for i, ref, text in todo if _pays(results[i])]
    decoys = [decoy_reference(ref, prompt.p.decoy_seed) for _, ref, _ in paid]
    chats = [
        prompt.chat(samples[i].prompt, decoy, text)
        for (i, _, text), decoy in zip(paid, decoys, strict=True)
    ]
    for (i, _, _), decoy, reply in zip(paid, decoys, ask(prompt.p, chats), strict=True):
        real = results[i]
        assert isinstance(real, Score)
        if isinstance(reply, Exception):
            results[i] = reply
            continue
        try:
            (said,) = parse_verdict(
                reply.text,
                n=1,
                fmt=prompt.p.verdict,
                hi=prompt.hi,
                finish_reason=reply.finish_reason,
            )
        except Exception as exc:
            results[i] = exc
            continue
        score = real.info["judge_score"]
        if said >= score:
            results[i] = VerifierFailed(
                "decoy_consistent",
                f"the judge scored the decoy reference {decoy!r} {said:g}, as high as or higher "
                f"than the reference ({score:g})",
            )
            continue
        cost = accounting(reply)
        info = {**real.info, "judge_decoy": decoy, "judge_decoy_score": said, "judge_calls": 2}
        for key in ("judge_prompt_tokens", "judge_completion_tokens", "judge_cost"):
            info[key] = real.info[key] + cost[key]
        info["judge_cached"] = real.info["judge_cached"] and cost["judge_cached"]
        results[i] = Score(real.value, info=info)


def _pays(result: Result) -> bool:
    return isinstance(result, Score) and result.value > 0 and "judge_score" in result.info
