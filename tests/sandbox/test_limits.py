"""Limits: validation, the CPU backstop, the protocol round trip, and applying them."""

from __future__ import annotations

import os
import resource

import pytest

from rewardkit.sandbox.limits import Limits

pytestmark = pytest.mark.process


@pytest.mark.parametrize(
    ("time_limit_s", "cpu_seconds"),
    [(0.1, 2), (1.0, 2), (1.5, 3), (2.0, 3)],  # ceil(time) + 1
)
def test_cpu_backstop_is_the_next_whole_second_plus_one(
    time_limit_s: float, cpu_seconds: int
) -> None:
    assert Limits(time_limit_s=time_limit_s).cpu_seconds == cpu_seconds


@pytest.mark.parametrize(
    "bad",
    [
        {"time_limit_s": 0},
        {"time_limit_s": 601},
        {"memory_mb": 16},
        {"max_processes": 0},
        {"max_output_bytes": 0},
        {"max_open_files": 0},
    ],
)
def test_bad_limits_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**bad)  # type: ignore[arg-type]


def test_round_trip_through_the_protocol() -> None:
    limits = Limits(time_limit_s=0.5, memory_mb=128, max_processes=4)
    assert Limits.from_dict(limits.to_dict()) == limits


def test_apply_sets_the_rlimits_in_a_child() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        Limits(time_limit_s=1.0, memory_mb=200, max_file_bytes=4096, max_open_files=32).apply()
        values = [
            resource.getrlimit(r)[0]
            for r in (
                resource.RLIMIT_AS,
                resource.RLIMIT_CPU,
                resource.RLIMIT_FSIZE,
                resource.RLIMIT_NOFILE,
                resource.RLIMIT_CORE,
            )
        ]
        os.write(write, repr(values).encode())
        os._exit(0)
    os.close(write)
    seen = os.read(read, 1000).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert seen == repr([200 * 1024 * 1024, 2, 4096, 32, 0])
