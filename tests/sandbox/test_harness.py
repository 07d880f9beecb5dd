"""The in-sandbox harness, run in this process on benign programs, and its value encoding."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import pytest

from rewardkit.sandbox import harness
from rewardkit.sandbox.protocol import decode_value


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (2.5, 2.5),
        ("s", "s"),
        ([1, (2,)], [1, {"$tuple": [2]}]),
        ({1, 2}, {"$set": [1, 2]}),
        ({"a": [1]}, {"$dict": [["a", [1]]]}),
        (float("nan"), {"$float": "nan"}),
        (-float("inf"), {"$float": "-inf"}),
        (2**70, {"$int": str(2**70)}),
        (b"\x00\xff", {"$bytes": "00ff"}),
        (1 + 2j, {"$complex": [1.0, 2.0]}),
        (object(), {"$unencodable": "object"}),
    ],
)
def test_encode_value(value: Any, encoded: Any) -> None:
    assert harness.encode_value(value) == encoded


class Claims(int):
    """An int subclass with a forged equality: encoded as the plain int it claims to be."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class FakeArray:
    def tolist(self) -> list[int]:
        return [1, 2]


@pytest.mark.parametrize(
    ("value", "decoded"),
    [((1, [2.0], {"k": {3}}), (1, [2.0], {"k": {3}})), (Claims(5), 5), (FakeArray(), [1, 2])],
)
def test_encode_then_decode_gives_plain_values(value: Any, decoded: Any) -> None:
    back = decode_value(harness.encode_value(value))
    assert back == decoded
    assert type(back) is type(decoded)


def judge(
    request: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[dict[str, Any]]]:
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # judge replaces it
    verdicts: list[dict[str, Any]] = []
    return harness.judge(request, verdicts.append), verdicts


@pytest.mark.parametrize(
    ("request_", "exit_code", "kind"),
    [
        ({"code": "x = 1", "mode": "compile"}, 0, "ok"),
        ({"code": "x = (", "mode": "compile"}, 1, "syntax_error"),
        ({"code": "x = 1\0", "mode": "stdio"}, 1, "syntax_error"),  # null byte
        ({"code": "x = 1", "mode": "stdio"}, 0, "ok"),
        ({"code": "raise KeyError(1)", "mode": "stdio"}, 1, "exception"),
        ({"code": "raise SystemExit(3)", "mode": "stdio"}, 3, "exception"),
        ({"code": "raise SystemExit", "mode": "stdio"}, 0, "ok"),
        ({"code": "def f(x): return x", "mode": "value", "test": "f(4)"}, 0, "value"),
        ({"code": "def f(x): return x", "mode": "assert", "test": "assert f(1) == 1"}, 0, "pass"),
        (
            {"code": "def f(x): return x", "mode": "assert", "test": "assert f(1) == 2"},
            1,
            "assertion",
        ),
        ({"code": "def f(x): return 1/x", "mode": "assert", "test": "assert f(0)"}, 1, "exception"),
        ({"code": "raise SystemExit(0)", "mode": "assert", "test": "assert True"}, 1, "exit"),
        ({"code": "x = 1", "mode": "value", "test": "f(1)", "entry": "f"}, 1, "missing_entry"),
        ({"code": "y = z", "mode": "value", "test": "y", "setup": "z = 9"}, 0, "value"),
        ({"code": "x = bytearray(1)", "mode": "stdio"}, 0, "ok"),
    ],
)
def test_judge(
    request_: dict[str, Any], exit_code: int, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, verdicts = judge(request_, monkeypatch)
    assert (code, verdicts[-1]["kind"]) == (exit_code, kind)


def test_value_verdict_carries_the_encoded_value(monkeypatch: pytest.MonkeyPatch) -> None:
    _, verdicts = judge(
        {"code": "def f(x): return (x, [x])", "mode": "value", "test": "f(2)"}, monkeypatch
    )
    assert verdicts == [{"kind": "value", "value": {"$tuple": [2, [2]]}}]


def test_functions_run_on_private_builtins() -> None:
    """A solution replacing builtins.exec cannot change how the harness runs the test."""
    private = harness.judge.__globals__["__builtins__"]
    assert private is not builtins.__dict__
    assert private["exec"] is builtins.exec


def test_run_remote_prints_the_verdict_last(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    assert harness.run_remote({"code": "print('hi')", "mode": "stdio"}, "@@") == 0
    assert capsys.readouterr().out == "hi\n\n@@{'kind': 'ok'}\n"
