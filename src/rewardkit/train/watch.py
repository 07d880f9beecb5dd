"""What a run shows while it runs: the model's forward hook (a stop check inside generation, and
an evaluation's progress), the evaluation at a step with its progress line, and, after the first
step of a long run, how long the rest will take.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rewardkit.train.evaluate import run_eval, shown_answers
from rewardkit.train.progress import StopSignals, duration, eta_text, time_left

if TYPE_CHECKING:
    from rewardkit.train.setup import Session, Status


class Forwards:
    """A forward pre-hook of the model: the stop check inside generation, and the progress of an
    evaluation (generations begun, tokens of the current one, against ``max_new_tokens``)."""

    def __init__(self, stop: StopSignals):
        self.stop = stop
        self.watch: Callable[[int, int], None] | None = None
        self.generations = 0
        self.tokens = 0

    def __call__(self, module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        self.stop.check()
        if self.watch is not None:
            if kwargs.get("cache") is None:  # a prefill: the next generation begins
                self.generations += 1
                self.tokens = 0
            self.tokens += 1
            self.watch(self.generations, self.tokens)


@dataclass
class Hooks:
    status: Status | None
    activity: Status | None
    forwards: Forwards


def evaluate_at(s: Session, step: int, hooks: Hooks) -> dict[str, float]:
    """Held-out means for the metrics line; a few answers go to ``samples.jsonl`` for the report.

    Its progress (``activity``) counts the model's forward calls: one generation per mode
    (greedy, sampled), each at most ``max_new_tokens`` calls, so the time left is an upper bound.
    """
    cfg = s.cfg
    modes = 2 if cfg.eval_sampled else 1
    what = f"evaluating {len(s.eval_set)} problems at step {step}"
    if hooks.status is not None:
        hooks.status(what + (" (greedy, then sampled)" if modes == 2 else " (greedy)"))
    began = time.perf_counter()

    def watch(generation: int, tokens: int) -> None:
        if hooks.activity is None:
            return
        done = (generation - 1 + min(tokens, cfg.max_new_tokens) / cfg.max_new_tokens) / modes
        elapsed = time.perf_counter() - began
        left = time_left(done, 1.0, elapsed)
        hooks.activity(f"{what}: {100 * done:.0f}% {eta_text(elapsed, left)}")

    hooks.forwards.watch, hooks.forwards.generations = watch, 0
    try:
        result = _run_eval(s, step)
    finally:
        hooks.forwards.watch = None
    s.run.log_samples(shown_answers(result, s.eval_set, s.program, cfg.task, step))
    return result.metrics


def _run_eval(s: Session, step: int) -> Any:
    cfg = s.cfg
    return run_eval(
        s.model,
        s.tokenizer,
        s.task,
        s.eval_set,
        cfg.max_new_tokens,
        cfg.temperature,
        cfg.seed,
        step,
        cfg.eval_sampled,
        chat=s.chat,
        max_turns=cfg.max_turns,
    )


def say_how_long(s: Session, step: int, metrics: dict[str, float], status: Status) -> None:
    """After the first step of a long run: how long the rest will take at this pace."""
    cfg = s.cfg
    left = cfg.steps - step - 1
    evals = (
        len([k for k in range(step + 1, cfg.steps + 1) if k % cfg.eval_every == 0])
        if cfg.eval_every
        else 0
    )
    if not metrics.get("time/eval") and evals:  # not evaluated at this step: guess as a step
        per_eval = metrics.get("time/step", 0.0)
    else:
        per_eval = metrics.get("time/eval", 0.0)
    estimate = left * metrics.get("time/step", 0.0) + evals * per_eval
    if estimate < 600:
        return
    device = next(s.model.parameters()).device.type
    message = (
        f"about {duration(estimate)} to go at this pace ({left} steps, {evals} evaluations of "
        f"{cfg.eval_size} problems)"
    )
    if estimate > 3600 and device == "cpu":
        what = f"model={cfg.model}" if cfg.model else "a larger run"
        message = (
            f"warning: {message}; this is a CPU demo of the trainer, use a GPU for {what} "
            "(or fewer steps, a smaller eval_size)"
        )
    elif estimate > 3600:
        message = f"warning: {message}"
    status(message)
