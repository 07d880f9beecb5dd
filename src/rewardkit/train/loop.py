"""The GRPO training loop, top to bottom: rollout -> score -> advantages -> update -> observe.

``train()`` runs each step as these stages, in this order, each a call in the loop:

1. rollout: draw prompts from the data source, sample G completions of each (``_rollout``);
2. score: the reward program's scores of the completions (``samples.score_rollouts``);
3. advantages (per sample, or per token), then the task's judge (``samples.judge_rollouts``)
   and the curricula's verdict on each group (``PromptSource.kept``). With a ``balanced_filter``
   the refill branch sends the prompts for the dropped groups through 1-3 again, for at most
   ``batch.MAX_REFILL_ROUNDS`` extra rounds; ``batch.merge_rounds`` joins the rounds;
4. update: the clipped surrogate over the kept groups (``update.update_policy``);
5. observe: the step's metrics (the reward tree's, the loss's, the judge's, and
   ``diagnostics.training_step_stats``), then the one step protocol (``protocol.StepProtocol``,
   the same as under TRL, the server and verl) checks the watched metrics and advances
   schedules, curricula and the monitor (``_observe``). Then a checkpoint, every
   ``checkpoint_every`` steps, after the last, and when the monitor stops the run.

The stage timings (``time/*``) are measured here. Evaluation, checkpoints and logs live in
sibling modules: ``boundary.py`` (the state kept at a step's start, the checkpoint at a step
boundary, what a stop saves), ``watch.py`` (the forward hook, the evaluation at a step with its
progress, a long run's estimate). ``train(config)`` runs a fresh run; ``train(resume=run_dir)`` continues one from
its newest checkpoint and produces the same metrics and events as a run that never stopped.

Stopping (``progress.StopSignals``): SIGINT and SIGTERM set a flag. Where the run can be abandoned (set-up,
the warm start, an evaluation, stages 1-3) the signal raises ``Stopped`` at once, and the model's
every forward call raises it again should some library swallow it; during the update, the
logging and a checkpoint the flag is checked once they are done. Either way the run saves a
checkpoint at the last step boundary (the state at the start of an abandoned step was kept for
it, so a resumed run is still exact), writes its summary and report, and raises ``Stopped``; the
CLI prints the command that resumes and exits 128 + the signal (130, 143). A second signal stops
at once, keeping the checkpoints already written.

Example (a 2-step run of the embedded default, a few seconds once the warm start is cached)::

    from rewardkit.train import TrainConfig, train
    result = train(TrainConfig(steps=2, eval_every=0))
    print(result.run_dir, result.summary["reward/mean"])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.diagnostics import training_step_stats
from rewardkit.errors import ConfigError
from rewardkit.protocol import StepResult
from rewardkit.tasks.base import Problem
from rewardkit.train.batch import Round, StepBatch, merge_rounds, missing_groups
from rewardkit.train.boundary import (
    Boundary,
    at_step_start,
    checkpoint,
    save_on_stop,
    write_summary,
)
from rewardkit.train.config import TrainConfig, load_train_config
from rewardkit.train.multiturn import sample_rollouts
from rewardkit.train.progress import Stopped, StopSignals
from rewardkit.train.rollout import Rollouts
from rewardkit.train.samples import judge_rollouts, score_rollouts
from rewardkit.train.setup import Session, Status, build_session, run_folder_path, saved_config
from rewardkit.train.update import update_policy
from rewardkit.train.watch import Forwards, Hooks, evaluate_at, say_how_long

StepHook = Callable[[int, dict[str, float]], None]


@dataclass
class RunResult:
    """Where a run's folder is, and its summary (also saved as ``summary.json``)."""

    run_dir: Path
    summary: dict[str, Any]


