"""Every stop of ``rewardkit train`` saves, says how to resume, and exits 130 (SIGINT) or 143
(SIGTERM): runs started in the background as a non-interactive shell starts them (SIGINT
ignored), sent a signal before step 1 (in the warm start, in the first evaluation), mid-run and
during a later evaluation; each resumed with the command it printed. A run stopped mid-step
and resumed logs what an uninterrupted run logs."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardkit.runs.runlog import read_jsonl
from rewardkit.train import TrainConfig
from rewardkit.train.loop import train
from rewardkit.train.progress import Stopped, StopSignals

SRC = Path(__file__).parents[2] / "src"
SETS = ["--set", "seed=3", "--set", "name=stop me"]


class Run:
    """``rewardkit train`` in the background, SIGINT ignored as in a script's ``cmd &``."""

    def __init__(self, args: list[str], cwd: Path):
        env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rewardkit.cli.main", "train", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float = 60) -> None:
        """Until a line starts with ``[rewardkit] prefix``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if line.startswith(f"[rewardkit] {prefix}"):
                return
        self.proc.kill()
        raise AssertionError(f"no line {prefix!r}:\n" + "\n".join(self.lines))

    def stop(self, signum: int, timeout: float = 60) -> tuple[int, str]:
        self.proc.send_signal(signum)
        return self.finish(timeout)

    def finish(self, timeout: float = 90) -> tuple[int, str]:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("still running:\n" + "\n".join(self.lines)) from None
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return code, "\n".join(self.lines)


def _config(tmp_path: Path, tiny: Callable[..., dict[str, Any]], **changes: Any) -> Path:
    # Evaluations of 96 problems take a second or two: long enough to be stopped in.
    options = tiny(
        steps=6,
        eval_every=3,
        eval_size=96,
        max_new_tokens=24,
        checkpoint_every=100,
        eval_sampled=False,
        **changes,
    )
    path = tmp_path / "train config.yaml"
    path.write_text(yaml.safe_dump(options))
    return path


def _command(text: str, prefix: str) -> list[str]:
    """The command a stopped run printed after ``prefix``, as argv for the module."""
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    words = shlex.split(line.removeprefix(prefix))
    assert words[:2] == ["rewardkit", "train"]
    return words[2:]


def _comparable(run: Path) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if not k.startswith("time/")}
        for r in read_jsonl(run / "metrics.jsonl")
    ]


def _warm(tiny: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    # The warm start, cached for the session (the run in a folder of its own).
    train(TrainConfig(**tiny(steps=1, eval_every=0, out_dir=str(tmp_path / "warm-up"))))


@pytest.mark.process
@pytest.mark.slow
def test_a_stop_before_step_1_names_the_command_with_its_set_flags(
    tmp_path: Path, tiny: Callable[..., dict[str, Any]]
) -> None:
    # In the warm start (not cached here): SIGINT, which the child inherited ignored.
    long_warm = {"steps": 5000, "batch": 8, "cache_dir": str(tmp_path / "warm")}
    config = _config(tmp_path, tiny, warm_start=long_warm)
    run = Run([str(config), *SETS], tmp_path)
    run.wait_for("warm start: building")
    time.sleep(0.5)
    code, text = run.stop(signal.SIGINT)
    assert code == 130, text
    assert "stopped (SIGINT) before the first step was done; nothing was saved" in text
    again = _command(text, "start again with: ")
    assert again == [str(config), *SETS]
    assert not list((tmp_path / "runs").glob("*")), "a stopped start leaves no run folder"
    assert [p.name for p in (tmp_path / "warm").iterdir() if not p.name.startswith(".")] == []
    assert "Traceback" not in text and "Exception ignored" not in text

    # In the first evaluation (warm start cached): SIGTERM; then the printed command runs.
    _warm(tiny, tmp_path)
    config = _config(tmp_path, tiny)
    run = Run([str(config), *SETS], tmp_path)
    run.wait_for("evaluating 96 problems at step 0")
    code, text = run.stop(signal.SIGTERM)
    assert code == 143, text
    assert "stopped (SIGTERM) before the first step was done" in text
    assert not list((tmp_path / "runs").glob("*"))
    again = _command(text, "start again with: ")
    assert again == [str(config), *SETS]
    code, text = Run(again, tmp_path).finish()
    assert code == 0, text
    (folder,) = (tmp_path / "runs").iterdir()
    assert json.loads((folder / "config.json").read_text())["name"] == "stop me"


@pytest.mark.process
@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "point"),
    [(signal.SIGINT, "step 2/6"), (signal.SIGTERM, "evaluating 96 problems at step 3")],
    ids=["sigint-mid-run", "sigterm-in-evaluation"],
)
def test_a_stopped_run_saves_and_resumes_exactly(
    tmp_path: Path, tiny: Callable[..., dict[str, Any]], signum: int, point: str
) -> None:
    _warm(tiny, tmp_path)
    config = _config(tmp_path, tiny)
    run = Run([str(config), *SETS], tmp_path)
    run.wait_for(point)
    code, text = run.stop(signum)
    assert code == 128 + signum, text
    name = signal.Signals(signum).name
    assert f"stopped ({name}) after step " in text and "saved: checkpoint step-0000" in text
    assert "Traceback" not in text and "Exception ignored" not in text
    again = _command(text, "resume with: ")
    assert again[0] == "--resume" and len(again) == 2
    folder = Path(again[1])
    done = len(read_jsonl(folder / "metrics.jsonl"))
    assert 1 <= done < 6 and (folder / "summary.json").exists()
    assert (folder / "checkpoints" / f"step-{done:06d}").is_dir()
    if "evaluating" in point:
        assert done == 3  # stopped in the evaluation before step 4: it reruns on resume
    code, text = Run(again, tmp_path).finish()
    assert code == 0, text
    # Exactly what a run that never stopped logs.
    options = {**yaml.safe_load(config.read_text()), "seed": 3, "run_name": "whole"}
    whole = train(TrainConfig(**options)).run_dir
    assert _comparable(folder) == _comparable(whole)


def test_a_first_signal_waits_for_a_deferred_block_a_second_does_not() -> None:
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN where a shell started the tests with &
    stop = StopSignals().install()
    try:
        with pytest.raises(Stopped) as info:  # outside a deferred block: at once
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        assert info.value.exit_code == 143
        stop.requested = None
        done = []
        with pytest.raises(Stopped) as info, stop.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            done.append("the block ran to its end")
        assert done and info.value.exit_code == 130
        with pytest.raises(Stopped), stop.deferred():  # a second signal does not wait
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
            done.append("not reached")
        assert len(done) == 1
    finally:
        stop.restore()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_stop_swallowed_by_a_finalizer_is_raised_at_the_next_check() -> None:
    class Finalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # as if Ctrl-C landed in a finalizer
            time.sleep(0.05)

    stop = StopSignals().install()
    try:
        caught: list[Any] = []
        previous = stop._unraisable
        stop._unraisable = caught.append  # what Python would have printed
        Finalized()  # its KeyboardInterrupt is swallowed ("Exception ignored in ...")
        assert stop.requested == signal.SIGINT and caught == []
        with pytest.raises(Stopped):
            stop.check()
        stop._unraisable = previous
    finally:
        stop.restore()
