"""rewardkit inside TRL's ``GRPOTrainer`` (trl 1.16), in three levels.

1. ``reward_funcs(program)``: TRL reward functions, one per top-level component of a weighted
   root, and their ``reward_weights``. Rewards only; schedules stay where they are.
2. ``RewardKitCallback(program)``: advances the program's schedules and curricula once per
   optimizer step from the batch gathered across ranks (the same metrics on every rank, never an
   evaluation batch), logs every node's diagnostics and the schedule variables and events, and
   saves and restores the program state with TRL checkpoints.
3. ``RewardKitGRPOTrainer`` (``rewardkit.integrations.trl_trainer``): scores whole gathered
   groups and trains on rewardkit's (per-token) advantages.

A sketch (see ``examples/trl_grpo.py`` for a complete script)::

    program = RewardProgram.from_yaml("reward.yaml")
    funcs, weights = reward_funcs(program, reference_column="answer")
    trainer = GRPOTrainer(model=..., reward_funcs=funcs, train_dataset=...,
                          args=GRPOConfig(reward_weights=weights, ...),
                          callbacks=[RewardKitCallback(program)])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.compose import nodes as n
from rewardkit.compose.refs import Ref
from rewardkit.diagnostics import merge_scored
from rewardkit.errors import require
from rewardkit.integrations.trl_monitor import MonitorSpec, StepWatch
from rewardkit.integrations.trl_samples import BatchScorer, recorder
from rewardkit.monitor import Alert
from rewardkit.program import RewardProgram
from rewardkit.types import ScoredBatch

require("trl", "trl")
from transformers import TrainerCallback  # noqa: E402  (after require: names the extra)
from transformers.trainer_callback import ExportableState  # noqa: E402

__all__ = ["ComponentReward", "RewardKitCallback", "reward_funcs"]  # + RewardKitGRPOTrainer


class ComponentReward:
    """One TRL reward function: the column of node ``path`` (None where it does not apply).

    Picklable. A component whose weight is a scheduled ``${variable}`` returns its value times
    the current weight (its TRL weight is then 1), so the schedule reaches TRL's weighted sum.
    """

    def __init__(self, scorer: BatchScorer, path: str, weight: Ref | None = None):
        self.scorer = scorer
        self.path = path
        self.weight = weight
        self.__name__ = path  # the name TRL logs: rewards/<path>/mean

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        column = self.column(self.scorer(prompts, completions, completion_ids, kwargs))
        return [None if math.isnan(v) else float(v) for v in column]

    def column(self, scored: ScoredBatch) -> np.ndarray:
        """This function's values on a scored batch (NaN where the node does not apply)."""
        column = scored.values[self.path]
        if self.weight is not None:
            column = column * self.weight.evaluate(self.scorer.program.variables)
        return column


def reward_funcs(
    program: RewardProgram, reference_column: str | None = "reference"
) -> tuple[list[ComponentReward], list[float]]:
    """TRL reward functions for ``program`` and their ``reward_weights``.

    A weighted root gives one function per child, named by its path, with the child's weight;
    any other root gives one function, ``reward``, of weight 1. TRL's weighted ``nansum`` of the
    functions then equals the program's reward, None (TRL's NaN) included.

    >>> program = RewardProgram.from_dict({"reward": {"weighted": [
    ...     {"name": "fmt", "fn": "regex", "pattern": "\\\\d", "weight": 0.5},
    ...     {"name": "ok", "fn": "exact_match"}]}})
    >>> funcs, weights = reward_funcs(program)
    >>> [f.__name__ for f in funcs], weights
    (['reward/fmt', 'reward/ok'], [0.5, 1.0])
    >>> [f(["2+2?"], ["4"], reference=["4"]) for f in funcs]
    [[1.0], [1.0]]
    """
    scorer = BatchScorer(program, reference_column)
    root = program.tree
    if not isinstance(root, n.Weighted):
        return [ComponentReward(scorer, root.path)], [1.0]
    funcs, weights = [], []
    for child in root.items:
        if isinstance(child.weight, Ref):
            funcs.append(ComponentReward(scorer, child.path, child.weight))
            weights.append(1.0)
        else:
            funcs.append(ComponentReward(scorer, child.path))
            weights.append(float(child.weight))
    return funcs, weights


