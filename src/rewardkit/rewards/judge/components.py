"""The judge components: ``judge_reference``, ``judge_rubric``, ``judge_checklist``.

Each scores a batch: the answers with no content are judged wrong by the pre-filter (``guard``)
without a request; the rest go to the judge model together (``client``); each reply is parsed
strictly (``parse``). A reply that does not parse, or a request that failed for good, is that
sample's failure (recorded by the program with the judge's raw text), never a 0 and never a pass.

The master-key defenses are on by default: ``prefilter: true`` and ``judge_sees: answer`` (the
judge reads the extracted answer, not the whole completion, so an opener or a long preamble never
reaches it). Each ``Score.info`` carries the judge's tokens, cost and whether the reply was cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.rewards.judge.client import ChatReply, JudgeEndpoint, client_for
from rewardkit.rewards.judge.guard import no_content_reason
from rewardkit.rewards.judge.parse import VerdictFormat, parse_verdict
from rewardkit.types import Sample, Score

Chat = list[dict[str, str]]
SYSTEM = "You are a strict grader. You never reward an answer that states nothing."


class JudgeParams(JudgeEndpoint, ExtractParams):
    """Endpoint, extraction, defenses and the verdict format, shared by every judge."""

    prefilter: bool = True
    """Judge an answer with no content (punctuation, openers, empty) wrong without a request."""
    judge_sees: Literal["answer", "completion"] = "answer"
    """What the judge reads: the extracted answer (default) or the whole completion."""
    verdict: VerdictFormat = "score_line"


def _fmt_instruction(p: JudgeParams, what: str, example: str, example_json: str) -> str:
    if p.verdict == "json":
        return f"Reply with one JSON object and nothing else: {example_json} where {what}."
    return f"End your reply with one line `{example}` where {what}."


def judge_batch(
    samples: Sequence[Sample],
    p: JudgeParams,
    build: Callable[[Sample, str], Chat],
    verdict: Callable[[Sample, ChatReply], tuple[float, dict[str, Any]]],
) -> list[Score | Exception]:
    """Pre-filter, ask the judge about the rest in one concurrent round, parse each verdict."""
    results: list[Score | Exception | None] = [None] * len(samples)
    chats: list[tuple[int, Chat]] = []
    for i, sample in enumerate(samples):
        answer = extract_answer(sample.completion, p)
        reason = no_content_reason(answer) if p.prefilter else None
        if reason is not None:
            results[i] = Score(0.0, info={"prefiltered": reason})
            continue
        shown = (answer or "") if p.judge_sees == "answer" else sample.completion
        try:
            chats.append((i, build(sample, shown)))
        except UnjudgeableReference as exc:
            results[i] = exc
    replies = client_for(p).chat_many([chat for _, chat in chats]) if chats else []
    for (i, _), reply in zip(chats, replies, strict=True):
        if isinstance(reply, Exception):
            results[i] = reply
            continue
        try:
            value, info = verdict(samples[i], reply)
        except Exception as exc:
            results[i] = exc
            continue
        results[i] = Score(value, info={**info, **_accounting(reply)})
    return [r if r is not None else RuntimeError("not judged") for r in results]


def _accounting(reply: ChatReply) -> dict[str, Any]:
    return {
        "judge_cached": reply.cached,
        "judge_prompt_tokens": reply.prompt_tokens,
        "judge_completion_tokens": reply.completion_tokens,
        "judge_cost": reply.cost,
    }


def _reference(sample: Sample, component: str) -> str:
    ref = sample.reference
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        raise UnjudgeableReference(f"{component}: sample {sample.id!r} has no reference")
    return ref if isinstance(ref, str) else json.dumps(ref, ensure_ascii=False)


# ------------------------------------------------------------------------------ judge_reference


class JudgeReferenceParams(JudgeParams):
    """``mode: binary`` (Score 1 or 0) or ``graded`` (Score 0..scale, value = score / scale).
    ``few_shot`` puts two worked examples (one right, one wrong) before the question: small
    judges follow the verdict format from examples far better than from instructions."""

    mode: Literal["binary", "graded"] = "binary"
    scale: int = Field(10, ge=1)
    few_shot: bool = True


SHOTS = (
    ("What is 3+4?", "7", "7", True),
    ("What is the capital of Italy?", "Rome", "Milan", False),
)


def _reference_turn(question: str, reference: str, candidate: str) -> dict[str, str]:
    text = f"Question: {question}\nReference answer: {reference}\nCandidate answer: {candidate}"
    return {"role": "user", "content": text}


def _verdict_text(score: int, fmt: VerdictFormat) -> str:
    return f'{{"score": {score}}}' if fmt == "json" else f"Score: {score}"


@reward("judge_reference", params=JudgeReferenceParams, batched=True)
def judge_reference(samples: Sequence[Sample], p: JudgeReferenceParams) -> list[Score | Exception]:
    """An LLM judge's verdict on the answer against the reference (binary or graded)."""
    hi = 1 if p.mode == "binary" else p.scale
    what = (
        "1 if the candidate answer is the same answer as the reference, 0 if it is not"
        if p.mode == "binary"
        else f"from 0 (wrong) to {hi} (the same answer as the reference)"
    )
    how = 'one JSON object {"score": S}' if p.verdict == "json" else "one line: Score: S"
    system = (
        f"{SYSTEM} You compare a candidate answer with the reference answer of a question. "
        f"Reply with {how}, where S is {what}."
    )
    shots: Chat = []
    for question, ref, candidate, right in SHOTS if p.few_shot else ():
        shots.append(_reference_turn(question, ref, candidate))
        shots.append({"role": "assistant", "content": _verdict_text(hi if right else 0, p.verdict)})

    def build(sample: Sample, shown: str) -> Chat:
        ask = _reference_turn(sample.prompt, _reference(sample, "judge_reference"), shown)
        return [{"role": "system", "content": system}, *shots, ask]

    def verdict(sample: Sample, reply: ChatReply) -> tuple[float, dict[str, Any]]:
        del sample
        (score,) = parse_verdict(
            reply.text, n=1, fmt=p.verdict, hi=hi, finish_reason=reply.finish_reason
        )
        return score / hi, {"judge_score": score}

    return judge_batch(samples, p, build, verdict)


