from __future__ import annotations

import pytest

from rewardkit import registry
from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.registry import Params, reward


def plain_user_reward(sample: object, bonus: float = 0.5, label: str = "x") -> float:
    """A user's own function, referenced as module:function."""
    return bonus


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError) as info:
        registry.get("iou_hti")
    assert "did you mean 'iou_hit'" in str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


def test_module_function_reference_gets_an_inferred_param_model() -> None:
    comp = registry.get("tests.test_registry:plain_user_reward")
    assert comp.doc == "A user's own function, referenced as module:function."
    assert comp.build_params({"bonus": 2}).model_dump() == {"bonus": 2.0, "label": "x"}
    with pytest.raises(ConfigError, match="bonus"):
        comp.build_params({"bonus": "lots"})
    with pytest.raises(ConfigError, match="Extra inputs"):
        comp.build_params({"bonus": 1.0, "typo": 1})


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no.such.module:f", "cannot import module"),
        ("tests.test_registry:missing", "no callable 'missing'"),
    ],
)
def test_bad_references(ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        registry.get(ref)


def test_decorated_params_are_validated() -> None:
    class P(Params):
        k: int = 1

    @reward("test_registry_k", params=P)
    def k_reward(sample: object, p: P) -> float:
        return float(p.k)

    comp = registry.get("test_registry_k")
    assert comp.build_params({"k": 3}).k == 3  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="k"):
        comp.build_params({"k": "three"})
    assert "test_registry_k" in registry.names()
    assert registry.get(k_reward) is comp  # a registered callable resolves to its entry


def test_a_name_cannot_be_registered_twice_for_different_functions() -> None:
    with pytest.raises(ConfigError, match="already registered"):
        reward("exact_match")(lambda s, p: 0.0)


def test_re_importing_a_module_re_registers_the_same_function() -> None:
    comp = registry.get("exact_match")
    twin = type(comp.fn)(comp.fn.__code__, comp.fn.__globals__, comp.fn.__name__)
    twin.__qualname__, twin.__module__ = comp.fn.__qualname__, comp.fn.__module__
    reward("exact_match", params=comp.params)(twin)  # what a second import does: no error
    reward("exact_match", params=comp.params)(comp.fn)  # and back
    assert registry.get("exact_match").fn is comp.fn
