"""Alerts: the rules of config.yaml evaluated against the published snapshot, and each alert's life in the ops
store (pending → open → acknowledged → resolved, or closed by hand), with its procedure's steps, silences and
the notifications it causes, written to the outbox in the same transaction as the change.

The same ongoing condition is one alert: an alert is keyed by its rule and what it is about (a ward, a station,
a source, the city), and a key stays taken while its condition holds, across restarts, re-evaluations of the
same snapshot and rollbacks; a rule that cannot be evaluated leaves its alerts as they are (never "resolved"
because a query failed)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ioc import aqi, i18n, outbox
from ioc.config import AQI_BANDS, SEVERITIES, Config, Indicator, Rule, seconds
from ioc.errors import IOCError
from ioc.queries import environment as qe
from ioc.queries import indicators as qi

log = logging.getLogger("ioc.alerts")

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    key TEXT NOT NULL,                          -- what it is about within the rule: city, a ward, a station, a source
    ward_code TEXT,
    sector TEXT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,                        -- pending | open | acknowledged | resolved | closed
    holding INTEGER NOT NULL DEFAULT 1,         -- its condition still holds: the key is taken (closed ones too)
    first_seen REAL NOT NULL,
    opened_at REAL,
    updated_at REAL NOT NULL,
    resolved_at REAL,
    streak INTEGER NOT NULL DEFAULT 1,          -- successive evaluations (snapshots) it has held
    last_snapshot TEXT,
    value REAL,
    peak REAL,
    threshold REAL,
    period TEXT,                                -- as the pages write it, in Vietnamese (and period_en)
    period_en TEXT,
    subject_vi TEXT, subject_en TEXT,           -- where: the ward, the station, the source
    message_vi TEXT, message_en TEXT,
    ack_by TEXT, ack_at REAL, ack_note TEXT,
    closed_by TEXT, closed_at REAL, close_reason TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_holding ON alerts(rule, key) WHERE holding = 1;
CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state, severity, opened_at);
CREATE TABLE IF NOT EXISTS alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,                         -- opened | updated | acknowledged | resolved | closed | step | reopened
    by TEXT,
    note TEXT,
    value REAL
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, id);
CREATE TABLE IF NOT EXISTS alert_steps (
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    step INTEGER NOT NULL,
    done_by TEXT NOT NULL,
    done_at REAL NOT NULL,
    note TEXT,
    PRIMARY KEY (alert_id, step)
);
CREATE TABLE IF NOT EXISTS silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT,                                  -- none: every rule
    ward_code TEXT,                             -- none: every ward
    until REAL NOT NULL,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    snapshot_id TEXT,
    seconds REAL,
    rules INTEGER, hits INTEGER, opened INTEGER, resolved INTEGER,
    errors TEXT                                 -- JSON {rule: message} of the rules that could not be evaluated
);
"""

ACTIVE = ("pending", "open", "acknowledged")  # an alert still in play
SHOWN = ("open", "acknowledged")  # what the alerts page, the strip and the counts show
OFF_TARGET = ("behind", "not_met", "at_risk", "over_limit")  # the tiles' statuses that are off target


# ---------------------------------------------------------------- evaluation: what holds now
@dataclass(frozen=True)
class Hit:
    """One thing a rule finds wrong now."""

    key: str
    ward_code: str | None = None
    value: float | None = None
    threshold: float | None = None
    period: str = ""  # as the page writes it, Vietnamese ("Tháng 11/2026")
    period_en: str = ""
    subject_vi: str = ""
    subject_en: str = ""


def _f(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x) else float(x)


