"""The built-in signal library. Importing this package registers every built-in component.

Each module holds one family: format, answers, math, geometry, structure, text, length, process,
code. Components are pure functions of (sample, params) except where noted.
"""

from rewardkit.rewards import (  # noqa: F401  (imported to register)
    answers,
    code,
    format,
    geometry,
    length,
    math,
    process,
    structure,
    text,
)
