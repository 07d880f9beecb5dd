"""``reward_model`` with a tiny classifier built here, whose scores are known by hand.

The classifier is a GPT-2 with no transformer block: its score is the head applied to the final
layer norm of the last real token's embedding (position embeddings are zero). "good" embeds as
(1, -1, 0, 0), "bad" as (-1, 1, 0, 0), every other token as 0. The layer norm maps (1, -1, 0, 0)
to (sqrt 2, -sqrt 2, 0, 0), and the head's weight (sqrt 2, 0, 0, 0) makes that 2.0: a completion
ending in "good" scores +2, one ending in "bad" -2, any other 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests.rewards.conftest import piece_tokenizer

from rewardkit.program import RewardProgram
from rewardkit.rewards.reward_model import normalise
from rewardkit.types import Sample


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> str:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = piece_tokenizer(["good", "bad"])
    config = transformers.GPT2Config(
        vocab_size=len(tok),
        n_embd=4,
        n_layer=0,
        n_head=1,
        n_positions=64,
        num_labels=1,
        pad_token_id=tok.pad_token_id,
    )
    model = transformers.GPT2ForSequenceClassification(config)
    good, bad = tok.convert_tokens_to_ids(["good", "bad"])
    with torch.no_grad():
        model.transformer.wte.weight.zero_()
        model.transformer.wpe.weight.zero_()
        model.transformer.wte.weight[good] = torch.tensor([1.0, -1.0, 0.0, 0.0])
        model.transformer.wte.weight[bad] = torch.tensor([-1.0, 1.0, 0.0, 0.0])
        model.score.weight.copy_(torch.tensor([[math.sqrt(2), 0.0, 0.0, 0.0]]))
    folder = tmp_path_factory.mktemp("rm") / "classifier"
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return str(folder)


SAMPLES = [
    Sample("a", "g1", "Rate: ", "this is good"),
    Sample("b", "g1", "Rate: ", "bad"),
    Sample("c", "g2", "Rate this long, long prompt: ", "meh"),
    Sample("d", "g2", "Rate: ", "quite good"),
]


def scores(classifier: str, **params: object) -> list[float]:
    program = RewardProgram.from_dict(
        {"reward": {"fn": "reward_model", "model": classifier, **params}}
    )
    return [float(v) for v in program.score(SAMPLES).rewards]


def test_raw_scores_are_the_hand_set_values_whatever_the_batching(classifier: str) -> None:
    for batch_size in (1, 3, 16):  # rows of different lengths padded together, or alone
        assert scores(classifier, batch_size=batch_size) == pytest.approx([2, -2, 0, 2], abs=1e-4)


def test_sigmoid_and_truncation_from_the_left(classifier: str) -> None:
    sig = 1 / (1 + math.exp(-2))
    assert scores(classifier, transform="sigmoid") == pytest.approx(
        [sig, 1 - sig, 0.5, sig], abs=1e-4
    )
    assert scores(classifier, max_length=3) == pytest.approx([2, -2, 0, 2], abs=1e-4)


def test_normalised_per_batch_and_per_group(classifier: str) -> None:
    # batch: mean 0.5, population std sqrt(((1.5)^2 + (2.5)^2 + 0.5^2 + 1.5^2) / 4) = sqrt(2.75)
    std = math.sqrt(2.75)
    want = [(2 - 0.5) / std, (-2 - 0.5) / std, -0.5 / std, 1.5 / std]
    assert scores(classifier, normalise="batch") == pytest.approx(want, abs=1e-4)
    assert scores(classifier, normalise="group") == pytest.approx([1, -1, -1, 1], abs=1e-4)


def test_raw_kept_in_info_and_bad_params_rejected(classifier: str, tmp_path: Path) -> None:
    program = RewardProgram.from_dict(
        {"reward": {"fn": "reward_model", "model": classifier, "normalise": "group"}}
    )
    assert [i["raw"] for i in program.score(SAMPLES).info["reward"]] == pytest.approx(
        [2, -2, 0, 2], abs=1e-4
    )
    with pytest.raises(ValueError, match="not a local folder"):
        RewardProgram.from_dict({"reward": {"fn": "reward_model", "model": str(tmp_path / "nope")}})
    bad = RewardProgram.from_dict(
        {
            "reward": {"fn": "reward_model", "model": classifier, "transform": "softmax"},
            "on_error": "score",
        }
    )
    assert "1 labels" in bad.score(SAMPLES).failures[0].message


def test_equal_scores_normalise_to_zero() -> None:
    assert normalise([3.0, 3.0], ["g", "g"], "group") == [0.0, 0.0]
    assert normalise([1.0, 2.0], ["g", "h"], "group") == [0.0, 0.0]
