"""``rewardkit init``: write a commented starter config that ``train``, ``check`` and ``score`` take.

The file is a train config (task, model, GRPO options) whose ``program:`` is the task's own
reward program written out, so the reward tree and its schedules can be edited in place:

    rewardkit init my_run.yaml --task boxes
    rewardkit check my_run.yaml        # the tree and the schedules
    rewardkit train my_run.yaml        # the same run as `rewardkit train`, now yours to change
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console

from rewardkit.cli.inputs import check_output_file, fail
from rewardkit.errors import RewardKitError

err = Console(stderr=True, soft_wrap=True)

HEADER = """\
# A rewardkit train config: `rewardkit train {path}` trains on it, `rewardkit check {path}`
# validates it and prints the reward tree, `rewardkit score -c {path} -i IN -o OUT` scores a JSONL
# of rollouts with its program. Every option not written here keeps its default:
# `rewardkit train --help` lists them all, and `rewardkit schema` gives a JSON Schema for editors.

# -- what to train --------------------------------------------------------------------------------
{task_line}# boxes | countdown | chain | workflow | lookup | reasoning_gym:<dataset>
# model: smollm2             # a local causal LM folder, or smollm2; unset: a tiny model, warm-started
tiny: {{layers: 2, hidden: 64}}  # the tiny model's shape (used when model is unset)

# -- GRPO -----------------------------------------------------------------------------------------
{steps_line}# optimizer steps
prompts_per_step: 16         # distinct prompts per step
group_size: 8                # completions sampled per prompt: the group advantages are taken over
max_new_tokens: 16           # completion length limit, in tokens
lr: 0.0003                   # AdamW learning rate
kl_beta: 0.0                 # weight of the KL to the starting model (0: no reference model kept)

# -- evaluation and checkpoints ---------------------------------------------------------------------
eval_every: 25               # steps between held-out evaluations (0: none)
eval_size: 256               # held-out problems per evaluation
checkpoint_every: 25         # steps between checkpoints (`rewardkit train --resume RUN` continues)
seed: 0

# -- the reward program: the {task} task's default, written out to edit ---------------------------
# reward: the tree of components (`rewardkit components` lists them); tiers: a higher tier counts
# only when the lower ones pass; weighted: a weighted sum. schedules: variables such as
# ${{iou_threshold}} that move during training (`rewardkit simulate` replays them on a run's metrics).
program:
"""


def starter_config(task: str, steps: int = 500, path: str = "CONFIG.yaml") -> str:
    """The text of a commented train config for ``task``, with its default program written out.

    >>> text = starter_config("boxes")
    >>> "task: boxes" in text and "iou_threshold" in text
    True
    """
    from rewardkit.tasks import make_task

    program: dict[str, Any] = make_task(task, {}).reward_config()
    body = yaml.safe_dump(program, sort_keys=False, default_flow_style=None, width=100)
    indented = "".join(f"  {line}\n" for line in body.splitlines())
    return (
        HEADER.format(
            task=task,
            path=path,
            task_line=f"task: {task}".ljust(29),
            steps_line=f"steps: {steps}".ljust(29),
        )
        + indented
    )


def init(
    path: Path = typer.Argument(Path("rewardkit.yaml"), help="where to write the config"),
    task: str = typer.Option(
        "boxes", help="built-in task: boxes, countdown, chain, workflow, lookup"
    ),
    force: bool = typer.Option(False, "--force", help="overwrite PATH when it exists"),
) -> None:
    """Write a commented starter train config (its task's reward program written out to edit).

    Then `rewardkit check PATH` shows its reward tree and `rewardkit train PATH` trains on it.
    """
    from rewardkit.train.config import BUILTIN_TASKS, load_train_config

    if task not in BUILTIN_TASKS:
        fail(f"--task {task!r}: init knows the built-in tasks {', '.join(BUILTIN_TASKS)}")
    if path.exists() and not force:
        fail(f"{path} exists; choose another path, or add --force to overwrite it")
    try:
        check_output_file(path)
        text = starter_config(task, path=str(path))
        load_train_config(yaml.safe_load(text))  # what we write must load
        path.write_text(text, encoding="utf-8")
    except (RewardKitError, OSError) as exc:
        fail(str(exc))
    err.print(
        f"wrote {path}; next: rewardkit check {path}  (then: rewardkit train {path})",
        markup=False,
        highlight=False,
    )
