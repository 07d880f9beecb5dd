"""A tiny tool-calling setup for TRL's ``environment_factory`` tests, built locally.

- ``tool_tokenizer()``: the character tokenizer plus Qwen's ``<|im_start|>``/``<|im_end|>`` (eos)
  and the ``<tool_call>``/``<tool_response>`` tags as tokens, with TRL's own Qwen2.5 chat
  template, one that ``trl.chat_template_utils.add_response_schema`` knows, so TRL parses the
  model's tool calls itself.
- ``warm_model(tok)``: a 2-layer Qwen2 trained for a few seconds on one fixed trace (call
  ``lookup`` with ``"secret"``, read ``42``, answer ``<answer>42</answer>``), so that it emits a
  tool call; the loss is on the assistant's tokens only.
- ``SecretEnv``: the environment, one tool (``lookup``) and ``get_reward`` (1 when the secret
  was looked up, and nothing else).
"""

from __future__ import annotations

from typing import Any

PROMPT = [{"role": "user", "content": "Look up the secret."}]
CALL = [{"type": "function", "function": {"name": "lookup", "arguments": {"key": "secret"}}}]
TRACE = [
    *PROMPT,
    {"role": "assistant", "content": "", "tool_calls": CALL},
    {"role": "tool", "name": "lookup", "content": "42"},
    {"role": "assistant", "content": "<answer>42</answer>"},
]


class SecretEnv:
    """One rollout's environment: a key-value store the model reads with ``lookup``."""

    def reset(self, **kwargs: Any) -> None:
        self.keys: list[str] = []

    def lookup(self, key: str) -> str:
        """Look a key up in the store.

        Args:
            key: the key to look up
        """
        self.keys.append(key)
        return "42" if key == "secret" else "none"

    def get_reward(self) -> float:
        return float(self.keys == ["secret"])


def tool_tokenizer() -> Any:
    from trl.chat_template_utils import qwen2_5_chat_template

    from rewardkit.tasks.tokenizer import char_tokenizer

    tok = char_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.add_tokens(["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"])
    tok.eos_token = "<|im_end|>"
    tok.chat_template = qwen2_5_chat_template
    return tok


def warm_model(tok: Any, steps: int = 120, seed: int = 0) -> Any:
    """A tiny Qwen2 for ``tok``, trained ``steps`` times on ``TRACE`` (assistant tokens only)."""
    import torch

    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(layers=2, hidden=64, heads=4, mlp=128, max_positions=1024)
    model, _ = build_tiny_model(spec, seed=seed)
    model.resize_token_embeddings(len(tok), mean_resizing=False)
    for config in (model.config, model.generation_config):
        config.eos_token_id, config.pad_token_id, config.bos_token_id = tok.eos_token_id, 0, None
    ids, labels = _trace(tok)
    x, y = torch.tensor([ids]), torch.tensor([labels])
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=x, labels=y).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def _trace(tok: Any) -> tuple[list[int], list[int]]:
    """``TRACE``'s ids and labels: -100 but on the two assistant turns."""
    tools = [SecretEnv().lookup]

    def ids(messages: list[Any], generation: bool = False) -> list[int]:
        return list(
            tok.apply_chat_template(
                messages,
                tools=tools,
                add_generation_prompt=generation,
                tokenize=True,
                return_dict=False,
            )
        )

    full = ids(TRACE)
    labels = [-100] * len(full)
    first = (len(ids(PROMPT, True)), len(ids(TRACE[:2])))
    second = (len(ids(TRACE[:3], True)), len(full))
    for start, end in (first, second):
        labels[start:end] = full[start:end]
    return full, labels


def dataset(rows: int = 4) -> Any:
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [PROMPT] * rows, "reference": ["42"] * rows})


def grpo_config(out: Any, **overrides: Any) -> Any:
    """GRPOConfig for CPU: one prompt, a group of 4, room for the whole trace."""
    from tests.integrations.trl_setup import grpo_config as base

    options: dict[str, Any] = {"max_completion_length": 112, "max_steps": 2}
    options.update(overrides)
    return base(out, **options)
