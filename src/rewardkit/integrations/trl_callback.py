"""``RewardKitCallback``: TRL's GRPOTrainer runs the one step protocol once per optimizer step.

The callback gathers the step's scored train batches from every rank and hands them to a
``StepProtocol`` (``rewardkit.protocol``), which does everything else: the statistics over the
whole batch, the advantages (or the subclass's own), the watched-metric check, schedules and
curricula, the monitor and the stop decision, and the state saved in TRL checkpoints. What is
left here is TRL's side: the hooks, the log record and ``trainer_state.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.advantage import Advantages
from rewardkit.errors import require
from rewardkit.integrations.trl_samples import ScoredPart, gathered_parts, recorder
from rewardkit.monitor import Alert
from rewardkit.program import RewardProgram
from rewardkit.protocol import MonitorSpec, StepProtocol

require("trl", "trl")
from transformers import TrainerCallback  # noqa: E402  (after require: names the extra)
from transformers.trainer_callback import ExportableState  # noqa: E402

TRL_NOTE = (
    "Under TRL, schedules see rewardkit's node and advantage metrics only (TRL's kl, entropy "
    "and the built-in trainer's train/... and eval/... are not fed to them)"
)
"""Appended to the protocol's missing-metric error: what TRL feeds the schedules."""


class RewardKitCallback(TrainerCallback, ExportableState):
    """Runs the step protocol once per optimizer step and logs what the rewards are doing.

    - ``on_step_end``: gathers the step's scored train batches from every rank (identical on
      every rank) and calls ``protocol.step(step, parts)``, with the subclass's advantages when
      it trained on them; the reward functions see the new variables from the next step on. A
      watched metric the step lacks is a ConfigError (the schedule would never move).
    - ``on_evaluate`` / ``on_predict``: drops what the reward functions scored during evaluation,
      so evaluation batches never move a schedule or curriculum.
    - ``on_log``: adds ``rewardkit/<metric>`` (averaged over the logging window), the schedule
      variables, ``rewardkit/event/<schedule>`` and ``rewardkit/alert/<detector>`` to the record.
    - ``monitor``: a ``monitor:`` section (``MonitorConfig``) turns on the reward-hacking monitor;
      its alerts join ``events``, and with ``on_alert: stop`` an alert makes the Trainer save a
      checkpoint and stop.
    - The protocol's state (program and monitor) is saved in every checkpoint's
      ``trainer_state.json`` and restored on ``trainer.train(resume_from_checkpoint=...)``.
      ``events`` lists this run's schedule events and monitor ``Alert``s.

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
        self.protocol = StepProtocol(program, monitor, note=TRL_NOTE)
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
                self.protocol.load_state_dict(saved["attributes"])

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step = state.global_step - 1  # global_step already counts the step that just ended
        parts = gathered_parts(self._recorder.take())
        # A step that scored nothing (one generation feeding several optimizer steps) still
        # counts for time-based schedules; it logs the variables it used.
        idle = {f"schedule/{k}": v for k, v in self.program.variables.items()}
        result = self.protocol.step(
            step,
            [p.scored for p in parts],
            advantages=advantages_of(parts),
            metrics=None if parts else idle,
        )
        if result.stop:  # on_alert: stop; the Trainer saves (our state included), then ends
            control.should_save = control.should_training_stop = True
        events = [*result.events, *result.alerts]
        self.last_metrics = result.metrics
        self.events += events
        self._window.append(result.metrics)
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
        """What ``trainer_state.json`` stores for this callback: the protocol's state (the
        program's, and the monitor's when there is one)."""
        return {"args": {}, "attributes": self.protocol.state_dict()}


def advantages_of(parts: Sequence[ScoredPart]) -> Advantages | None:
    """The advantages the step trained on, when one part holds the whole step and carries
    them (the subclass, one generation per optimizer step); None lets the protocol compute
    them (the functions alone: TRL's advantages are not rewardkit's)."""
    if len(parts) == 1:
        return parts[0].advantages
    return None


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
