"""Watched metrics: the names a schedule may watch, and the checks that they are reported.

A schedule whose watched metric is never reported never moves, and nothing says so: the reward
stays at its first rung for the whole run. So a watched name is checked three times:

- when the program is built (``rewardkit check``): it must be a metric of a node of the tree, an
  advantage metric, or a metric the built-in trainer logs (``TRAINER_METRICS``);
- by ``rewardkit simulate``: the recorded stream must report it at least once (``never_reported``);
- by the trainer, after every step: the step must report it (``unreported``), else training stops.

>>> "train/loss" in TRAINER_METRICS, "eval/greedy/success" in TRAINER_METRICS
(True, True)
>>> "train/losss" in TRAINER_METRICS
False
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rewardkit.errors import ConfigError, did_you_mean
from rewardkit.schedule.base import Schedule

_POLICY = ("loss", "grad_norm", "lr", "clip_frac", "entropy_proxy", "kl")
_ROLLOUT = ("completion_tokens", "truncated_frac")
TASK_MEASURES = ("success", "iou", "parses", "steps_right", "node_f1", "tool_calls")
"""What the built-in tasks' judges measure (``Task.judge``): ``success`` for every task, ``iou``
for boxes, ``parses`` for countdown, ``steps_right`` for chain, ``node_f1`` for workflow,
``tool_calls`` (calls per rollout) for lookup."""

TRAINER_METRICS: frozenset[str] = frozenset(
    [f"train/{m}" for m in (*_POLICY, *_ROLLOUT, *TASK_MEASURES)]
    + [f"eval/{mode}/{m}" for mode in ("greedy", "sampled") for m in TASK_MEASURES]
    + [f"steps/{m}" for m in ("mean_reward", "per_completion", "scored_frac", "token_adv_abs_mean")]
    + ["data/position", "data/refill_rounds", "data/kept_groups"]
    + [f"time/{m}" for m in ("eval", "rollout", "score", "update", "step")]
)
"""Every metric ``rewardkit train`` logs besides the program's own (node and advantage metrics):
the policy update (``train/loss``...), the rollouts, the task judge's measures on the training
rollouts (``train/<measure>``) and on the held-out set (``eval/greedy/<measure>``,
``eval/sampled/<measure>``), step statistics, data position and timings. Which of them a run
reports depends on its task and options (``train/kl`` needs ``kl_beta`` > 0, ``eval/*`` comes
every ``eval_every`` steps); the trainer stops at the first step that lacks a watched one."""


def watched(schedules: Mapping[str, Schedule]) -> list[tuple[str, str]]:
    """``(schedule name, metric)`` for every metric a schedule watches, in config order."""
    return [(name, metric) for name, s in schedules.items() for metric in s.watches]


def unknown_watch_problems(
    schedules: Mapping[str, Schedule], program_metrics: Iterable[str]
) -> list[tuple[str, str]]:
    """A problem (path, message) for each watched name that neither the program nor the trainer
    reports.

    >>> from rewardkit.schedule.build import build_schedules
    >>> s = build_schedules({"t": {"ladder": [0, 1], "watch": "train/sucess",
    ...                            "raise_when": {"mean_at_least": 0.5}}})
    >>> path, message = unknown_watch_problems(s, ["reward/mean"])[0]
    >>> path, message.startswith("no metric 'train/sucess' is reported (did you mean 'train/success'")
    ('schedules.t.watch', True)
    """
    known = set(program_metrics) | TRAINER_METRICS
    out = []
    for name, metric in watched(schedules):
        if metric not in known:
            hint = did_you_mean(metric, known)
            out.append(
                (
                    f"schedules.{name}.watch",
                    f"no metric {metric!r} is reported"
                    + (f" (did you mean {hint}?)" if hint else "")
                    + "; a schedule watches a node metric (<node path>/<stat>, e.g. "
                    "'reward/mean'), an advantage metric (advantage/...) or a metric of the "
                    "built-in trainer (train/..., eval/greedy/..., steps/...; see "
                    "rewardkit.schedule.watch.TRAINER_METRICS)",
                )
            )
    return out


def unreported(
    schedules: Mapping[str, Schedule],
    metrics: Mapping[str, float],
    step: int,
    exempt: tuple[str, ...] = (),
) -> ConfigError | None:
    """The error for watched metrics missing from the metrics of step ``step`` (None: all there).

    Names that start with a prefix in ``exempt`` are not checked (the trainer exempts ``eval/``
    on steps that ran no evaluation). The message lists the metrics the step did report.

    >>> from rewardkit.schedule.build import build_schedules
    >>> s = build_schedules({"t": {"ladder": [0, 1], "watch": "reward/hit/mean",
    ...                            "raise_when": {"mean_at_least": 0.5}}})
    >>> print(unreported(s, {"reward/hti/mean": 1.0}, 0))  # doctest: +NORMALIZE_WHITESPACE
    invalid config:
      schedules.t.watch: step 0 did not report the watched metric 'reward/hit/mean' (did you mean
      'reward/hti/mean'?); without it the schedule never moves. The step reported: reward/hti/mean
    """
    missing = [
        (name, m)
        for name, m in watched(schedules)
        if m not in metrics and not (exempt and m.startswith(exempt))
    ]
    if not missing:
        return None
    return _missing_error(missing, metrics, f"step {step} did not report", "The step reported")


def never_reported(
    schedules: Mapping[str, Schedule], reported: Iterable[str]
) -> ConfigError | None:
    """The error for watched metrics that a whole recorded stream never reports (None: all are).

    >>> from rewardkit.schedule.build import build_schedules
    >>> s = build_schedules({"t": {"ladder": [0, 1], "watch": "train/success",
    ...                            "raise_when": {"mean_at_least": 0.5}}})
    >>> never_reported(s, {"train/success", "reward/mean"}) is None
    True
    """
    names = set(reported)
    missing = [(name, m) for name, m in watched(schedules) if m not in names]
    if not missing:
        return None
    return _missing_error(missing, names, "the stream never reports", "The stream reports")


def _missing_error(
    missing: list[tuple[str, str]], reported: Iterable[str], what: str, listing: str
) -> ConfigError:
    names = sorted(reported)
    problems = []
    for name, metric in missing:
        hint = did_you_mean(metric, names)
        problems.append(
            (
                f"schedules.{name}.watch",
                f"{what} the watched metric {metric!r}"
                + (f" (did you mean {hint}?)" if hint else "")
                + f"; without it the schedule never moves. {listing}: "
                + (", ".join(names) or "nothing"),
            )
        )
    return ConfigError(problems)
