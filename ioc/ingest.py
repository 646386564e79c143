"""Ingest: fetch → land → parse or direct read → transform → contract → write, one snapshot for all sources of
a run.

Sources fail independently: a source that cannot be fetched or read loads nothing and its table keeps the
rows it had. Fetching and parsing run in threads, before and while the build opens; loading into the new
snapshot is serial, in config order. Each step returns what happened (a small tagged result), and the load
of a source reads as its steps: `_fetch` gives Failed, Unchanged, Rows or Offered; `_write` turns rows into
a table (the general path, or ioc/direct.py for an offered payload) or a failure; `_load` records it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors import REGISTRY
from connectors.base import ROW, DirectReader, FetchContext, Parsed, Payload, Reject
from ioc import direct, indicators, sample, search, text
from ioc.config import Config, Source
from ioc.contract import Loaded, check, drop_temp
from ioc.errors import IOCError, SourceError
from ioc.landing import Landed, Landing, utc_stamp
from ioc.ops import OpsStore
from ioc.warehouse import Build, Warehouse, ident

FETCH_WORKERS = 4
LOG = logging.getLogger("ioc.ingest")


@dataclass
class SourceResult:
    source: str
    status: str  # ok | unchanged | failed | held
    rows_loaded: int = 0
    rejects: int = 0
    dropped: int = 0
    seconds: float = 0.0
    error: str = ""
    run_id: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    snapshot_id: str | None
    results: list[SourceResult]

    @property
    def failed(self) -> list[SourceResult]:
        """The sources that loaded nothing for a reason to act on: failed, or held for an operator."""
        return [r for r in self.results if r.status in ("failed", "held")]


# ---------------------------------------------------------------------------------------------- what a fetch gave


@dataclass(frozen=True)
class Failed:
    """Nothing to load: the reason, as the run records it, and what the parser had said of the payload."""

    error: str
    notes: list[str] | None = None
    rows_read: int | None = None


@dataclass(frozen=True)
class Held:
    """A replace that would shrink the table sharply (guard.max_row_drop): kept out until an operator accepts it."""

    rows: int
    previous: int

    @property
    def why(self) -> str:
        drop = 100 * (1 - self.rows / self.previous)
        return (
            f"held: {self.rows:,} rows against {self.previous:,} at the last good load ({drop:.0f} % fewer, over "
            f"guard.max_row_drop); the table keeps its rows until an operator accepts it (python -m ioc accept)"
        )


@dataclass(frozen=True)
class Unchanged:
    """The snapshot already holds these bytes, read under this config."""


@dataclass(frozen=True)
class Rows:
    """The payload parsed by its connector: the general path."""

    parsed: Parsed


Outcome = Failed | Unchanged | Rows | direct.Offer


@dataclass
class Fetched:
    """One source's fetch: its payloads as landed (each checksum maybe still being computed) and what came of it."""

    src: Source
    started: float
    outcome: Outcome
    landed: list[Landed] = field(default_factory=list)
    landing: str = ""

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
    current = sample.folder(cfg)  # the sample made current, read before the committed files
    return FetchContext(
        base_dir=cfg.base_dir,
        env=dict(os.environ),
        city_lat=cfg.city.lat,
        city_lon=cfg.city.lon,
        timezone=cfg.city.timezone,
        overlay=(cfg.resolve(cfg.sample_path), current) if (current / ".generated").exists() else None,
    )


def _error(exc: Exception, loading: bool = False) -> str:
    """What a run records of an error: an IOCError's own message; anything else named by its class, and as a
    failed load when it happened while writing the table."""
    if isinstance(exc, SourceError):
        return exc.message
    if isinstance(exc, IOCError):
        return str(exc)
    LOG.error("ingest: %s", exc.__class__.__name__, exc_info=exc)  # not ours: its traceback, for the operator
    if isinstance(exc, duckdb.Error):
        return f"load failed: {str(exc).splitlines()[0][:500]}"
    return f"{'load failed: ' if loading else ''}{exc.__class__.__name__}: {exc}"


