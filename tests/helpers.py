"""Shared test helpers: a scripted HTTP server on 127.0.0.1, a recording sleep, and source/context builders."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest

from connectors.base import Connector, FetchContext, Parsed
from ioc.config import Source

FIXTURES = Path(__file__).parent / "fixtures"
# Real API answers recorded by others, beside the repository; tests replaying them skip without it.
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def recorded(relpath: str) -> Path:
    """A file of shared/realdata; skips the test when the checkout has no shared/ beside it."""
    path = REALDATA / relpath
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/realdata is beside the repository only on project machines)")
    return path


@dataclass
class Reply:
    """One scripted answer: body as bytes, text or a JSON value; `delay` seconds before answering."""

    body: Any = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), "application/json"


@dataclass
class Request:
    """A request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"))


Script = Reply | Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping out a timeout test must not hold up shutdown


class ScriptedServer:
    """A real threaded HTTP server. Each path answers its scripted replies in turn, the last one repeating;
    a script may also be a function of the request. Unscripted paths answer 404."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Script]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        # a short poll interval: shutdown waits for the next poll
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str = "") -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def script(self, path: str, *replies: Script) -> None:
        self.routes[path] = list(replies)

    def _answer(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            queue = self.routes.get(req.path)
            if not queue:
                return Reply({"detail": f"nothing scripted at {req.path}"}, 404)
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(req) if callable(reply) else reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    dict(self.headers),
                    self.rfile.read(length),
                )
                reply = server._answer(req)
                time.sleep(reply.delay)
                body, ctype = reply.encoded()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout tests)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class Sleeps(list):
    """A fake ctx.sleep: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source(connector: str, **kw: Any) -> Source:
    """A source named "x" (sector env, table t) of a connector kind; its options are the test's to give."""
    src = Source(connector=connector, sector="env", table="t", **kw)
    src.name = "x"
    return src


def context(base_dir: Path, sleeps: Sleeps | None = None, **kw: Any) -> FetchContext:
    kw.setdefault("env", {})
    return FetchContext(base_dir=base_dir, sleep=sleeps if sleeps is not None else Sleeps(), **kw)


def run(conn: Connector, src: Source, options: dict, ctx: FetchContext) -> Parsed:
    """Fetch and parse a source with a connector, as the ingest would."""
    opts = conn.options_model.model_validate(options)
    return conn.parse(src, opts, conn.fetch(src, opts, ctx))


def col(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


# ---------------------------------------------------------------- the core: config files, the CLI, the warehouse

ROOT = Path(__file__).resolve().parents[1]
WARDS = [
    {
        "code": "25741",
        "name": {"vi": "Hiệp Thành", "en": "Hiep Thanh"},
        "lat": 10.998,
        "lon": 106.660,
        "population": 30000,
    },
    {"code": "25744", "name": {"vi": "Phú Lợi", "en": "Phu Loi"}, "lat": 10.990, "lon": 106.680},
    {"code": "25747", "name": {"vi": "Phú Cường", "en": "Phu Cuong"}, "lat": 10.981, "lon": 106.653},
]
BASE_CONFIG = {
    "city": {"name": {"vi": "Thủ Dầu Một", "en": "Thu Dau Mot"}, "lat": 10.98, "lon": 106.65},
    "wards": WARDS,
    "sectors": [{"code": "env", "name": {"vi": "Môi trường"}}, {"code": "admin", "name": {"vi": "Hành chính công"}}],
}


def config_doc(sources: dict | None = None, **top: Any) -> dict:
    """A valid config document (three wards, sectors env and admin) with these sources and top-level keys."""
    import copy

    return {**copy.deepcopy(BASE_CONFIG), "sources": copy.deepcopy(sources or {}), **copy.deepcopy(top)}


def write_config(folder: Path, sources: dict | None = None, name: str = "config.yaml", **top: Any) -> Path:
    """config_doc(...) written as YAML into folder; returns its path."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(config_doc(sources, **top), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def ioc_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess running the project's code (IOC_CONFIG and IOC_DATA_DIR unset)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("IOC_CONFIG", "IOC_DATA_DIR")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120):
    """`python -m ioc ARGS` in a real subprocess, with ioc_env() and `env`; text output."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "ioc", *args],
        cwd=cwd or ROOT,
        env=ioc_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot_rows(cfg: Any, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on the current snapshot of a Config."""
    from ioc.warehouse import Warehouse

    with Warehouse(cfg.data_path / "warehouse").connect() as con:
        return con.execute(sql, params or []).fetchall()


def contract_rows(
    src: Source, table: pa.Table, options: dict | None = None, timezone: str = "UTC"
) -> tuple[list[dict], list[tuple]]:
    """(good rows as dicts, rejects as (row, column, value, reason)) of parsed rows under the source's contract."""
    import duckdb

    from ioc.contract import check

    with duckdb.connect() as con:
        con.register("raw", table)
        from connectors import REGISTRY

        opts = src.options if options is None else REGISTRY[src.connector].options_model.model_validate(options)
        res = check(con, src, "raw", opts.text_format(), timezone)
        cur = con.execute(res.good, res.params)
        names = [d[0] for d in cur.description]
        good = [dict(zip(names, row)) for row in cur.fetchall()]
    return good, res.rejects
