"""``rewardkit schema``: a JSON Schema that the shipped configs pass and typos fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rewardkit.cli.init import starter_config
from rewardkit.cli.main import app

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[2]


def schema() -> dict[str, object]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.output)
    return loaded


@pytest.mark.parametrize("path", sorted((ROOT / "examples/configs").glob("*.yaml")))
def test_every_shipped_config_passes(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), schema())


def test_the_starter_passes_and_typos_fail() -> None:
    checked = schema()
    jsonschema.validate(yaml.safe_load(starter_config("boxes")), checked)
    for wrong in ({"stepz": 3}, {"steps": "many"}, {"reward": {}, "on_eror": "score"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, checked)
    program = {"task": "chain", "program": {"reward": {"fn": "x"}, "advantage": {"estimatr": 1}}}
    with pytest.raises(jsonschema.ValidationError):  # a train config's program is checked too
        jsonschema.validate(program, checked)


def test_schema_to_a_file_and_python_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "rewardkit.schema.json"
    done = subprocess.run(
        [sys.executable, "-m", "rewardkit", "schema", "--kind", "program", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["$ref"] == "#/$defs/ProgramConfig"


def test_shell_completion_is_offered() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert "--install-completion" in result.output and "--show-completion" in result.output
