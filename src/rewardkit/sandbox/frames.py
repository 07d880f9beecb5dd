"""The worker protocol's framing: a 4-byte big-endian length, then UTF-8 JSON.

Standard library only (used on both sides of the pipe).

>>> decode_frame(encode_frame({"ready": True}))
{'ready': True}
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">I")


def encode_frame(message: dict[str, Any]) -> bytes:
    """One protocol frame: length header + JSON body."""
    body = json.dumps(message).encode()
    return HEADER.pack(len(body)) + body


def decode_frame(frame: bytes) -> Any:
    """Inverse of ``encode_frame`` for one complete frame."""
    (size,) = HEADER.unpack(frame[: HEADER.size])
    return json.loads(frame[HEADER.size : HEADER.size + size])


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytes | None:
    """Read exactly ``size`` bytes; None on end of file; TimeoutError past ``deadline``."""
    data = bytearray()
    while len(data) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError(f"no answer on fd {fd} before the deadline")
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def read_frame(fd: int, deadline: float | None = None) -> Any:
    """The next message on ``fd``, or None at end of file."""
    header = read_exact(fd, HEADER.size, deadline)
    if header is None:
        return None
    body = read_exact(fd, HEADER.unpack(header)[0], deadline)
    return None if body is None else json.loads(body)


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message to ``fd``."""
    view = memoryview(encode_frame(message))
    while view:
        view = view[os.write(fd, view) :]
