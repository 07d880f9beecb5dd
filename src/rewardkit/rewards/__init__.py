"""The built-in signal library. Importing this package registers every built-in component.

The registry imports it through rewardkit's own ``rewardkit.rewards`` entry point (``builtin`` in
``pyproject.toml``), the mechanism any package uses to add components: ``registry.py`` itself
imports nothing from here.

Each module holds one family: env (an environment's own rewards of a multi-turn rollout), format, answers, numeric, numeric_error, math, geometry, structure, text, length, process,
prm, implicit_prm, code, judge (LLM judges), reward_model (classifier reward models), tools and
tool_match (tool calls: ToolRL, call matching, schema validity, call penalties), rtl (Verilog
syntax, function and PPA from Icarus Verilog and Yosys), search (search agents: Search-R1's
exact match and F1, gold documents retrieved) and atomic (Atom-Searcher's atomic thought reward). Components
are pure functions of (sample, params) except where noted; the model-based scorers (prm,
implicit_prm, reward_model) import torch and transformers only when used, the judges httpx.
"""

from rewardkit.rewards import (  # noqa: F401  (imported to register)
    answers,
    atomic,
    code,
    env,
    format,
    geometry,
    implicit_prm,
    judge,
    length,
    math,
    numeric,
    numeric_error,
    prm,
    process,
    reasoning_gym,
    reward_model,
    rtl,
    search,
    structure,
    text,
    tool_match,
    tools,
)
