"""One rank of a two-process TRL GRPO run (``torchrun --nproc_per_node 2``, gloo on CPU).

Groups of 8 completions with 4 per rank: every group is split across the two ranks. Each rank
writes ``rank<k>.json``: per optimizer step its own scored samples and the program state before
``observe``, the diagnostics the callback computed, and at the end its events and program state.

    python -m torch.distributed.run --nproc_per_node 2 trl_worker.py OUT MODEL_DIR [subclass]
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from rewardkit.integrations.trl import RewardKitCallback
from rewardkit.integrations.trl_samples import recorder
from rewardkit.program import RewardProgram

# Run as a script by torchrun; a site-packages ``tests`` package shadows this repo's, so the
# helpers are imported from this folder by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from trl_setup import TWO_RANK_CONFIG, dataset, grpo_config, trainer


class RecordingCallback(RewardKitCallback):
    """The callback, plus a record of what this rank scored and what the callback concluded."""

    def __init__(self, program: RewardProgram):
        super().__init__(program)
        self.steps: list[dict[str, Any]] = []

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        pending = recorder(self.program).pending
        samples = [dataclasses.asdict(s) for part in pending for s in part.scored.samples]
        before = self.program.state_dict()
        super().on_step_end(args, state, control, **kwargs)
        self.steps.append(
            {
                "step": state.global_step - 1,
                "samples": samples,
                "gathered": all(part.gathered for part in pending),
                "state": before,
                "metrics": self.last_metrics,
            }
        )


def main() -> None:
    out, model_dir = Path(sys.argv[1]), sys.argv[2]
    subclass = len(sys.argv) > 3 and sys.argv[3] == "subclass"
    program = RewardProgram.from_dict(TWO_RANK_CONFIG)
    config = grpo_config(out / "run", per_device_train_batch_size=4, num_generations=8, max_steps=4)
    callback = RecordingCallback(program)
    cls = None
    if subclass:
        from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer

        cls = RewardKitGRPOTrainer
    t = trainer(program, model_dir, config, cls=cls, train_dataset=dataset(16), callback=callback)
    t.train()
    rank = int(os.environ.get("RANK", "0"))
    record = {
        "steps": callback.steps,
        "events": [e.as_dict() for e in callback.events],
        "state": program.state_dict(),
    }
    (out / f"rank{rank}.json").write_text(json.dumps(record, default=str))


if __name__ == "__main__":
    main()
