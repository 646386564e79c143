"""Time the alert rules' evaluation on a snapshot and the outbox's delivery to a local webhook.

    python bench/alerts.py [--config PATH] [--rules 50] [--messages 1000] [--repeat 5]
    IOC_DATA_DIR=/tmp/bench-sample python bench/alerts.py              # the sample, ingested into /tmp/bench-sample
    python bench/alerts.py --config data/scale/config.yaml             # the scale dataset (bench/scale_data.py)

1. Rule evaluation: `alerts.evaluate(cfg)` with the config's own rules, then with --rules rules: the config's
   own and copies of them with new codes and other numbers (other indicators with above / below / threshold /
   off_target / change conditions, by ward and city-wide, a few SQL rules, one AQI and one late-source rule).
   The config is built by the normal loader (`parse_config` on the config's document, as `load_config` does),
   so every derived rule is one the loader accepts. It runs in a temporary data dir: the current snapshot
   symlinked (read only), the ops store copied with its alert and outbox tables emptied, so the real ops store
   is not touched. The first call is reported apart (cold: this process's first, which opens the alerts), then
   the median of --repeat more (warm: the same snapshot again, which updates them). Then the parts: one
   evaluate() with evaluate_rule, apply and source_status timed inside it, evaluate_rule of each rule alone on
   one connection (first and median), source_status() alone, qi.summary of one city-wide rule's indicator
   against that of all of them at once (what each city-wide rule asks, against asking it once), and a cProfile
   of one warm evaluate() (bench/out/alerts_<name>_own.prof and alerts_<name>_<rules>.prof).
2. The outbox: --messages messages enqueued (one transaction, and one transaction each) and delivered by
   `outbox.deliver(limit=...)` rounds until all are sent, to one receiver and spread over 4, each a webhook
   on a local ThreadingHTTPServer (127.0.0.1, a free port) in a thread that answers 200.

Results go to bench/out/alerts_<config folder>.json ("sample" for the repository's config.yaml).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ioc import alerts, outbox  # noqa: E402
from ioc import status as ioc_status  # noqa: E402
from ioc.config import Config, Indicator, Rule, config_document, config_path, parse_config  # noqa: E402
from ioc.queries import indicators as qi  # noqa: E402
from ioc.warehouse import Warehouse  # noqa: E402

TESTS = ("above", "below", "threshold", "off_target", "change_above", "change_below")
SEVERITY_CYCLE = ("info", "warning", "critical")
ALERT_TABLES = ("alert_steps", "alert_events", "alerts", "silences", "evaluations", "outbox")


# --------------------------------------------------------------------------- the data dir and the rules
def temp_data_dir(source: Path, into: Path) -> str:
    """`into` as a data dir: the current snapshot of `source` symlinked, its ops store copied with the alert and
    outbox tables emptied (the run history stays: source_status needs it). Returns the snapshot id."""
    wh = Warehouse(source / "warehouse")
    sid = wh.current_id()
    if sid is None:
        raise SystemExit(f"no snapshot in {source / 'warehouse'}: run `python -m ioc ingest --all` first")
    (into / "warehouse").mkdir(parents=True)
    (into / "warehouse" / wh.path_of(sid).name).symlink_to(wh.path_of(sid))
    (into / "warehouse" / "CURRENT").write_text(sid)
    ops = source / "ops.sqlite"
    if ops.exists():
        src, dst = sqlite3.connect(ops), sqlite3.connect(into / "ops.sqlite")
        src.backup(dst)  # consistent with the WAL, unlike a file copy
        src.close()
        dst.close()
    alerts.init(into / "ops.sqlite")
    with contextlib.closing(sqlite3.connect(into / "ops.sqlite")) as con:
        for t in ALERT_TABLES:
            con.execute(f"DELETE FROM {t}")
        con.commit()
    return sid


def _latest_values(con: duckdb.DuckDBPyConnection, inds: list[Indicator], today: dt.date) -> dict[str, float]:
    df = qi.summary(con, codes=tuple(i.code for i in inds), today=today)
    return {c: float(v) for c, v in zip(df["code"], df["value"]) if v is not None and v == v}


def _ward_codes(con: duckdb.DuckDBPyConnection, inds: list[Indicator], today: dt.date) -> set[str]:
    return {i.code for i in inds if qi.ward_latest(con, i.code, today)["value"].notna().any()}


def derived_rules(cfg: Config, con: duckdb.DuckDBPyConnection, n: int, today: dt.date) -> list[dict[str, Any]]:
    """`n` rule mappings: the config's own, then copies of them varied (new codes, other indicators and numbers).
    The numbers come from the snapshot's latest city values (`above` 0.9× it holds, `below` 0.8× it does not),
    so about half the indicator rules find something, as in the config's own."""
    own = [r.model_dump(mode="json", by_alias=True, exclude_defaults=True) for r in cfg.alerts]
    out = own[:n]
    inds = [i for i in cfg.indicators if i.sector in {s.code for s in cfg.sectors}]
    latest = _latest_values(con, inds, today)
    by_ward = _ward_codes(con, inds, today)
    msg = {"vi": "{name} {ward}: {value} {unit} ({period}), ngưỡng {threshold}",
           "en": "{name} {ward}: {value} {unit} ({period}), level {threshold}"}  # fmt: skip
    sources = [s for s in cfg.sources.values() if s.enabled and s.latest]
    sqls: list[tuple[str, str, str, str]] = [  # (code, sector, scope, sql), for the tables the sample has
        ("admin_dossiers", "admin", "wards",
         "SELECT ward_code, count(*) AS value, 20 AS threshold, max(received_at) AS period FROM admin_dossiers "
         "WHERE resolved_at IS NULL AND due_date < current_date GROUP BY ward_code HAVING count(*) > 20"),
        ("citizen_reports", "citizen", "wards",
         "SELECT ward_code, count(*) AS value, 10 AS threshold FROM citizen_reports "
         "WHERE resolved_at IS NULL GROUP BY ward_code HAVING count(*) > 10"),
        ("env_air_hourly", "env", "city",
         "SELECT 'PM2.5' AS label, max(pm25) AS value, 50 AS threshold, max(ts) AS period FROM env_air_hourly "
         "WHERE ts >= (SELECT max(ts) FROM env_air_hourly) - INTERVAL 24 HOUR HAVING max(pm25) > 50"),
        ("prices_goods_weekly", "prices", "city",
         "WITH w AS (SELECT item_name AS label, date_trunc('week', surveyed_on) AS period, avg(price_vnd) AS value "
         "FROM prices_goods_weekly GROUP BY ALL), r AS (SELECT *, lag(value) OVER (PARTITION BY label ORDER BY "
         "period) AS before, row_number() OVER (PARTITION BY label ORDER BY period DESC) AS rn FROM w) "
         "SELECT label, period, value, round(before * 1.05) AS threshold FROM r "
         "WHERE rn = 1 AND value > before * 1.05"),
    ]  # fmt: skip
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    extra: list[dict[str, Any]] = []
    for code, sector, scope, sql in sqls:
        if code in tables and cfg.sector(sector):
            extra.append({"code": f"bench_sql_{code}", "sector": sector, "scope": scope, "condition": {"sql": sql}})
    if sources:
        src = next((s for s in sources if s.name == "env_air_hourly"), sources[0])
        extra.append({"code": "bench_late_one", "sector": src.sector or cfg.sectors[0].code,
                      "condition": {"late_periods": 1, "source": src.name}})  # fmt: skip
    if any(r.condition.kind == "aqi" for r in cfg.alerts):
        extra.append({"code": "bench_aqi_moderate", "sector": "env", "condition": {"aqi_band": "moderate"}})
    k = 0
    while len(out) + len(extra) < n:
        ind = inds[(k * 7) % len(inds)]
        scope = "wards" if k % 3 == 1 and ind.code in by_ward else "city"
        test = TESTS[k % len(TESTS)]
        level = ind.ward_threshold if scope == "wards" else ind.threshold
        if (test == "threshold" and level is None) or (test == "off_target" and not (ind.target or ind.targets)):
            test = "above" if k % 2 else "below"
        value = latest.get(ind.code, 1.0)
        cond: dict[str, Any] = {"indicator": ind.code}
        if test == "above":
            cond["above"] = round(value * 0.9, 3)
        elif test == "below":
            cond["below"] = round(value * 0.8, 3)
        elif test in ("threshold", "off_target"):
            cond[test] = True
        else:
            cond[test] = 5.0 + 5 * (k % 3)
            cond["periods"] = 1 + k % 3
        extra.append({"code": f"bench_{k:02d}_{ind.code.lower()}_{test}", "sector": ind.sector, "scope": scope,
                      "condition": cond})  # fmt: skip
        k += 1
    for i, r in enumerate(extra):
        r.setdefault("scope", "city")
        r.update(name={"vi": f"Quy tắc thử {r['code']}", "en": f"Bench rule {r['code']}"}, message=msg,
                 severity=SEVERITY_CYCLE[i % 3])  # fmt: skip
    return out + extra[: max(0, n - len(out))]


