"""Defaults shown as a YAML file writes them (``null``, ``[]``, ``true``), not as Python prints
them (``None``, ``()``, ``True``): in ``train --help``, ``components`` and ``init``."""

from __future__ import annotations

from typing import Any


def yaml_options(model: Any, prefix: str = "") -> list[str]:
    """``key: default  description`` per field of a pydantic model; nested models as ``a.b``.

    >>> from rewardkit.train.config import TrainConfig
    >>> [line for line in yaml_options(TrainConfig) if line.startswith(("model:", "sinks:"))]
    ... # doctest: +ELLIPSIS
    ['model: null  local causal LM folder, ...', 'sinks: []  extra metric sinks, when installed']
    """
    from pydantic import BaseModel

    lines = []
    for key, field in model.model_fields.items():
        nested = next(
            (
                t
                for t in (field.annotation, *getattr(field.annotation, "__args__", ()))
                if isinstance(t, type) and issubclass(t, BaseModel)
            ),
            None,
        )
        if nested is not None and field.default_factory is not None:
            lines.append(f"{prefix}{key}:  {field.description or ''}".rstrip())
            lines += yaml_options(nested, f"{prefix}{key}.")
            continue
        default = field.get_default(call_default_factory=True)
        lines.append(f"{prefix}{key}: {yaml_value(default)}  {field.description or ''}".rstrip())
    return lines


def yaml_value(value: Any) -> str:
    """A default as it is written in YAML, on one line.

    >>> [yaml_value(v) for v in (None, (), (0.9, 0.99), True, "boxes", {})]
    ['null', '[]', '[0.9, 0.99]', 'true', 'boxes', '{}']
    """
    import yaml
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, tuple):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("\n...").removesuffix(" ...").strip()
