"""The reward probe: does a reward program pay known exploits as much as a correct answer?

- ``answer``: where the answer sits in a correct completion, and a wrong answer of its shape;
- ``mutations``: the registry of exploit mutations (``@mutation("name")``) and the built-ins;
- ``lookalikes``: built-in mutations that are wrong answers carrying the right one's text (hedges,
  a disowned answer, the prompt's expression, fractions), for readers that forgive words;
- ``tool_calls``: built-in mutations of tool calls (junk calls, repeats, schema-breaking
  arguments, a call after the answer, the gold names with empty arguments);
- ``search``: built-in mutations of search rollouts (an answer without searching, the question
  searched verbatim many times, a passage copied as the answer, thoughts restating the question);
- ``rtl``: built-in mutations of Verilog designs (an empty module, constant or hard-coded outputs,
  the prompt as the design);
- ``run``: ``probe(program, samples)`` scores each correct completion with its mutations as one
  GRPO group and reports, per mutation, what it earns and which node pays it.

The command line is ``rewardkit probe CONFIG -i SAMPLES.jsonl``.
"""

from __future__ import annotations

from rewardkit.probe import lookalikes, rtl, search, tool_calls  # noqa: F401  (imported to register built-ins)
from rewardkit.probe.answer import Answer, locate_answer, wrong_answer
from rewardkit.probe.mutations import MUTATIONS, Mutation, get_mutations, mutation
from rewardkit.probe.run import MutationResult, ProbeReport, probe

__all__ = [
    "MUTATIONS",
    "Answer",
    "Mutation",
    "MutationResult",
    "ProbeReport",
    "get_mutations",
    "locate_answer",
    "mutation",
    "probe",
    "wrong_answer",
]
