"""Fixtures shared by the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import ScriptedServer, Sleeps


@pytest.fixture(autouse=True)
def _no_page_test_env(request, monkeypatch) -> None:
    """The page tests (tests/ui) point IOC_DATA_DIR and IOC_CONFIG at their sample data for the whole
    session; every other test reads the config it names, whatever ran before it."""
    if "/tests/ui/" not in str(request.node.fspath):
        monkeypatch.delenv("IOC_DATA_DIR", raising=False)
        monkeypatch.delenv("IOC_CONFIG", raising=False)


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


@pytest.fixture(scope="session")
def sample_snapshot(tmp_path_factory: pytest.TempPathFactory):
    """Two sample sources (admin dossiers, daily air) ingested into a fresh data dir: (config, data dir).

    IOC_DATA_DIR points there only while the fixture is set up; tests that read through the config's
    data_path (sandbox, exports) set it again with monkeypatch."""
    from ioc.config import load_config
    from ioc.ingest import ingest
    from tests.helpers import ROOT

    data = tmp_path_factory.mktemp("sample-snapshot")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IOC_DATA_DIR", str(data))
        cfg = load_config(ROOT / "config.yaml")
        result = ingest(cfg, ["admin_dossiers", "env_air_daily"])
        assert not result.failed, [r.error for r in result.failed]
    return cfg, data
