"""Progress as plain lines, for a run whose output goes to a log file, CI or a SLURM job.

A progress bar redraws one line in place, which a log file cannot show; off a terminal the
trainer prints instead a line for every status message (the run folder at the start, the end of
the warm start, the start of an evaluation, a long run's estimate) and a progress line every
``every_steps`` steps or ``every_s`` seconds, whichever comes first, and at the last step. Long
stages between steps (the warm start, an evaluation) report their progress as ``activity``,
printed at most once every ``every_s`` seconds, so a log is never silent for much longer than
``every_s`` (60 s by default) and holds about ten lines per run plus one a minute at most.
Each progress line ends with the time so far and an estimate of the time left.

How a run stops is here too (``StopSignals``, ``Stopped``), light enough for the CLI to install
its handlers before it imports torch.

>>> lines = []
>>> now = [0.0]
>>> p = PlainProgress(total=4, every_steps=2, every_s=60, write=lines.append, clock=lambda: now[0])
>>> p.status("run folder: runs/x")
>>> for s in range(4):
...     now[0] += 10
...     p.step(s, {"reward/mean": s / 4})
>>> lines
['[rewardkit] run folder: runs/x', '[rewardkit] step 2/4  reward 0.250  (20 s, about 20 s left)', '[rewardkit] step 4/4  reward 0.750  (40 s)']
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """A duration as a person says it, to two units at most.

    >>> [duration(s) for s in (4.2, 59.6, 130, 3600, 5 * 3600 + 125, 50_000)]
    ['4 s', '60 s', '2 min 10 s', '1 h', '5 h 2 min', '14 h']
    """
    s = max(0, round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    hours, minutes = divmod(s // 60, 60)
    if hours >= 10 or not minutes:
        return f"{round(s / 3600)} h"
    return f"{hours} h {minutes} min"


def time_left(done: float, total: float, elapsed: float) -> float | None:
    """Seconds left at the pace so far (``done`` of ``total`` units in ``elapsed`` s), or None.

    >>> time_left(1, 4, 10.0), time_left(0, 4, 10.0)
    (30.0, None)
    """
    if done <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed / done * (total - done))


def eta_text(elapsed: float, left: float | None) -> str:
    """``(12 s, about 1 min left)``: the time so far and, when known and not 0, the time left.

    >>> eta_text(12, 61), eta_text(12, None), eta_text(12, 0.2)
    ('(12 s, about 61 s left)', '(12 s)', '(12 s)')
    """
    if left is None or left < 0.5:
        return f"({duration(elapsed)})"
    return f"({duration(elapsed)}, about {duration(left)} left)"


def progress_text(metrics: Mapping[str, float]) -> str:
    """The step's reward, schedule values and held-out success (when evaluated), one line.

    >>> progress_text({"reward/mean": 0.5, "schedule/t": 0.3, "eval/greedy/success": 0.25})
    'reward 0.500  t=0.3  eval/greedy/success 0.250'
    """
    parts = [f"reward {metrics.get('reward/mean', float('nan')):.3f}"]
    parts += [
        f"{k.split('/', 1)[1]}={v:.3g}" for k, v in metrics.items() if k.startswith("schedule/")
    ]
    if "eval/greedy/success" in metrics:
        parts.append(f"eval/greedy/success {metrics['eval/greedy/success']:.3f}")
    return "  ".join(parts)


class PlainProgress:
    """``status``, ``activity`` and ``step`` hooks of ``train`` that write plain lines (stderr).

    The estimate of the time left counts the steps of this process only (a resumed run starts
    its pace afresh), evaluations included.
    """

    def __init__(
        self,
        total: int,
        every_steps: int | None = None,
        every_s: float = 60.0,
        write: Callable[[str], None] = _stderr_line,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = total
        self.every_steps = every_steps or max(1, total // 10)
        self.every_s = every_s
        self.write = write
        self.clock = clock
        self.started = clock()
        self.last_time = self.started
        self.last_step = -1
        self.first_step: int | None = None
        self.first_end: float | None = None
        """The first step this process ran (a resumed run's pace starts afresh), and when it
        ended: the pace after it leaves the set-up and the first evaluation out."""

    def status(self, message: str) -> None:
        """One line per status message (run folder, warm start, writing the report...)."""
        self.last_time = self.clock()
        self.write(f"[rewardkit] {message}")

    def activity(self, message: str) -> None:
        """A line about a long stage (warm start, evaluation), when ``every_s`` has passed."""
        now = self.clock()
        if now - self.last_time >= self.every_s:
            self.last_time = now
            self.write(f"[rewardkit] {message}")

    def step(self, step: int, metrics: Mapping[str, float]) -> None:
        """A line when ``every_steps`` steps or ``every_s`` seconds have passed, or at the end."""
        now = self.clock()
        if self.first_step is None or self.first_end is None:  # its pace includes the set-up
            self.first_step, self.first_end = step, now
            done, span = 1, now - self.started
        else:  # the pace of the steps after the first
            done, span = step - self.first_step, now - self.first_end
        due = (
            step + 1 >= self.total
            or step - self.last_step >= self.every_steps
            or now - self.last_time >= self.every_s
        )
        if not due:
            return
        self.last_step, self.last_time = step, now
        left = time_left(done, done + self.total - step - 1, span)
        self.write(
            f"[rewardkit] step {step + 1}/{self.total}  {progress_text(metrics)}  "
            f"{eta_text(now - self.started, left)}"
        )


class Stopped(KeyboardInterrupt):
    """The run stopped on signal ``signum`` (a KeyboardInterrupt, so callers that catch Ctrl-C
    catch it); ``saved`` is the checkpoint the run continues from, when one was written."""

    def __init__(self, signum: int, saved: Path | None = None):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.saved = saved
        self.run_dir: Path | None = None
        """The run folder, when one is left (set by the CLI)."""

    @property
    def exit_code(self) -> int:
        """128 + the signal: 130 for SIGINT, 143 for SIGTERM (what a shell reports)."""
        return 128 + self.signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class StopSignals:
    """SIGINT and SIGTERM as a stop request: a flag, and ``Stopped`` where stopping is safe.

    Handlers are installed explicitly (``install``), not inherited: a job started in the
    background by a non-interactive shell (``nohup cmd &`` in a script, CI) starts with SIGINT
    ignored, and Python then installs no handler of its own, so ``kill -INT`` did nothing. Code
    inside ``deferred()`` (the update, logging, a checkpoint) is never cut short by the first
    signal: ``check()`` after it raises. A KeyboardInterrupt that lands in a finalizer is
    swallowed by Python ("Exception ignored in ... __del__"); the flag stays set, so the next
    ``check()`` (or forward call of the model) raises again, and the hook that prints the
    swallowed exception is quieted for it.
    """

    requested: int | None = None
    deferring: int = 0
    previous: dict[int, Any] = field(default_factory=dict)
    _unraisable: Any = None

    def install(self) -> StopSignals:
        """Handle SIGINT and SIGTERM until ``restore()`` (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread() or self.previous:
            return self
        for signum in STOP_SIGNALS:
            self.previous[signum] = signal.signal(signum, self._handle)
        self._unraisable = sys.unraisablehook
        sys.unraisablehook = self._quiet_unraisable
        return self

    def restore(self) -> None:
        """Put back the handlers that were there before ``install()``."""
        for signum, handler in self.previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self.previous.clear()
        if self._unraisable is not None:
            sys.unraisablehook = self._unraisable
            self._unraisable = None

    def _handle(self, signum: int, frame: Any) -> None:
        again = self.requested is not None
        if not again:
            self.requested = signum
        if again or not self.deferring:
            raise Stopped(self.requested or signum)

    def _quiet_unraisable(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and self.requested is not None:
            return  # raised again at the next check
        if self._unraisable is not None:
            self._unraisable(unraisable)

    def check(self) -> None:
        """Raise ``Stopped`` if a stop was requested (outside ``deferred()``)."""
        if self.requested is not None and not self.deferring:
            raise Stopped(self.requested)

    @contextlib.contextmanager
    def deferred(self, check: bool = True) -> Iterator[None]:
        """A block the first signal does not cut short (checked when the block is done, unless
        ``check`` is false: the caller checks ``requested`` itself)."""
        self.deferring += 1
        try:
            yield
        finally:
            self.deferring -= 1
        if check:
            self.check()
