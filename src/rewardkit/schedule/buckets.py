"""A ladder per difficulty bucket: ``per: <meta key>`` on any ladder schedule.

A single global threshold saturates on easy prompts and starves hard ones: at IoU 0.3 the groups
of large objects become all-hit while those of small objects stay all-miss, and both give GRPO no
signal. With ``per: category`` the schedule keeps one ladder for each value of the samples'
``category`` (a key of ``Sample.meta``, or of ``meta["difficulty"]``), each with its own window,
rule and refresh. A sample's ``${name}`` is its bucket's level; the bucket's ladder watches the
watched metric computed over that bucket's samples only (``reward/mean@category=small``, which
``RewardProgram.score`` reports for every bucket). A bucket seen for the first time starts at
``start_level``. ``value(step)`` (logged as ``schedule/<name>``) is the lowest level over the
buckets seen; each bucket's level is logged as ``schedule/<name>@<per>=<bucket>``.

>>> from rewardkit.schedule.ladder import LadderConfig
>>> cfg = LadderConfig.model_validate({"ladder": [0.3, 0.5], "watch": "hit", "window": 1,
...                                    "raise_when": {"mean_at_least": 0.75}, "per": "size"})
>>> lad = BucketLadder("iou", cfg)
>>> [e.source for e in lad.observe(0, {"hit": 0.5, "hit@size=big": 1.0, "hit@size=small": 0.0})]
['iou@size=big']
>>> lad.value_for("big"), lad.value_for("small"), lad.value(1)
(0.5, 0.3, 0.3)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rewardkit.errors import InputError
from rewardkit.schedule.base import Event
from rewardkit.schedule.ladder import Ladder, LadderConfig


def bucket_metric(metric: str, per: str, bucket: str) -> str:
    """The name of ``metric`` computed over one bucket: ``reward/mean@category=small``."""
    return f"{metric}@{per}={bucket}"


def bucket_of(meta: Mapping[str, Any], per: str) -> str:
    """A sample's bucket: ``meta[per]``, else ``meta["difficulty"][per]``, as a string.

    >>> bucket_of({"category": "small"}, "category"), bucket_of({"difficulty": {"n": 3}}, "n")
    ('small', '3')
    """
    if per in meta:
        return str(meta[per])
    difficulty = meta.get("difficulty")
    if isinstance(difficulty, Mapping) and per in difficulty:
        return str(difficulty[per])
    raise InputError(
        f"the sample has no meta key {per!r} (nor meta['difficulty'][{per!r}]) to pick its "
        f"ladder bucket by; it has {sorted(meta)}. Put {per!r} in every sample's meta, or drop "
        "'per' from the ladder"
    )


class BucketLadder:
    """One ``Ladder`` per bucket of ``config.per`` (module doc)."""

    def __init__(self, name: str, config: LadderConfig):
        assert config.per is not None
        self.name = name
        self.kind = "ladder"
        self.per = config.per
        self.config = config
        self._single = config.model_copy(update={"per": None})
        self.watches: tuple[str, ...] = (config.watch,) + (
            (config.margin_of,) if config.margin_of else ()
        )
        self.ladders: dict[str, Ladder] = {}

    def ladder(self, bucket: str) -> Ladder:
        """The bucket's ladder (created at ``start_level`` the first time)."""
        if bucket not in self.ladders:
            self.ladders[bucket] = Ladder(bucket_metric(self.name, self.per, bucket), self._single)
        return self.ladders[bucket]

    def value_for(self, bucket: str) -> float:
        """The level a sample of ``bucket`` is scored at."""
        return self.ladder(bucket).value(0)

    def value(self, step: int) -> float:
        """The lowest level over the buckets seen (the start level before any)."""
        del step
        if not self.ladders:
            return self.config.ladder[self.config.start_level]
        levels = [ladder.level for ladder in self.ladders.values()]
        return self.config.ladder[min(levels)]

    def bucket_values(self) -> dict[str, float]:
        """``{bucket: level value}`` of every bucket seen."""
        return {b: ladder.value(0) for b, ladder in sorted(self.ladders.items())}

    def observe(self, step: int, metrics: Mapping[str, float]) -> list[Event]:
        """Each bucket's ladder observes its own metrics (``<watch>@<per>=<bucket>``)."""
        prefix = f"{self.config.watch}@{self.per}="
        buckets = sorted(k[len(prefix) :] for k in metrics if k.startswith(prefix))
        events: list[Event] = []
        for bucket in buckets:
            own = {
                m: metrics[bucket_metric(m, self.per, bucket)]
                for m in self.watches
                if bucket_metric(m, self.per, bucket) in metrics
            }
            events.extend(self.ladder(bucket).observe(step, own))
        return events

    def state_dict(self) -> dict[str, Any]:
        """Every bucket's ladder state."""
        return {
            "per": self.per,
            "buckets": {b: lad.state_dict() for b, lad in self.ladders.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore every bucket's ladder; ValueError when the state is not of this schedule."""
        if not isinstance(state, Mapping) or state.get("per") != self.per:
            raise ValueError(
                f"state for ladder {self.name!r} is not a per-{self.per} ladder state; the "
                "schedule changed since it was saved"
            )
        self.ladders = {}
        for bucket, saved in dict(state.get("buckets") or {}).items():
            self.ladder(str(bucket)).load_state_dict(saved)

    def __repr__(self) -> str:
        return f"BucketLadder({self.name!r}, per={self.per!r}, levels={self.bucket_values()})"
