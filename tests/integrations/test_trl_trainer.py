"""RewardKitGRPOTrainer on the real GRPOTrainer: per-token advantages from step rewards.

``trl_halves`` is a process reward with two steps, the halves of the completion; a step scores 1
when its half holds a vowel. The trainer must train on exactly what ``program.advantages`` gives
for the same batch, laid out per token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.integrations.trl_setup import grpo_config, trainer

from rewardkit.advantage import advantage_matrix
from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer, with_offsets
from rewardkit.program import RewardProgram
from rewardkit.registry import Params, reward
from rewardkit.tasks.tokenizer import char_tokenizer
from rewardkit.types import Sample, Score

VOWELS = set("aeiouAEIOU")


class HalvesParams(Params):
    pass


@reward("trl_halves", params=HalvesParams)
def trl_halves(sample: Sample, p: HalvesParams) -> Score:
    text = sample.completion
    half = len(text) // 2
    spans = [(0, half), (half, len(text))]
    steps = tuple(float(any(c in VOWELS for c in text[a:b])) for a, b in spans)
    return Score(sum(steps) / 2, steps=steps, info={"spans": spans})


CONFIG: dict[str, Any] = {
    "reward": {
        "weighted": [
            {"name": "halves", "fn": "trl_halves"},
            {"name": "digit", "fn": "regex", "pattern": "\\d", "mode": "search", "weight": 0.5},
        ]
    },
    "advantage": {"estimator": "grpo", "steps_from": "reward/halves", "step_weight": 0.5},
}


class Recording(RewardKitGRPOTrainer):
    """Keeps, per training generation, the state before scoring, the batch and the advantages."""

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        state = self.program.state_dict()
        output = super()._generate_and_score_completions(inputs)
        if self.last_scored is not None:
            self.seen.append((state, self.last_scored.samples, output["advantages"].numpy()))
        return output


def test_per_token_advantages_equal_program_advantages(model_dir: str, tmp_path: Path) -> None:
    program = RewardProgram.from_dict(CONFIG)
    config = grpo_config(tmp_path, max_steps=3, max_completion_length=12)
    t = trainer(program, model_dir, config, cls=Recording)
    t.seen = []
    t.train()
    assert len(t.seen) == 3
    varying_rows = 0
    for state, samples, trained in t.seen:
        fresh = RewardProgram.from_dict(CONFIG)
        fresh.load_state_dict(state)
        again = [Sample(**{**vars(s), "token_offsets": None}) for s in samples]
        tok = char_tokenizer()
        scored = fresh.score([with_offsets(s, tok) for s in again])
        adv = fresh.advantages(scored)
        assert all(row is not None for row in adv.per_token)  # the char tokenizer rebuilds text
        expected = advantage_matrix(adv.per_sample, adv.per_token, trained.shape[1])
        assert trained.shape == (4, expected.shape[1])
        np.testing.assert_allclose(trained, expected, rtol=0, atol=1e-6)
        varying_rows += sum(
            np.ptp(row[: len(s.token_ids)]) > 0 for row, s in zip(trained, samples, strict=True)
        )
    assert varying_rows > 0  # some rows differ from token to token: not one scalar per row
    logged = [r for r in t.state.log_history if "loss" in r]
    assert all(np.isfinite(r["loss"]) for r in logged) and len(logged) == 3
    assert "rewardkit/reward/halves/mean" in logged[0]


def test_offsets_are_left_out_when_tokens_do_not_rebuild_the_text() -> None:
    tok = char_tokenizer()
    ids = tuple(tok("ab")["input_ids"])
    s = Sample(id="0", group="g", prompt="", completion="ab", token_ids=ids)
    assert with_offsets(s, tok).token_offsets == ((0, 1), (1, 2))
    other = Sample(id="1", group="g", prompt="", completion="xy", token_ids=ids)
    assert with_offsets(other, tok).token_offsets is None


def test_the_step_protocol_observes_the_advantages_trained_on(
    model_dir: str, tmp_path: Path
) -> None:
    """One ``program.advantages`` per step: the subclass hands its own to the callback."""
    program = RewardProgram.from_dict(CONFIG)
    calls: list[int] = []
    compute = program.advantages

    def counted(scored: Any) -> Any:
        calls.append(len(scored.samples))
        return compute(scored)

    program.advantages = counted  # type: ignore[method-assign]
    t = trainer(program, model_dir, grpo_config(tmp_path, max_steps=2), cls=Recording)
    t.seen = []
    t.train()
    assert calls == [4, 4]  # was [4, 4, 4, 4]: again in the callback, on the same batch
    # The observed advantage statistics are those of the advantages trained on (last step).
    state, samples, _ = t.seen[-1]
    metrics = t.rewardkit_callback.last_metrics
    fresh = RewardProgram.from_dict(CONFIG)
    fresh.load_state_dict(state)
    tok = char_tokenizer()
    again = [with_offsets(Sample(**{**vars(s), "token_offsets": None}), tok) for s in samples]
    expected = fresh.advantages(fresh.score(again))
    assert {k: v for k, v in metrics.items() if k.startswith("advantage/")} == pytest.approx(
        expected.metrics
    )