def all_gather(value: Any) -> list[Any]:
    """``value`` from every rank, in rank order (``[value]`` on one process)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def gathered_batch(pending: Sequence[tuple[ScoredBatch, bool]]) -> list[ScoredBatch]:
    """The batches of one step from every rank: rank-local ones gathered, gathered ones as is.

    Every rank calls this once per optimizer step, so the collective lines up across ranks.
    """
    whole = [scored for scored, gathered in pending if gathered]
    local = [scored for scored, gathered in pending if not gathered]
    return whole + [scored for part in all_gather(local) for scored in part]


def step_metrics(
    program: RewardProgram, parts: Sequence[ScoredBatch]
) -> tuple[dict, Any, ScoredBatch | None]:
    """Diagnostics of the whole step (every node, advantages), the curricula's outcomes and the
    merged batch (None when the step scored nothing)."""
    if not parts:
        return {f"schedule/{k}": v for k, v in program.variables.items()}, None, None
    merged = merge_scored(parts)
    adv = program.advantages(merged)
    return {**merged.metrics, **adv.metrics}, program.outcomes(merged, adv), merged


class RewardKitCallback(TrainerCallback, ExportableState):
    """Advances ``program`` once per optimizer step and logs what its rewards are doing.

    - ``on_step_end``: gathers the step's scored train batches from every rank, computes every
      node's diagnostics on the whole batch (identical on every rank), and calls
      ``program.observe(step, metrics, outcomes)``; the reward functions see the new variables
      from the next step on.
    - ``on_evaluate`` / ``on_predict``: drops what the reward functions scored during evaluation,
      so evaluation batches never move a schedule or curriculum.
    - ``on_log``: adds ``rewardkit/<metric>`` (averaged over the logging window), the schedule
      variables, ``rewardkit/event/<schedule>`` and ``rewardkit/alert/<detector>`` to the record.
    - ``monitor``: a ``monitor:`` section (``MonitorConfig``) turns on the reward-hacking monitor,
      fed the same gathered metrics and samples; its alerts join ``events``, and with
      ``on_alert: stop`` an alert makes the Trainer save a checkpoint and stop.
    - The program and monitor state is saved in every checkpoint's ``trainer_state.json`` and
      restored on ``trainer.train(resume_from_checkpoint=...)``. ``events`` lists this run's
      schedule events and monitor ``Alert``s.
    - A watched metric the first scored step does not report is a ConfigError (the schedule
      would never move).

    >>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
    >>> RewardKitCallback(program).state()["attributes"]["program"]["step"]
    0
    """

    def __init__(
        self,
        program: RewardProgram | None = None,
        prefix: str = "rewardkit/",
        monitor: MonitorSpec = None,
    ):
        if program is None:
            raise TypeError(
                "RewardKitCallback(program) needs the RewardProgram; it restores the program "
                "state itself, so leave restore_callback_states_from_checkpoint off"
            )
        self.program = program
        self.prefix = prefix
        self.watch = StepWatch(program, monitor)
        self.events: list[Any] = []
        self.last_metrics: dict[str, float] = {}
        self._window: list[dict[str, float]] = []
        self._window_events: list[Any] = []
        self._recorder = recorder(program)
        self._recorder.listening = True

    # -- training ------------------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._recorder.take()
        if state.global_step > 0:  # resumed: the checkpoint's trainer_state.json holds our state
            saved = state.stateful_callbacks.get(type(self).__name__)
            if isinstance(saved, list):
                saved = saved[0]
            if saved is not None:
                self.program.load_state_dict(saved["attributes"]["program"])
                monitor = saved["attributes"].get("monitor")
                if self.watch.monitor is not None and monitor is not None:
                    self.watch.monitor.load_state_dict(monitor)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step = state.global_step - 1  # global_step already counts the step that just ended
        parts = gathered_batch(self._recorder.take())
        metrics, outcomes, merged = step_metrics(self.program, parts)
        self.watch.check_reported(step, metrics, merged)
        events = self.program.observe(step, metrics, outcomes)
        events += self.watch.step(step, metrics, merged)
        if self.watch.stop:  # on_alert: stop; the Trainer saves (our state included), then ends
            control.should_save = control.should_training_stop = True
        self.last_metrics = metrics
        self.events += events
        self._window.append(metrics)
        self._window_events += events

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._recorder.take()  # evaluation batches: logged by TRL, never observed

    def on_predict(self, args: Any, state: Any, control: Any, metrics: Any, **kwargs: Any) -> None:
        self._recorder.take()

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if logs is None or any(k.startswith("eval_") for k in logs):
            return
        extra = self.log_record()
        logs.update(extra)
        # The Trainer appended a copy of ``logs`` to the history before calling back.
        if extra and state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(extra)

    def log_record(self) -> dict[str, Any]:
        """The logging window's metrics, variables and events (then the window starts afresh)."""
        if not self._window:
            return {}
        extra: dict[str, Any] = {self.prefix + k: v for k, v in window_means(self._window).items()}
        for event in self._window_events:
            if isinstance(event, Alert):
                key = f"{self.prefix}alert/{event.detector}"
                extra[key] = extra.get(key, 0.0) + 1.0
            else:
                extra[f"{self.prefix}event/{event.source}"] = _loggable(event.new)
        extra[f"{self.prefix}events"] = float(len(self._window_events))
        self._window, self._window_events = [], []
        return extra

    # -- checkpoints ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What ``trainer_state.json`` stores for this callback: the program (and monitor) state."""
        attributes: dict[str, Any] = {"program": self.program.state_dict()}
        if self.watch.monitor is not None:
            attributes["monitor"] = self.watch.monitor.state_dict()
        return {"args": {}, "attributes": attributes}


def window_means(window: Sequence[Mapping[str, float]]) -> dict[str, float | None]:
    """Per-key mean over the steps of a logging window, NaN left out (None when all NaN)."""
    keys = dict.fromkeys(k for metrics in window for k in metrics)
    out: dict[str, float | None] = {}
    for key in keys:
        values = np.array([m[key] for m in window if key in m], dtype=float)
        values = values[~np.isnan(values)]
        out[key] = float(values.mean()) if values.size else None
    return out


def _loggable(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) else str(value)


def __getattr__(name: str) -> Any:
    if name == "RewardKitGRPOTrainer":  # the subclass imports GRPOTrainer: only when asked for
        from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer

        return RewardKitGRPOTrainer
    raise AttributeError(name)
