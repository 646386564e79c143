"""What the city pushes to the provincial IOC: the indicator document, its NGSI-LD form, what changed since.

Nothing here sends: the outbox delivers. Formatting takes plain data (the indicator layer's frame, the config);
only `current_values` reads a snapshot. The format is documented in docs/province-api.md.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ioc import outbox
from ioc.config import Config, Indicator
from ioc.queries import indicators as qi

SCHEMA = "ioc-city-indicators"
VERSION = "1.0"  # major.minor: additive changes raise the minor only (docs/province-api.md, "Versions")

NGSI_LD_CONTEXT = [
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/context.jsonld",
]
ENTITY_TYPE = "KeyPerformanceIndicator"

# UN/CEFACT Recommendation 20 common codes for the units the city's indicators use; a unit without one travels
# as text (`unitText`) instead.
UNIT_CODES = {
    "%": "P1",
    "ngày": "DAY",
    "giờ": "HUR",
    "người": "IE",
    "µg/m³": "GQ",
    "ha": "HAR",
    "km²": "KMK",
    "tấn": "TNE",
}
FREQUENCY = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}
KEY_FIELDS = ("indicator", "period_start", "grain", "ward")
SIGNIFICANT = 12  # digits kept of a value: a float sum's last bits differ between rebuilds, a department's never

_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NAMES = {
    "type": "object",
    "required": ["vi", "en"],
    "properties": {"vi": {"type": "string", "minLength": 1}, "en": {"type": "string"}},
}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ioc-city-indicators 1.x",
    "type": "object",
    "required": ["schema", "version", "city", "snapshot", "generated_at", "since", "values"],
    "properties": {
        "schema": {"const": SCHEMA},
        "version": {"type": "string", "pattern": "^1\\.[0-9]+$"},
        "city": {
            "type": "object",
            "required": ["code", "name"],
            "properties": {"code": {"type": "string", "minLength": 1}, "name": {"$ref": "#/$defs/names"}},
        },
        "snapshot": {"type": ["string", "null"]},
        "generated_at": {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$",
        },
        "since": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        "values": {"type": "array", "items": {"$ref": "#/$defs/value"}},
    },
    "$defs": {
        "names": _NAMES,
        "value": {
            "type": "object",
            "required": ["indicator", "grain", "period_start", "period_end", "ward", "value"],
            "properties": {
                "indicator": {"type": "string", "minLength": 1},
                "name": {"$ref": "#/$defs/names"},
                "sector": {"type": "string"},
                "unit": {"type": "string"},
                "grain": {"enum": list(FREQUENCY)},
                "period_start": {"type": "string", "pattern": _DATE},
                "period_end": {"type": "string", "pattern": _DATE},
                "ward": {"type": ["string", "null"]},
                "value": {"type": ["number", "null"]},
                "masked": {"type": "boolean"},
                "partial": {"type": "boolean"},
                "target": {"type": ["number", "null"]},
                "target_aggregate": {"enum": ["last", "sum", "mean"]},
                "direction": {"enum": ["higher", "lower"]},
                "removed": {"const": True},
            },
            "if": {"required": ["removed"]},
            "then": {"properties": {"value": {"type": "null"}}},
            "else": {
                "required": ["name", "sector", "unit", "masked", "partial", "target", "target_aggregate", "direction"]
            },
        },
    },
}


class Acknowledged(TypedDict):
    """What the province has acknowledged, as JSON for the ops store: the idempotency key of the last document it
    acknowledged (None before the first) and each value's fingerprint by its key."""

    last: str | None
    values: dict[str, str]


# --------------------------------------------------------------------------- reading the snapshot


def current_values(
    con: duckdb.DuckDBPyConnection, cfg: Config, today: dt.date | None = None, start: dt.date | None = None
) -> pd.DataFrame:
    """Every declared indicator's values, city-wide and per ward, as the indicator layer gives them (small counts
    masked, periods in progress flagged `partial`), with a `ward_code` column (None for the city); from `start`
    when given, else from the first period."""
    today = today or cfg.city.today()
    codes = [i.code for i in cfg.indicators]
    first, last = qi.period_range(con, codes) if codes else (None, None)
    if first is None:
        columns = ["code", "name_vi", "name_en", "unit", "grain", "period", "value", "partial", "masked", "ward_code"]
        return pd.DataFrame(columns=columns)
    frames = [
        qi.values(con, codes, ward, max(first, start) if start else first, last, today).assign(ward_code=ward)
        for ward in [None, *(w.code for w in cfg.wards)]
    ]
    return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)


