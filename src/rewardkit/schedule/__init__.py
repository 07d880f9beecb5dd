"""Schedules: named variables (``${name}`` in a reward config) whose value changes over training.

Time-based shapes (constant, linear, cosine, exponential, piecewise), the performance-aware
``ladder`` (MedLoc-R1) and the ``transition`` between two parts of the reward (Atom-Searcher).

>>> s = build_schedule("const", {"constant": 0.5})
>>> s.value(0), s.watches
(0.5, ())
"""

from rewardkit.schedule.base import Event, Schedule
from rewardkit.schedule.build import TYPES, build_schedule, build_schedules
from rewardkit.schedule.ladder import Ladder
from rewardkit.schedule.simulate import Timeline, simulate
from rewardkit.schedule.time import TimeSchedule
from rewardkit.schedule.transition import Transition

__all__ = [
    "TYPES",
    "Event",
    "Ladder",
    "Schedule",
    "TimeSchedule",
    "Timeline",
    "Transition",
    "build_schedule",
    "build_schedules",
    "simulate",
]
