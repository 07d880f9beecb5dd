"""rewardkit inside verl 0.9.1: a ``custom_reward_function``, a group-aware reward manager and a
dual-reward advantage estimator.

verl scores in many ``RewardLoopWorker`` Ray actors, one sample at a time; module globals are per
worker, so the schedule variables come from one shared state: a ``rewardkit serve`` server
(``server=URL``) or the named Ray actor of ``rewardkit.server.ray_serve`` (``actor=True``).
Each scorer keeps a local copy of the program and reloads its state only when the state version
changes. Nothing here imports verl, ray or torch until it is called (see docs/verl.md).

>>> score = make_compute_score({"reward": {"fn": "exact_match"}})
>>> score("gsm8k", "4", "4")
{'score': 1.0, 'reward/applies': 1.0}
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.errors import RewardkitError
from rewardkit.program import RewardProgram
from rewardkit.types import Sample

__all__ = [
    "SharedState",
    "StateUnreachable",
    "dense_rewards",
    "dual_advantages",
    "make_compute_score",
    "register_estimators",
    "reward_manager",
]


class StateUnreachable(RewardkitError, ConnectionError):
    """The shared schedule state (server or Ray actor) could not be read: the reward fails."""


def _program(config: RewardProgram | Mapping[str, Any] | str | Path) -> RewardProgram:
    if isinstance(config, RewardProgram):
        return config
    if isinstance(config, str | Path):
        return RewardProgram.from_yaml(config)
    return RewardProgram.from_dict(config)


class SharedState:
    """Keeps ``program`` at the shared state's latest version: a server (``server=URL``, token from
    ``token`` or ``$REWARDKIT_TOKEN``), the Ray actor (``actor=True``), or neither (local only).

    ``sync()`` asks for the version (``/healthz``, or ``actor.version``) and loads the whole state
    only when it changed; it returns the version. Failures raise ``StateUnreachable``.
    """

    def __init__(
        self,
        program: RewardProgram,
        server: str | None = None,
        token: str | None = None,
        actor: bool | str = False,
        attempts: int = 2,
    ):
        self.program, self.server, self.version = program, server, -1
        self._lock = threading.Lock()
        self._client: Any = None
        self._actor: Any = None
        if server is not None:
            from rewardkit.client import Retry, RewardClient

            self._client = RewardClient(server, token=token, timeout=10.0, retry=Retry(attempts))
        elif actor:
            from rewardkit.server.ray_serve import ACTOR_NAME, NAMESPACE

            name = actor if isinstance(actor, str) else ACTOR_NAME
            self._actor = (name, NAMESPACE)

    def sync(self) -> int:
        with self._lock:
            if self._client is None and self._actor is None:
                return self.version
            try:
                return self._sync()
            except RewardkitError:
                raise
            except Exception as exc:
                where = self.server or f"Ray actor {self._actor[0]!r}"
                raise StateUnreachable(
                    f"rewardkit could not read the shared schedule state from {where}: "
                    f"{type(exc).__name__}: {exc}. Start `rewardkit serve` (or the Ray state actor) "
                    "before training; a reward without its schedule is never guessed"
                ) from exc

    def _sync(self) -> int:
        if self._client is not None:
            version = int(self._client.health()["state_version"])
            if version != self.version:
                answer = self._client.state()
                self.program.load_state_dict(answer["state"])
                self.version = int(answer["state_version"])
            return self.version
        import ray

        handle = ray.get_actor(self._actor[0], namespace=self._actor[1])
        current: Any = ray.get(handle.version.remote())
        if int(current) != self.version:
            version, state, _ = ray.get(handle.snapshot.remote())
            self.program.load_state_dict(state)
            self.version = int(version)
        return self.version


def _flat(scored: Any, row: int, missing: float) -> dict[str, float]:
    """``score`` plus every node's value and ``<path>/applies``: one key set for every sample."""
    out: dict[str, float] = {}
    for path, column in scored.values.items():
        value = float(column[row])
        applies = not math.isnan(value)
        if path == scored.root:
            out["score"] = value if applies else missing
        else:
            out[path] = value if applies else missing
        out[f"{path}/applies"] = float(applies)
    return out


def make_compute_score(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
    missing: float = 0.0,
) -> Callable[..., dict[str, float]]:
    """A verl ``custom_reward_function``: ``(data_source, solution_str, ground_truth, extra_info,
    **kwargs) -> {"score": ..., <path>: ..., <path>/applies: 0|1}``, the same keys for every sample.

    A node that does not apply (None) gets ``missing`` and ``<path>/applies = 0``. The sample's
    ``meta`` is ``extra_info`` plus ``data_source``; its group is ``extra_info["uid"]`` if given.
    Each call first syncs the schedule state (see ``SharedState``).

    >>> f = make_compute_score({"reward": {"fn": "exact_match"}})
    >>> f(data_source="d", solution_str="5", ground_truth="4")["score"]
    0.0
    """
    shared = SharedState(_program(config), server, token, actor)

    def compute_score(
        data_source: str,
        solution_str: str,
        ground_truth: Any,
        extra_info: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, float]:
        shared.sync()
        meta = {k: v for k, v in (extra_info or {}).items() if _plain(v)}
        meta["data_source"] = data_source
        sample = Sample(
            id=str(meta.get("index", "0")),
            group=str(meta.get("uid", "0")),
            prompt=str(meta.get("prompt", "")),
            completion=solution_str,
            reference=ground_truth,
            meta=meta,
        )
        scored = shared.program.score([sample])
        return _flat(scored, 0, missing)

    compute_score.shared = shared  # type: ignore[attr-defined]
    return compute_score


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


