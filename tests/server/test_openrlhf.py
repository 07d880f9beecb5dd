"""OpenRLHF 0.11.2's own reward client against a rewardkit server: the request it sends, the
rewards and extra_logs it reads back (integrations.md §3)."""

from __future__ import annotations

import asyncio

import pytest
from rk_servers import TOKEN, thread_server

agent = pytest.importorskip("openrlhf.utils.agent", reason="pip install --no-deps openrlhf")

pytestmark = pytest.mark.server

CONFIG = {
    "reward": {
        "tiers": [
            {"name": "format", "fn": "tags", "mode": "soft"},  # the EOS stays in query
            {"name": "correct", "fn": "numeric", "extract": "answer_tag"},
        ],
        "name": "reward",
    },
    "on_error": "score",
}


def test_openrlhf_reward_request_path_gets_the_right_rewards() -> None:
    prompt = "<|user|>What is 12*7?<|assistant|>"
    right = prompt + "<think>12*7</think><answer>84</answer><|end|>"
    wrong = prompt + "<think>hmm</think><answer>85</answer><|end|>"
    with thread_server(CONFIG) as s:
        # the URL a user gives --reward.remote_url; the token rides in it (no headers there)
        executor = agent.SingleTurnAgentExecutor(f"{s.url}/get_reward?token={TOKEN}")
        answers = [
            asyncio.run(executor._fetch_rewards_via_http([query], [prompt], ["84"]))[0]
            for query in (right, wrong)
        ]
    text = s.service.metrics.render()[0].decode()  # after the server stopped: all counted
    # one request per rollout, as OpenRLHF sends them
    assert 'rewardkit_requests_total{code="200",endpoint="/get_reward"} 2.0' in text
    assert [a["rewards"] for a in answers] == [[1.0], [0.5]]  # tiers: format 0.5, correct +0.5
    assert answers[0]["scores"] == answers[0]["rewards"]
    logs = answers[1]["extra_logs"]
    assert logs["rewardkit/reward/format"] == [1.0] and logs["rewardkit/reward/correct"] == [0.0]
    assert logs["rewardkit/no_reward"] == [0.0] and logs["rewardkit/state_version"] == [0.0]
