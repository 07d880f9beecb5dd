"""Framing of the worker protocol."""

from __future__ import annotations

import os
import time

import pytest

from rewardkit.sandbox.frames import HEADER, decode_frame, encode_frame, read_frame, write_frame


@pytest.mark.parametrize("message", [{}, {"a": 1}, {"text": "é\n" * 1000, "n": [1, 2.5, None]}])
def test_round_trip(message: dict[str, object]) -> None:
    frame = encode_frame(message)
    assert HEADER.unpack(frame[:4])[0] == len(frame) - 4
    assert decode_frame(frame) == message


def test_write_then_read_over_a_pipe_and_end_of_file() -> None:
    read, write = os.pipe()
    write_frame(write, {"x": 1})
    write_frame(write, {"y": 2})
    os.close(write)
    assert read_frame(read) == {"x": 1}
    assert read_frame(read) == {"y": 2}
    assert read_frame(read) is None
    os.close(read)


def test_a_silent_peer_times_out() -> None:
    read, write = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            read_frame(read, deadline=time.monotonic() + 0.05)
    finally:
        os.close(read)
        os.close(write)