class Reader:
    """The snapshot's figures the rules read, each queried once per evaluation however many rules read it:
    the tiles' summary of every indicator, each indicator's ward values and series, the stations' VN_AQI."""

    def __init__(self, con: duckdb.DuckDBPyConnection, today: dt.date):
        self.con, self.today = con, today
        self._cache: dict[tuple, Any] = {}

    def _once(self, key: tuple, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def summary(self, code: str) -> pd.Series | None:
        df = self._once(("summary",), lambda: qi.summary(self.con, today=self.today).set_index("code", drop=False))
        return df.loc[code] if code in df.index else None

    def series(self, code: str) -> pd.DataFrame:
        return self._once(("series", code), lambda: qi.series(self.con, code, today=self.today))

    def ward_latest(self, code: str) -> pd.DataFrame:
        return self._once(("ward_latest", code), lambda: qi.ward_latest(self.con, code, self.today))

    def ward_series(self, code: str) -> dict[str, pd.DataFrame]:
        def make() -> dict[str, pd.DataFrame]:
            df = qi.ward_series(self.con, code, self.today)
            return {str(w): g for w, g in df.groupby("ward_code")}

        return self._once(("ward_series", code), make)

    def aqi(self) -> pd.DataFrame:
        return self._once(("aqi",), lambda: qe.latest_aqi(self.con))


def _indicator_hits(read: Reader, cfg: Config, rule: Rule) -> list[Hit]:
    c = rule.condition
    ind = next(i for i in cfg.indicators if i.code == c.indicator)
    changes = c.change_above is not None or c.change_below is not None
    if rule.scope == "city":
        r = read.summary(ind.code)
        if r is None:
            return []
        series = read.series(ind.code) if changes else None
        cases = [(None, r["value"], r["period"], r["status"], series)]
        names: dict[str, tuple[str, str]] = {}
    else:
        rows = read.ward_latest(ind.code)
        names = {w: (vi, en) for w, vi, en in zip(rows["ward_code"], rows["name_vi"], rows["name_en"])}
        by_ward = read.ward_series(ind.code) if changes else {}
        cases = [
            (
                w,
                v,
                p,
                qi.ward_status(v, y, ind.target_for(pd.Timestamp(p).year) if pd.notna(p) else None,
                               ind.ward_threshold, ind.direction, ind.target_aggregate),
                by_ward.get(w) if changes else None,
            )
            for w, v, p, y in zip(rows["ward_code"], rows["value"], rows["period"], rows["ytd"])
        ]  # fmt: skip
    hits = []
    for ward, value, period, status, series in cases:
        v = _f(value)
        if v is None:  # no value (or a small count masked): nothing to judge, never "fine"
            continue
        held, level = _holds(c, ind, v, status, series, rule.scope)
        if not held:
            continue
        vi_name, en_name = names.get(ward, ("", "")) if ward else (cfg.city.name.vi, cfg.city.name.get("en"))
        hits.append(
            Hit(
                key=ward or "city",
                ward_code=ward,
                value=v,
                threshold=level,
                period=i18n.period(period, ind.grain, "vi"),
                period_en=i18n.period(period, ind.grain, "en"),
                subject_vi=vi_name,
                subject_en=en_name,
            )
        )
    return hits


def _holds(c, ind: Indicator, v: float, status: str, series: pd.DataFrame | None, scope: str) -> tuple[bool, Any]:
    """Whether an indicator's value meets the condition, and the level it was judged against."""
    if c.above is not None:
        return v > c.above, c.above
    if c.below is not None:
        return v < c.below, c.below
    if c.threshold:
        level = ind.ward_threshold if scope == "wards" else ind.threshold
        return (level is not None and not qi.meets(v, level, ind.direction)), level
    if c.off_target:
        return status in OFF_TARGET, None
    values = series["value"].dropna().tolist() if series is not None else []
    if len(values) <= c.periods or not values[-1 - c.periods]:
        return False, None
    change = (values[-1] - values[-1 - c.periods]) / abs(values[-1 - c.periods]) * 100
    if c.change_above is not None:
        return change > c.change_above, c.change_above
    return change < -(c.change_below or 0), -(c.change_below or 0)


def _aqi_hits(read: Reader, rule: Rule, now: dt.datetime) -> list[Hit]:
    worst = AQI_BANDS.index(rule.condition.aqi_band or "poor")
    df = read.aqi()
    hits = []
    for r in df.itertuples():
        value = _f(r.aqi)
        if value is None or r.band not in AQI_BANDS or AQI_BANDS.index(r.band) < worst:
            continue
        ts = pd.Timestamp(r.ts)
        if (pd.Timestamp(now.replace(tzinfo=None)) - ts) > pd.Timedelta(hours=6):
            continue  # an old reading is not "now": the late-source rule says the feed stopped
        when = ts.strftime("%H:%M %d/%m/%Y")
        ward = getattr(r, "ward_code", None)
        hits.append(
            Hit(
                key=str(r.station_code),
                ward_code=ward if isinstance(ward, str) else None,
                value=value,
                threshold=float(aqi.BANDS[worst - 1][0]),  # the upper bound of the band before
                period=when,
                period_en=when,
                subject_vi=str(r.name),
                subject_en=str(r.name),
            )
        )
    return hits


def _late_hits(cfg: Config, rule: Rule, sources: Sequence[dict]) -> list[Hit]:
    c = rule.condition
    hits = []
    for s in sources:
        if c.source and s["source"] != c.source:
            continue
        if not s["enabled"] or s["state"] in ("fresh", "manual", "off"):
            continue
        behind = s.get("behind")
        if behind is not None and behind < (c.late_periods or 1):
            continue
        if behind is None and s["state"] not in ("late", "failed", "never", "held"):
            continue
        src = cfg.sources.get(s["source"])
        label = src.label_in("vi") if src else s["source"]
        label_en = src.label_in("en") if src else s["source"]
        latest = s.get("latest") or ""
        hits.append(
            Hit(
                key=s["source"],
                value=float(behind) if behind is not None else None,
                threshold=float(c.late_periods or 1),
                period=latest,
                period_en=latest,
                subject_vi=label,
                subject_en=label_en,
            )
        )
    return hits


def _sql_hits(con: duckdb.DuckDBPyConnection, rule: Rule) -> list[Hit]:
    from ioc.sandbox import outside_reads

    sql = rule.condition.sql or ""
    refused = outside_reads(sql)
    if refused:
        raise IOCError(f"reads only the snapshot's tables; this reads {', '.join(refused)}")
    df = con.execute(sql).df()
    if rule.scope == "wards" and "ward_code" not in df.columns:
        raise IOCError("a rule scoped by ward needs a `ward_code` column in its query's rows")
    hits = []
    for i, r in enumerate(df.to_dict("records")):
        ward = r.get("ward_code")
        label = str(r.get("label") or ward or "")
        key = str(ward) if ward is not None else (label or str(i))
        period = r.get("period")
        shown = i18n.date(period) if isinstance(period, (dt.date, pd.Timestamp)) else str(period or "")
        hits.append(
            Hit(
                key=key,
                ward_code=str(ward) if ward is not None else None,
                value=_f(r.get("value")),
                threshold=_f(r.get("threshold")),
                period=shown,
                period_en=shown,
                subject_vi=label,
                subject_en=label,
            )
        )
    return hits


def evaluate_rule(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    rule: Rule,
    today: dt.date,
    now: dt.datetime,
    sources: Sequence[dict],
    reader: Reader | None = None,
) -> list[Hit]:
    """What the rule finds wrong in the snapshot now (raises when it cannot tell); `reader` shares the
    snapshot's figures between the rules of one evaluation."""
    read = reader or Reader(con, today)
    kind = rule.condition.kind
    if kind == "indicator":
        hits = _indicator_hits(read, cfg, rule)
    elif kind == "aqi":
        hits = _aqi_hits(read, rule, now)
    elif kind == "late":
        hits = _late_hits(cfg, rule, sources)
    else:
        hits = _sql_hits(con, rule)
    if rule.scope == "wards":
        names = {w.code: w.name for w in cfg.wards}
        hits = [
            h
            if h.subject_vi or not h.ward_code or h.ward_code not in names
            else Hit(**{**h.__dict__, "subject_vi": names[h.ward_code].vi, "subject_en": names[h.ward_code].get("en")})
            for h in hits
        ]
    return hits


# ---------------------------------------------------------------- the lifecycle in the ops store
@dataclass
class Evaluation:
    """What one evaluation did."""

    snapshot: str | None
    rules: int = 0
    hits: int = 0
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.row_factory = sqlite3.Row
        yield con
    finally:
        con.close()


def init(path: Path) -> None:
    """The alert and outbox tables in the ops store."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _db(path) as con:
        con.executescript(SCHEMA)
        if "period_en" not in {r["name"] for r in con.execute("PRAGMA table_info(alerts)")}:
            con.execute("ALTER TABLE alerts ADD COLUMN period_en TEXT")
        outbox.init(con)


def ops_path(cfg: Config) -> Path:
    return cfg.data_path / "ops.sqlite"


def message(rule: Rule, hit: Hit, cfg: Config, lang: str) -> str:
    """The rule's message in `lang` with the hit's values."""
    ind = next((i for i in cfg.indicators if i.code == rule.condition.indicator), None)
    unit = i18n.unit(ind.unit, lang) if ind else ""
    fields = {
        "ward": hit.subject_vi if lang == "vi" else hit.subject_en,
        "value": i18n.smart(hit.value, lang),
        "threshold": i18n.smart(hit.threshold, lang),
        "period": hit.period if lang == "vi" else hit.period_en,
        "name": ind.name.get(lang) if ind else rule.name.get(lang),
        "unit": unit,
    }
    text = rule.message.get(lang)
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:  # a template naming a field it cannot have
        return f"{text} ({exc})"


def _silenced(con: sqlite3.Connection, rule: str, ward: str | None, now: float) -> bool:
    row = con.execute(
        "SELECT 1 FROM silences WHERE until > ? AND (rule IS NULL OR rule = ?) "
        "AND (ward_code IS NULL OR ward_code IS ?) LIMIT 1",
        (now, rule, ward),
    ).fetchone()
    return row is not None


def receivers_of(cfg: Config, rule: Rule) -> list[str]:
    """Who is told of the rule's alerts: its own receivers, then those of its severity."""
    return list(dict.fromkeys([*rule.notify, *cfg.notifications.by_severity.get(rule.severity, [])]))


def _notify(con: sqlite3.Connection, cfg: Config, rule: Rule, alert: sqlite3.Row, event: str, now: float) -> None:
    """The messages an alert's opening or resolution causes, in the caller's transaction."""
    if _silenced(con, rule.code, alert["ward_code"], now):
        con.execute(
            "INSERT INTO alert_events(alert_id, at, kind, note) VALUES (?, ?, 'silenced', ?)",
            (alert["id"], now, f"no notification of '{event}': silenced"),
        )
        return
    link = f"{cfg.notifications.link.rstrip('/')}/alerts?id={alert['id']}"
    state_vi = {"opened": "Mở", "resolved": "Đã hết"}.get(event, event)
    severity = i18n.t(f"alerts_page.severity.{rule.severity}", "vi")  # the alerts page's words for it
    subject = f"[{severity}] {state_vi}: {alert['message_vi']}"
    text = "\n".join(
        [
            alert["message_vi"],
            f"Mức độ: {severity} · Đơn vị chủ trì: {rule.unit or '–'}",
            f"{'Đã hết lúc' if event == 'resolved' else 'Mở lúc'}: {_local(cfg, now)}",
            f"Xem và xử lý: {link}",
            "",
            f"[{rule.severity}] {'Resolved' if event == 'resolved' else 'Opened'}: {alert['message_en']}",
        ]
    )
    body = {
        "schema": "ioc-alert",
        "version": "1.0",
        "event": event,
        "alert": alert["id"],
        "rule": rule.code,
        "severity": rule.severity,
        "sector": rule.sector,
        "ward": alert["ward_code"],
        "value": alert["value"],
        "threshold": alert["threshold"],
        "period": alert["period"],
        "message": {"vi": alert["message_vi"], "en": alert["message_en"]},
        "unit": rule.unit,
        "link": link,
        "at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"),
        "text": text,
    }
    for name in receivers_of(cfg, rule):
        outbox.enqueue(con, name, f"alert-{alert['id']}-{event}", subject, body, now)


