"""Fixtures shared by the test suite."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.helpers import ScriptedServer, Sleeps


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on 127.0.0.1 at an ephemeral port, stopped after the test."""
    server = ScriptedServer().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    """A fake sleep for FetchContext that records the backoff waits."""
    return Sleeps()
