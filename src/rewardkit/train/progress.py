"""Progress as plain lines, for a run whose output goes to a log file, CI or a SLURM job.

A progress bar redraws one line in place, which a log file cannot show; off a terminal the
trainer prints instead a line for every status message (the run folder at the start, the warm
start's progress) and a progress line every ``every_steps`` steps or ``every_s`` seconds,
whichever comes first, and at the last step.

>>> lines = []
>>> p = PlainProgress(total=4, every_steps=2, every_s=1e9, write=lines.append, clock=lambda: 0.0)
>>> p.status("run folder: runs/x")
>>> for s in range(4): p.step(s, {"reward/mean": s / 4})
>>> lines
['[rewardkit] run folder: runs/x', '[rewardkit] step 2/4  reward 0.250  (0 s)', '[rewardkit] step 4/4  reward 0.750  (0 s)']
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


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
    """``status`` and ``step`` hooks of ``train`` that write plain lines (to stderr by default)."""

    def __init__(
        self,
        total: int,
        every_steps: int | None = None,
        every_s: float = 30.0,
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

    def status(self, message: str) -> None:
        """One line per status message (run folder, warm start, writing the report...)."""
        self.write(f"[rewardkit] {message}")

    def step(self, step: int, metrics: Mapping[str, float]) -> None:
        """A line when ``every_steps`` steps or ``every_s`` seconds have passed, or at the end."""
        now = self.clock()
        due = (
            step + 1 >= self.total
            or step - self.last_step >= self.every_steps
            or now - self.last_time >= self.every_s
        )
        if not due:
            return
        self.last_step, self.last_time = step, now
        elapsed = now - self.started
        self.write(
            f"[rewardkit] step {step + 1}/{self.total}  {progress_text(metrics)}  ({elapsed:.0f} s)"
        )
