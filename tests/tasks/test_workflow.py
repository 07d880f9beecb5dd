"""The workflow task and the ``workflow_integrity`` component (golden cases by hand)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.program import RewardProgram
from rewardkit.registry import Params
from rewardkit.tasks.workflow import Workflow, workflow_integrity
from rewardkit.types import Sample

GOOD = {
    "nodes": [{"id": 1, "type": "load"}, {"id": 2, "type": "save"}],
    "edges": [{"source": 1, "target": 2}],
}


@pytest.mark.parametrize(
    ("graph", "value"),
    [
        (GOOD, 1.0),
        ({"nodes": [{"id": 1, "type": "a"}, {"id": 1, "type": "b"}]}, 0.0),  # repeated id
        ({"nodes": [{"id": 1, "type": "a"}], "edges": [{"source": 1, "target": 9}]}, 0.0),
        (
            {
                "nodes": [{"id": 1, "type": "a"}, {"id": 2, "type": "b"}],
                "edges": [{"source": 1, "target": 2}, {"source": 2, "target": 1}],
            },
            0.0,
        ),  # a cycle
        ({"nodes": [{"id": 1}]}, 0.0),  # no type
        ({"nodes": []}, 0.0),  # no nodes: no workflow, no integrity credit
        ({"nodes": [], "edges": []}, 0.0),
        ([1, 2], 0.0),  # not an object
    ],
)
def test_integrity(graph: object, value: float) -> None:
    s = Sample("0", "g", "", json.dumps(graph))
    assert workflow_integrity(s, Params()).value == value


def test_judge_reads_the_reference_first() -> None:
    with pytest.raises(UnjudgeableReference, match="malformed reference graph"):
        Workflow().judge({"nodes": "x"}, "not json")


def test_invalid_json_is_the_models_fault() -> None:
    score = workflow_integrity(Sample("0", "g", "", '{"nodes": ['), Params())
    assert score.value == 0.0 and "invalid JSON" in score.info["reason"]


def test_answer_scores_one_with_the_default_program() -> None:
    p = Workflow().make(np.random.default_rng(2), "medium")
    assert p.prompt.split()[0] == "load" and "save" in p.prompt
    program = RewardProgram.from_dict(Workflow().reward_config())
    samples = [
        Sample(str(i), "g", "", c, reference=p.reference) for i, c in enumerate([p.answer, "{"])
    ]
    assert program.score(samples).reward_list() == [1.0, 0.0]
    assert Workflow().judge(p.reference, p.answer) == {"node_f1": 1.0, "success": 1.0}