class Ingestor:
    def __init__(self, cfg: Config, ctx: FetchContext | None = None):
        self.cfg = cfg
        self._lineage: dict[tuple[str, str], tuple[str, str]] = {}
        root = cfg.data_path
        self.ops = OpsStore(root / "ops.sqlite")
        self.warehouse = Warehouse(root / "warehouse", keep=cfg.snapshots.keep)
        self.landing = Landing(root / "landing")
        self.ctx = ctx or context_for(cfg)
        self._aside: ThreadPoolExecutor | None = None  # work a fetch leaves to run beside the loads (run())
        self._accepting: dict[str, tuple[int, str]] = {}  # source → (its held run, who accepts it): accept()

    # ------------------------------------------------------------------ fetch + parse (threads)
    def _fetch(self, src: Source, lineage_ready: threading.Event) -> Fetched:
        """Fetch, land and read one source; runs before the build is open, and waits for the build's lineage
        only to tell an unchanged payload."""
        started = time.time()
        landed: list[Landed] = []
        try:
            conn = REGISTRY[src.connector]
            opts = src.options
            held = self._accepting.get(src.name)
            payloads: list[Payload] = self._held_payloads(held[0]) if held else conn.fetch(src, opts, self.ctx)
            if not payloads:
                raise SourceError(src.name, "the connector fetched nothing")
            landed = self._land(src, payloads)  # their checksums may still be running
            where = str(landed[0].path) if len(landed) == 1 else f"{landed[0].path} (+{len(landed) - 1} pages)"
            f = Fetched(src, started, Unchanged(), landed, where)  # unless found otherwise below
            # a transform reads the parsed rows as `raw`: the connector's parse, whatever it could offer
            read = conn.direct(src, opts, payloads) if isinstance(conn, DirectReader) and not src.transform else None
            assert self._aside is not None  # run() opens it
            lines = self._aside.submit(read.lines) if read is not None else None  # needed once the read is done
            lineage_ready.wait()
            if self._unchanged(f, wait=False):
                return f
            if read is None:
                f.outcome = Rows(conn.parse(src, opts, payloads))
            else:  # parsed only if the direct read finds something only the general path can report
                assert isinstance(conn, DirectReader) and lines is not None
                f.outcome = direct.Offer(
                    read,
                    lines.result,
                    lambda: conn.parse(src, opts, payloads),
                    lambda body: conn.parse_lines(src, opts, payloads, body),
                )
            return f
        except Exception as exc:
            return Fetched(src, started, Failed(_error(exc)), landed)

    def _held_payloads(self, run_id: int) -> list[Payload]:
        """The payloads a held run landed, read again from the landing zone (accept())."""
        out = []
        for p in self.ops.payloads(run_id):
            path = Path(p["path"])
            if not path.exists():
                raise IOCError(f"the held payload {path} is no longer in the landing zone")
            stem, _, ext = path.name.partition(".")
            part = stem.split("-", 1)[1] if "-" in stem else ""
            out.append(Payload(ext=ext, part=part, meta={"path": str(path)}, file=path))
        return out

    def accept(self, name: str, by: str) -> IngestResult:
        """Load the payload a source's last run held (guard.max_row_drop), on an operator's word: the other
        guards and the contract still apply. IOCError when the source's last run is not held."""
        if name not in self.cfg.sources:
            raise IOCError(f"unknown source {name}; known: {', '.join(self.cfg.sources)}")
        last = self.ops.last_runs().get(name)
        if not last or last["status"] != "held":
            state = last["status"] if last else "never run"
            raise IOCError(f"source {name} has no held run to accept (its last run: {state})")
        self._accepting = {name: (int(last["id"]), by)}
        try:
            return self.run([name])
        finally:
            self._accepting = {}

    def _land(self, src: Source, payloads: list[Payload]) -> list[Landed]:
        """Keep the payloads in the landing zone; a payload is read from its landed copy from then on."""
        stamp = utc_stamp()
        out = []
        for pl in payloads:
            if pl.file is not None:  # a local file: copied, then read from the copy
                landed = self.landing.save_file(src.name, pl.file, pl.ext, stamp, pl.part)
                pl.file = landed.path
            else:
                landed = self.landing.save(src.name, pl.data, pl.ext, stamp, pl.part)
            pl.landed = landed.path
            out.append(landed)
        return out

    def _unchanged(self, f: Fetched, wait: bool) -> bool:
        """Whether the current snapshot already holds these bytes read under this config. Without `wait`,
        False while a checksum is still being computed: that payload's length matched no recent one, so it
        is read at once and _load asks again, waiting, before it commits."""
        if not f.landed or not (wait or f.hashed()):
            return False
        return self._lineage.get((f.src.table, f.src.name)) == (f.checksum, fingerprint(f.src))

    # ------------------------------------------------------------------ run
    def run(self, names: list[str], progress: Callable[[SourceResult, int, int], None] | None = None) -> IngestResult:
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
            with (
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-aside") as self._aside,
                ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool,
            ):
                futures = [pool.submit(self._fetch, s, lineage_ready) for s in sources]
                try:
                    results, b = self._build(sources, futures, lineage_ready, progress)
                finally:
                    lineage_ready.set()  # never leave a fetch waiting, whatever happened to the build
        except BaseException:
            self.landing.flush(quiet=True)  # what was fetched is kept all the same, and no thread outlives the run
            raise
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

        def published(sid: str) -> None:  # only now are the loads live: an 'ok' run without a snapshot never was
            self.ops.set_snapshot(run_ids, sid)

        try:
            with self.warehouse.build(on_locked=start_runs, on_published=published) as b:
                self._lineage = b.prepare()
                lineage_ready.set()
                self.landing.release()  # the snapshot is open: the payloads' fsyncs may run beside the loads
                for fut, run_id in zip(futures, run_ids):  # load in config order, as each is ready
                    res = self._load(b, fut.result(), run_id)
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
                    loaded = {self.cfg.sources[r.source].table for r in results if r.status == "ok"}
                    search.build_search_index(b.con, changed=loaded if not meta_changed else None)
                self.landing.flush()  # every payload of this run is on disk before the snapshot names it
        except Exception as exc:
            for run_id in run_ids[len(results) :]:  # started beside the opening, never loaded
                self.ops.finish_run(run_id, "failed", error=f"the snapshot could not be built: {exc}")
            raise
        return results, b

    # ------------------------------------------------------------------ one source's load, as its steps
    def _load(self, b: Build, f: Fetched, run_id: int) -> SourceResult:
        """Write what the fetch gave into the build and record the run: ok, unchanged or failed."""
        if isinstance(f.outcome, Unchanged):
            return self._record_unchanged(f, run_id)
        if isinstance(f.outcome, Failed):
            return self._record_failed(f, run_id, f.outcome.error)
        written = self._write(b, f.src, f.outcome)
        if isinstance(written, Failed):
            return self._record_failed(f, run_id, written.error, notes=written.notes, rows_read=written.rows_read)
        con, src = b.con, f.src
        try:  # the write's transaction is open
            if self._unchanged(f, wait=True):  # read before its checksum was known: now it is
                con.execute("ROLLBACK")
                direct.clear(con)
                return self._record_unchanged(f, run_id)
            parsed, result = written.parsed, written.result
            rejects = [(r.row, r.column, r.value, r.reason) for r in parsed.rejects] + result.rejects
            rows_read = result.rows_in + len(parsed.rejects)
            undeclared = [c for c in result.columns if c not in src.columns]
            if undeclared:
                parsed.notes.append(f"columns not in the contract, kept as read: {', '.join(undeclared)}")
            verdict = self._guard(b, f, result.rows_good, rows_read, rejects)
            if verdict is not None:
                con.execute("ROLLBACK")
                direct.clear(con)
                if isinstance(verdict, Held):
                    return self._record_held(f, run_id, verdict, rows_read, parsed)
                return self._record_failed(f, run_id, verdict.error, notes=parsed.notes, rows_read=rows_read)
            b.record_rejects(src.name, run_id, rejects)
            b.record_dropped(src.name, run_id, parsed.aside)
            b.record_load(src, run_id, f.checksum, f.landing, fingerprint(src))
            drop_temp(con)
            con.execute("COMMIT")
            direct.clear(con)
        except Exception as exc:
            con.execute("ROLLBACK")
            direct.clear(con)
            return self._record_failed(
                f,
                run_id,
                _error(exc, loading=True),
                notes=written.parsed.notes,
                rows_read=None if written.direct else len(written.parsed.table),
            )
        if src.name in self._accepting:
            held_run, by = self._accepting[src.name]
            parsed.notes.append(f"the payload held by run {held_run}, accepted by {by}")
        res = SourceResult(
            src.name,
            "ok",
            result.rows_good,
            len(rejects),
            parsed.dropped,
            round(time.time() - f.started, 3),
            run_id=run_id,
            notes=parsed.notes,
        )
        self._finish(
            f,
            run_id,
            "ok",
            rows_read=rows_read,
            accepted_by=self._accepting.get(src.name, (0, None))[1],
            rows_loaded=res.rows_loaded,
            rejects=res.rejects,
            dropped=res.dropped,
            checksum=f.checksum,
            fingerprint=fingerprint(src),
            landing=f.landing,
            notes=parsed.notes,
        )
        return res

    def _guard(self, b: Build, f: Fetched, good: int, read: int, rejects: list[tuple]) -> Failed | Held | None:
        """Whether a load written into the build must not stand (src.guard): nothing to load, too many rows
        rejected (both fail), or a replace far smaller than the last good load (held, unless an operator
        accepted this payload)."""
        src, guard = f.src, f.src.guard
        if good == 0 and not guard.allow_empty:
            why = f"all {read:,} rows rejected" if read else "the payload has no rows"
            return Failed(f"nothing to load: {why}; the table keeps its rows (guard.allow_empty: true allows it)")
        share = (read - good) / read if read else 0.0
        if share > guard.max_reject_share:
            reasons: dict[str, int] = {}
            for _row, column, _value, reason in rejects:
                key = f"{reason} ({column})" if column else reason
                reasons[key] = reasons.get(key, 0) + 1
            top = "; ".join(f"{k} ×{n:,}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
            return Failed(
                f"{read - good:,} of {read:,} rows rejected ({100 * share:.0f} %, over guard.max_reject_share "
                f"{100 * guard.max_reject_share:.0f} %): {top}; the table keeps its rows"
            )
        previous = b.loaded_rows(src) if src.mode == "replace" else None
        emptied = good == 0 and guard.allow_empty  # declared good: an empty table is what the source says
        if previous and good < (1 - guard.max_row_drop) * previous and not emptied and src.name not in self._accepting:
            return Held(good, previous)
        return None

    def _write(self, b: Build, src: Source, outcome: Rows | direct.Offer) -> Loaded | Failed:
        """The rows into the source's table, in a transaction left open: directly when offered and the direct
        read takes them, else by the general path (the connector's parse, the transform, the contract)."""
        if isinstance(outcome, direct.Offer):
            loaded = direct.load(b, src, outcome, self.cfg.city.timezone)
            if isinstance(loaded, Loaded):
                return loaded
            try:
                parsed = outcome.parse()
            except Exception as exc:
                return Failed(_error(exc))
            parsed.notes.append(f"general path: {loaded.why}")
        else:
            parsed = outcome.parsed
        return self._general(b, src, parsed)

    def _general(self, b: Build, src: Source, parsed: Parsed) -> Loaded | Failed:
        """Parsed rows through the source's transform and contract into its table (a transaction left open)."""
        con = b.con
        raw = rename_columns(parsed.table, src.rename)
        try:
            raw = unpivot(con, src, raw)
            raw, unknown = wards_from_names(src, raw, self.cfg)
            parsed.rejects.extend(unknown)
        except SourceError as exc:
            return Failed(exc.message, parsed.notes, len(parsed.table))
        con.execute("BEGIN")
        con.register("raw", raw)
        try:
            relation = "raw"
            if src.transform:
                try:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE _shaped AS {src.transform}")
                except duckdb.Error as exc:
                    has = ", ".join(c for c in raw.column_names if c != ROW)
                    why = str(exc).splitlines()[0][:500]
                    raise SourceError(src.name, f"transform failed: {why}; raw has columns: {has}") from exc
                relation = "_shaped"
            result = check(con, src, relation, src.options.text_format(), self.cfg.city.timezone)
            b.write(src, result.good, result.params)
            con.execute("DROP TABLE IF EXISTS _shaped")
        except Exception as exc:
            con.execute("ROLLBACK")
            return Failed(_error(exc, loading=True), parsed.notes, len(parsed.table))
        finally:
            con.unregister("raw")
        return Loaded(result, parsed)

    def _record_unchanged(self, f: Fetched, run_id: int) -> SourceResult:
        prev = self.ops.last_good(f.src.name) or {}
        res = SourceResult(
            f.src.name,
            "unchanged",
            prev.get("rows_loaded") or 0,
            prev.get("rejects") or 0,
            seconds=round(time.time() - f.started, 3),
            run_id=run_id,
        )
        self._finish(
            f,
            run_id,
            "unchanged",
            checksum=f.checksum,
            fingerprint=fingerprint(f.src),
            landing=f.landing,
            rows_loaded=prev.get("rows_loaded"),
            rejects=prev.get("rejects"),
        )
        return res

    def _record_held(self, f: Fetched, run_id: int, held: Held, rows_read: int, parsed: Parsed) -> SourceResult:
        self._finish(
            f,
            run_id,
            "held",
            error=held.why,
            checksum=f.checksum,
            fingerprint=fingerprint(f.src),
            landing=f.landing,
            rows_read=rows_read,
            rows_held=held.rows,
            rows_previous=held.previous,
            notes=parsed.notes,
        )
        return SourceResult(
            f.src.name, "held", error=held.why, seconds=round(time.time() - f.started, 3), run_id=run_id
        )

    def _record_failed(self, f: Fetched, run_id: int, error: str, **fields) -> SourceResult:
        fields = {k: v for k, v in fields.items() if v is not None}
        self._finish(f, run_id, "failed", error=error, checksum=f.checksum or None, landing=f.landing or None, **fields)
        return SourceResult(f.src.name, "failed", error=error, seconds=round(time.time() - f.started, 3), run_id=run_id)

    def _finish(self, f: Fetched, run_id: int, status: str, **fields) -> None:
        """Record the run's payloads and outcome in the ops store. Payloads are recorded here, once loaded,
        not while landing: then a payload's fsync holds the disk and a SQLite write waits 20 ms for it."""
        self.ops.finish_run(run_id, status, [(f.src.name, str(x.path), x.sha256, x.size) for x in f.landed], **fields)

    # ------------------------------------------------------------------ the snapshot's own bookkeeping
    def _refresh_reference(self, b: Build) -> bool:
        """dim_ward and the indicator layer, recomputed from config; True when the config behind them changed.
        Leaves a transaction open, for the rest of the snapshot's bookkeeping (_build)."""
        con = b.con
        errors, values = indicators.compute(con, self.cfg)  # outside a transaction: a failing one would end it
        con.execute("BEGIN")  # the snapshot's bookkeeping in one commit, which _build makes
        indicators.build_dim_ward(con, self.cfg)
        indicators.store(con, self.cfg, errors, values)
        fp = hashlib.sha256(
            json.dumps(
                [self.cfg.model_dump(mode="json", include={"wards", "indicators", "sectors", "city"})],
                sort_keys=True,
                ensure_ascii=False,
            ).encode()
        ).hexdigest()[:16]
        old = con.execute("SELECT value FROM _meta WHERE key = 'reference_fingerprint'").fetchone()
        con.execute(
            "INSERT OR REPLACE INTO _meta VALUES ('reference_fingerprint', ?), ('snapshot_id', ?), ('city', ?)",
            [fp, b.id, self.cfg.city.name.vi],
        )
        return not old or old[0] != fp

    def _copy_runs(self, b: Build, run_ids: list[int]) -> None:
        runs = self.ops.runs(limit=5000)
        cols = [
            "id",
            "source",
            "status",
            "started_at",
            "finished_at",
            "seconds",
            "rows_read",
            "rows_loaded",
            "rejects",
            "dropped",
            "checksum",
            "landing",
            "snapshot_id",
            "error",
        ]
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


def rename_columns(table: pa.Table, rename: dict[str, str]) -> pa.Table:
    """Apply a source's `rename` to any connector's columns (tabular connectors have applied it already)."""
    if not rename:
        return table
    lookup = {text.clean(k).casefold(): v for k, v in rename.items()}
    names = [lookup.get(text.clean(c).casefold(), c) if c not in rename.values() else c for c in table.column_names]
    return table.rename_columns(names) if names != table.column_names else table


def wards_from_names(src: Source, raw: pa.Table, cfg: Config) -> tuple[pa.Table, list[Reject]]:
    """options.ward_from: `ward_code` filled from a column of ward names, written any of the ways departments
    write them (P. Phú Cường, Phường Phú Cường, PHÚ CƯỜNG, Phu Cuong, Hoà/Hòa); a row whose name matches no
    ward (or, without diacritics, more than one) is a reject naming the value. The table unchanged without it."""
    column = getattr(src.options, "ward_from", None)
    if not column:
        return raw, []
    if column not in raw.column_names:
        has = ", ".join(c for c in raw.column_names if c != ROW)
        raise SourceError(src.name, f"options.ward_from: no column {column!r}; the rows have: {has}")
    exact: dict[str, str] = {}
    loose: dict[str, set[str]] = {}
    for w in cfg.wards:
        for name in {w.name.vi, w.name.en or w.name.vi}:
            exact[text.tone_key(text.ward_name(name))] = w.code
            loose.setdefault(text.fold(text.ward_name(name)), set()).add(w.code)
    known = {w.code for w in cfg.wards}  # a code written where a name was expected is that ward
    codes: list[str | None] = []
    keep: list[int] = []
    rejects: list[Reject] = []
    rows = raw[ROW].to_pylist() if ROW in raw.column_names else [None] * len(raw)
    for i, (value, row) in enumerate(zip(raw[column].to_pylist(), rows)):
        if value is None or str(value).strip() == "":
            codes.append(None)
            keep.append(i)
            continue
        name = text.ward_name(value)
        code = exact.get(text.tone_key(name)) or (str(value).strip() if str(value).strip() in known else None)
        if code is None:
            found = loose.get(text.fold(name), set())
            code = next(iter(found)) if len(found) == 1 else None
        if code is None:
            rejects.append(Reject(row, column, str(value), f"ward_from: no ward named {str(value).strip()!r}"))
            continue
        codes.append(code)
        keep.append(i)
    out = raw.take(pa.array(keep, pa.int64())) if len(keep) != len(raw) else raw
    codes_arr = pa.array(codes, pa.string())
    if "ward_code" in out.column_names:
        return out.set_column(out.column_names.index("ward_code"), "ward_code", codes_arr), rejects
    return out.append_column("ward_code", codes_arr), rejects


def unpivot(con: duckdb.DuckDBPyConnection, src: Source, raw: pa.Table) -> pa.Table:
    """The rows with the wide columns options.unpivot names turned into (name, value) rows, nulls kept (the
    contract decides about a missing value); the table itself without it. SourceError when none matches."""
    spec = getattr(src.options, "unpivot", None)
    if spec is None:
        return raw
    wide = [c for c in raw.column_names if c != ROW and re.search(spec.columns, c)]
    if not wide:
        has = ", ".join(c for c in raw.column_names if c != ROW)
        raise SourceError(src.name, f"options.unpivot.columns {spec.columns!r} matches no column; raw has: {has}")
    con.register("_wide", raw)
    try:
        on = ", ".join(ident(c) for c in wide)
        return con.sql(
            f"SELECT * FROM _wide UNPIVOT INCLUDE NULLS ({ident(spec.value)} FOR {ident(spec.name)} IN ({on}))"
        ).to_arrow_table()
    finally:
        con.unregister("_wide")


def accept(cfg: Config, name: str, by: str) -> IngestResult:
    """Load the payload a source's last run held, on the word of `by` (Ingestor.accept)."""
    return Ingestor(cfg).accept(name, by)


def ingest(cfg: Config, names: list[str] | None = None, progress=None, ctx: FetchContext | None = None) -> IngestResult:
    """Ingest the named sources (default: every enabled one) into one new snapshot."""
    if names is None:
        names = [n for n, s in cfg.sources.items() if s.enabled]
    return Ingestor(cfg, ctx).run(names, progress)
