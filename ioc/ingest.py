"""Ingest: fetch → land → parse → transform → contract → load, one snapshot for all sources of a run.

Sources fail independently: a source that cannot be fetched or read loads nothing and its table keeps
the rows it had. Fetching and parsing run in threads; loading into the new snapshot is serial.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

import duckdb
import pyarrow as pa

from connectors import REGISTRY
from connectors.base import DirectRead, DirectReader, FetchContext, Parsed, Payload
from ioc import indicators
from ioc.config import Config, Source
from ioc.contract import (
    ContractResult, DirectDeclined, check, drop_temp, keys_repeat, load_direct, settle_direct,
)
from ioc.errors import IOCError, SourceError
from ioc.landing import Landed, Landing, utc_stamp
from ioc.ops import OpsStore
from ioc.queries import catalog as qcatalog
from ioc.queries import has_table
from ioc.warehouse import Build, Warehouse, ident

FETCH_WORKERS = 4

SYSTEM_TABLES = {
    "_rejects": "CREATE TABLE IF NOT EXISTS _rejects (source VARCHAR, run_id BIGINT, row_number BIGINT, "
    "column_name VARCHAR, value VARCHAR, reason VARCHAR, rejected_at TIMESTAMP)",
    "_lineage": "CREATE TABLE IF NOT EXISTS _lineage (table_name VARCHAR, source VARCHAR, connector VARCHAR, "
    "sector VARCHAR, location VARCHAR, mode VARCHAR, last_good_load TIMESTAMP, run_id BIGINT, checksum VARCHAR, "
    "landing VARCHAR, rows BIGINT, PRIMARY KEY (table_name, source))",
    "_meta": "CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
}
REJECTS_KEEP_RUNS = 20  # per source, in the warehouse
STAGE = "_direct_stage"  # where a direct read lands before it becomes (or joins) the source's table


@dataclass
class SourceResult:
    source: str
    status: str  # ok | unchanged | failed
    rows_loaded: int = 0
    rejects: int = 0
    dropped: int = 0
    seconds: float = 0.0
    error: str = ""
    run_id: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    snapshot_id: Optional[str]
    results: list[SourceResult]

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.status == "failed"]


@dataclass
class _Fetched:
    src: Source
    run_id: int
    started: float
    parsed: Optional[Parsed] = None
    direct: Optional[DirectRead] = None  # offered by the connector; `parse` is the fallback
    parse: Optional[Callable[[], Parsed]] = None
    parse_lines: Optional[Callable[[list[int]], Parsed]] = None  # the general path for some body lines
    direct_kept: bool = False  # the direct read loaded the payload (with parse_lines for its problem rows)
    landed: list[Landed] = field(default_factory=list)  # each payload, its checksum maybe still being computed
    landing: str = ""
    unchanged: bool = False
    previous: Optional[dict] = None  # the last good run, when the payload is unchanged
    error: str = ""

    @property
    def checksum(self) -> str:
        """SHA-256 over the payloads' own ("" before landing); waits for any still being computed."""
        if not self.landed:
            return ""
        digest = hashlib.sha256()
        for landed in self.landed:
            digest.update(landed.sha256.encode())
        return digest.hexdigest()

    def hashed(self) -> bool:
        return all(landed.digest.done() for landed in self.landed)


