"""Serving the cockpit for real and driving it in Chromium: what the browser tests and the benchmarks share."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Debian's Chromium headless on a closed network: without the background-networking flags it keeps
# trying to reach Google's hosts (../shared/STACK_NOTES.md)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# the page has run its script and nothing is running any more
READY = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]'); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, config: Path, data: Path, log: IO, timeout: float = 60) -> subprocess.Popen:
    """`streamlit run server.py` on 127.0.0.1:port over a config and a data dir, once it answers its health
    check; RuntimeError naming the log when it exits or does not answer in time."""
    env = dict(os.environ, IOC_DATA_DIR=str(data), IOC_CONFIG=str(config))
    args = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "server.py", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
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
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:g} s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
