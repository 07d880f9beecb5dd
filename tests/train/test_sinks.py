"""The metric sinks, for real: a 2-step run logs to each, and each is read back with its own tools.

TensorBoard through tensorboard's event reader, MLflow from a local file store through its
client, W&B in offline mode from the run's ``.wandb`` file (records parsed with W&B's protobuf).
Every finite value of ``metrics.jsonl`` must come back at its step.
"""

from __future__ import annotations

import json
import math
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rewardkit.runs.runlog import read_jsonl
from rewardkit.train import TrainConfig
from rewardkit.train.loop import train

Tiny = Callable[..., dict[str, Any]]
KEYS = (
    "reward/mean",
    "reward/hit/zero_std_frac",
    "train/entropy_proxy",
    "train/completion_tokens",
    "eval/greedy/iou",
)


def _run(tiny: Tiny, sink: str) -> tuple[Path, dict[str, dict[int, float]]]:
    """A 2-step run with ``sink``; its folder and the logged values of KEYS, by step."""
    run = train(TrainConfig(**tiny(sinks=[sink]))).run_dir
    logged: dict[str, dict[int, float]] = {k: {} for k in KEYS}
    for row in read_jsonl(run / "metrics.jsonl"):
        for key in KEYS:
            if isinstance(row.get(key), float) and math.isfinite(row[key]):
                logged[key][row["step"]] = row[key]
    assert all(logged[k] for k in KEYS)
    return run, logged


def test_tensorboard(tiny: Tiny) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run, logged = _run(tiny, "tensorboard")
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0})
    events.Reload()
    for key, values in logged.items():
        back = {e.step: e.value for e in events.Scalars(key)}
        assert back == pytest.approx(values, rel=1e-6)  # stored as float32


def test_mlflow_local_file_store(tiny: Tiny, tmp_path: Path, monkeypatch: Any) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    store = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps it behind a flag
    run, logged = _run(tiny, "mlflow")
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("rewardkit")
    assert experiment is not None
    (found,) = client.search_runs([experiment.experiment_id])
    assert found.info.run_name == run.name and found.info.status == "FINISHED"
    for key, values in logged.items():
        back = {m.step: m.value for m in client.get_metric_history(found.info.run_id, key)}
        assert back == values
    assert "reward/zero_std_frac_at_first50" not in found.data.metrics  # only per-step metrics


def test_wandb_offline(tiny: Tiny, monkeypatch: Any) -> None:
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run, logged = _run(tiny, "wandb")
    (path,) = (run / "wandb").glob("offline-run-*/run-*.wandb")
    records = _wandb_records(path)
    deadline = time.monotonic() + 20
    # W&B's service writes the file on its own schedule; finish() can return before it has.
    while not any(r.WhichOneof("record_type") == "exit" for r in records):
        assert time.monotonic() < deadline, "the offline run file was never completed"
        time.sleep(0.2)
        records = _wandb_records(path)
    history: dict[int, dict[str, Any]] = {}
    for record in records:
        if record.WhichOneof("record_type") == "history":
            row = {
                i.key or "/".join(i.nested_key): json.loads(i.value_json)
                for i in record.history.item
            }
            history[row["_step"]] = row
    for key, values in logged.items():
        assert {s: r[key] for s, r in history.items() if key in r} == values


def _wandb_records(path: Path) -> list[Any]:
    """The protobuf records of a ``.wandb`` file: a 7-byte header, then LevelDB-style log
    blocks of 32 KiB whose chunks (crc, length, type: 1 full, 2 first, 3 middle, 4 last) hold
    one serialized ``Record`` each."""
    from wandb.proto import wandb_internal_pb2

    data, block, pos = path.read_bytes(), 32768, 7
    assert data[:4] == b":W&B"
    records, pending = [], b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a chunk header is padding
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def test_a_missing_sink_is_named_before_the_run_folder_exists(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from rewardkit.errors import MissingExtraError
    from rewardkit.runs.runlog import RunFolder

    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install wandb"):
        RunFolder(tmp_path / "run", ["wandb"])
    assert not (tmp_path / "run").exists()
