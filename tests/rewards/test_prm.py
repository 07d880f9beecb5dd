"""prm with tiny token-classification models built and saved locally (nothing downloaded)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rewardkit.errors import ConfigError
from rewardkit.registry import get
from rewardkit.rewards.prm import load_pretrained, prm_rows
from rewardkit.types import Sample

torch = pytest.importorskip("torch")

HERE = __name__
SEP = "<sep>"


def run(name: str, samples: list[Sample], **params: Any) -> list[Any]:
    component = get(name)
    return list(component.fn(samples, component.build_params(params)))


def sample(completion: str, i: int = 0, prompt: str = "Q: 2+2?", **kw: Any) -> Sample:
    return Sample(id=str(i), group="g", prompt=prompt, completion=completion, **kw)


# ---------------------------------------------------------------------------------------- prm


def test_fixed_head_scores_every_step_three_quarters(tiny_models: dict[str, str]) -> None:
    batch = [sample("2+2=4\nso 4"), sample("a\nb\nc", 1)]
    out = run("prm", batch, model=tiny_models["fixed"], separator=SEP)
    assert out[0].steps == pytest.approx((0.75, 0.75))
    assert out[1].steps == pytest.approx((0.75, 0.75, 0.75))
    assert out[1].value == pytest.approx(0.75)  # min
    product = run("prm", batch, model=tiny_models["fixed"], separator=SEP, aggregate="product")
    assert product[1].value == pytest.approx(0.75**3)


def test_steps_align_with_spans_and_batching_changes_nothing(tiny_models: dict[str, str]) -> None:
    batch = [
        sample("one step"),
        sample("", 1),
        sample("x\n\ny=2\nz is long", 2),
        sample("ab\ncd", 3),
    ]
    one = run("prm", batch, model=tiny_models["prm"], separator=SEP, batch_size=1)
    many = run("prm", batch, model=tiny_models["prm"], separator=SEP, batch_size=8)
    # no steps: the completion's doing, so 0.0 (a bad step), never None
    assert one[1].value == 0.0 and many[1].value == 0.0 and many[1].info["reason"] == "no steps"
    assert [None if r.steps is None else len(r.steps) for r in many] == [1, None, 3, 2]
    for a, b in zip(one, many, strict=True):
        if a.steps is None:
            continue
        assert len(a.steps) == len(a.info["spans"])
        assert a.steps == pytest.approx(b.steps, abs=1e-5)  # right padding: no leak across rows
        assert all(0.0 < v < 1.0 for v in a.steps)
    assert run("prm", batch, model=tiny_models["prm"], separator=SEP) == many  # deterministic


def test_probabilities_are_read_at_the_separators(tiny_models: dict[str, str]) -> None:
    model, tok = load_pretrained(tiny_models["prm"], "cpu", "token_classification")
    s = sample("2+2=4\nso 4\ndone", prompt="Q")
    ids, ends = prm_rows(tok, s.prompt, ["2+2=4", "so 4", "done"], SEP, None)
    sep = tok.convert_tokens_to_ids(SEP)
    assert [i for i, t in enumerate(ids) if t == sep] == ends == [6, 11, 16]  # "Q" + 5 + sep ...
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    expected = torch.softmax(logits, -1)[ends, 1].tolist()
    assert run("prm", [s], model=tiny_models["prm"], separator=SEP)[0].steps == pytest.approx(
        expected
    )


def test_left_truncation_leaves_the_dropped_steps_unjudged(tiny_models: dict[str, str]) -> None:
    s = sample("aaaa\nbb\nc", prompt="")
    full = run("prm", [s], model=tiny_models["prm"], separator=SEP)[0]
    cut = run("prm", [s], model=tiny_models["prm"], separator=SEP, max_length=5)[0]
    # ids: a a a a | b b | c | ; the last 5 keep "b <sep> c <sep>" minus one b
    assert math.isnan(cut.steps[0]) and cut.info["scored"] == [False, True, True]
    assert cut.value == min(cut.steps[1:])
    assert not any(math.isnan(v) for v in full.steps)


def length_scorer(prompt: str, steps: list[str]) -> list[float | None]:
    """A scorer callable for these tests: len(step) / 10, None for a step starting with '?'."""
    return [None if s.startswith("?") else len(s) / 10 for s in steps]


def wrong_length(prompt: str, steps: list[str]) -> list[float]:
    return [1.0]


def judges_nothing(prompt: str, steps: list[str]) -> list[float | None]:
    return [None for _ in steps]


def test_no_judged_step_scores_zero(tiny_models: dict[str, str]) -> None:
    out = run("prm", [sample("a\nb"), sample("")], scorer=f"{HERE}:judges_nothing")
    assert [r.value for r in out] == [0.0, 0.0]
    assert out[0].info["reason"] == "no step was judged" and len(out[0].steps) == 2


def test_scorer_callable(tiny_models: dict[str, str]) -> None:
    out = run("prm", [sample("abcd\n?\nab")], scorer=f"{HERE}:length_scorer", aggregate="mean")
    assert out[0].steps[0] == 0.4 and math.isnan(out[0].steps[1]) and out[0].steps[2] == 0.2
    assert out[0].value == pytest.approx(0.3)
    with pytest.raises(ValueError, match="1 values for 2 steps"):
        run("prm", [sample("a\nb")], scorer=f"{HERE}:wrong_length")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "exactly one of 'model'"),
        ({"model": "/no/such/folder"}, "not a local folder"),
        ({"scorer": f"{HERE}:length_scorer", "aggregate": "median"}, "aggregate"),
    ],
)
def test_prm_params_are_checked(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get("prm").build_params(params)


def test_bad_separator_and_label(tiny_models: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="not one token"):
        run("prm", [sample("a")], model=tiny_models["prm"], separator="<nope>")
    with pytest.raises(ValueError, match="good_label 2"):
        run("prm", [sample("a")], model=tiny_models["prm"], separator=SEP, good_label=2)


def test_models_load_once_per_path_and_device(tiny_models: dict[str, str]) -> None:
    first = load_pretrained(tiny_models["prm"], "cpu", "token_classification")
    assert load_pretrained(tiny_models["prm"], "cpu", "token_classification") is first