def _local(cfg: Config, ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(cfg.city.timezone)).strftime("%H:%M %d/%m/%Y")


def _ready(rule: Rule, streak: int, first_seen: float, now: float) -> bool:
    """Whether a pending alert has held long enough to open (`for`: evaluations or a duration)."""
    if isinstance(rule.for_, int):
        return streak >= rule.for_
    return now - first_seen >= seconds(rule.for_)


def apply(
    path: Path,
    cfg: Config,
    rule: Rule,
    hits: Sequence[Hit],
    snapshot: str | None,
    now: float,
    result: Evaluation,
) -> None:
    """One rule's hits against its alerts, in one transaction: open, update, resolve, and their messages."""
    with _db(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            seen = set()
            for h in hits:
                if h.key in seen:
                    continue
                seen.add(h.key)
                vi, en = message(rule, h, cfg, "vi"), message(rule, h, cfg, "en")
                row = con.execute(
                    "SELECT * FROM alerts WHERE rule = ? AND key = ? AND holding = 1", (rule.code, h.key)
                ).fetchone()
                if row is None:
                    state = "open" if _ready(rule, 1, now, now) else "pending"
                    cur = con.execute(
                        "INSERT INTO alerts(rule, key, ward_code, sector, severity, state, first_seen, opened_at, "
                        "updated_at, streak, last_snapshot, value, peak, threshold, period, period_en, subject_vi, "
                        "subject_en, message_vi, message_en) VALUES (?,?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,?)",
                        (rule.code, h.key, h.ward_code, rule.sector, rule.severity, state, now,
                         now if state == "open" else None, now, snapshot, h.value, h.value, h.threshold, h.period,
                         h.period_en, h.subject_vi, h.subject_en, vi, en),
                    )  # fmt: skip
                    alert_id = int(cur.lastrowid or 0)
                    if state == "open":
                        _opened(con, cfg, rule, alert_id, now, h.value, result)
                    continue
                streak = row["streak"] + (1 if snapshot != row["last_snapshot"] else 0)
                peak = _peak(row["peak"], h.value, rule)
                con.execute(
                    "UPDATE alerts SET streak = ?, last_snapshot = ?, value = ?, peak = ?, threshold = ?, period = ?, "
                    "period_en = ?, message_vi = ?, message_en = ?, updated_at = ? WHERE id = ?",
                    (streak, snapshot, h.value, peak, h.threshold, h.period, h.period_en, vi, en, now, row["id"]),
                )
                if row["state"] == "pending" and _ready(rule, streak, row["first_seen"], now):
                    con.execute("UPDATE alerts SET state = 'open', opened_at = ? WHERE id = ?", (now, row["id"]))
                    _opened(con, cfg, rule, row["id"], now, h.value, result)
                elif row["state"] in SHOWN and row["value"] != h.value:
                    con.execute(
                        "INSERT INTO alert_events(alert_id, at, kind, value) VALUES (?, ?, 'updated', ?)",
                        (row["id"], now, h.value),
                    )
            # what held and no longer does: resolved by the data (a pending one was never an alert)
            gone = con.execute("SELECT * FROM alerts WHERE rule = ? AND holding = 1", (rule.code,)).fetchall()
            for row in gone:
                if row["key"] in seen:
                    continue
                if row["state"] == "pending":
                    con.execute("DELETE FROM alerts WHERE id = ?", (row["id"],))
                    continue
                if row["state"] == "closed":  # closed by hand: the condition has now stopped too
                    con.execute("UPDATE alerts SET holding = 0 WHERE id = ?", (row["id"],))
                    continue
                con.execute(
                    "UPDATE alerts SET state = 'resolved', holding = 0, resolved_at = ?, updated_at = ? WHERE id = ?",
                    (now, now, row["id"]),
                )
                con.execute(
                    "INSERT INTO alert_events(alert_id, at, kind, by, note) VALUES (?, ?, 'resolved', 'data', ?)",
                    (row["id"], now, "the condition no longer holds"),
                )
                _notify(con, cfg, rule, _alert(con, row["id"]), "resolved", now)
                result.resolved.append(row["id"])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _peak(before: float | None, value: float | None, rule: Rule) -> float | None:
    if value is None:
        return before
    if before is None:
        return value
    c = rule.condition
    lower_is_worse = c.below is not None or c.change_below is not None
    return min(before, value) if lower_is_worse else max(before, value)


def _alert(con: sqlite3.Connection, alert_id: int) -> sqlite3.Row:
    return con.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()


def _opened(con, cfg: Config, rule: Rule, alert_id: int, now: float, value, result: Evaluation) -> None:
    con.execute(
        "INSERT INTO alert_events(alert_id, at, kind, value) VALUES (?, ?, 'opened', ?)", (alert_id, now, value)
    )
    _notify(con, cfg, rule, _alert(con, alert_id), "opened", now)
    result.opened.append(alert_id)


def evaluate(cfg: Config, now: dt.datetime | None = None, sources: Sequence[dict] | None = None) -> Evaluation:
    """Every enabled rule against the current snapshot; each rule's changes in its own transaction. A rule that
    fails is reported (`errors`) and its alerts are left as they were."""
    from ioc.status import source_status
    from ioc.warehouse import Warehouse

    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    path = ops_path(cfg)
    init(path)
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    sid = wh.current_id()
    result = Evaluation(sid)
    rules = [r for r in cfg.alerts if r.enabled]
    if sid is None or not rules:
        return result
    today = now.astimezone(ZoneInfo(cfg.city.timezone)).date()
    if sources is None and any(r.condition.kind == "late" for r in rules):
        sources = source_status(cfg, now)["sources"]
    with wh.connect(sid) as con:
        reader = Reader(con, today)
        for rule in rules:
            result.rules += 1
            try:
                hits = evaluate_rule(con, cfg, rule, today, now, sources or [], reader)
            except Exception as exc:
                result.errors[rule.code] = f"{type(exc).__name__}: {exc}"
                log.warning("alert rule %s could not be evaluated: %s", rule.code, exc)
                continue
            result.hits += len(hits)
            apply(path, cfg, rule, hits, sid, now.timestamp(), result)
    result.seconds = time.perf_counter() - started
    with _db(path) as con:
        con.execute(
            "INSERT INTO evaluations(at, snapshot_id, seconds, rules, hits, opened, resolved, errors) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (now.timestamp(), sid, result.seconds, result.rules, result.hits, len(result.opened),
             len(result.resolved), json.dumps(result.errors, ensure_ascii=False) if result.errors else None),
        )  # fmt: skip
    return result


