"""The server tests' fixture; the helpers live in rk_servers.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # rk_servers, rk_server_components
from rk_servers import Running, thread_server


@pytest.fixture
def server() -> Iterator[Running]:
    """The LADDER program served in-process (workers=0), with the test token."""
    with thread_server() as running:
        yield running