def derived_config(path: Path, data_dir: Path, rules: list[dict[str, Any]] | None) -> Config:
    """The config at `path` through the normal loader, with data_dir = `data_dir` and, when given, these rules."""
    doc = config_document(path)
    doc["data_dir"] = str(data_dir)
    if rules is not None:
        doc["alerts"] = rules
    return parse_config(doc, path)


def kind_of(rule: Rule) -> str:
    c = rule.condition
    if c.kind != "indicator":
        return f"{c.kind} ({rule.scope})" if c.kind == "sql" else c.kind
    test = next(t for t in TESTS if getattr(c, t) is not None and getattr(c, t) is not False)
    return f"indicator {test} ({rule.scope})"


# --------------------------------------------------------------------------- timing
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@contextlib.contextmanager
def patched(
    module: Any, names: tuple[str, ...], spent: dict[str, float], key: Callable[..., str] | None = None
) -> Iterator[None]:
    """Time the functions `names` of `module` while inside: total seconds by name, or by key(*args) when given."""
    origs = {name: getattr(module, name) for name in names}

    def wrap(name: str) -> Callable[..., Any]:
        def inner(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return origs[name](*a, **k)
            finally:
                label = key(*a) if key else name
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        return inner

    for name in names:
        setattr(module, name, wrap(name))
    try:
        yield
    finally:
        for name, fn in origs.items():
            setattr(module, name, fn)


def profile_top(fn: Callable[[], Any], out: Path, top: int = 25) -> list[dict[str, Any]]:
    """cProfile of one call: the `top` functions by cumulative time (the .prof file kept beside the JSON)."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    prof.dump_stats(str(out))
    st = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, name), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        where = file.replace(str(ROOT) + "/", "")
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        rows.append({"function": f"{where}:{line}({name})", "calls": nc, "tottime_s": tt, "cumtime_s": ct})
    rows.sort(key=lambda r: -r["cumtime_s"])
    return [{**r, "tottime_s": round(r["tottime_s"], 4), "cumtime_s": round(r["cumtime_s"], 4)} for r in rows[:top]]


def bench_rules(label: str, cfg: Config, repeat: int, out_dir: Path) -> dict[str, Any]:
    """evaluate(cfg) cold and warm, and where its time goes."""
    rules = [r for r in cfg.alerts if r.enabled]
    first, ev = timed(lambda: alerts.evaluate(cfg))
    hits, errors, opened = ev.hits, ev.errors, len(ev.opened)
    warm = [timed(lambda: alerts.evaluate(cfg))[0] for _ in range(repeat)]
    # one evaluate() with its parts timed inside it
    spent: dict[str, float] = {}
    per_rule: dict[str, float] = {}
    rule_code: Callable[..., str] = lambda con, cfg, rule, *rest: rule.code  # noqa: E731
    with (
        patched(alerts, ("apply",), spent),
        patched(ioc_status, ("source_status",), spent),
        patched(alerts, ("evaluate_rule",), per_rule, rule_code),
    ):
        total, _ = timed(lambda: alerts.evaluate(cfg))
    # each rule alone, on one connection (as evaluate holds one)
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(cfg.city.timezone)).date()
    status_first, sources = timed(lambda: ioc_status.source_status(cfg, now)["sources"])
    status_warm = [timed(lambda: ioc_status.source_status(cfg, now))[0] for _ in range(repeat)]
    alone: list[dict[str, Any]] = []
    with wh.connect() as con:
        for r in rules:
            call = partial(alerts.evaluate_rule, con, cfg, r, today, now, sources)
            t_first, found = timed(call)
            times = [timed(call)[0] for _ in range(repeat)]
            alone.append(
                {
                    "rule": r.code,
                    "kind": kind_of(r),
                    "hits": len(found),
                    "first_s": round(t_first, 4),
                    "median_s": round(statistics.median(times), 4),
                    "in_evaluate_s": round(per_rule.get(r.code, 0.0), 4),
                }
            )
        # what the city-wide indicator rules each ask (qi.summary of their one indicator), against asking it once
        codes = tuple(
            dict.fromkeys(r.condition.indicator for r in rules if r.condition.indicator and r.scope == "city")
        )
        shared: dict[str, Any] = {"indicators": len(codes)}
        if codes:
            one = [timed(partial(qi.summary, con, codes=codes[:1], today=today))[0] for _ in range(repeat)]
            every = [timed(partial(qi.summary, con, codes=codes, today=today))[0] for _ in range(repeat)]
            shared.update(
                summary_one_s=round(statistics.median(one), 4), summary_all_s=round(statistics.median(every), 4)
            )
    kinds: dict[str, dict[str, Any]] = defaultdict(lambda: {"rules": 0, "hits": 0, "sum_median_s": 0.0})
    for a in alone:
        k = kinds[a["kind"]]
        k["rules"] += 1
        k["hits"] += a["hits"]
        k["sum_median_s"] += a["median_s"]
    by_kind = [
        {
            **v,
            "kind": name,
            "sum_median_s": round(v["sum_median_s"], 4),
            "per_rule_s": round(v["sum_median_s"] / v["rules"], 4),
        }
        for name, v in sorted(kinds.items(), key=lambda kv: -kv[1]["sum_median_s"])
    ]
    rules_s = sum(per_rule.values())
    parts = {
        "evaluate_s": round(total, 4),
        "evaluate_rule_s": round(rules_s, 4),
        "apply_s": round(spent.get("apply", 0.0), 4),
        "source_status_s": round(spent.get("source_status", 0.0), 4),
        "rest_s": round(total - rules_s - spent.get("apply", 0.0) - spent.get("source_status", 0.0), 4),
    }
    prof = profile_top(lambda: alerts.evaluate(cfg), out_dir / f"alerts_{label}.prof")
    return {
        "rules": len(rules),
        "hits": hits,
        "opened_first": opened,
        "errors": errors,
        "first_s": round(first, 4),
        "warm_median_s": round(statistics.median(warm), 4),
        "warm_s": [round(x, 4) for x in warm],
        "parts_in_one_evaluate": parts,
        "source_status": {
            "first_s": round(status_first, 4),
            "median_s": round(statistics.median(status_warm), 4),
            "sources": len(sources),
        },
        "by_kind": by_kind,
        "by_rule": sorted(alone, key=lambda a: -a["median_s"]),
        "summary_city_rules": shared,
        "profile_cumulative": prof,
    }


# --------------------------------------------------------------------------- the outbox
class Receiver(BaseHTTPRequestHandler):
    """Answers 200 to every POST and counts them by path."""

    counts: ClassVar[dict[str, int]] = defaultdict(int)
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        json.loads(body)
        with self.lock:
            self.counts[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def message_body(i: int) -> dict[str, Any]:
    """A body the size of an alert's (alerts._notify): about 1 kB of JSON with Vietnamese text."""
    vi = f"PM2.5 trung bình 24 giờ tại phường Phú Cường là {50 + i % 40} µg/m³ ngày 30/10/2026, vượt giới hạn 50 µg/m³"
    return {
        "schema": "ioc-alert", "version": "1.0", "event": "opened", "alert": i, "rule": "pm25_24h_ward",
        "severity": "critical", "sector": "env", "ward": "25747", "value": 50.0 + i % 40, "threshold": 50.0,
        "period": "30/10/2026", "message": {"vi": vi, "en": f"24-hour PM2.5 in Phú Cường ward was {50 + i % 40}"},
        "unit": "Phòng Nông nghiệp và Môi trường", "link": f"http://localhost:8501/alerts?id={i}",
        "at": "2026-12-03T12:00:00+00:00", "text": f"{vi}\nMức độ: Khẩn cấp · Đơn vị chủ trì: Phòng NN và MT",
    }  # fmt: skip


def enqueue_all(path: Path, names: list[str], n: int, one_transaction: bool) -> float:
    """Seconds to enqueue n messages over `names` (in turn), on a connection as alerts.apply opens it."""
    alerts.init(path)
    now = time.time()
    with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as con:
        con.execute("PRAGMA journal_mode=WAL")
        t0 = time.perf_counter()
        if one_transaction:
            con.execute("BEGIN IMMEDIATE")
        for i in range(n):
            if not one_transaction:
                con.execute("BEGIN IMMEDIATE")
            outbox.enqueue(con, names[i % len(names)], f"alert-{i}-opened", f"[Khẩn cấp] Mở: {i}", message_body(i), now)
            if not one_transaction:
                con.execute("COMMIT")
        if one_transaction:
            con.execute("COMMIT")
        return time.perf_counter() - t0


def deliver_all(path: Path, receivers: dict[str, Any], n: int) -> dict[str, Any]:
    rounds, sent, spent = 0, 0, 0.0
    policy = outbox.Policy()
    while sent < n and rounds < 50:
        t, done = timed(lambda: outbox.deliver(path, receivers, policy, limit=10 * n + 100))
        spent += t
        rounds += 1
        sent += len(done.sent)
        if not done.sent:
            time.sleep(0.2)
    left = outbox.counts(path)
    return {"sent": sent, "rounds": rounds, "seconds": round(spent, 3),
            "per_second": round(sent / spent, 1) if spent else None, "status_counts": left}  # fmt: skip


@contextlib.contextmanager
def receiver_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def bench_outbox(n: int, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": n}
    out["enqueue_one_transaction_s"] = round(enqueue_all(tmp / "enqueue_one.sqlite", ["r1"], n, True), 4)
    out["enqueue_transaction_each_s"] = round(enqueue_all(tmp / "enqueue_each.sqlite", ["r1"], n, False), 4)
    with receiver_server() as port:
        for k in (1, 4):
            Receiver.counts.clear()
            names = [f"r{j + 1}" for j in range(k)]
            receivers = {
                name: outbox.WebhookReceiver.model_validate(
                    {"kind": "webhook", "url": f"http://127.0.0.1:{port}/{name}"}
                )
                for name in names
            }
            path = tmp / f"deliver_{k}.sqlite"
            enq = enqueue_all(path, names, n, True)
            res = deliver_all(path, receivers, n)
            res["enqueue_s"] = round(enq, 4)
            res["received"] = dict(sorted(Receiver.counts.items()))
            out[f"receivers_{k}"] = res
        # where one message's time goes: _claim, send (the POST) and _record timed inside one delivery
        Receiver.counts.clear()
        path = tmp / "deliver_parts.sqlite"
        enqueue_all(path, ["r1"], n, True)
        rcv = {"r1": outbox.WebhookReceiver.model_validate({"kind": "webhook", "url": f"http://127.0.0.1:{port}/r1"})}
        spent: dict[str, float] = {}
        with patched(outbox, ("_claim", "send", "_record"), spent):
            total, done = timed(lambda: outbox.deliver(path, rcv, outbox.Policy(), limit=10 * n + 100))
        m = max(1, len(done.sent))
        out["parts_per_message_ms"] = {
            "total": round(total / m * 1000, 3),
            "claim (BEGIN IMMEDIATE, SELECT, UPDATE, COMMIT)": round(spent.get("_claim", 0.0) / m * 1000, 3),
            "send (requests.post to 127.0.0.1)": round(spent.get("send", 0.0) / m * 1000, 3),
            "record (UPDATE, autocommit)": round(spent.get("_record", 0.0) / m * 1000, 3),
            "rest": round((total - sum(spent.values())) / m * 1000, 3),
        }
        out["parts_sent"] = len(done.sent)
    return out


# --------------------------------------------------------------------------- main
def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "tree_changed": bool(dirty),
        "cores": os.cpu_count(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def print_rules(title: str, r: dict[str, Any]) -> None:
    p = r["parts_in_one_evaluate"]
    print(f"\n== {title}: {r['rules']} rules, {r['hits']} hits, errors: {r['errors'] or 'none'}")
    print(f"evaluate(cfg): first {r['first_s']:.3f} s, warm median {r['warm_median_s']:.3f} s  {r['warm_s']}")
    print(
        f"in one evaluate {p['evaluate_s']:.3f} s: evaluate_rule {p['evaluate_rule_s']:.3f}, "
        f"apply {p['apply_s']:.3f}, source_status {p['source_status_s']:.3f}, rest {p['rest_s']:.3f}"
    )
    s = r["source_status"]
    print(f"source_status() alone ({s['sources']} sources): first {s['first_s']:.3f} s, median {s['median_s']:.3f} s")
    print(f"{'kind':34s} {'rules':>5s} {'hits':>5s} {'sum s':>7s} {'per rule':>8s}")
    for k in r["by_kind"]:
        print(f"{k['kind']:34s} {k['rules']:5d} {k['hits']:5d} {k['sum_median_s']:7.3f} {k['per_rule_s']:8.3f}")
    sh = r["summary_city_rules"]
    if sh.get("summary_one_s") is not None:
        print(
            f"qi.summary of the city-wide rules' indicators: one {sh['summary_one_s']:.3f} s, "
            f"all {sh['indicators']} at once {sh['summary_all_s']:.3f} s"
        )
    print("slowest rules (evaluate_rule alone, median):")
    for a in r["by_rule"][:8]:
        print(f"  {a['rule']:48s} {a['kind']:30s} {a['median_s']:7.3f} s  hits {a['hits']}")
    print("profile of one warm evaluate (cumulative):")
    for f in r["profile_cumulative"][:15]:
        print(f"  {f['cumtime_s']:7.3f} {f['tottime_s']:7.3f} {f['calls']:7d}  {f['function'][:110]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=None, help="the config (default: IOC_CONFIG or config.yaml)")
    ap.add_argument("--rules", type=int, default=50)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    path = config_path(a.config).resolve()
    name = "sample" if path.parent == ROOT else path.parent.name
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    source = parse_config(config_document(path), path).data_path  # IOC_DATA_DIR wins, as everywhere
    os.environ.pop("IOC_DATA_DIR", None)  # from here on the temporary data dir of the derived config
    result: dict[str, Any] = {"config": str(path), "data_dir": str(source), "machine": machine()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    try:
        data = tmp / "data"
        sid = temp_data_dir(source, data)
        snap = Warehouse(source / "warehouse").path_of(sid)
        result.update(snapshot=str(snap), snapshot_mb=round(snap.stat().st_size / 1e6, 1))
        own = derived_config(path, data, None)
        today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo(own.city.timezone)).date()
        with Warehouse(data / "warehouse").connect() as con:
            rules = derived_rules(own, con, a.rules, today)
        print(f"{snap} ({result['snapshot_mb']:.0f} MB), {len(own.alerts)} rules of the config, {len(rules)} derived")
        result["own_rules"] = bench_rules(f"{name}_own", own, a.repeat, out_dir)
        print_rules("the config's rules", result["own_rules"])
        temp_data_dir(source, tmp / "data_many")  # a fresh alert state for the second set
        many = derived_config(path, tmp / "data_many", rules)
        result["many_rules"] = bench_rules(f"{name}_{a.rules}", many, a.repeat, out_dir)
        result["many_rules"]["definitions"] = rules
        print_rules(f"{a.rules} rules", result["many_rules"])
        result["outbox"] = ob = bench_outbox(a.messages, tmp)
        print(f"\n== outbox, {a.messages} messages")
        print(f"enqueue in one transaction {ob['enqueue_one_transaction_s']:.3f} s, "
              f"one transaction each {ob['enqueue_transaction_each_s']:.3f} s")  # fmt: skip
        for k in (1, 4):
            r = ob[f"receivers_{k}"]
            print(f"{k} receiver(s): {r['sent']} sent in {r['rounds']} round(s), {r['seconds']:.2f} s, "
                  f"{r['per_second']} messages/s; received {r['received']}")  # fmt: skip
        print("per message (ms):", ob["parts_per_message_ms"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    out = out_dir / f"alerts_{name}.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
