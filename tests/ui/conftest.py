"""Fixtures for page tests: the sample data ingested once into a temporary data dir, and a served app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.serving import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default config's enabled sources (the sample data; the internet ones are off) ingested into a fresh
    data dir; IOC_DATA_DIR points there."""
    from ioc.config import load_config
    from ioc.ingest import ingest

    data = tmp_path_factory.mktemp("sample-data")
    old = os.environ.get("IOC_DATA_DIR"), os.environ.get("IOC_CONFIG")
    os.environ["IOC_DATA_DIR"] = str(data)
    os.environ["IOC_CONFIG"] = str(ROOT / "config.yaml")
    cfg = load_config()
    from ioc import sample

    sample.pin_committed(cfg)  # the committed files, the fixed picture the assertions read (never regenerated)
    result = ingest(cfg)  # as `ingest --all` does: every enabled source, and none may fail on a closed network
    failed = [f"{r.source}: {r.error}" for r in result.failed]
    assert not failed, failed
    from ioc.alerts import after_publish

    after_publish(cfg)  # and, as after every published snapshot, the alert rules evaluated
    yield data
    for key, value in zip(("IOC_DATA_DIR", "IOC_CONFIG"), old):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


API_TOKEN_ENV, API_TOKEN = "IOC_API_PROVINCE_TOKEN", "test-token-province"


def data_copy(sample_data: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """The sample data dir copied into one of its own (its warehouse, landing and ops store)."""
    import shutil

    data = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(sample_data, data)
    return data


@contextmanager
def serving(config: Path, data: Path, log_name: str, port: int | None = None) -> Iterator[str]:
    """`streamlit run server.py` over a config and a data dir, on `port` or a free one, its log in
    tests/artifacts/`log_name`; yields its base URL."""
    port = port or free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / log_name, "w") as log:
        proc = start_server(port, config, data, log)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)


@pytest.fixture(scope="session")
def served_app(sample_data: Path) -> Iterator[str]:
    """`streamlit run server.py` on a free port over the sample data; yields its base URL."""
    os.environ.setdefault(API_TOKEN_ENV, API_TOKEN)  # the province's API client of config.yaml
    with serving(ROOT / "config.yaml", sample_data, "streamlit.log") as url:
        yield url


def run_page(path: str, **params: str):
    """A page of the app as the navigation runs it (app.py, then switch_page), with URL parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../../app.py", default_timeout=90)
    at.switch_page(path)
    at.query_params.update(params)
    return at.run()