# ---------------------------------------------------------------- reading and acting
def alerts(
    path: Path,
    states: Sequence[str] = SHOWN,
    sector: str | None = None,
    ward: str | None = None,
    alert_id: int | None = None,
    limit: int = 500,
    wards: Sequence[str] | None = None,
) -> list[dict]:
    """Alerts, most severe first, then oldest first (the control room's order); with `wards` (a person bound to
    them), only theirs and the city's own."""
    init(path)
    where: list[str] = [f"state IN ({','.join('?' * len(states))})"]
    params: list[Any] = list(states)
    if sector:
        where.append("sector = ?")
        params.append(sector)
    if ward:
        where.append("ward_code = ?")
        params.append(ward)
    if alert_id is not None:
        where, params = ["id = ?"], [alert_id]
    if wards is not None:
        where.append(f"(ward_code IS NULL OR ward_code IN ({','.join('?' * len(wards)) or 'NULL'}))")
        params.extend(wards)
    order = "CASE severity " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(reversed(SEVERITIES))) + " END"
    with _db(path) as con:
        rows = con.execute(
            f"SELECT * FROM alerts WHERE {' AND '.join(where)} "
            f"ORDER BY {order}, coalesce(opened_at, first_seen), id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [dict(r) for r in rows]


def history(path: Path, alert_id: int) -> list[dict]:
    with _db(path) as con:
        return [dict(r) for r in con.execute("SELECT * FROM alert_events WHERE alert_id = ? ORDER BY id", (alert_id,))]


def steps(path: Path, cfg: Config, alert: dict, now: float | None = None) -> list[dict]:
    """The alert's procedure as a checklist: each step, who ticked it and when, and whether it is overdue."""
    rule = next((r for r in cfg.alerts if r.code == alert["rule"]), None)
    proc = cfg.procedures.get(rule.procedure) if rule and rule.procedure else None
    if proc is None:
        return []
    now = time.time() if now is None else now
    with _db(path) as con:
        done = {r["step"]: dict(r) for r in con.execute("SELECT * FROM alert_steps WHERE alert_id = ?", (alert["id"],))}
    start = alert["opened_at"] or alert["first_seen"]
    out = []
    for i, s in enumerate(proc.steps):
        due = start + seconds(s.within) if s.within else None
        d = done.get(i)
        out.append(
            {
                "step": i,
                "text_vi": s.text.vi,
                "text_en": s.text.get("en"),
                "unit": s.unit,
                "due": due,
                "done_by": d["done_by"] if d else None,
                "done_at": d["done_at"] if d else None,
                "overdue": bool(due and not d and now > due and alert["state"] in SHOWN),
            }
        )
    return out


class Refused(IOCError):
    """An action on an alert refused: the English message, and the locale key (alerts_page.why.KEY) with its
    values that the pages word it by."""

    def __init__(self, message: str, key: str, **values: object):
        super().__init__(message)
        self.key, self.values = key, values


def _act(path: Path, alert_id: int, allowed: Sequence[str], what: str) -> sqlite3.Row:
    init(path)
    with _db(path) as con:
        row = _alert(con, alert_id)
    if row is None:
        raise Refused(f"no alert {alert_id}", "no_alert", id=alert_id)
    if row["state"] not in allowed:
        raise Refused(
            f"alert {alert_id} is {row['state']}: it cannot be {what}", "wrong_state", id=alert_id, state=row["state"]
        )
    return row


def acknowledge(path: Path, alert_id: int, by: str, note: str = "", now: float | None = None) -> None:
    """Someone has seen the alert and takes it on."""
    if not by.strip():
        raise Refused("an acknowledgement needs who gives it", "needs_who")
    assign = "state = 'acknowledged', ack_by = ?, ack_at = ?, ack_note = ?"
    _change(path, alert_id, ("open",), assign, "acknowledged", by, note, now)


def close(path: Path, alert_id: int, by: str, reason: str, now: float | None = None) -> None:
    """Closed by hand with a reason; while its condition still holds no new alert opens for it."""
    if not reason.strip() or not by.strip():
        raise Refused("closing an alert needs who closes it and why", "needs_who_why")
    assign = "state = 'closed', closed_by = ?, closed_at = ?, close_reason = ?"
    _change(path, alert_id, ("open", "acknowledged"), assign, "closed", by, reason, now)


def _change(
    path: Path, alert_id: int, allowed: Sequence[str], assign: str, kind: str, by: str, note: str, now: float | None
) -> None:
    """A person's change of an alert in one of the `allowed` states (`assign` sets its state and who, when,
    why: three ?) and its event, in one transaction."""
    _act(path, alert_id, allowed, kind)
    now = time.time() if now is None else now
    marks = ",".join("?" * len(allowed))
    with _db(path) as con:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            f"UPDATE alerts SET {assign}, updated_at = ? WHERE id = ? AND state IN ({marks})",
            (by, now, note, now, alert_id, *allowed),
        )
        con.execute(
            "INSERT INTO alert_events(alert_id, at, kind, by, note) VALUES (?, ?, ?, ?, ?)",
            (alert_id, now, kind, by, note),
        )
        con.execute("COMMIT")


