from __future__ import annotations

import pytest

from rewardkit.compose.refs import Ref, find_refs, is_ref


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${t}", {"t": 0.3}, 0.3),
        ("1 - ${w}", {"w": 0.25}, 0.75),
        ("2 * (${a} + ${b}) / 4", {"a": 1.0, "b": 3.0}, 2.0),
        ("-${x}", {"x": 2.0}, -2.0),
        ("${ a }", {"a": 5.0}, 5.0),
    ],
)
def test_evaluate(text: str, variables: dict[str, float], expected: float) -> None:
    assert Ref.parse(text).evaluate(variables) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["__import__('os') + ${a}", "${a} ** 2", "${a}(1)", "'s' + ${a}", "${a} +"]
)
def test_rejects_anything_but_arithmetic(text: str) -> None:
    with pytest.raises(ValueError):
        Ref.parse(text)


def test_find_refs() -> None:
    params = {"threshold": "${t}", "k": 3, "label": "plain text"}
    refs = find_refs(params)
    assert list(refs) == ["threshold"] and refs["threshold"].names == ("t",)
    assert refs["threshold"].evaluate({"t": 0.5}) == 0.5
    assert is_ref("${x}") and not is_ref("$x") and not is_ref(3)