# --------------------------------------------------------------------------------- judge_rubric


class Criterion(BaseModel):
    """One weighted criterion of a rubric or checklist."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0)


class JudgeRubricParams(JudgeParams):
    """``criteria`` (each scored 0..scale, weighted mean) or ``principles`` (RewardAnything
    style: one score 0..scale for how well the answer follows all of them)."""

    criteria: tuple[Criterion, ...] = ()
    principles: tuple[str, ...] = ()
    scale: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> JudgeRubricParams:
        if bool(self.criteria) == bool(self.principles):
            raise ValueError("give exactly one of 'criteria' or 'principles'")
        return self


@reward("judge_rubric", params=JudgeRubricParams, batched=True)
def judge_rubric(samples: Sequence[Sample], p: JudgeRubricParams) -> list[Score | Exception]:
    """An LLM judge's scores on weighted criteria, or on principles; value in [0, 1]."""
    if p.criteria:
        listed = "\n".join(f"{k + 1}. {c.text}" for k, c in enumerate(p.criteria))
        task = f"Score the answer on each criterion:\n{listed}"
        n, weights = len(p.criteria), [c.weight for c in p.criteria]
        what = f"the {n} comma-separated numbers are each criterion's score from 0 to {p.scale}"
    else:
        listed = "\n".join(f"- {x}" for x in p.principles)
        task = f"Judge how well the answer follows these principles:\n{listed}"
        n, weights = 1, [1.0]
        what = f"S from 0 to {p.scale} says how well the answer follows all the principles"
    example = "Score: " + ", ".join(["S"] * n)

    def build(sample: Sample, shown: str) -> Chat:
        ref = f"\n\nReference answer:\n{sample.reference}" if sample.reference else ""
        user = (
            f"Question:\n{sample.prompt}{ref}\n\nAnswer:\n{shown}\n\n{task}\n\n"
            + _fmt_instruction(p, what, example, '{"scores": [' + example[7:] + "]}")
        )
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

    def verdict(sample: Sample, reply: ChatReply) -> tuple[float, dict[str, Any]]:
        del sample
        scores = parse_verdict(
            reply.text, n=n, fmt=p.verdict, hi=p.scale, finish_reason=reply.finish_reason
        )
        value = sum(w * s for w, s in zip(weights, scores, strict=True)) / (sum(weights) * p.scale)
        return value, {"judge_scores": scores}

    return judge_batch(samples, p, build, verdict)


# ------------------------------------------------------------------------------ judge_checklist


class JudgeChecklistParams(JudgeParams):
    """``items`` for every sample, or (when empty) each sample's ``meta[items_key]``: a list of
    item texts or of ``{text, weight}``. Value = the weighted fraction of items answered yes."""

    items: tuple[Criterion, ...] = ()
    items_key: str = "checklist"


def _items(sample: Sample, p: JudgeChecklistParams) -> list[Criterion]:
    if p.items:
        return list(p.items)
    raw = sample.meta.get(p.items_key)
    if not raw or not isinstance(raw, list):
        raise UnjudgeableReference(
            f"judge_checklist: sample {sample.id!r} has no checklist in meta[{p.items_key!r}] "
            "and the params give no items"
        )
    try:
        return [Criterion(text=x) if isinstance(x, str) else Criterion(**x) for x in raw]
    except (TypeError, ValueError) as exc:
        raise UnjudgeableReference(f"judge_checklist: bad checklist item: {exc}") from None


@reward("judge_checklist", params=JudgeChecklistParams, batched=True)
def judge_checklist(samples: Sequence[Sample], p: JudgeChecklistParams) -> list[Score | Exception]:
    """An LLM judge's yes/no on each checklist item; value = the weighted fraction of yes."""

    def build(sample: Sample, shown: str) -> Chat:
        items = _items(sample, p)
        listed = "\n".join(f"{k + 1}. {c.text}" for k, c in enumerate(items))
        example = "Score: " + ", ".join(["yes"] * len(items))
        what = f"the {len(items)} comma-separated words are yes or no, one per item in order"
        user = (
            f"Question:\n{sample.prompt}\n\nAnswer:\n{shown}\n\n"
            f"Does the answer satisfy each item?\n{listed}\n\n"
            + _fmt_instruction(p, what, example, '{"scores": [true, false, ...]}')
        )
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

    def verdict(sample: Sample, reply: ChatReply) -> tuple[float, dict[str, Any]]:
        items = _items(sample, p)
        said = parse_verdict(
            reply.text,
            n=len(items),
            fmt=p.verdict,
            kind="yes_no",
            finish_reason=reply.finish_reason,
        )
        total = sum(c.weight for c in items)
        value = sum(c.weight * s for c, s in zip(items, said, strict=True)) / total
        return value, {"judge_items": said}

    return judge_batch(samples, p, build, verdict)
