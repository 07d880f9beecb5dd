"""Sampling with a KV cache: seeded, grouped by prompt, offsets onto characters; grouped log-probs."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from rewardkit.tasks.models import TinyModelSpec, build_tiny_model  # noqa: E402
from rewardkit.train.loss import token_logprobs  # noqa: E402
from rewardkit.train.rollout import (  # noqa: E402
    completion_offsets,
    encode_prompts,
    sample_completions,
)

PROMPTS = ["ab\ncd:", "x:"]


@pytest.fixture(scope="module")
def model_and_tokenizer() -> tuple[Any, Any]:
    return build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64), seed=0)


def _sample(model: Any, tok: Any, seed: int, greedy: bool = False) -> Any:
    gen = torch.Generator().manual_seed(seed)
    return sample_completions(model, tok, PROMPTS, 3, 6, 1.0, gen, greedy=greedy)


def test_shapes_and_seeding(model_and_tokenizer: tuple[Any, Any]) -> None:
    model, tok = model_and_tokenizer
    a, b = _sample(model, tok, 0), _sample(model, tok, 0)
    assert a.completion_ids.shape[0] == 6 and a.prompt_ids.shape[0] == 6  # 2 prompts x 3
    assert torch.equal(a.completion_ids, b.completion_ids)
    assert a.texts == b.texts
    greedy = _sample(model, tok, 0, greedy=True)
    assert greedy.texts[0] == greedy.texts[1] == greedy.texts[2]  # one prompt, one greedy answer


def test_mask_stops_after_eos_and_offsets_cover_text(
    model_and_tokenizer: tuple[Any, Any],
) -> None:
    model, tok = model_and_tokenizer
    r = _sample(model, tok, 3)
    for row in range(6):
        n = int(r.completion_mask[row].sum())
        assert len(r.token_ids[row]) == len(r.offsets[row]) == n
        assert r.offsets[row][-1][1] == len(r.texts[row]) if n else True
        if not r.truncated[row]:
            assert r.token_ids[row][-1] == tok.eos_token_id


def test_grouped_logprobs_equal_the_full_computation(
    model_and_tokenizer: tuple[Any, Any],
) -> None:
    model, tok = model_and_tokenizer
    r = _sample(model, tok, 1)
    with torch.no_grad():
        full = token_logprobs(model, r.prompt_ids, r.prompt_mask, r.completion_ids, 1.0, 1)
        grouped = token_logprobs(model, r.prompt_ids, r.prompt_mask, r.completion_ids, 1.0, 3)
    mask = r.completion_mask.bool()
    assert torch.allclose(full[mask], grouped[mask], atol=1e-5)


@pytest.mark.parametrize(
    ("pieces", "text", "spans"),
    [
        (["a", "b", ""], "ab", ((0, 1), (1, 2), (2, 2))),  # eos has an empty span at the end
        (["ab", "c"], "abc", ((0, 2), (2, 3))),
        ([], "", ()),
    ],
)
def test_completion_offsets(
    pieces: list[str], text: str, spans: tuple[tuple[int, int], ...]
) -> None:
    assert completion_offsets(pieces, text) == spans


def test_chat_prompts_are_user_turns_of_the_template(model_and_tokenizer: tuple[Any, Any]) -> None:
    model, tok = model_and_tokenizer
    tok.chat_template = "{% for m in messages %}<{{ m['content'] }}>{% endfor %}{% if add_generation_prompt %}=:{% endif %}"
    try:
        ids, mask = encode_prompts(tok, ["ab", "x"], "cpu", chat=True)
        plain, _ = encode_prompts(tok, ["<ab>=:", "<x>=:"], "cpu")
        assert ids.tolist() == plain.tolist() and mask.sum(1).tolist() == [6, 5]
        gen = torch.Generator().manual_seed(0)
        chat = sample_completions(model, tok, ["ab"], 2, 4, 1.0, gen, chat=True)
        gen = torch.Generator().manual_seed(0)
        same = sample_completions(model, tok, ["<ab>=:"], 2, 4, 1.0, gen)
        assert chat.texts == same.texts
    finally:
        tok.chat_template = None
