"""``rewardkit schema``: a JSON Schema of the config files, from the pydantic models themselves.

An editor with a YAML language server completes keys, shows each one's description and default,
and marks unknown keys and wrong types while typing::

    rewardkit schema -o rewardkit.schema.json
    # first line of a config file:
    # yaml-language-server: $schema=rewardkit.schema.json

The schema accepts either shape (a train config, or a program config with a ``reward`` tree),
as every command does; a train config's ``program:`` is checked as a program config. The reward
tree itself is open (its components are plugins): ``rewardkit check`` validates it.

>>> train = config_schema("train")["$defs"]["TrainConfig"]
>>> train["properties"]["program"]["anyOf"][0]["$ref"]
'#/$defs/ProgramConfig'
>>> config_schema("any")["anyOf"][1]
{'$ref': '#/$defs/ProgramConfig'}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import typer

from rewardkit.cli.inputs import check_output_file, fail
from rewardkit.errors import RewardKitError

Kind = Literal["any", "train", "program"]
SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def config_schema(kind: Kind = "any") -> dict[str, Any]:
    """The JSON Schema of a train config, a program config, or either (``any``)."""
    from rewardkit.config import ProgramConfig
    from rewardkit.train.config import TrainConfig

    program = ProgramConfig.model_json_schema(ref_template="#/$defs/{model}")
    train = TrainConfig.model_json_schema(ref_template="#/$defs/{model}")
    defs = {**program.pop("$defs", {}), **train.pop("$defs", {})}
    defs["ProgramConfig"] = program
    described = train["properties"]["program"]
    train["properties"]["program"] = {
        "anyOf": [{"$ref": "#/$defs/ProgramConfig"}, {"type": "null"}],
        "default": None,
        "description": described.get("description", ""),
    }
    defs["TrainConfig"] = train
    if kind == "any":
        body: dict[str, Any] = {
            "anyOf": [{"$ref": "#/$defs/TrainConfig"}, {"$ref": "#/$defs/ProgramConfig"}]
        }
    else:
        body = {"$ref": f"#/$defs/{'TrainConfig' if kind == 'train' else 'ProgramConfig'}"}
    title = {"any": "rewardkit config", "train": "rewardkit train config"}.get(
        kind, "rewardkit program config"
    )
    return {"$schema": SCHEMA_URL, "title": title, **body, "$defs": defs}


def schema(
    kind: str = typer.Option(
        "any", "--kind", help="any (either shape) | train | program", show_default=True
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="write it to this file (default: print it)"
    ),
) -> None:
    """Print a JSON Schema of the config files, for editors to complete and check YAML.

    Point a YAML language server at it with a first line
    `# yaml-language-server: $schema=rewardkit.schema.json`.
    """
    if kind not in ("any", "train", "program"):
        fail(f"--kind {kind!r}: one of any, train, program")
    text = json.dumps(config_schema(kind), indent=1) + "\n"  # type: ignore[arg-type]
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        check_output_file(output)
        output.write_text(text, encoding="utf-8")
    except (RewardKitError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"wrote {output}", err=True)