def tick(path: Path, cfg: Config, alert_id: int, step: int, by: str, note: str = "", now: float | None = None) -> None:
    """A procedure step done, by whom and when (once)."""
    row = _act(path, alert_id, SHOWN, "worked on")
    if not 0 <= step < len(steps(path, cfg, dict(row))):
        raise Refused(f"alert {alert_id} has no step {step + 1}", "no_step", id=alert_id, step=step + 1)
    now = time.time() if now is None else now
    with _db(path) as con:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO alert_steps(alert_id, step, done_by, done_at, note) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(alert_id, step) DO NOTHING",
            (alert_id, step, by, now, note),
        )
        con.execute(
            "INSERT INTO alert_events(alert_id, at, kind, by, note) VALUES (?, ?, 'step', ?, ?)",
            (alert_id, now, by, f"{step + 1}" + (f": {note}" if note else "")),
        )
        con.execute("COMMIT")


def silence(
    path: Path, by: str, reason: str, until: float, rule: str | None = None, ward: str | None = None, now=None
) -> int:
    """Hold back the notifications of a rule (or every rule) for a ward (or every ward) until a time."""
    if not reason.strip() or not by.strip():
        raise Refused("a silence needs who sets it and why", "needs_who_why")
    now = time.time() if now is None else now
    if until <= now:
        raise Refused("a silence ends in the future", "past")
    init(path)
    with _db(path) as con:
        cur = con.execute(
            "INSERT INTO silences(rule, ward_code, until, by, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (rule, ward, until, by, reason, now),
        )
        return int(cur.lastrowid or 0)


