"""The GRPO training loop, top to bottom: rollout -> score -> advantages -> update -> observe.

Rollout, loss, evaluation, checkpoints and logs live in sibling modules; this file is the
algorithm. ``train(config)`` runs a fresh run; ``train(resume=run_dir)`` continues one from its
newest checkpoint and produces the same metrics and events as a run that never stopped.

Example (a 2-step run of the embedded default, a few seconds once the warm start is cached)::

    from rewardkit.train import TrainConfig, train
    result = train(TrainConfig(steps=2, eval_every=0))
    print(result.run_dir, result.summary["reward/mean"])
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.diagnostics import training_step_stats
from rewardkit.errors import ConfigError, require
from rewardkit.monitor.trainer import should_stop, start_monitor, watch_step
from rewardkit.schedule.watch import unreported
from rewardkit.train.batch import StepBatch, collect_step
from rewardkit.train.checkpoint import TrainerState, latest_checkpoint, read_state, save_checkpoint
from rewardkit.train.config import TrainConfig, load_train_config
from rewardkit.train.evaluate import run_eval, shown_answers
from rewardkit.train.setup import Session, Status, build_session, run_folder_path, saved_config
from rewardkit.train.update import update_policy

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
) -> RunResult:
    """Run GRPO with ``config`` (or continue the run folder ``resume``); returns its summary."""
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
    s = build_session(cfg, run_dir, resume is not None, status)
    started = time.perf_counter() - s.elapsed_before
    saved = read_state(latest_checkpoint(run_dir)).extra.get("monitor") if resume else None
    monitor = start_monitor(cfg.monitor, saved)
    for step in range(s.start_step, cfg.steps):
        metrics: dict[str, float] = {}
        t0 = time.perf_counter()
        if cfg.eval_every and step % cfg.eval_every == 0:
            metrics.update(_evaluate(s, step))
        t1 = time.perf_counter()
        # 1-2. rollout G completions of each prompt, score them with the reward program, then
        # advantages (per sample, or per token); a balanced_filter's dropped groups are refilled.
        b = collect_step(s, step, time.perf_counter)
        t3 = time.perf_counter()
        # 3. policy update on the clipped surrogate, over the kept groups.
        loss_stats = update_policy(s.model, s.optimizer, b.train, b.matrix, cfg, s.ref_model, step)
        t4 = time.perf_counter()
        # 4. log, then let schedules and curricula see this finished step.
        metrics.update(b.scored.metrics)
        metrics.update(b.adv.metrics)
        metrics.update({f"train/{k}": v for k, v in loss_stats.items()})
        metrics.update(b.judged)
        metrics.update(_step_stats(s, b))
        metrics.update(b.data)
        metrics["data/position"] = float(s.source.position)
        metrics.update(
            {
                "time/eval": t1 - t0,
                "time/rollout": b.time_rollout,
                "time/score": b.time_score,
                "time/update": t4 - t3,
                "time/step": t4 - t1,
            }
        )
        # A watched metric this step lacks would leave its schedule stuck: stop once it is logged.
        # eval/ metrics come every eval_every steps (never with 0, and then a watch is an error).
        between_evals = bool(cfg.eval_every) and step % cfg.eval_every != 0
        silent = unreported(s.program.schedules, metrics, step, ("eval/",) if between_evals else ())
        events = s.program.observe(step, metrics, s.program.outcomes(b.scored, b.adv, b.correct))
        metrics.update(s.program.curriculum_metrics())
        metrics.update({f"next/{k}": v for k, v in s.program.variables.items()})
        events += [{"kind": "error", **f.as_dict()} for f in b.scored.failures]
        events += watch_step(monitor, step, metrics, b.scored, b.correct)
        s.run.log_step(step, metrics)
        s.run.log_events(step, events)
        if silent is not None:
            raise silent
        if on_step is not None:
            on_step(step, metrics)
        last = step + 1 == cfg.steps or should_stop(events)
        if last or (cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0):
            extra = {"monitor": monitor.state_dict()} if monitor is not None else {}
            _checkpoint(s, step + 1, time.perf_counter() - started, extra)
        if should_stop(events):
            break
    summary = _finish(s, time.perf_counter() - started, status)
    return RunResult(run_dir=run_dir, summary=summary)


def _step_stats(s: Session, b: StepBatch) -> dict[str, float]:
    """Completion lengths, truncation and process-reward steps over every rollout of the step."""
    torch = require("torch", "train")
    lengths = torch.cat([r.rollouts.completion_mask.sum(1) for r in b.rounds]).cpu().numpy()
    truncated = [t for r in b.rounds for t in r.rollouts.truncated]
    steps_from = s.program.config.advantage.steps_from
    return training_step_stats(b.scored, b.adv, steps_from, lengths, truncated)


def _evaluate(s: Session, step: int) -> dict[str, float]:
    """Held-out means for the metrics line; a few answers go to ``samples.jsonl`` for the report."""
    cfg = s.cfg
    result = run_eval(
        s.model,
        s.tokenizer,
        s.task,
        s.eval_set,
        cfg.max_new_tokens,
        cfg.temperature,
        cfg.seed,
        step,
        cfg.eval_sampled,
    )
    s.run.log_samples(shown_answers(result, s.eval_set, s.program, cfg.task, step))
    return result.metrics


def _checkpoint(s: Session, next_step: int, elapsed: float, extra: dict[str, Any]) -> None:
    state = TrainerState(
        next_step=next_step,
        data=s.source.state_dict(),
        program=s.program.state_dict(),
        extra={"init_model": s.init_model, "elapsed": elapsed, **extra},
    )
    save_checkpoint(
        s.run.checkpoints,
        state,
        s.model,
        s.tokenizer,
        s.optimizer,
        s.generator,
        s.cfg.keep_checkpoints,
    )


def _finish(s: Session, wall: float, status: Status | None) -> dict[str, Any]:
    """Final evaluation, ``summary.json``, plots and report."""
    from rewardkit.train.summary import summarise_run

    final = _evaluate(s, s.cfg.steps) if s.cfg.eval_every else {}
    summary = summarise_run(s.run.path, final, wall)
    (s.run.path / "summary.json").write_text(json.dumps(summary, indent=1))
    if s.cfg.plots:
        if status is not None:
            status("writing plots and report.html")
        from rewardkit.train.report import build_report

        build_report(s.run.path)
    s.run.close()
    return summary
