"""JSON in and out of the scoring routes: orjson when installed (the ``server`` extra installs
it), else the standard library, with the same answers.

orjson encodes a 256-row answer several times faster than ``json``; a NaN (none reaches the
rows: they carry ``null``) would be ``null`` rather than an error. A body orjson refuses (a
``NaN`` literal, an integer past 64 bits) is read again by ``json``, so the bodies accepted are
the standard library's.

>>> loads(dumps({"a": [1.5, None]}))
{'a': [1.5, None]}
>>> loads(b'{"x": NaN}')["x"]
nan
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - the server extra installs it
    orjson = None  # type: ignore[assignment]


def dumps(body: Any) -> bytes:
    """``body`` as compact JSON bytes (numpy scalars as numbers)."""
    if orjson is not None:
        return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    """The value of a JSON document; ValueError (or UnicodeDecodeError) when it is not one."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # read it again below: the standard library's answer, or its error message
    return json.loads(data)