# -- dense token rewards and the dual estimator ---------------------------------------------------


def dense_rewards(
    outcome: float, steps: Sequence[float] | None, which: np.ndarray, length: int
) -> np.ndarray:
    """One response's token rewards: each step's value on that step's tokens, the outcome on the
    last token (``which[t]`` is the step of token t, -1 outside every step; ``length`` tokens).

    >>> dense_rewards(1.0, [0.5, -0.5], np.array([0, 0, 1, 1, -1]), 5).tolist()
    [0.5, 0.5, -0.5, -0.5, 1.0]
    """
    out = np.zeros(length)
    if steps:
        values = np.nan_to_num(np.asarray(steps, dtype=float), nan=0.0)
        inside = which[: length - 1] >= 0
        out[: length - 1][inside] = values[which[: length - 1][inside]]
    if length:
        out[length - 1] = outcome
    return out


def dual_advantages(
    program: RewardProgram, rewards: np.ndarray, mask: np.ndarray, index: Sequence[Any]
) -> np.ndarray:
    """Per-token advantages ``outcome + w * step`` from the layout of ``dense_rewards``.

    The outcome is the last response token's value; the steps are the runs of equal values over
    the other tokens (0 means no step), the last token counted in the step just before it. This
    equals ``program.advantages`` when adjacent steps of one response differ in value, no step
    scores exactly 0, and the last step has at least two tokens (docs/verl.md).
    """
    from rewardkit.advantage import ESTIMATORS, Groups, step_advantages
    from rewardkit.advantage.caps import cap_batch
    from rewardkit.compose.refs import Ref

    cfg = program.config.advantage
    if cfg.estimator == "gdpo":
        raise RewardkitError(
            "rewardkit_dual cannot run gdpo: verl's token rewards carry one outcome per sample, "
            "not the components; use advantage.estimator grpo, dr_grpo, rloo or batch_std"
        )
    lengths = mask.sum(axis=1).astype(int)
    outcome = np.array([r[n - 1] if n else np.nan for r, n in zip(rewards, lengths, strict=True)])
    groups = Groups.from_ids([str(u) for u in index])
    per_sample = ESTIMATORS[cfg.estimator](outcome, groups, cfg.eps)
    runs = [_runs(r[: max(n - 1, 0)]) for r, n in zip(rewards, lengths, strict=True)]
    for rr, n in zip(runs, lengths, strict=True):
        if rr and rr[-1][2] == n - 1:  # the last token belongs to the step that ends before it
            rr[-1] = (rr[-1][0], rr[-1][1], n)
    step_values = [[v for v, _, _ in rr] or None for rr in runs]
    capped = cap_batch(step_values, cfg.step_cap, cfg.step_clip_eta)
    step_adv = step_advantages(capped, groups, cfg.step_baseline, cfg.eps)
    weight = program._step_weight  # a number, or a ${variable} read at the current state
    w = weight.evaluate(program.variables) if isinstance(weight, Ref) else float(weight)
    out = np.zeros_like(rewards, dtype=float)
    for i, n in enumerate(lengths):
        out[i, :n] = per_sample[i]
        adv = step_adv[i]
        for k, (_, a, b) in enumerate(runs[i]):
            if adv is not None:
                out[i, a:b] += w * adv[k]
    return np.nan_to_num(out, nan=0.0) * mask


def _runs(row: np.ndarray) -> list[tuple[float, int, int]]:
    out: list[tuple[float, int, int]] = []
    start = 0
    for t in range(1, len(row) + 1):
        if t == len(row) or row[t] != row[start]:
            if row[start] != 0:
                out.append((float(row[start]), start, t))
            start = t
    return out


_ESTIMATOR_STATE: dict[str, SharedState] = {}


def register_estimators(
    config: SharedState | RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> list[str]:
    """Register ``rewardkit_dual`` with verl's ``register_adv_est`` in this process. verl's
    trainer runs in the TaskRunner actor: call this there (loading rewardkit's reward manager does).
    The estimator syncs the shared state before each batch (a scheduled ``step_weight``). Returns
    the registered names. Needs verl and torch."""
    import torch
    from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY, register_adv_est

    state = config if isinstance(config, SharedState) else None
    if state is None:
        state = SharedState(_program(config), server, token, actor)  # type: ignore[arg-type]
    _ESTIMATOR_STATE["rewardkit_dual"] = state
    if "rewardkit_dual" not in ADV_ESTIMATOR_REGISTRY:

        @register_adv_est("rewardkit_dual")
        def rewardkit_dual(
            token_level_rewards: Any,
            response_mask: Any,
            config: Any = None,
            index: Any = None,
            **kwargs: Any,
        ) -> tuple[Any, Any]:
            shared = _ESTIMATOR_STATE["rewardkit_dual"]
            shared.sync()
            rewards = token_level_rewards.detach().cpu().double().numpy()
            mask = response_mask.detach().cpu().numpy()
            adv = dual_advantages(shared.program, rewards, mask, list(index))
            out = torch.as_tensor(adv, dtype=token_level_rewards.dtype)
            return out, out.clone()

    return ["rewardkit_dual"]


def reward_manager(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> type:
    """A verl reward manager class (``reward.reward_manager.source=importlib``) scoring whole
    groups by uid; see ``rewardkit.integrations.verl_manager``. Needs verl."""
    from rewardkit.integrations.verl_manager import build_manager

    return build_manager(config, server, token, actor)
