"""The task reward components, registered through the ``rewardkit.rewards`` entry point.

``rewardkit components``, ``check``, ``score`` and the trainer find them by name without an
import: the registry loads this module the first time it looks a name up.

- ``countdown`` (``tasks/countdown.py``): the countdown tiers (parses, allowed numbers, target);
- ``workflow_integrity`` (``tasks/workflow.py``): the edges of a workflow graph join known nodes;
- ``chain_step`` (below): each step of a ``chain`` answer checked against the prompt's step;

Like ``rewards/``, it imports neither torch nor transformers.

>>> from rewardkit import registry
>>> {"countdown", "workflow_integrity", "chain_step"} <= set(registry.names())
True
"""

from __future__ import annotations

from rewardkit.registry import reward
from rewardkit.rewards.process import Aggregate, StepCheckParams, StepParams, step_check
from rewardkit.tasks import countdown, workflow  # noqa: F401  (imported to register)
from rewardkit.types import Sample, Score

CHECK_STEP = "rewardkit.tasks.chain:check_step"


class ChainStepParams(StepParams):
    """How steps are cut (as in ``step_check``) and how their values become one."""

    aggregate: Aggregate = "mean"


@reward("chain_step", params=ChainStepParams)
def chain_step(sample: Sample, p: ChainStepParams) -> Score | None:
    """Chain task: each step is the prompt's next operation, done right (step values per step).

    ``step_check`` with ``verifier: function`` and ``fn_ref: rewardkit.tasks.chain:check_step``.

    >>> s = Sample(id="0", group="g", prompt="7 +5 *3\\n", completion="7+5=12\\n12*3=35\\n=35")
    >>> score = chain_step(s, ChainStepParams())
    >>> score.value, score.steps
    (0.5, (1.0, 0.0, nan))
    """
    check = StepCheckParams(**p.model_dump(), verifier="function", fn_ref=CHECK_STEP)
    return step_check(sample, check)