def silences(path: Path, now: float | None = None) -> list[dict]:
    now = time.time() if now is None else now
    init(path)
    with _db(path) as con:
        return [dict(r) for r in con.execute("SELECT * FROM silences WHERE until > ? ORDER BY until", (now,))]


def counts(path: Path, wards: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
    """Open and acknowledged alerts by sector and severity ({sector: {severity: n}}); with `wards`, of those
    wards and the city's own (as alerts())."""
    init(path)
    out: dict[str, dict[str, int]] = {}
    only = "" if wards is None else f" AND (ward_code IS NULL OR ward_code IN ({','.join('?' * len(wards)) or 'NULL'}))"
    with _db(path) as con:
        for r in con.execute(
            "SELECT sector, severity, count(*) AS n FROM alerts WHERE state IN ('open', 'acknowledged')"
            f"{only} GROUP BY sector, severity",
            list(wards or ()),
        ):
            out.setdefault(r["sector"], {})[r["severity"]] = r["n"]
    return out


def last_evaluation(path: Path) -> dict | None:
    init(path)
    with _db(path) as con:
        row = con.execute("SELECT * FROM evaluations ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else None


# ---------------------------------------------------------------- after a snapshot, and the outbox's round
def after_publish(cfg: Config) -> Evaluation | None:
    """What follows a published snapshot (or a rollback to one): the alert rules evaluated and what changed
    put in the outbox for the province. A failure here is logged and recorded, never the ingest's."""
    from ioc import province

    result = None
    try:
        result = evaluate(cfg)
    except Exception:
        log.exception("alert rules could not be evaluated")
    try:  # the copy most people read (personal data masked) made now, not at someone's first page
        from ioc import access

        access.prepare(cfg)
    except Exception:
        log.exception("the masked copy of the snapshot could not be made")
    try:
        province.push(cfg, ops_path(cfg))
    except Exception:
        log.exception("the push to the province could not be prepared")
    return result


def follow(cfg: Config, result):
    """An ingest's result, after what follows it when it published a snapshot (after_publish): the one call
    the CLI, the scheduler and the operations page make after ingest() or accept()."""
    if getattr(result, "snapshot_id", None):
        after_publish(cfg)
    return result


def run_outbox(cfg: Config, now: float | None = None) -> outbox.Delivery:
    """One round of the outbox worker: deliver what is due, then record what the province confirmed."""
    from ioc import province

    path = ops_path(cfg)
    init(path)
    done = outbox.deliver(path, cfg.receivers, cfg.notifications.policy, now=now)
    province.settle(path)
    return done
