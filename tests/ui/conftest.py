"""Fixtures for page tests: the sample data ingested once into a temporary data dir, and a served app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default config's sample sources ingested into a fresh data dir; IOC_DATA_DIR points there."""
    from ioc.config import load_config
    from ioc.ingest import ingest

    data = tmp_path_factory.mktemp("sample-data")
    old = os.environ.get("IOC_DATA_DIR"), os.environ.get("IOC_CONFIG")
    os.environ["IOC_DATA_DIR"] = str(data)
    os.environ["IOC_CONFIG"] = str(ROOT / "config.yaml")
    cfg = load_config()
    result = ingest(cfg, [n for n, s in cfg.sources.items() if s.sample and s.enabled])
    failed = [f"{r.source}: {r.error}" for r in result.failed]
    assert not failed, failed
    yield data
    for key, value in zip(("IOC_DATA_DIR", "IOC_CONFIG"), old):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data: Path, log) -> subprocess.Popen:
    """`streamlit run server.py` on 127.0.0.1:port over a data dir, once it answers its health check."""
    env = dict(os.environ, IOC_DATA_DIR=str(data), IOC_CONFIG=str(ROOT / "config.yaml"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "server.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).ok:
                return proc
        except (requests.ConnectionError, requests.Timeout):  # a busy machine answers late
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: see {log.name}")
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def served_app(sample_data: Path) -> Iterator[str]:
    """`streamlit run server.py` on a free port over the sample data; yields its base URL."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "streamlit.log", "w") as log:
        proc = start_server(port, sample_data, log)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)
