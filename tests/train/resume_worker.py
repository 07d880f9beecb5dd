"""Run a small training config; with KILL_AT set, SIGKILL this process after that step.

Used by test_loop.py: the kill lands between checkpoints, as a crash would.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from rewardkit.train import TrainConfig
from rewardkit.train.loop import train


def main() -> None:
    options = json.loads(sys.argv[1])
    kill_at = int(os.environ.get("KILL_AT", "-1"))

    def on_step(step: int, metrics: dict[str, float]) -> None:
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    train(TrainConfig(**options), on_step=on_step)


if __name__ == "__main__":
    main()
