"""Run verl 0.9.1's own Search-R1 exact match (``verl.utils.reward_score.search_r1_like_qa_em``)
on shared cases.

Not a test: ``test_verl_search.py`` runs it with ``.venv-verl/bin/python`` as

    python verl_search_side.py CASES.json OUT.json

CASES.json is a list of ``{"completion", "target"}`` objects; each is scored by
``compute_score(completion, {"target": target})`` with verl's defaults (format_score 0, score
1), as verl's ``default_compute_score`` does for the ``searchR1_*`` data sources. Writes verl's
score per case, or the exception it raised. Does not import rewardkit.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    # imported here: pytest's doctest collection imports this file in rewardkit's venv, no verl
    from verl.utils.reward_score import search_r1_like_qa_em as qa_em

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints one call in 64
            score = qa_em.compute_score(case["completion"], {"target": case["target"]})
    except Exception as exc:  # a case verl cannot score is data for the comparison
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"score": float(score)}


def main(cases_path: str, out_path: str) -> None:
    import verl

    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"verl": verl.__version__, "cases": [run_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