# --------------------------------------------------------------------------- the document


def value_rows(values: pd.DataFrame, cfg: Config) -> list[dict[str, Any]]:
    """The document's `values` from the indicator layer's frame (`current_values`), sorted by key; values of
    indicators no longer declared in config are left out. Target: the indicator's target for the year the period
    starts in."""
    declared = {i.code: i for i in cfg.indicators}
    rows = []
    for r in values.itertuples(index=False):
        ind = declared.get(r.code)
        if ind is None:
            continue
        start = pd.Timestamp(r.period).date()
        rows.append(
            {
                "indicator": r.code,
                "name": {"vi": r.name_vi, "en": r.name_en or ""},
                "sector": ind.sector,
                "unit": r.unit or "",
                "grain": r.grain,
                "period_start": start.isoformat(),
                "period_end": qi.last_day(start, r.grain).isoformat(),
                "ward": None if _missing(r.ward_code) else str(r.ward_code),
                "value": _number(r.value),
                "masked": bool(r.masked),
                "partial": bool(r.partial),
                "target": _number(ind.targets.get(start.year, ind.target)),
                "target_aggregate": ind.target_aggregate,
                "direction": ind.direction,
            }
        )
    return sorted(rows, key=row_key)


def document(
    rows: Sequence[Mapping[str, Any]],
    cfg: Config,
    *,
    city_code: str,
    snapshot: str | None,
    generated_at: dt.datetime | None = None,
    since: str | None = None,
) -> dict[str, Any]:
    """The versioned document of these value rows (all of them, or `changes`); `since` is the idempotency key of
    the acknowledged push they are relative to (None: relative to nothing)."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "city": {"code": city_code, "name": {"vi": cfg.city.name.vi, "en": cfg.city.name.get("en")}},
        "snapshot": snapshot,
        "generated_at": _city_time(cfg, generated_at).isoformat(timespec="seconds"),
        "since": since,
        "values": sorted((dict(r) for r in rows), key=row_key),
    }


# --------------------------------------------------------------------------- what changed


def row_key(row: Mapping[str, Any]) -> str:
    """A value's identity as text (a JSON array of indicator, period_start, grain, ward): the key of `changes`."""
    return json.dumps([row[f] for f in KEY_FIELDS], ensure_ascii=False, separators=(",", ":"))


def fingerprint(row: Mapping[str, Any]) -> str:
    """16 hex digits that change when anything the province is sent about a value changes (its number, target,
    flags, name or unit)."""
    return hashlib.sha256(_canonical({k: v for k, v in row.items() if k not in KEY_FIELDS})).hexdigest()[:16]


def changes(current: Sequence[Mapping[str, Any]], last_acknowledged: Acknowledged | None) -> list[dict[str, Any]]:
    """The rows new or different since the acknowledged state, and a removal row (key fields, period_end,
    `value: null`, `removed: true`) for each acknowledged value no longer there; sorted by key."""
    known = last_acknowledged["values"] if last_acknowledged else {}
    now = {row_key(r): r for r in current}
    out = [dict(r) for k, r in now.items() if known.get(k) != fingerprint(r)]
    for k in known.keys() - now.keys():
        indicator, start, grain, ward = json.loads(k)
        end = qi.last_day(dt.date.fromisoformat(start), grain).isoformat()
        out.append(
            {"indicator": indicator, "grain": grain, "period_start": start, "period_end": end, "ward": ward}
            | {"value": None, "removed": True}
        )
    return sorted(out, key=row_key)


def acknowledge(doc: Mapping[str, Any], state: Acknowledged | None = None) -> Acknowledged:
    """The state after the province acknowledged `doc` (2xx): its values' fingerprints merged in, removed ones
    dropped, and its idempotency key as `last`."""
    values = dict(state["values"]) if state else {}
    for r in doc["values"]:
        if r.get("removed"):
            values.pop(row_key(r), None)
        else:
            values[row_key(r)] = fingerprint(r)
    return {"last": idempotency_key(doc), "values": values}


