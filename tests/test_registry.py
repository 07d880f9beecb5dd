from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rewardkit import registry
from rewardkit.errors import ConfigError, UnknownNameError
from rewardkit.registry import Params, reward
from rewardkit.types import Sample

SRC = Path(__file__).parents[1] / "src"


def plain_user_reward(sample: object, bonus: float = 0.5, label: str = "x") -> float:
    """A user's own function, referenced as module:function."""
    return bonus


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError) as info:
        registry.get("iou_hti")
    assert "did you mean 'iou_hit'" in str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


class BonusParams(Params):
    bonus: float = 0.5


def user_reward(sample: Sample, p: BonusParams) -> float:
    """A user's function in the one convention: (sample, params)."""
    return p.bonus * len(sample.completion)


def test_a_user_function_takes_sample_and_params_by_reference_or_registered() -> None:
    comp = registry.get("tests.test_registry:user_reward")
    assert comp.params is BonusParams and comp.doc.startswith("A user's function")
    sample = Sample(id="a", group="g", prompt="", completion="abc")
    assert comp.call(sample, comp.build_params({"bonus": 2})) == 6.0
    with pytest.raises(ConfigError, match="did you mean 'bonus'"):
        comp.build_params({"bonsu": 2})


def test_keyword_style_functions_still_work_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"takes \(sample, params\)"):
        comp = registry.get("tests.test_registry:plain_user_reward")
    assert comp.doc == "A user's own function, referenced as module:function."
    params = comp.build_params({"bonus": 2})
    assert params.model_dump() == {"bonus": 2.0, "label": "x"}
    sample = Sample(id="a", group="g", prompt="", completion="")
    assert comp.call(sample, params) == 2.0  # adapted: called as fn(sample, params) like any other
    with pytest.raises(ConfigError, match="bonus"):
        comp.build_params({"bonus": "lots"})
    with pytest.raises(ConfigError, match="unknown field 'typo'; valid fields: bonus, label"):
        comp.build_params({"bonus": 1.0, "typo": 1})


def test_a_module_function_is_found_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rk_cwd_rewards.py").write_text(
        "def longer(sample, p):\n    return float(len(sample.completion) > 2)\n"
    )
    monkeypatch.chdir(tmp_path)
    before = list(sys.path)
    comp = registry.get("rk_cwd_rewards:longer")
    assert comp.call(Sample(id="a", group="g", prompt="", completion="abc"), Params()) == 1.0
    assert sys.path == before  # the current directory is searched for that lookup only


def test_a_missing_module_says_how_modules_are_looked_up() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("rk_no_such_module:f", "reward.fn")
    text = str(info.value)
    assert "reward.fn: cannot import module 'rk_no_such_module'" in text
    assert "sys.path, then from the current directory" in text
    assert "put rk_no_such_module.py there" in text


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


def test_unknown_parameter_gets_did_you_mean_and_the_valid_names() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("iou_hit").build_params({"treshold": 0.8}, "reward.tiers[1]")
    path, message = info.value.problems[0]
    assert path == "reward.tiers[1].treshold"
    assert message.startswith("unknown field 'treshold' (did you mean 'threshold'?); valid fields:")
    assert "threshold" in message.split("valid fields:")[1]


def _run(code: str, extra_path: Path | None = None) -> str:
    paths = [str(SRC)] + ([str(extra_path)] if extra_path else [])
    env = {"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.process
def test_task_rewards_are_registered_without_an_import_and_the_registry_imports_no_rewards() -> (
    None
):
    out = _run(
        """
        import sys
        from rewardkit import registry
        assert "rewardkit.rewards" not in sys.modules  # no import upward from the registry
        names = registry.names()
        print(sorted({"countdown", "workflow_integrity", "chain_step", "exact_match"} & set(names)))
        print("torch" in sys.modules)
        """
    )
    assert out.split("\n")[:2] == [
        "['chain_step', 'countdown', 'exact_match', 'workflow_integrity']",
        "False",
    ]


@pytest.mark.process
def test_a_third_party_package_registers_through_entry_points(tmp_path: Path) -> None:
    (tmp_path / "rk_plugin_demo.py").write_text(
        textwrap.dedent(
            """
            from rewardkit import reward

            @reward("demo_by_module")
            def by_module(sample, p):
                return 1.0

            def by_entry(sample, p):
                \"\"\"Registered under its entry point's name.\"\"\"
                return 0.5
            """
        )
    )
    info = tmp_path / "rk_plugin_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rk-plugin-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[rewardkit.rewards]\ndemo = rk_plugin_demo\ndemo_by_entry = rk_plugin_demo:by_entry\n"
    )
    out = _run(
        """
        from rewardkit import registry
        print(registry.get("demo_by_module").name, registry.get("demo_by_entry").doc)
        """,
        tmp_path,
    )
    assert out.strip() == "demo_by_module Registered under its entry point's name."


@pytest.mark.process
def test_task_rewards_work_from_the_command_line_without_an_import(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "reward:\n  weighted:\n    - {fn: countdown}\n    - {fn: workflow_integrity}\n"
        "    - {fn: chain_step}\n"
    )
    countdown = tmp_path / "countdown.yaml"
    countdown.write_text("reward: {fn: countdown}\n")
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "completion": "2*3", "reference": {"numbers": [2, 3], "target": 6}}\n'
    )
    out = _run(
        f"""
        from typer.testing import CliRunner
        from rewardkit.cli.main import app
        run = CliRunner().invoke
        listed = run(app, ["components"]).output
        print(all(n in listed for n in ("countdown", "workflow_integrity", "chain_step")))
        print(run(app, ["check", {str(config)!r}]).exit_code)
        scored = run(app, ["score", "-c", {str(countdown)!r}, "-i", {str(data)!r},
                           "-o", {str(tmp_path / "out.jsonl")!r}])
        print(scored.exit_code)
        print(open({str(tmp_path / "out.jsonl")!r}).read().count('"reward": 1.0'))
        """
    )
    assert out.split() == ["True", "0", "0", "1"]


class CountingParams(Params):
    start: int = 0


class Counting(registry.StatefulReward):
    """A stateful component referenced as module:Class (not registered)."""

    def __init__(self) -> None:
        self.seen = 0

    def score_batch(self, samples: list[Sample], params: CountingParams) -> list[float]:
        self.seen += len(samples)
        return [float(params.start + self.seen)] * len(samples)


def test_a_stateful_class_by_reference_stays_stateful() -> None:
    comp = registry.get("tests.test_registry:Counting")
    assert comp.stateful and comp.fn is Counting and comp.params is CountingParams
    from rewardkit import RewardProgram

    program = RewardProgram.from_dict(
        {"reward": {"fn": "tests.test_registry:Counting", "start": 1}}
    )
    batch = [Sample(id=str(i), group="g", prompt="", completion="") for i in range(2)]
    assert program.score(batch).reward_list() == [3.0, 3.0]
    assert program.score(batch).reward_list() == [5.0, 5.0]


@pytest.mark.process
def test_a_plugin_that_fails_to_import_is_named_not_silently_missing(tmp_path: Path) -> None:
    info = tmp_path / "rk_broken_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rk-broken-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rewardkit.rewards]\nbroken = rk_no_such_module_xyz\n")
    out = _run(
        """
        from rewardkit import registry
        from rewardkit.errors import ConfigError
        try:
            registry.names()
        except ConfigError as exc:
            print(exc)
        """,
        tmp_path,
    )
    assert "reward plugin 'broken' = 'rk_no_such_module_xyz'" in out
    assert "'rk-broken-demo') failed to load: ModuleNotFoundError" in out
