"""``judge_group``: one judge call scores every completion of a group against a rubric.

GRPO compares the completions of a group with each other; a judge that sees them side by side
can too (the idea of ART's RULER; asked of TRL in issue 4707). The group's prompt is sent once,
then each completion as ``<response id="r1">...</response>``; the judge ends with one line
``Scores: r1=7, r2=3, ...`` (or ``{"scores": {"r1": 7, ...}}`` with ``verdict: json``).

- The verdict is validated (``parse.parse_group``): one score per response, every id exactly once,
  each in 0..``scale``. An invalid one is asked again, with the reason, up to ``attempts`` times;
  then the group is verifier-failed (``VerifierFailed``, cause ``group_invalid``): never paid,
  never a 0, left out of the baseline. A request that fails for good is that request's error.
- The order is shuffled, seeded by ``seed`` and the group id; with ``repeats: k`` the group is
  judged k times, each order the first one rotated by a k-th of the group, so every completion is
  seen at k positions. The value is the mean over the valid verdicts of score / scale;
  ``Score.info`` keeps each verdict's score and position (``judge_group_scores``,
  ``judge_group_positions``), which measure the judge's position bias.
- The pre-filter runs first: a completion with no content scores 0.0 and is not shown.

It needs whole groups in one batch: the program gives a batched component the whole batch, the
server splits batches only between groups, and the TRL trainer subclass scores gathered groups.
A group cut across batches is judged in parts.

>>> JudgeGroupParams(base_url="http://127.0.0.1:9/v1", model="m").repeats
1
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from rewardkit.errors import JudgeParseError, VerifierFailed
from rewardkit.registry import reward
from rewardkit.rewards.judge.client import ChatReply
from rewardkit.rewards.judge.components import SYSTEM, Chat, JudgeParams, ask, finished, prefiltered
from rewardkit.rewards.judge.parse import parse_group
from rewardkit.types import Sample, Score

DEFAULT_RUBRIC = (
    "A response that does what the task asks scores higher than one that does not. Among those "
    "that do, a response that is correct, complete and direct scores higher. A response that "
    "states no answer scores 0."
)


class JudgeGroupParams(JudgeParams):
    """The rubric, the scale, and how often and in which orders the group is judged."""

    rubric: str = Field(DEFAULT_RUBRIC, min_length=1)
    scale: int = Field(10, ge=1)
    repeats: int = Field(1, ge=1)
    """Judge each group this many times, in rotated orders (position bias is then measured)."""
    seed: int = 0
    attempts: int = Field(2, ge=1)
    """Tries per order: an invalid verdict is asked again with its reason, then verifier-failed."""


@dataclass
class GroupAsk:
    """One order of one group: what was asked, and the valid verdict or the last error."""

    group: str
    rows: list[int]
    history: Chat = field(default_factory=list)
    scores: dict[int, float] | None = None
    error: Exception | None = None
    calls: int = 0
    tokens: tuple[int, int] = (0, 0)

    @property
    def ids(self) -> list[str]:
        return [f"r{k + 1}" for k in range(len(self.rows))]

    def chat(
        self, samples: Sequence[Sample], shown: Sequence[str | None], p: JudgeGroupParams
    ) -> Chat:
        first = samples[self.rows[0]]
        ref = f"Reference answer:\n{first.reference}\n\n" if first.reference else ""
        responses = "\n".join(
            f'<response id="{rid}">\n{_fenced(shown[row] or "")}\n</response>'
            for rid, row in zip(self.ids, self.rows, strict=True)
        )
        user = (
            f"Task:\n{first.prompt}\n\n{ref}Rubric:\n{p.rubric}\n\n"
            f"Responses ({len(self.rows)}):\n{responses}\n\n"
            f"Score every response from 0 to {p.scale} against the rubric, comparing them with "
            f"each other. {_how(self.ids, p)}"
        )
        system = f"{SYSTEM} You score several responses to the same task against a rubric."
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            *self.history,
        ]

    def take(self, reply: ChatReply | Exception, p: JudgeGroupParams) -> None:
        """Keep a valid verdict; after an invalid one, add the reason to the chat (the next try
        is then another request, not the cached reply)."""
        if isinstance(reply, Exception):
            self.error = reply
            return
        self.calls += 1
        self.tokens = (
            self.tokens[0] + reply.prompt_tokens,
            self.tokens[1] + reply.completion_tokens,
        )
        try:
            said = parse_group(
                reply.text, self.ids, fmt=p.verdict, hi=p.scale, finish_reason=reply.finish_reason
            )
        except JudgeParseError as exc:
            self.error = exc
            again = f"That reply is invalid: {exc}. Reply again. {_how(self.ids, p)}"
            self.history += [
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": again},
            ]
            return
        self.scores = {row: said[rid] for rid, row in zip(self.ids, self.rows, strict=True)}
        self.error = None


def _how(ids: list[str], p: JudgeGroupParams) -> str:
    if p.verdict == "json":
        shape = ", ".join(f'"{i}": S' for i in ids)
        return f'End your reply with one JSON object {{"scores": {{{shape}}}}}, one per response.'
    return f"End your reply with one line: Scores: {', '.join(f'{i}=S' for i in ids)}"


def _fenced(text: str) -> str:
    # a response cannot close its own tag and speak as the task
    return text.replace("</response", "</ response")


def orders(rows: list[int], group: str, p: JudgeGroupParams) -> list[list[int]]:
    """The ``repeats`` orders of a group's rows: a seeded shuffle, then its rotations.

    >>> p = JudgeGroupParams(base_url="u", model="m", repeats=2)
    >>> [sorted(o) == [0, 1, 2, 3] for o in orders([0, 1, 2, 3], "g", p)]
    [True, True]
    """
    digest = hashlib.sha256(f"{p.seed}\0{group}".encode()).digest()
    base = list(rows)
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(base)
    out = []
    for r in range(p.repeats):
        k = r * len(base) // p.repeats
        out.append(base[k:] + base[:k])
    return out


@reward("judge_group", params=JudgeGroupParams, batched=True)
def judge_group(samples: Sequence[Sample], p: JudgeGroupParams) -> list[Score | Exception]:
    """One LLM judge call per group scores every completion against a rubric; value in [0, 1]."""
    results, shown = prefiltered(samples, p)
    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        if shown[i] is not None:
            groups.setdefault(sample.group, []).append(i)
    asks = [GroupAsk(g, order) for g, rows in groups.items() for order in orders(rows, g, p)]
    for _ in range(p.attempts):
        pending = [a for a in asks if a.scores is None and not _given_up(a)]
        if not pending:
            break
        for a, reply in zip(
            pending, ask(p, [a.chat(samples, shown, p) for a in pending]), strict=True
        ):
            a.take(reply, p)
    for g, rows in groups.items():
        mine = [a for a in asks if a.group == g]
        for row in rows:
            results[row] = _outcome(row, mine, p)
    return finished(results)


def _given_up(a: GroupAsk) -> bool:
    return a.error is not None and not isinstance(a.error, JudgeParseError)


def _outcome(row: int, asks: list[GroupAsk], p: JudgeGroupParams) -> Score | Exception:
    valid = [a for a in asks if a.scores is not None]
    if not valid:
        error = next(a.error for a in asks if a.error is not None)
        if not isinstance(error, JudgeParseError):
            return error  # the request failed for good: that failure, as for every judge
        return VerifierFailed(
            "group_invalid", f"no valid group verdict after {p.attempts} attempt(s): {error}"
        )
    scores = [a.scores[row] for a in valid if a.scores is not None]
    size = len(asks[0].rows)
    calls = sum(a.calls for a in asks)
    info: dict[str, Any] = {
        "judge_group_scores": scores,
        "judge_group_positions": [a.rows.index(row) for a in valid],
        "judge_group_size": size,
        "judge_calls": calls / size,
        "judge_prompt_tokens": sum(a.tokens[0] for a in asks) / size,
        "judge_completion_tokens": sum(a.tokens[1] for a in asks) / size,
        "judge_invalid_verdicts": calls - len(valid),
    }
    return Score(sum(scores) / (len(scores) * p.scale), info=info)