def idempotency_key(doc: Mapping[str, Any]) -> str:
    """sha256 (hex) of the document's content: schema, major version, city, `since` and the values in key order,
    without the snapshot id or the time it was made, so the same change sent again has the same key."""
    content = {
        "schema": doc["schema"],
        "major": str(doc["version"]).split(".")[0],
        "city": doc["city"]["code"],
        "since": doc["since"],
        "values": sorted(doc["values"], key=row_key),
    }
    return hashlib.sha256(_canonical(content)).hexdigest()


# --------------------------------------------------------------------------- NGSI-LD


def entity_id(city_code: str, indicator: str, ward: str | None = None) -> str:
    """The URN of an indicator's entity, city-wide or for one ward."""
    parts = [city_code, indicator, *([ward] if ward else [])]
    return ":".join(["urn:ngsi-ld", ENTITY_TYPE, *(quote(p, safe="-._~") for p in parts)])


def entities(
    rows: Sequence[Mapping[str, Any]],
    cfg: Config,
    *,
    city_code: str,
    generated_at: dt.datetime | None = None,
    only: Iterable[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """NGSI-LD KeyPerformanceIndicator entities (normalized, with @context) for a batch upsert: one per
    (indicator, ward or city), holding its latest complete period's value (a period in progress is left out, as
    on the tiles). `only`: change rows whose (indicator, ward) pairs are the only ones built."""
    wanted = {(c["indicator"], c["ward"]) for c in only} if only is not None else None
    latest: dict[tuple[str, str | None], Mapping[str, Any]] = {}
    for r in rows:
        pair = (r["indicator"], r["ward"])
        if r.get("removed") or r["partial"] or (wanted is not None and pair not in wanted):
            continue
        if pair not in latest or r["period_start"] > latest[pair]["period_start"]:
            latest[pair] = r
    declared = {i.code: i for i in cfg.indicators}
    modified = _city_time(cfg, generated_at)
    return [
        _entity(r, declared.get(r["indicator"]), cfg, city_code, modified)
        for _, r in sorted(latest.items(), key=_pair_order)
    ]


def gone(rows: Sequence[Mapping[str, Any]], changed: Iterable[Mapping[str, Any]], city_code: str) -> list[str]:
    """Ids of the entities whose (indicator, ward) the changes touch but that have no value left: what a batch
    delete (`POST /ngsi-ld/v1/entityOperations/delete`) removes."""
    left = {(r["indicator"], r["ward"]) for r in rows}
    touched = {(c["indicator"], c["ward"]) for c in changed} - left
    return [entity_id(city_code, i, w) for i, w in sorted(touched, key=lambda p: (p[0], p[1] or ""))]


def _entity(
    r: Mapping[str, Any], ind: Indicator | None, cfg: Config, city_code: str, modified: dt.datetime
) -> dict[str, Any]:
    ward = cfg.ward(r["ward"]) if r["ward"] else None
    city = cfg.city.name.vi
    entity: dict[str, Any] = {
        "id": entity_id(city_code, r["indicator"], r["ward"]),
        "type": ENTITY_TYPE,
        "name": _prop(r["name"]["vi"]),
    }
    if r["name"].get("en"):
        entity["alternateName"] = _prop(r["name"]["en"])
    if ind is not None and ind.description:
        entity["description"] = _prop(ind.description)
    entity |= {
        "category": _prop(["quantitative"]),
        "process": _prop(cfg.sector_name(r["sector"], "vi")),
        "organization": _prop(city),
        "area": _prop(ward.name.vi if ward else r["ward"] or city),
        "address": _prop({"addressCountry": "VN", "addressLocality": city}),
        "calculationMethod": _prop("automatic"),
        "calculationFrequency": _prop(FREQUENCY[r["grain"]]),
        "calculationPeriod": _prop({"from": r["period_start"], "to": r["period_end"]}),
    }
    if r["value"] is not None:  # a masked or missing value is left out: NGSI-LD has no null value
        # the instant the period closed (midnight after its last day, city time); a year to date: now
        closed = dt.datetime.combine(dt.date.fromisoformat(r["period_end"]) + dt.timedelta(days=1), dt.time())
        observed = min(closed.replace(tzinfo=modified.tzinfo), modified)
        entity["kpiValue"] = _prop(r["value"], r["unit"], observedAt=_utc(observed))
    if r["target"] is not None:
        entity["kpiTarget"] = _prop(r["target"], r["unit"])
    entity["dateModified"] = _prop({"@type": "DateTime", "@value": _utc(modified)})
    entity["@context"] = list(NGSI_LD_CONTEXT)
    return entity


def _prop(value: Any, unit: str | None = None, **extra: Any) -> dict[str, Any]:
    """An NGSI-LD Property; a number's unit as its UN/CEFACT `unitCode`, else as a `unitText` sub-property."""
    p: dict[str, Any] = {"type": "Property", "value": value, **extra}
    if unit and unit in UNIT_CODES:
        p["unitCode"] = UNIT_CODES[unit]
    elif unit:
        p["unitText"] = {"type": "Property", "value": unit}
    return p


# --------------------------------------------------------------------------- helpers


def _pair_order(item: tuple[tuple[str, str | None], Any]) -> tuple[str, str]:
    (indicator, ward), _ = item
    return indicator, ward or ""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _missing(x: Any) -> bool:
    return x is None or (not isinstance(x, str) and bool(pd.isna(x)))


def _number(x: Any) -> float | None:
    """A JSON number (None for missing or NaN), to SIGNIFICANT digits."""
    if _missing(x) or not math.isfinite(float(x)):
        return None
    return float(f"{float(x):.{SIGNIFICANT}g}")


def _city_time(cfg: Config, t: dt.datetime | None) -> dt.datetime:
    """`t` (now by default) as an aware time in the city's zone; a naive `t` is city time (as the warehouse)."""
    tz = ZoneInfo(cfg.city.timezone)
    if t is None:
        return dt.datetime.now(tz).replace(microsecond=0)
    return t.replace(tzinfo=tz) if t.tzinfo is None else t.astimezone(tz)


def _utc(t: dt.datetime) -> str:
    """An NGSI-LD DateTime: UTC, with a Z."""
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# --------------------------------------------------------------------------- the push, through the outbox
PUSH_SCHEMA = """
CREATE TABLE IF NOT EXISTS province_pushes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL,                -- the message that carries it
    key TEXT NOT NULL,                         -- the document's idempotency key
    snapshot TEXT,
    values_count INTEGER NOT NULL,
    document TEXT NOT NULL,                    -- the JSON document (the NGSI-LD entities are built from it)
    created_at REAL NOT NULL,
    settled TEXT                               -- null while on its way, then acknowledged or rejected
);
CREATE TABLE IF NOT EXISTS province_table_state (
    name TEXT PRIMARY KEY,                     -- a table of `province.tables`
    acknowledged TEXT,                         -- {last, values: {row key: fingerprint}}, as province_state
    queued TEXT
);
CREATE TABLE IF NOT EXISTS province_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    acknowledged TEXT,                         -- Acknowledged, JSON: what the province has confirmed
    queued TEXT                                -- Acknowledged once every push on its way is confirmed: the diff base
);
"""


def _ops(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.row_factory = sqlite3.Row
    for statement in PUSH_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    if "target" not in {r["name"] for r in con.execute("PRAGMA table_info(province_pushes)")}:
        con.execute("ALTER TABLE province_pushes ADD COLUMN target TEXT")  # null: the indicators
    outbox.init(con)
    return con


def _state(db: sqlite3.Connection, target: str | None) -> tuple[Acknowledged | None, Acknowledged | None]:
    """(acknowledged, queued) of the indicators (target None) or of one table."""
    row = (
        db.execute("SELECT acknowledged, queued FROM province_state WHERE id = 1").fetchone()
        if target is None
        else db.execute("SELECT acknowledged, queued FROM province_table_state WHERE name = ?", (target,)).fetchone()
    )
    if row is None:
        return None, None
    return json.loads(row["acknowledged"] or "null"), json.loads(row["queued"] or "null")


def _set_state(db: sqlite3.Connection, target: str | None, column: str, value: Acknowledged | None) -> None:
    text = json.dumps(value) if value else None
    if target is None:
        db.execute(
            f"INSERT INTO province_state(id, {column}) VALUES (1, ?) "
            f"ON CONFLICT(id) DO UPDATE SET {column} = excluded.{column}",
            (text,),
        )
    else:
        db.execute(
            f"INSERT INTO province_table_state(name, {column}) VALUES (?, ?) "
            f"ON CONFLICT(name) DO UPDATE SET {column} = excluded.{column}",
            (target, text),
        )


# --------------------------------------------------------------------------- tables named in config
TABLE_SCHEMA = "ioc-city-table"


def _plain(v: Any) -> Any:
    """A cell as JSON has it: ISO dates and times, null for missing, numbers as numbers."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, Any]]:
    """Every row of a snapshot table, JSON-ready."""
    from ioc.warehouse import ident

    cur = con.execute(f"SELECT * FROM {ident(table)}")  # Python values: a date stays a date
    names = [d[0] for d in cur.description or []]
    return [{k: _plain(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def table_document(
    cfg: Config, table: str, key: Sequence[str], rows: Sequence[Mapping[str, Any]], known: Acknowledged | None,
    snapshot: str, now: dt.datetime,
) -> dict[str, Any] | None:  # fmt: skip
    """The document of a table's rows new or different since `known`, and the keys of rows gone; None when
    nothing changed. Each row is identified by the table's `key` columns."""
    seen = known["values"] if known else {}
    current = {json.dumps([r.get(k) for k in key], ensure_ascii=False, default=str): r for r in rows}
    changed = [dict(r) for k, r in current.items() if seen.get(k) != _row_print(r)]
    removed = [dict(zip(key, json.loads(k))) for k in sorted(seen.keys() - current.keys())]
    if not changed and not removed:
        return None
    return {
        "schema": TABLE_SCHEMA,
        "version": VERSION,
        "city": {"code": cfg.province.city_code, "name": {"vi": cfg.city.name.vi, "en": cfg.city.name.get("en")}},
        "table": table,
        "key": list(key),
        "snapshot": snapshot,
        "generated_at": _city_time(cfg, now).isoformat(timespec="seconds"),
        "since": known["last"] if known else None,
        "rows": sorted(changed, key=lambda r: json.dumps([r.get(k) for k in key], default=str)),
        "removed": removed,
    }


def _row_print(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(dict(row))).hexdigest()[:16]


def _table_acknowledge(doc: Mapping[str, Any], state: Acknowledged | None) -> Acknowledged:
    key = doc["key"]
    values = dict(state["values"]) if state else {}
    for r in doc["removed"]:
        values.pop(json.dumps([r.get(k) for k in key], ensure_ascii=False, default=str), None)
    for r in doc["rows"]:
        values[json.dumps([r.get(k) for k in key], ensure_ascii=False, default=str)] = _row_print(r)
    return {"last": _table_key(doc), "values": values}


def _table_key(doc: Mapping[str, Any]) -> str:
    content = {k: doc[k] for k in ("schema", "table", "since", "rows", "removed")}
    return hashlib.sha256(_canonical({**content, "city": doc["city"]["code"]})).hexdigest()


def _acknowledged(doc: Mapping[str, Any], state: Acknowledged | None) -> Acknowledged:
    """The state after `doc` is acknowledged, whichever kind of document it is."""
    return _table_acknowledge(doc, state) if doc["schema"] == TABLE_SCHEMA else acknowledge(doc, state)


def push(cfg: Config, ops_path: Path, now: dt.datetime | None = None) -> list[int]:
    """Put what changed since the last push (confirmed or on its way) in the outbox for the province's receiver:
    the indicators as the JSON document or NGSI-LD entities (`province.format`), and each table of
    `province.tables` as its own document; the outbox messages' ids (none when nothing changed)."""
    from ioc.warehouse import Warehouse

    receiver = cfg.province.receiver
    if not receiver:
        return []
    now = now or dt.datetime.now(dt.UTC)
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    sid = wh.current_id()
    if sid is None:
        return []
    keys = {t: next((s.key for s in cfg.sources.values() if s.table == t), []) for t in cfg.province.tables}
    with wh.connect(sid) as con:
        rows = value_rows(
            current_values(con, cfg, now.astimezone(ZoneInfo(cfg.city.timezone)).date(), cfg.province.since), cfg
        )
        tables = {t: table_rows(con, t) for t in cfg.province.tables}
    code = cfg.province.city_code
    sent: list[int] = []
    db = _ops(ops_path)
    try:
        db.execute("BEGIN IMMEDIATE")
        acked, queued = _state(db, None)
        base = queued or acked
        changed = changes(rows, base)
        if changed:
            doc = document(
                changed, cfg, city_code=code, snapshot=sid, generated_at=now, since=base["last"] if base else None
            )
            body: Any = (
                doc
                if cfg.province.format == "json"
                else entities(rows, cfg, city_code=code, generated_at=now, only=changed)
            )
            subject = f"Số liệu chỉ tiêu {cfg.city.name.vi}: {len(changed)} giá trị thay đổi (snapshot {sid})"
            sent.append(_enqueue(db, receiver, None, doc, idempotency_key(doc), body, subject, len(changed), now))
            _set_state(db, None, "queued", acknowledge(doc, base))
        for table, table_keyed in tables.items():
            acked, queued = _state(db, table)
            base = queued or acked
            tdoc = table_document(cfg, table, keys[table], table_keyed, base, sid, now)
            if tdoc is None:
                continue
            n = len(tdoc["rows"]) + len(tdoc["removed"])
            subject = f"Bảng {table} của {cfg.city.name.vi}: {n} dòng thay đổi (snapshot {sid})"
            sent.append(_enqueue(db, receiver, table, tdoc, _table_key(tdoc), tdoc, subject, n, now))
            _set_state(db, table, "queued", _table_acknowledge(tdoc, base))
        db.execute("COMMIT")
        return sent
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def _enqueue(db, receiver: str, target: str | None, doc, key: str, body: Any, subject: str, n: int, now) -> int:
    """One push in the outbox and its record, in the caller's transaction."""
    message = outbox.enqueue(db, receiver, f"province-{key}", subject, body, now.timestamp())
    db.execute(
        "INSERT INTO province_pushes(outbox_id, key, snapshot, values_count, document, created_at, target) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (message, key, doc["snapshot"], n, json.dumps(doc, ensure_ascii=False), now.timestamp(), target),
    )
    return message


def settle(ops_path: Path) -> None:
    """Record the pushes the outbox has delivered (2xx: what the province now holds) or given up on (a 4xx: kept
    and shown, not retried), in order for each target (the indicators, each table); a rejected push's values
    are sent again with the next change."""
    db = _ops(ops_path)
    try:
        db.execute("BEGIN IMMEDIATE")
        pending = db.execute(
            "SELECT p.id, p.document, p.target, o.status FROM province_pushes p JOIN outbox o ON o.id = p.outbox_id "
            "WHERE p.settled IS NULL ORDER BY p.id"
        ).fetchall()
        for target in dict.fromkeys(p["target"] for p in pending):
            acked, _ = _state(db, target)
            rejected = False
            for p in (p for p in pending if p["target"] == target):
                if p["status"] == "pending":
                    break  # in order: a later push is confirmed only after the one before
                if p["status"] == "sent":
                    acked = _acknowledged(json.loads(p["document"]), acked)
                rejected = rejected or p["status"] == "dead"
                db.execute("UPDATE province_pushes SET settled = ? WHERE id = ?",
                           ("acknowledged" if p["status"] == "sent" else "rejected", p["id"]))  # fmt: skip
            _set_state(db, target, "acknowledged", acked)
            if rejected:
                _set_state(db, target, "queued", None)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def pushes(ops_path: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The latest pushes with their outbox message's state and the province's last answer."""
    db = _ops(ops_path)
    try:
        rows = db.execute(
            "SELECT p.id, p.key, p.snapshot, p.target, p.values_count, p.created_at, p.settled, o.id AS message, "
            "o.status, "
            "o.attempts, o.last_status, o.last_error, o.sent_at FROM province_pushes p "
            "JOIN outbox o ON o.id = p.outbox_id ORDER BY p.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        db.close()
