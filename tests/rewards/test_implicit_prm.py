"""implicit_prm by hand (given log-probs) and with two tiny causal LMs built locally."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from rewardkit.errors import ConfigError
from rewardkit.program import RewardProgram
from rewardkit.registry import get
from rewardkit.rewards.implicit_prm import implicit_step_values
from rewardkit.rewards.prm import load_pretrained
from rewardkit.types import Sample

torch = pytest.importorskip("torch")


def run(name: str, samples: list[Sample], **params: Any) -> list[Any]:
    component = get(name)
    return list(component.fn(samples, component.build_params(params)))


def sample(completion: str, i: int = 0, prompt: str = "Q: 2+2?", **kw: Any) -> Sample:
    return Sample(id=str(i), group="g", prompt=prompt, completion=completion, **kw)


def per_char(text: str) -> dict[str, Any]:
    return {
        "token_ids": tuple(range(len(text))),
        "token_offsets": tuple((i, i + 1) for i in range(len(text))),
    }


def test_implicit_prm_by_hand() -> None:
    # "ab\ncd": tokens a b \n c d; steps "ab" (0, 2) and "cd" (3, 5); the newline is in no step
    lp = [-1.0, -2.0, -0.5, -1.0, -1.0]
    ref = [-1.5, -1.0, -0.5, -3.0, -1.0]  # lp - ref = [0.5, -1, 0, 2, 0]
    s = sample("ab\ncd", meta={"logprobs": lp, "ref_logprobs": ref}, **per_char("ab\ncd"))
    out = run("implicit_prm", [s], beta=0.1)[0]
    assert out.steps == pytest.approx((-0.05, 0.2))  # 0.1 * (0.5 - 1), 0.1 * (2 + 0)
    assert out.value == pytest.approx(0.15)  # sum
    assert run("implicit_prm", [s], beta=0.1, aggregate="min")[0].value == pytest.approx(-0.05)
    assert implicit_step_values(lp, ref, s.token_offsets or (), [(0, 5)], 1.0) == pytest.approx(
        (1.5,)
    )


def test_implicit_prm_without_steps_scores_zero() -> None:
    """An empty completion: the implicit reward summed over no tokens, 0.0, never None."""
    s = sample("", meta={"logprobs": [], "ref_logprobs": []}, token_ids=(), token_offsets=())
    out = run("implicit_prm", [s], beta=0.1)[0]
    assert out.value == 0.0 and out.info["reason"] == "no steps"


def test_implicit_prm_needs_logprobs_or_models() -> None:
    with pytest.raises(ValueError, match="no meta 'logprobs'"):
        run("implicit_prm", [sample("ab", **per_char("ab"))])
    short = sample("ab", meta={"logprobs": [0.0], "ref_logprobs": [0.0]}, **per_char("ab"))
    with pytest.raises(ValueError, match="1 logprobs for 2 tokens"):
        run("implicit_prm", [short])
    with pytest.raises(ConfigError, match="both 'policy' and 'reference'"):
        get("implicit_prm").build_params({"policy": "/tmp"})


def test_implicit_prm_with_two_tiny_models(tiny_models: dict[str, str]) -> None:
    policy, tok = load_pretrained(tiny_models["policy"], "cpu", "causal_lm")
    reference, _ = load_pretrained(tiny_models["reference"], "cpu", "causal_lm")
    text = "x=1\ny=22"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    s = sample(
        text,
        prompt="Q",
        token_ids=tuple(ids),
        token_offsets=tuple((i, i + 1) for i in range(len(text))),
    )
    context = tok("Q")["input_ids"]

    def logprobs(model: Any) -> np.ndarray:  # by hand: one unpadded forward pass
        full = torch.tensor([context + ids])
        with torch.no_grad():
            logp = torch.log_softmax(model(full).logits[0, :-1], -1)
        return logp[torch.arange(len(context) - 1, full.shape[1] - 1), torch.tensor(ids)].numpy()

    diff = logprobs(policy) - logprobs(reference)
    expected = (0.5 * diff[:3].sum(), 0.5 * diff[4:].sum())  # "x=1" | "\n" | "y=22"
    other = sample("ab\nc", 1, prompt="R", **per_char("ab\nc"))
    both = dict(policy=tiny_models["policy"], reference=tiny_models["reference"], beta=0.5)
    out = run("implicit_prm", [s, other], **both)
    assert out[0].steps == pytest.approx(expected, abs=1e-5)
    assert run("implicit_prm", [s], **both, batch_size=1)[0].steps == pytest.approx(
        out[0].steps, abs=1e-5
    )
    # the same log-probs passed in meta (the trainer's path) give the same steps
    given = sample(
        text,
        prompt="Q",
        meta={"logprobs": logprobs(policy).tolist(), "ref_logprobs": logprobs(reference).tolist()},
        **per_char(text),
    )
    assert run("implicit_prm", [given], beta=0.5)[0].steps == pytest.approx(expected, abs=1e-5)
    # with model folders given, those models score the sample, whatever its meta says
    decoy = replace(s, meta={"logprobs": [0.0] * len(ids), "ref_logprobs": [9.0] * len(ids)})
    assert run("implicit_prm", [decoy], **both)[0].steps == pytest.approx(expected, abs=1e-5)
    # a model against itself: no process reward at all
    same = run(
        "implicit_prm", [s, other], policy=tiny_models["policy"], reference=tiny_models["policy"]
    )
    assert all(v == 0.0 for r in same for v in r.steps)
    # an empty prompt and a tokenizer without bos/eos: nothing to condition the first token on
    with pytest.raises(ValueError, match="empty prompt"):
        run("implicit_prm", [sample("ab", prompt="", **per_char("ab"))], **both)


def test_implicit_prm_in_a_program_gives_per_token_advantages() -> None:
    rows = [
        ([-1.0, -1.0, 0.0, -1.0], [-2.0, -1.0, 0.0, -1.0]),
        ([-1.0, -1.0, 0.0, -1.0], [-1.0, -1.0, 0.0, -3.0]),
    ]
    batch = [
        Sample(
            id=str(i),
            group="g",
            prompt="p",
            completion="ab\nc",
            meta={"logprobs": lp, "ref_logprobs": ref},
            **per_char("ab\nc"),
        )
        for i, (lp, ref) in enumerate(rows)
    ]
    program = RewardProgram.from_dict({"reward": {"fn": "implicit_prm", "beta": 1.0}})
    scored = program.score(batch)
    assert scored.steps["reward"] == [(1.0, 0.0), (0.0, 2.0)]
    adv = program.advantages(scored)
    # outcome: rewards (sums) [1, 2] -> grpo [-0.7071, 0.7071]; steps pooled [1, 0, 0, 2]:
    # mean 0.75, std 0.9574 -> [0.2611, -0.7833], [-0.7833, 1.3056]; tokens a b | \n | c
    assert adv.per_token[0] == pytest.approx([-0.4460, -0.4460, -0.7071, -1.4904], abs=1e-4)
    assert adv.per_token[1] == pytest.approx([-0.0762, -0.0762, 0.7071, 2.0127], abs=1e-4)
