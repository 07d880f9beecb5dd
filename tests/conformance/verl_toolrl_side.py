"""Run verl 0.9.1's own ToolRL reward (``verl.utils.reward_score.rlla``) on shared cases.

Not a test: ``test_verl_toolrl.py`` runs it with ``.venv-verl/bin/python`` as

    python verl_toolrl_side.py CASES.json OUT.json

CASES.json is a list of ``{"completion", "ground_truth"}`` objects. Each completion is wrapped in
a Qwen assistant turn (``<|im_start|>assistant\\n ... <|im_end|>``) and scored by
``rlla.compute_score`` with ``extra_info={"experiment_name": "qwen"}``, as verl's reward loop
calls it for the ``rlla`` data source. Writes, per case, verl's ``score``, ``format_reward`` and
``accuracy_reward``, or the exception it raised. Does not import rewardkit.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    # imported here: pytest's doctest collection imports this file in rewardkit's venv, no verl
    from verl.utils.reward_score import rlla

    solution = "<|im_start|>assistant\n" + case["completion"] + "<|im_end|>"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # rlla prints one call in 64
            out = rlla.compute_score(
                "rlla", solution, case["ground_truth"], {"experiment_name": "qwen"}
            )
    except Exception as exc:  # a case verl cannot score is data for the comparison
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "score": float(out["score"]),
        "format": float(out["format_reward"]),
        "correctness": float(out["accuracy_reward"]),
    }


def main(cases_path: str, out_path: str) -> None:
    import verl

    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    results = [run_case(c) for c in cases]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"verl": verl.__version__, "cases": results}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