def fingerprint(src: Source) -> str:
    """Changes when the source's config changes, so an unchanged payload is re-read under a new contract."""
    blob = json.dumps(src.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def context_for(cfg: Config) -> FetchContext:
    return FetchContext(
        base_dir=cfg.base_dir, env=dict(os.environ), city_lat=cfg.city.lat, city_lon=cfg.city.lon,
        timezone=cfg.city.timezone,
    )


class Ingestor:
    def __init__(self, cfg: Config, ctx: Optional[FetchContext] = None):
        self.cfg = cfg
        self._lineage: dict[tuple[str, str], tuple[str, str]] = {}
        root = cfg.data_path
        self.ops = OpsStore(root / "ops.sqlite")
        self.warehouse = Warehouse(root / "warehouse", keep=cfg.snapshots.keep)
        self.landing = Landing(root / "landing")
        self.ctx = ctx or context_for(cfg)
        self._aside: Optional[ThreadPoolExecutor] = None  # work a fetch leaves to run beside the loads (run())

    # ------------------------------------------------------------------ fetch + parse (threads)
    def _fetch(self, src: Source, lineage_ready: threading.Event) -> _Fetched:
        """Fetch, land and read one source; runs before the build is open, and waits for the build's lineage
        only to tell an unchanged payload (the run id is given by the caller once the build is open)."""
        f = _Fetched(src, 0, time.time())
        try:
            conn = REGISTRY[src.connector]
            opts = src.options
            payloads: list[Payload] = conn.fetch(src, opts, self.ctx)
            if not payloads:
                raise SourceError(src.name, "the connector fetched nothing")
            # a transform reads the parsed rows as `raw`
            reader = conn if isinstance(conn, DirectReader) and not src.transform else None
            paths = self._land(f, payloads)  # its checksum may still be running
            f.direct = reader.direct(src, opts, payloads) if reader is not None else None
            if f.direct is not None:  # a count over the whole file, needed once the read is done: run beside it
                f.direct = replace(f.direct, lines=self._aside.submit(f.direct.lines).result)
            f.landing = str(paths[0]) if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} pages)"
            lineage_ready.wait()
            if self._unchanged(f, wait=False):
                f.unchanged, f.previous, f.direct = True, self.ops.last_good(src.name), None
                return f
            if f.direct is None:
                f.parsed = conn.parse(src, opts, payloads)
            else:  # parsed only if the direct read finds something only the general path can report
                f.parse = lambda: conn.parse(src, opts, payloads)
                f.parse_lines = lambda lines: reader.parse_lines(src, opts, payloads, lines)
        except IOCError as exc:
            f.error = _message(exc)
        except Exception as exc:  # a connector bug must not take the other sources down
            f.error = f"{exc.__class__.__name__}: {exc}"
        return f

    def _land(self, f: _Fetched, payloads: list[Payload]) -> list[Path]:
        """Keep the payloads in the landing zone (f.landed)."""
        stamp = utc_stamp()
        for pl in payloads:
            if pl.file is not None:  # a local file: copied, then read from the copy
                landed = self.landing.save_file(f.src.name, pl.file, pl.ext, stamp, pl.part)
                pl.file = landed.path
            else:
                landed = self.landing.save(f.src.name, pl.data, pl.ext, stamp, pl.part)
            f.landed.append(landed)
            pl.landed = landed.path
        return [landed.path for landed in f.landed]

    def _unchanged(self, f: _Fetched, wait: bool) -> bool:
        """Whether the current snapshot already holds these bytes read under this config. Without `wait`,
        False while a checksum is still being computed: that payload's length matched no recent one, so it
        is read at once and _load asks again, waiting, before it commits."""
        if not f.landed or not (wait or f.hashed()):
            return False
        return self._lineage.get((f.src.table, f.src.name)) == (f.checksum, fingerprint(f.src))

    # ------------------------------------------------------------------ run
    def run(
        self, names: list[str], progress: Optional[Callable[[SourceResult, int, int], None]] = None
    ) -> IngestResult:
        names = list(dict.fromkeys(names))  # a source named twice runs once
        unknown = [n for n in names if n not in self.cfg.sources]
        if unknown:
            raise IOCError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(self.cfg.sources)}")
        sources = [self.cfg.sources[n] for n in names]
        lineage_ready = threading.Event()
        self.landing.hold()  # until the build is open (_build)
        # fetching starts before the build is open (a lock, a copy of the current snapshot): fetches wait only
        # for its lineage, to tell unchanged payloads
        try:
            # the fetches end before the work they put aside (a line count) is waited for
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-aside") as self._aside, \
                    ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
                futures = [pool.submit(self._fetch, s, lineage_ready) for s in sources]
                try:
                    results, run_ids, b = self._build(sources, futures, lineage_ready, progress)
                finally:
                    lineage_ready.set()  # never leave a fetch waiting, whatever happened to the build
        except BaseException:
            self.landing.flush(quiet=True)  # what was fetched is kept all the same, and no thread outlives the run
            raise
        if b.published:  # only now are the loads live: an 'ok' run left without a snapshot was never published
            self.ops.set_snapshot(run_ids, b.id)
        if self.cfg.landing.keep_days:
            for s in sources:
                self.landing.prune(s.name, self.cfg.landing.keep_days)
        return IngestResult(b.id if b.published else None, results)

    def _build(self, sources: list[Source], futures: list, lineage_ready: threading.Event, progress) -> tuple:
        """Open a build, load each fetched source into it in config order, and publish it."""
        results: list[SourceResult] = []
        run_ids: list[int] = []

        def start_runs() -> None:  # under the build lock, so no run marked interrupted is live
            self.ops.mark_interrupted()
            run_ids.extend(self.ops.start_run(s.name) for s in sources)

        try:
            with self.warehouse.build(on_locked=start_runs) as b:
                b.con.execute("BEGIN")  # one commit, not four: the loads wait for it
                for ddl in SYSTEM_TABLES.values():
                    b.con.execute(ddl)
                b.con.execute("ALTER TABLE _lineage ADD COLUMN IF NOT EXISTS fingerprint VARCHAR")
                b.con.execute("COMMIT")
                self._lineage = {
                    (t, s): (c, fp) for t, s, c, fp in
                    b.con.execute("SELECT table_name, source, checksum, fingerprint FROM _lineage").fetchall()
                }
                lineage_ready.set()
                self.landing.release()  # the snapshot is open: the payloads' fsyncs may run beside the loads
                for fut, run_id in zip(futures, run_ids):  # load in config order, as each is ready
                    f = fut.result()
                    f.run_id = run_id
                    res = self._load(b, f)
                    results.append(res)
                    if progress:
                        progress(res, len(results), len(sources))
                changed = any(r.status == "ok" for r in results)
                meta_changed = self._refresh_reference(b)
                if not (changed or meta_changed or self.warehouse.current_id() is None):
                    b.discard = True
                else:
                    self._copy_runs(b, run_ids)
                    # committed first: the index samples rows by rowid, which rows of an open transaction lack
                    b.con.execute("COMMIT")
                    # the catalog's search by value, computed here once per snapshot rather than in the app,
                    # where reading every text column of every table filled the server's memory (docs/benchmarks.md)
                    loaded = {self.cfg.sources[r.source].table for r in results if r.status == "ok"}
                    qcatalog.build_search_index(b.con, changed=loaded if not meta_changed else None)
                self.landing.flush()  # every payload of this run is on disk before the snapshot names it
        except Exception as exc:
            for run_id in run_ids[len(results):]:  # started beside the opening, never loaded
                self.ops.finish_run(run_id, "failed", error=f"the snapshot could not be built: {exc}")
            raise
        return results, run_ids, b

    def _load(self, b: Build, f: _Fetched) -> SourceResult:
        src = f.src
        res = SourceResult(src.name, "failed", run_id=f.run_id)
        if f.unchanged:
            return self._as_unchanged(f, res)
        con = b.con
        result: Optional[ContractResult] = None
        if f.direct is not None and not f.error:
            result, f.parsed, why = self._direct(con, f)
            if result is None:
                try:
                    f.parsed = f.parse()
                    f.parsed.notes.append(f"general path: {why}")
                except IOCError as exc:
                    f.error = _message(exc)
                except Exception as exc:  # noqa: BLE001
                    f.error = f"{exc.__class__.__name__}: {exc}"
        parsed = f.parsed or Parsed(pa.table({}))
        if f.error or (result is None and f.parsed is None):
            res.error = f.error or "nothing parsed"
            self._finish(f, "failed", error=res.error, checksum=f.checksum or None, landing=f.landing or None)
            res.seconds = round(time.time() - f.started, 3)
            return res
        try:
            if result is None:  # else the direct read's transaction is still open
                con.execute("BEGIN")
                con.register("raw", rename_columns(parsed.table, src.rename))
                relation = "raw"
                if src.transform:
                    try:
                        con.execute(f"CREATE OR REPLACE TEMP TABLE _shaped AS {src.transform}")
                    except duckdb.Error as exc:
                        raise SourceError(src.name, f"transform failed: {_duck(exc)}") from exc
                    relation = "_shaped"
                result = check(con, src, relation, src.options.text_format(), self.cfg.city.timezone)
                self._write(con, src, result.good, result.params)
            if self._unchanged(f, wait=True):  # read before its checksum was known: now it is
                raise _Unchanged()
            rejects = [(r.row, r.column, r.value, r.reason) for r in parsed.rejects] + result.rejects
            self._record_rejects(con, src.name, f.run_id, rejects)
            rows = con.execute(f"SELECT count(*) FROM {ident(src.table)}").fetchone()[0]
            con.execute(
                "INSERT OR REPLACE INTO _lineage (table_name, source, connector, sector, location, mode, last_good_load, "
                "run_id, checksum, landing, rows, fingerprint) "
                "VALUES (?, ?, ?, ?, ?, ?, timezone('UTC', now()), ?, ?, ?, ?, ?)",
                [src.table, src.name, src.connector, src.sector, src.location, src.mode, f.run_id, f.checksum,
                 f.landing, rows, fingerprint(src)],
            )
            drop_temp(con)
            con.execute("DROP TABLE IF EXISTS _shaped")
            con.execute("DROP TABLE IF EXISTS _incoming")
            con.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if f.parsed is not None and not f.direct_kept:
                con.unregister("raw")
            con.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - one source's failure must not stop the others
            con.execute("ROLLBACK")
            con.execute(f"DROP TABLE IF EXISTS {STAGE}")  # committed by a direct read, before its load failed
            try:
                con.unregister("raw")
            except duckdb.Error:
                pass
            if isinstance(exc, _Unchanged):
                f.unchanged, f.previous = True, self.ops.last_good(src.name)
                return self._as_unchanged(f, res)
            if isinstance(exc, IOCError):
                res.error = _message(exc)
            elif isinstance(exc, duckdb.Error):
                res.error = f"load failed: {_duck(exc)}"
            else:
                res.error = f"load failed: {exc.__class__.__name__}: {exc}"
            self._finish(f, "failed", error=res.error, checksum=f.checksum, landing=f.landing, notes=parsed.notes,
                         rows_read=None if f.parsed is None or f.direct_kept else len(parsed.table))
            res.seconds = round(time.time() - f.started, 3)
            return res
        res.status = "ok"
        res.rows_loaded = result.rows_good
        res.rejects = len(rejects)
        res.dropped = parsed.dropped
        res.notes = parsed.notes
        res.seconds = round(time.time() - f.started, 3)
        self._finish(
            f, "ok", rows_read=result.rows_in + len(parsed.rejects), rows_loaded=res.rows_loaded,
            rejects=res.rejects, dropped=res.dropped, checksum=f.checksum, fingerprint=fingerprint(src),
            landing=f.landing, notes=parsed.notes,
        )
        return res

    def _as_unchanged(self, f: _Fetched, res: SourceResult) -> SourceResult:
        res.status = "unchanged"
        prev = f.previous or {}
        res.rows_loaded, res.rejects = prev.get("rows_loaded") or 0, prev.get("rejects") or 0
        self._finish(f, "unchanged", checksum=f.checksum, fingerprint=fingerprint(f.src),
                     landing=f.landing, rows_loaded=prev.get("rows_loaded"), rejects=prev.get("rejects"))
        res.seconds = round(time.time() - f.started, 3)
        return res

    def _finish(self, f: _Fetched, status: str, **fields) -> None:
        """Record the run's payloads and outcome in the ops store. Payloads are recorded here, once loaded,
        not while landing: then a payload's fsync holds the disk and a SQLite write waits 20 ms for it."""
        self.ops.finish_run(f.run_id, status, [(f.src.name, str(x.path), x.sha256, x.size) for x in f.landed],
                            **fields)

    def _direct(
        self, con: duckdb.DuckDBPyConnection, f: _Fetched
    ) -> tuple[Optional[ContractResult], Optional[Parsed], str]:
        """Load a DirectRead into the source's table (replacing it, or merged) in a transaction left open for
        _load to finish; rows with something to report are read by the general path (`parse_lines`) and
        added. Returns (result, what the general path read, ""), or (None, None, why) with nothing changed
        and no transaction when the whole payload needs the general path."""
        src, d = f.src, f.direct
        try:  # a transaction is open wherever this may raise
            con.execute("BEGIN")  # the read alone, committed into a stage: see settle_direct()
            loaded = load_direct(con, src, d, STAGE, src.options.text_format(), self.cfg.city.timezone)
            con.execute("COMMIT")
            con.execute("BEGIN")  # the load's transaction: _load commits it, or rolls it back and drops the stage
            settle_direct(con, STAGE, loaded)
            result = loaded.result
            parsed = Parsed(pa.table({}), notes=list(d.notes))
            if loaded.problems:
                if f.parse_lines is None:
                    raise DirectDeclined(f"{len(loaded.problems)} rows to report")
                parsed = f.parse_lines(loaded.problems)
                n = len(loaded.problems)
                parsed.notes = d.notes + [f"{n} row{'s' if n != 1 else ''} read again by the general path"]
                con.register("raw", parsed.table)
                try:
                    some = check(con, src, "raw", src.options.text_format(), self.cfg.city.timezone)
                    con.execute(f"INSERT INTO {STAGE} BY NAME {some.good}", some.params)
                    drop_temp(con)
                finally:
                    con.unregister("raw")
                result = ContractResult(result.good, {}, result.rows_in + some.rows_in,
                                        result.rows_good + some.rows_good, some.rejects, result.columns)
            parsed.dropped += loaded.blank
            if keys_repeat(con, src, STAGE):
                raise DirectDeclined("a key repeats")  # the general path keeps the first and names the others
            if self._replaces(con, src):
                con.execute(f"DROP TABLE IF EXISTS {ident(src.table)}")
                con.execute(f"ALTER TABLE {STAGE} RENAME TO {ident(src.table)}")
            else:
                self._merge(con, src, STAGE)
        except Exception as exc:  # noqa: BLE001 - whatever the reader balks at, the general path reads and reports
            con.execute("ROLLBACK")
            con.execute(f"DROP TABLE IF EXISTS {STAGE}")
            why = str(exc) if isinstance(exc, DirectDeclined) else f"{exc.__class__.__name__}: {_duck(exc)}"
            return None, None, why
        f.direct_kept = True
        return result, parsed, ""

    def _replaces(self, con: duckdb.DuckDBPyConnection, src: Source) -> bool:
        """Whether a load replaces the table (mode replace, or its first load) rather than adding to it."""
        return src.mode == "replace" or not has_table(con, src.table)

    def _write(self, con: duckdb.DuckDBPyConnection, src: Source, good: str, params: dict) -> None:
        """Load the good rows (a SELECT binding `params`) into the source's table by its mode."""
        if self._replaces(con, src):
            con.execute(f"CREATE OR REPLACE TABLE {ident(src.table)} AS {good}", params)
            return
        con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming AS {good}", params)
        self._merge(con, src, "_incoming")

    def _merge(self, con: duckdb.DuckDBPyConnection, src: Source, incoming: str) -> None:
        """Add the rows of `incoming` to the source's table: appended, or replacing rows with the same key."""
        t = ident(src.table)
        have = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
        for row in con.execute(f"DESCRIBE {incoming}").fetchall():
            name, typ = row[0], row[1]
            if name not in have:
                con.execute(f"ALTER TABLE {t} ADD COLUMN {ident(name)} {typ}")
        if src.mode == "upsert":
            cond = " AND ".join(f"{t}.{ident(k)} IS NOT DISTINCT FROM g.{ident(k)}" for k in src.key)
            con.execute(f"DELETE FROM {t} USING {incoming} AS g WHERE {cond}")
        con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM {incoming}")

    def _record_rejects(self, con: duckdb.DuckDBPyConnection, source: str, run_id: int, rejects: list[tuple]) -> None:
        """Add a run's rejects, keeping those of the source's last REJECTS_KEEP_RUNS runs with any."""
        if not rejects:  # no run joins the ones kept: nothing falls out
            return
        tbl = pa.table({
            "row_number": pa.array([r[0] for r in rejects], pa.int64()),
            "column_name": pa.array([r[1] for r in rejects], pa.string()),
            "value": pa.array([None if r[2] is None else str(r[2])[:500] for r in rejects], pa.string()),
            "reason": pa.array([r[3] for r in rejects], pa.string()),
        })
        con.register("_rej", tbl)
        con.execute(
            "INSERT INTO _rejects SELECT ?, ?, row_number, column_name, value, reason, timezone('UTC', now()) FROM _rej",
            [source, run_id],
        )
        con.unregister("_rej")
        con.execute(
            "DELETE FROM _rejects WHERE source = ? AND run_id NOT IN "
            "(SELECT DISTINCT run_id FROM _rejects WHERE source = ? ORDER BY run_id DESC LIMIT ?)",
            [source, source, REJECTS_KEEP_RUNS],
        )

    def _refresh_reference(self, b: Build) -> bool:
        """dim_ward and the indicator layer, recomputed from config; True when the config behind them changed.
        Leaves a transaction open, for the rest of the snapshot's bookkeeping (_build)."""
        con = b.con
        errors, values = indicators.compute(con, self.cfg)  # outside a transaction: a failing one would end it
        con.execute("BEGIN")  # the snapshot's bookkeeping in one commit, which _build makes
        indicators.build_dim_ward(con, self.cfg)
        indicators.store(con, self.cfg, errors, values)
        fp = hashlib.sha256(
            json.dumps([self.cfg.model_dump(mode="json", include={"wards", "indicators", "sectors", "city"})],
                       sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:16]
        old = con.execute("SELECT value FROM _meta WHERE key = 'reference_fingerprint'").fetchone()
        con.execute("INSERT OR REPLACE INTO _meta VALUES ('reference_fingerprint', ?), ('snapshot_id', ?), ('city', ?)",
                    [fp, b.id, self.cfg.city.name.vi])
        return not old or old[0] != fp

    def _copy_runs(self, b: Build, run_ids: list[int]) -> None:
        runs = self.ops.runs(limit=5000)
        cols = ["id", "source", "status", "started_at", "finished_at", "seconds", "rows_read", "rows_loaded",
                "rejects", "dropped", "checksum", "landing", "snapshot_id", "error"]
        tbl = pa.table({c: pa.array([r[c] for r in runs]) if runs else pa.array([], pa.string()) for c in cols})
        b.con.register("_ops_runs", tbl)
        b.con.execute(
            "CREATE OR REPLACE TABLE _runs AS SELECT id AS run_id, source, status, "
            "make_timestamp(CAST(started_at * 1e6 AS BIGINT)) AS started_at, "
            "make_timestamp(CAST(finished_at * 1e6 AS BIGINT)) AS finished_at, seconds, rows_read, rows_loaded, "
            "rejects, dropped, checksum, landing, "
            "CASE WHEN list_contains(?, id) THEN ? ELSE snapshot_id END AS snapshot_id, error FROM _ops_runs",
            [run_ids, b.id],
        )
        b.con.unregister("_ops_runs")


class _Unchanged(Exception):
    """A payload read before its checksum was known turns out to be the one the snapshot holds."""


def rename_columns(table: pa.Table, rename: dict[str, str]) -> pa.Table:
    """Apply a source's `rename` to any connector's columns (tabular connectors have applied it already)."""
    if not rename:
        return table
    from connectors._tabular import norm

    lookup = {norm(k).casefold(): v for k, v in rename.items()}
    names = [lookup.get(norm(c).casefold(), c) if c not in rename.values() else c for c in table.column_names]
    return table.rename_columns(names) if names != table.column_names else table


def _duck(exc: Exception) -> str:
    return str(exc).split("\n")[0][:500]


def _message(exc: Exception) -> str:
    if isinstance(exc, SourceError):
        return exc.message
    return str(exc)


def ingest(cfg: Config, names: Optional[list[str]] = None, progress=None, ctx: Optional[FetchContext] = None) -> IngestResult:
    """Ingest the named sources (default: every enabled one) into one new snapshot."""
    if names is None:
        names = [n for n, s in cfg.sources.items() if s.enabled]
    return Ingestor(cfg, ctx).run(names, progress)