def train(
    config: TrainConfig | None = None,
    resume: str | Path | None = None,
    on_step: StepHook | None = None,
    status: Status | None = None,
    activity: Status | None = None,
    stop: StopSignals | None = None,
) -> RunResult:
    """Run GRPO with ``config`` (or continue the run folder ``resume``); returns its summary.

    ``status`` hears messages worth a line each, ``activity`` transient progress (the warm
    start, an evaluation; several a second). SIGINT and SIGTERM stop the run (module doc):
    ``stop`` is the caller's ``StopSignals``, already installed (a fresh one is installed for
    the call when it is None); a stopped run raises ``Stopped`` after saving.
    """
    own = stop is None
    signals = StopSignals().install() if stop is None else stop
    try:
        return _train(config, resume, on_step, status, activity, signals)
    finally:
        if own:
            signals.restore()


def _train(
    config: TrainConfig | None,
    resume: str | Path | None,
    on_step: StepHook | None,
    status: Status | None,
    activity: Status | None,
    stop: StopSignals,
) -> RunResult:
    if resume is not None:
        if config is not None:
            raise ConfigError("give a config or a run folder to resume, not both")
        cfg = load_train_config(saved_config(resume))
        run_dir = Path(resume)
    else:
        cfg = config or TrainConfig()
        run_dir = run_folder_path(cfg)
    if status is not None:
        status(f"run folder: {run_dir}")
    stop.check()
    s = build_session(cfg, run_dir, resume is not None, status, activity)
    hooks = Hooks(status, activity, Forwards(stop))
    handle = s.model.register_forward_pre_hook(hooks.forwards, with_kwargs=True)
    started = time.perf_counter() - s.elapsed_before
    boundary: Boundary | None = None
    done = s.start_step
    try:
        for step in range(s.start_step, cfg.steps):
            stop.check()
            boundary = at_step_start(s, step)
            result = _step(s, step, hooks, stop, boundary)
            boundary, done = None, step + 1  # the step is logged: its end is the next boundary
            if on_step is not None:
                on_step(step, result.metrics)
            if step == s.start_step and status is not None:
                say_how_long(s, step, result.metrics, status)
            last = step + 1 == cfg.steps or result.stop
            due = cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0
            if last or due or stop.requested is not None:
                with stop.deferred():
                    checkpoint(s, step + 1, time.perf_counter() - started)
            if result.stop:
                break
        summary = _finish(s, time.perf_counter() - started, hooks, stop)
    except Stopped as stopped:
        handle.remove()
        stopped.saved = save_on_stop(s, boundary, done, time.perf_counter() - started, status)
        raise stopped from None
    handle.remove()
    return RunResult(run_dir=run_dir, summary=summary)


def _step(s: Session, step: int, hooks: Hooks, stop: StopSignals, boundary: Boundary) -> StepResult:
    """One step, stages 1-5 (the module doc); the update and the logging are ``deferred``."""
    cfg = s.cfg
    filtered = bool(s.source.filters)
    metrics: dict[str, float] = {}
    t0 = time.perf_counter()
    if cfg.eval_every and step % cfg.eval_every == 0:
        metrics.update(evaluate_at(s, step, hooks))
    t1 = time.perf_counter()
    # Stages 1-3 run for prompts_per_step prompts, then again for each refill round.
    rounds: list[Round] = []
    time_rollout = time_score = 0.0
    need = cfg.prompts_per_step
    while need > 0:
        t_round = time.perf_counter()
        # 1. rollout: `need` new prompts, G completions of each.
        problems, rollouts = _rollout(s, need)
        t_rolled = time.perf_counter()
        stop.check()
        # 2. score them with the reward program (group numbers continue over the rounds).
        first_group = sum(len(r.problems) for r in rounds)
        scored = score_rollouts(s, step, problems, rollouts, first_group)
        # 3. advantages; the task's judge measures the completions; the curricula keep groups.
        adv = s.program.advantages(scored)
        judged, correct = judge_rollouts(s.task, problems, rollouts.texts, cfg.group_size)
        keep = s.source.kept(s.program.outcomes(scored, adv, correct))
        rounds.append(Round(problems, rollouts, scored, adv, judged, correct, keep))
        time_rollout += t_rolled - t_round
        time_score += time.perf_counter() - t_rolled
        stop.check()
        need = 0
        if filtered:  # refill: new prompts for the groups the balanced_filter dropped
            need = missing_groups(rounds, cfg.prompts_per_step, cfg.group_size)
    # The kept groups to train on, and every rollout of the step to log.
    b = merge_rounds(rounds, s.tokenizer.pad_token_id, filtered, cfg.group_size)
    with stop.deferred(check=False):  # the loop checkpoints the step, then stops
        boundary.updating = True
        t3 = time.perf_counter()
        # 4. update the policy on the clipped surrogate, over the kept groups.
        loss_stats = update_policy(s.model, s.optimizer, b.train, b.matrix, cfg, s.ref_model, step)
        t4 = time.perf_counter()
        # 5. observe: the step protocol sees the step (schedules, curricula, monitor); log it.
        metrics.update(_step_metrics(s, b, loss_stats))
        metrics.update(
            {
                "time/eval": t1 - t0,
                "time/rollout": time_rollout,
                "time/score": time_score,
                "time/update": t4 - t3,
                "time/step": t4 - t1,
            }
        )
        return _observe(s, step, metrics, b)


