from __future__ import annotations

import pytest

from rewardkit.errors import InputError
from rewardkit.types import Sample


def test_from_dict_defaults() -> None:
    s = Sample.from_dict({"prompt": "q", "completion": "a", "reference": [1, 2]}, default_id="3")
    assert (s.id, s.group, s.reference, s.meta) == ("3", "q", [1, 2], {})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"prompt": "q"}, "'completion' is required"),
        ({"completion": 3}, "'completion' is required"),
        ({"completion": "a", "extra": 1}, "unknown sample field"),
        ({"completion": "a", "meta": []}, "'meta' must be"),
        ({"completion": "a", "token_ids": ["x"]}, "token_ids"),
        ({"completion": "abc", "steps": [[0, 9]]}, "outside the completion"),
        (
            {"completion": "a", "token_ids": [1, 2], "token_offsets": [[0, 1]]},
            "one character span per token",
        ),
        ({"completion": "a", "id": {"x": 1}}, "'id' must be a string"),
    ],
)
def test_from_dict_rejects_bad_samples(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Sample.from_dict(data)
