"""The run folder: resolved config, ``metrics.jsonl``, ``events.jsonl``, and optional sinks.

One metrics line per step (every node's statistics, zero-variance fractions, schedule values,
timings, eval results); one events line per schedule raise, curriculum move or scoring error;
a few held-out answers per evaluation in ``samples.jsonl``. On resume the files are cut back
to the checkpoint's step, so a resumed run's files read as if it had never stopped.

The sinks (``sinks: [tensorboard, mlflow, wandb]`` in a train config) receive every step's
finite metrics too: TensorBoard event files in ``<run>/tensorboard``; an MLflow run in the
tracking store MLflow is set to (``MLFLOW_TRACKING_URI``); a W&B run (``WANDB_MODE=offline``
keeps it in ``<run>/wandb``). Each names the package to install when it is missing.

>>> import tempfile, json
>>> run = RunFolder(tempfile.mkdtemp())
>>> run.log_step(0, {"reward/mean": 0.5}); run.log_step(1, {"reward/mean": 0.7})
>>> run.truncate(after_step=0); [r["step"] for r in read_jsonl(run.metrics_path)]
[0]
"""

from __future__ import annotations

import importlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from rewardkit.errors import MissingExtraError


class RunFolder:
    """Paths and append-only logs of one training run."""

    def __init__(self, path: str | Path, sinks: Iterable[str] = ()):
        sinks = list(sinks)
        check_sinks(sinks)  # before the folder exists: a failed start leaves nothing behind
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.path / "metrics.jsonl"
        self.events_path = self.path / "events.jsonl"
        self.samples_path = self.path / "samples.jsonl"
        self.checkpoints = self.path / "checkpoints"
        self.sinks = [open_sink(name, self.path) for name in sinks]

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Save the resolved config (every default filled in) as ``config.json``."""
        (self.path / "config.json").write_text(json.dumps(config, indent=1, default=str))

    def log_step(self, step: int, metrics: Mapping[str, float]) -> None:
        """Append one metrics line (NaN and inf are written as null)."""
        row = {"step": step, **{k: _finite(v) for k, v in sorted(metrics.items())}}
        _append(self.metrics_path, row)
        for sink in self.sinks:
            sink.log(step, metrics)

    def log_events(self, step: int, events: Iterable[Any]) -> None:
        """Append one line per event (schedule and curriculum ``Event``s, or dicts)."""
        for event in events:
            body = event.as_dict() if hasattr(event, "as_dict") else dict(event)
            _append(self.events_path, {"step": step, **body})

    def log_samples(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append held-out answers shown in the report (each record carries its ``step``)."""
        for record in records:
            _append(self.samples_path, record)

    def truncate(self, after_step: int) -> None:
        """Drop log lines of steps after ``after_step`` (written before a crash)."""
        for path in (self.metrics_path, self.events_path, self.samples_path):
            if path.exists():
                keep = [r for r in read_jsonl(path) if int(r["step"]) <= after_step]
                path.write_text("".join(json.dumps(r) + "\n" for r in keep))

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _append(path: Path, row: Mapping[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, default=str) + "\n")
        f.flush()


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file (an empty list when it does not exist)."""
    p = Path(path)
    if not p.exists():
        return []
    rows = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut by a crash ends the file
    return rows


class _Sink:
    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


def _finite_numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


class _TensorBoard(_Sink):
    """Event files in ``<run>/tensorboard`` (``tensorboard --logdir runs``)."""

    def __init__(self, path: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(path / "tensorboard"))

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        for key, value in _finite_numbers(metrics).items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()  # a killed run keeps what it logged

    def close(self) -> None:
        self.writer.close()


class _Wandb(_Sink):
    """A W&B run named after the run folder, its files in ``<run>/wandb``.

    Project, entity and mode come from W&B's own settings (``WANDB_PROJECT``, default
    ``rewardkit``; ``WANDB_MODE=offline`` writes locally, ``wandb sync`` uploads later).
    """

    def __init__(self, path: Path):
        import wandb

        project = None if os.environ.get("WANDB_PROJECT") else "rewardkit"
        self.run = wandb.init(
            dir=str(path), name=path.name, project=project, reinit="finish_previous"
        )

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        self.run.log(_finite_numbers(metrics), step=step)

    def close(self) -> None:
        self.run.finish()


class _Mlflow(_Sink):
    """An MLflow run named after the run folder, in experiment ``rewardkit``.

    The tracking store is MLflow's own setting (``MLFLOW_TRACKING_URI``; unset: MLflow's
    default). Metric names may not hold ``@``, so ``x@first50`` is logged as ``x_at_first50``.
    """

    def __init__(self, path: Path):
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient()
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "rewardkit")
        found = self.client.get_experiment_by_name(name)
        experiment = found.experiment_id if found else self.client.create_experiment(name)
        self.run_id = self.client.create_run(experiment, run_name=path.name).info.run_id

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [
            Metric(k.replace("@", "_at_"), v, now, step)
            for k, v in _finite_numbers(metrics).items()
        ]
        self.client.log_batch(self.run_id, metrics=batch)

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


SINKS: dict[str, tuple[str, Callable[[Path], _Sink]]] = {
    "tensorboard": ("tensorboard", _TensorBoard),
    "wandb": ("wandb", _Wandb),
    "mlflow": ("mlflow", _Mlflow),
}
"""Sink name -> (the package it needs, its class)."""


def check_sinks(names: Iterable[str]) -> None:
    """Raise MissingExtraError naming the package to install for every sink that lacks it."""
    missing = []
    for name in names:
        package = SINKS[name][0]
        try:
            importlib.import_module(package)
        except ImportError:
            missing.append(package)
    if missing:
        raise MissingExtraError(
            f"the metric sinks {missing} are not installed: pip install {' '.join(missing)}"
        )


def open_sink(name: str, path: Path) -> _Sink:
    """A metric sink by name: ``tensorboard``, ``wandb`` or ``mlflow`` (each must be installed)."""
    check_sinks([name])
    return SINKS[name][1](path)
