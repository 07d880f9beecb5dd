"""What every judge shares (``JudgeParams``, ``judge_batch``), and ``judge_rubric``,
``judge_checklist`` (``judge_reference`` is in ``reference``, ``judge_group`` in ``group``).

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


Result = Score | Exception | None
"""A sample's outcome while a judge works on a batch: None until decided."""


def prefiltered(samples: Sequence[Sample], p: JudgeParams) -> tuple[list[Result], list[str | None]]:
    """Each sample's outcome so far (a 0.0 Score where the pre-filter caught it) and the text the
    judge is to see (None where it is not to be asked)."""
    results: list[Result] = [None] * len(samples)
    shown: list[str | None] = [None] * len(samples)
    for i, sample in enumerate(samples):
        answer = extract_answer(sample.completion, p)
        reason = no_content_reason(answer) if p.prefilter else None
        if reason is not None:
            results[i] = Score(0.0, info={"prefiltered": reason})
        else:
            shown[i] = (answer or "") if p.judge_sees == "answer" else sample.completion
    return results, shown


def ask(p: JudgeEndpoint, chats: Sequence[Chat]) -> list[ChatReply | Exception]:
    """Every chat's reply (or the exception that ended it), sent concurrently."""
    return client_for(p).chat_many(chats) if chats else []


def judge_batch(
    samples: Sequence[Sample],
    p: JudgeParams,
    build: Callable[[Sample, str], Chat],
    verdict: Callable[[Sample, ChatReply], tuple[float, dict[str, Any]]],
) -> list[Score | Exception]:
    """Pre-filter, ask the judge about the rest in one concurrent round, parse each verdict."""
    results, shown = prefiltered(samples, p)
    chats: list[tuple[int, Chat]] = []
    for i, sample in enumerate(samples):
        text = shown[i]
        if text is None:
            continue
        try:
            chats.append((i, build(sample, text)))
        except UnjudgeableReference as exc:
            results[i] = exc
    replies = ask(p, [chat for _, chat in chats])
    for (i, _), reply in zip(chats, replies, strict=True):
        if isinstance(reply, Exception):
            results[i] = reply
            continue
        try:
            value, info = verdict(samples[i], reply)
        except Exception as exc:
            results[i] = exc
            continue
        results[i] = Score(value, info={**info, **accounting(reply)})
    return finished(results)


def finished(results: Sequence[Result]) -> list[Score | Exception]:
    return [r if r is not None else RuntimeError("not judged") for r in results]


def accounting(reply: ChatReply) -> dict[str, Any]:
    return {
        "judge_cached": reply.cached,
        "judge_prompt_tokens": reply.prompt_tokens,
        "judge_completion_tokens": reply.completion_tokens,
        "judge_cost": reply.cost,
    }


def reference_text(sample: Sample, component: str) -> str:
    """The sample's reference as the judge reads it, or UnjudgeableReference."""
    ref = sample.reference
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        raise UnjudgeableReference(f"{component}: sample {sample.id!r} has no reference")
    return ref if isinstance(ref, str) else json.dumps(ref, ensure_ascii=False)


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
