"""Agreement counts of the conformance suite, printed at the end of every pytest run (CI too).

A test calls ``agreement(pair, agree, total, intended)`` once per pair; the terminal summary lists
every pair with its counts, so the CI log shows them without ``-s``.
"""

from __future__ import annotations

from typing import Any

import pytest

_COUNTS: list[tuple[str, int, int, int]] = []


def agreement(pair: str, agree: int, total: int, intended: int = 0) -> None:
    """Record ``agree`` of ``total`` cases equal, ``intended`` of the rest listed as intended."""
    _COUNTS.append((pair, agree, total, intended))
    print(f"{pair}: {agree}/{total} agree, {intended} intended differences")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _COUNTS:
        return
    terminalreporter.section("conformance: agreement with the peers' own code")
    for pair, agree, total, intended in _COUNTS:
        terminalreporter.write_line(
            f"{pair}: {agree}/{total} agree ({100.0 * agree / max(total, 1):.1f}%), "
            f"{intended} listed as intended"
        )


@pytest.fixture
def record_agreement() -> Any:
    return agreement
