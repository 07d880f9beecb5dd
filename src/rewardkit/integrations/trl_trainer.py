"""``RewardKitGRPOTrainer``: TRL's GRPOTrainer scoring whole gathered groups with rewardkit and
training on rewardkit's advantages, per token when the program has process (step) rewards.

Reward functions see one rank's slice, which under several processes can hold half a group.
This subclass overrides two private TRL methods (hence the pinned ``trl`` range):

- ``_calculate_rewards``: gathers every rank's samples, scores the whole batch once with the
  program (exact groups: TRL's ``num_generations`` consecutive completions), and returns TRL's
  (N, K) reward matrix from the program's columns;
- ``_generate_and_score_completions``: replaces TRL's advantages with ``program.advantages`` of
  that batch, this rank's rows, shaped (B, T) when any sample has per-token advantages (TRL's
  loss accepts both shapes). TRL's own logged ``advantages`` column stays TRL's. The batch goes
  to the callback with these advantages, so the step protocol observes exactly what was trained
  on and computes them once.

With ``tools=`` / ``environment_factory=`` (TRL's tool-calling loop) each rollout is scored as one
trajectory (``trl_agents``): its tokens are laid over its turns with TRL's ``tool_mask``
(``_generate`` keeps it), the advantages are (B, T) and every tool-result token gets 0 (TRL's
loss masks those tokens too: ``completion_mask * tool_mask``). The environments' ``get_reward``
is hidden from TRL (``reward_in_program``) and reaches the program's ``env_reward`` component
through the sample's ``meta``; a program without one is a ConfigError.

``last_scored`` holds the latest gathered training batch with its scores; rewardkit's metrics are
merged into the logs before TRL's ``log`` so every ``report_to`` sink receives them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from rewardkit.advantage import Advantages, advantage_matrix
from rewardkit.integrations.trl_agents import align_tokens, check_env_reward, reward_in_program
from rewardkit.integrations.trl_callback import RewardKitCallback
from rewardkit.integrations.trl_rewards import ComponentReward, reward_funcs
from rewardkit.integrations.trl_samples import ScoredPart, all_gather, recorder, to_samples
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch, Span

from trl import GRPOTrainer  # isort: skip  (after trl_callback's require: names the extra)


class RewardKitGRPOTrainer(GRPOTrainer):
    """A GRPOTrainer whose rewards and advantages come from ``program``.

    Takes GRPOTrainer's arguments except ``reward_funcs``; the program's functions and their
    ``reward_weights`` are set here, and a ``RewardKitCallback(program)`` is added unless one
    is passed.
    """

    def __init__(
        self,
        program: RewardProgram,
        *args: Any,
        reference_column: str | None = "reference",
        **kwargs: Any,
    ):
        if "reward_funcs" in kwargs:
            raise TypeError("RewardKitGRPOTrainer builds its reward functions from the program")
        funcs, weights = reward_funcs(program, reference_column)
        config = kwargs.get("args")
        if config is None:
            raise TypeError("RewardKitGRPOTrainer needs args=GRPOConfig(...)")
        config.reward_weights = weights
        callbacks = list(kwargs.pop("callbacks", None) or [])
        mine = [c for c in callbacks if isinstance(c, RewardKitCallback) and c.program is program]
        if not mine:
            mine.append(RewardKitCallback(program))
            callbacks.append(mine[0])
        self.rewardkit_callback: RewardKitCallback = mine[0]
        self.program = program
        self.reference_column = reference_column
        self.last_scored: ScoredBatch | None = None
        if kwargs.get("environment_factory") is not None:  # its reward reaches TRL through us
            kwargs["environment_factory"] = reward_in_program(kwargs["environment_factory"])
        kwargs.update(reward_funcs=list(funcs), callbacks=callbacks)
        self._tool_masks: list[list[int]] | None = None
        super().__init__(*args, **kwargs)
        pools = getattr(self, "_environment_pool", None) or {}
        check_env_reward(program, [pool[0] for pool in pools.values() if pool])

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        # Merged before TRL's log() so that every report_to sink sees rewardkit's metrics too.
        if not any(k.startswith("eval_") for k in logs):
            logs.update(self.rewardkit_callback.log_record())
        super().log(logs, start_time)

    def _generate(self, prompts: list[Any]) -> Any:
        out = super()._generate(prompts)
        self._tool_masks = out[2]  # TRL's tool_mask rows: 1 the model wrote it, 0 a tool result
        return out

    def _offered_tools(self, rows: int) -> list[Any] | None:
        """The tools each local rollout was offered (TRL renders the same into its prompt)."""
        if not getattr(self, "tools", None):
            return None
        if getattr(self, "environment_factories", None) is not None:
            return [self._env_tools[name] for name in self._batch_environments]
        return [self.tools] * rows

    def _calculate_rewards(
        self,
        inputs: list[dict[str, Any]],
        prompts: list[Any],
        completions: list[Any],
        completion_ids_list: list[list[int]],
    ) -> Any:
        import torch

        training = bool(getattr(self.model, "training", False))
        size = int((self.num_generations if training else self.num_generations_eval) or 1)
        columns: dict[str, Any] = {
            k: [x[k] for x in inputs]
            for k in inputs[0]
            if k not in ("prompt", "completion", "completion_ids")
        }
        if getattr(self, "environments", None) is not None:
            columns["environments"] = self.environments
        step = self.state.global_step
        local = to_samples(
            prompts,
            completions,
            completion_ids_list,
            columns,
            self.reference_column,
            step=step,
            tools=self._offered_tools(len(completions)),
        )
        masks, tokenizer = self._tool_masks, getattr(self, "_tokenizer", self.processing_class)
        if masks is not None:  # trajectories: their tokens laid over the rendered turns
            local = [
                align_tokens(s, m, tokenizer) if s.messages is not None else s
                for s, m in zip(local, masks, strict=True)
            ]
        samples = [
            dataclasses.replace(s, group=f"{step}:{i // size}")
            for i, s in enumerate(x for part in all_gather(local) for x in part)
        ]
        scored = self.program.score(samples)
        if training:  # recorded with its advantages in _generate_and_score_completions
            self.last_scored = scored
        matrix = np.stack([_column(f, scored) for f in self.reward_funcs], axis=1)
        return torch.tensor(matrix, dtype=torch.float32, device=self.accelerator.device)

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        self.last_scored = None
        output = super()._generate_and_score_completions(inputs)
        scored = self.last_scored
        if scored is None:  # evaluation: TRL's advantages are never trained on
            return output
        rows, width = output["completion_ids"].shape
        start = self.accelerator.process_index * rows
        matrix, adv = local_advantages(
            self.program, scored, self.processing_class, start, rows, width
        )
        recorder(self.program).add(ScoredPart(scored, gathered=True, advantages=adv))
        if output.get("tool_mask") is not None:  # tool results: no advantage, whatever the row
            matrix = np.broadcast_to(matrix.reshape(rows, -1), (rows, width))
            matrix = matrix * output["tool_mask"].cpu().numpy()
        output["advantages"] = torch.tensor(
            matrix, dtype=output["advantages"].dtype, device=output["advantages"].device
        )
        return output


def _column(func: Any, scored: ScoredBatch) -> np.ndarray:
    if not isinstance(func, ComponentReward):
        raise TypeError(
            f"RewardKitGRPOTrainer scores with its program only; got reward function {func!r} "
            "(add it to the program as a component instead)"
        )
    return func.column(scored)


def local_advantages(
    program: RewardProgram, scored: ScoredBatch, tokenizer: Any, start: int, rows: int, width: int
) -> tuple[np.ndarray, Advantages]:
    """``program.advantages`` of the gathered batch, and its rows ``[start, start + rows)``
    for TRL's loss: shape (rows,), or (rows, width) when step rewards give per-token
    advantages."""
    if scored.steps:  # step spans are characters: map them onto tokens
        scored.samples = [with_offsets(s, tokenizer) for s in scored.samples]
    adv = program.advantages(scored)
    per_sample = adv.per_sample[start : start + rows]
    per_token = adv.per_token[start : start + rows] if adv.per_token else []
    if not any(row is not None for row in per_token):
        return np.nan_to_num(per_sample.astype(float)), adv
    return advantage_matrix(per_sample, per_token, width), adv


def with_offsets(sample: Sample, tokenizer: Any) -> Sample:
    """The sample with the character span of each completion token, when they add up.

    TRL decodes completions with ``skip_special_tokens=True``; decoding token by token the same
    way gives each token's text. When the pieces do not rebuild the completion (a tokenizer
    that merges across tokens), the offsets are left out and the sample gets no per-token
    advantages.
    """
    if sample.token_ids is None or sample.token_offsets is not None:
        return sample
    pieces = tokenizer.batch_decode([[t] for t in sample.token_ids], skip_special_tokens=True)
    if "".join(pieces) != sample.completion:
        return sample
    offsets: list[Span] = []
    at = 0
    for piece in pieces:
        offsets.append((at, at + len(piece)))
        at += len(piece)
    return dataclasses.replace(sample, token_offsets=tuple(offsets))
