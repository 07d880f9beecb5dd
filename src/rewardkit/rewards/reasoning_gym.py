"""``reasoning_gym``: a reasoning-gym dataset's own ``score_answer`` as a reward component.

The reference is a reasoning-gym entry (``question``, ``answer`` and ``metadata`` with its
``source_dataset``), as its generators make them and as ``task: reasoning_gym:<dataset>`` hands
them to the reward. The scorer is that dataset's own, looked up by ``metadata.source_dataset`` (or
the ``dataset`` parameter): rewardkit adds no judgement of its own, so a score here is the score
reasoning-gym's evaluations report. ``extract`` picks the answer out of the completion first (a
completion with no answer scores 0, as for every answer component); a reference that is not such
an entry, or names a dataset reasoning-gym does not have, is unjudgeable.

Partial credit is off by default: many datasets inherit reasoning-gym's base ``score_answer``,
which pays ``len(oracle) / len(answer)`` when the oracle is a substring of a wrong answer
(``-4495364151`` against ``-449536415``: 0.909; ``14`` against ``4``: 0.5), a reward a policy
farms by padding. By default a score of exactly 1.0 pays 1.0 and anything else 0.0;
``partial: true`` passes reasoning-gym's value through.

A score above 1.0 is never a right answer: it is a float accident of a partial sum.
``spell_backward`` adds ``1/len(oracle)`` per matching position and takes 0.2 off a sum of
exactly 1.0 that is not an equal answer, but for oracles of 9, 11, 18, 20, 21, 25, ... letters
the float sum overshoots to 1.0000000000000002 and escapes that check: the oracle plus any
suffix (``ylhsirruc`` + ``x``) scores above 1.0. Every dataset's oracle answers score exactly
1.0 (checked on all of reasoning-gym's datasets whose entries carry an answer), so "exactly 1.0"
loses no right answer; with ``partial: true`` a score above 1.0 pays 0.0 too, not more than a
right answer.

Needs ``reasoning-gym`` (``pip install 'rewardkit[gym]'``).

>>> entry = {"question": "Calculate 5 - 3 - 6.", "answer": "-4",
...          "metadata": {"source_dataset": "basic_arithmetic"}}
>>> s = Sample(id="0", group="g", prompt="", completion=" -4", reference=entry)
>>> from dataclasses import replace
>>> padded = replace(s, completion="-45")
>>> [reasoning_gym_score(x, ReasoningGymParams()) for x in (s, replace(s, completion="-5"), padded)]
[1.0, 0.0, 0.0]
>>> reasoning_gym_score(padded, ReasoningGymParams(partial=True))
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from rewardkit.errors import UnjudgeableReference, require
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.types import Sample


class ReasoningGymParams(ExtractParams):
    """``dataset``: the scorer's dataset when the entry does not name it (``source_dataset``);
    ``partial``: pass reasoning-gym's partial credit through (module doc)."""

    dataset: str | None = None
    partial: bool = False


@cache
def score_answer_fn(dataset: str) -> Callable[..., float]:
    """reasoning-gym's ``score_answer`` of ``dataset`` (one scorer per dataset, reused)."""
    factory = require("reasoning_gym.factory", "gym")
    if dataset not in factory.DATASETS:
        raise UnjudgeableReference(
            f"reasoning_gym: no dataset {dataset!r} in reasoning-gym "
            f"{require('reasoning_gym', 'gym').__version__}; see reasoning_gym.factory.DATASETS"
        )
    fn: Callable[..., float] = factory.get_score_answer_fn(dataset)
    return fn


def entry_dataset(reference: Any, dataset: str | None) -> str:
    """The dataset whose scorer judges ``reference`` (an entry), or ``UnjudgeableReference``."""
    if not isinstance(reference, Mapping) or "answer" not in reference:
        raise UnjudgeableReference(
            "reasoning_gym: the reference is not a reasoning-gym entry "
            "({question, answer, metadata: {source_dataset, ...}}); got "
            f"{type(reference).__name__}"
        )
    meta = reference.get("metadata")
    name = dataset or (meta.get("source_dataset") if isinstance(meta, Mapping) else None)
    if not isinstance(name, str):
        raise UnjudgeableReference(
            "reasoning_gym: the entry names no metadata.source_dataset; set the dataset parameter"
        )
    return name


@reward("reasoning_gym", params=ReasoningGymParams)
def reasoning_gym_score(sample: Sample, p: ReasoningGymParams) -> float:
    """reasoning-gym's own ``score_answer`` for the extracted answer (0..1; module doc)."""
    scorer = score_answer_fn(entry_dataset(sample.reference, p.dataset))
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return 0.0
    score = float(scorer(answer=answer, entry=dict(sample.reference)))
    if score > 1.0:  # a float accident of a partial sum, never a right answer (module doc)
        return 0.0
    return score if p.partial else float(score == 1.0)
