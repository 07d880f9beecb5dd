"""Requests, results and value decoding."""

from __future__ import annotations

from typing import Any

import pytest

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import (
    ExecResult,
    RunRequest,
    TimeoutGroups,
    Unencodable,
    batch_message,
    decode_value,
)


def test_request_message_has_every_field() -> None:
    message = RunRequest(
        "c",
        stdin="i",
        mode="value",
        test="f()",
        setup="s",
        entry="f",
        limits=Limits(time_limit_s=1),
    ).to_message()
    assert message == {
        "code": "c",
        "stdin": "i",
        "mode": "value",
        "test": "f()",
        "setup": "s",
        "entry": "f",
        "limits": Limits(time_limit_s=1).to_dict(),
    }


def test_result_from_message_decodes_the_value() -> None:
    result = ExecResult.from_message({"status": "ok", "value": {"$tuple": [1]}, "wall_s": 0.5})
    assert (result.ok, result.value, result.wall_s) == (True, (1,), 0.5)
    assert ExecResult.from_message({}).status == "sandbox_error"


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (None, None),
        (1, 1),
        ([1, {"$tuple": []}], [1, ()]),
        ({"$set": [1, 2]}, {1, 2}),
        ({"$dict": [[1, "a"]]}, {1: "a"}),
        ({"$float": "inf"}, float("inf")),
        ({"$int": "12345678901234567890123"}, 12345678901234567890123),
        ({"$complex": [1.0, -1.0]}, 1 - 1j),
        ({"$bytes": "6869"}, b"hi"),
    ],
)
def test_decode_value(data: Any, value: Any) -> None:
    assert decode_value(data) == value


@pytest.mark.parametrize(
    "data", [{"$unencodable": "Thing"}, {"$set": [[1]]}, {"$dict": [[[1], 2]]}]
)
def test_undecodable_values_never_equal_anything(data: Any) -> None:
    value = decode_value(data)
    assert isinstance(value, Unencodable)
    assert value != value and value != 1


def test_a_batch_names_the_stop_group_of_each_test() -> None:
    message = batch_message(
        [RunRequest("c", stdin="a", stop_group="p0"), RunRequest("c", stdin="b")]
    )
    assert message["tests"] == [
        {"stdin": "a", "test": "", "group": "p0"},
        {"stdin": "b", "test": ""},
    ]


def test_timeout_groups_stop_only_the_group_that_timed_out() -> None:
    groups = TimeoutGroups()
    first, second = RunRequest("c", stop_group="p0"), RunRequest("c", stop_group="p1")
    loose = RunRequest("c")
    groups.record(first, ExecResult("wrong_answer"))
    assert not groups.stopped(first)
    for request in (first, loose):
        groups.record(request, ExecResult("timeout"))
    assert groups.stopped(first) and not groups.stopped(second) and not groups.stopped(loose)
    other_code = RunRequest("d", stop_group="p0")  # a group is one program's tests
    assert not groups.stopped(other_code)
    skipped = groups.skipped_result()
    assert (skipped.status, skipped.skipped, skipped.wall_s) == ("timeout", True, 0.0)