def _rollout(s: Session, n: int) -> tuple[list[Problem], Rollouts]:
    """The next ``n`` prompts of the data source, and G sampled completions of each (multi-turn
    rollouts with the task's environment, for a task that has one: ``multiturn.py``)."""
    cfg = s.cfg
    problems = s.source.next_problems(n)
    rollouts = sample_rollouts(
        s.model,
        s.tokenizer,
        s.task,
        problems,
        cfg.group_size,
        cfg.max_new_tokens,
        cfg.max_turns,
        cfg.temperature,
        s.generator,
        chat=s.chat,
    )
    return problems, rollouts


def _step_metrics(s: Session, b: StepBatch, loss_stats: dict[str, float]) -> dict[str, float]:
    """What a step logs before it is observed: every rollout's statistics, the loss, the data."""
    metrics = {**b.scored.metrics, **b.adv.metrics}
    metrics.update({f"train/{k}": v for k, v in loss_stats.items()})
    metrics.update(b.judged)
    steps_from = s.program.config.advantage.steps_from
    metrics.update(training_step_stats(b.scored, b.adv, steps_from, b.lengths, b.truncated))
    metrics.update(b.data)
    metrics["data/position"] = float(s.source.position)
    return metrics


def _observe(s: Session, step: int, metrics: dict[str, float], b: StepBatch) -> StepResult:
    """The step protocol observes the step with its own advantages; the step's metrics and
    events (scoring failures, alerts, the stop with the command that resumes) are logged.

    A metric a schedule watches that the step lacks raises once the step is logged: its
    schedule would otherwise be stuck. ``eval/`` metrics come every ``eval_every`` steps only.
    """
    cfg = s.cfg
    between_evals = bool(cfg.eval_every) and step % cfg.eval_every != 0
    try:
        result = s.protocol.step(
            step,
            [b.scored],
            advantages=b.adv,
            metrics=metrics,
            correct=b.correct,
            exempt=("eval/",) if between_evals else (),
        )
    except ConfigError:
        s.run.log_step(step, metrics)
        raise
    events: list[Any] = list(result.events)
    events += [{"kind": "error", **f.as_dict()} for f in b.scored.failures]
    events += [alert.as_dict() for alert in result.alerts]
    if result.stop:
        detectors = ", ".join(alert.detector for alert in result.alerts)
        message = (
            f"on_alert: stop after {detectors}; checkpointed before step {step + 1}; "
            "continue with `rewardkit train --resume RUN_DIR`"
        )
        events.append({"kind": "stop", "source": "monitor", "message": message})
    s.run.log_step(step, result.metrics)
    s.run.log_events(step, events)
    return result


def _finish(s: Session, wall: float, hooks: Hooks, stop: StopSignals) -> dict[str, Any]:
    """Final evaluation, ``summary.json``, plots and report."""
    final = evaluate_at(s, s.cfg.steps, hooks) if s.cfg.eval_every else {}
    with stop.deferred():
        summary = write_summary(s, final, wall, hooks.status)
        s.run.close()
    return summary
