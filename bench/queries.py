"""Time the query functions the pages call (ioc/queries), with the pages' default arguments, on a warehouse.

    python bench/queries.py [--config data/scale/config.yaml] [--repeat 5] [--top 25]

Each call runs on a cursor of one read-only connection to the current snapshot, as ioc/ui/state.py does;
the first call of each is reported apart (cold DuckDB buffers), then the median of --repeat more. Rows
returned are listed too: a query function should hand a page a small, aggregated frame.
Results go to bench/out/queries_<config folder>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ioc import aqi  # noqa: E402
from ioc.config import load_config  # noqa: E402
from ioc.queries import Scope, breakdowns, places, present  # noqa: E402
from ioc.queries import catalog as qc  # noqa: E402
from ioc.queries import environment as qe  # noqa: E402
from ioc.queries import indicators as qi  # noqa: E402
from ioc.queries import reference as qr  # noqa: E402
from ioc.warehouse import Warehouse  # noqa: E402


def calls(con: duckdb.DuckDBPyConnection, cfg) -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]]:
    """(label, call on a cursor) for what the pages ask with their default filters."""
    today = dt.date(2026, 11, 26)
    out: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]] = [
        ("overview: indicators.summary(headline)", lambda c: qi.summary(c, headline=True, today=today)),
        ("overview: indicators.with_ward_values", lambda c: qi.with_ward_values(c)),
        ("reference.wards", lambda c: qr.wards(c)),
    ]
    rng = qe.data_range(con)
    last = rng["daily_last"]
    start = max(rng["daily_first"], last - dt.timedelta(days=29))
    limit = float(aqi.QCVN_LIMITS["pm25"]["24h"])
    out += [
        ("env: stations", lambda c: qe.stations(c)),
        ("env: data_range", lambda c: qe.data_range(c)),
        ("env: latest_aqi", lambda c: qe.latest_aqi(c)),
        ("env: exceedances(pm25, 30 days)", lambda c: qe.exceedances(c, "pm25", limit, start, last)),
        ("env: series(pm25, day, 30 days)", lambda c: qe.series(c, "pm25", "day", start, last)),
        ("env: series(pm25, hour, 30 days)", lambda c: qe.series(c, "pm25", "hour", start, last)),
        (
            "env: series(pm10, month, 2 stations, 2021-2026)",
            lambda c: qe.series(c, "pm10", "month", dt.date(2021, 1, 1), last, ["TDM01", "TDM03"]),
        ),
        ("env: daily_aqi(30 days)", lambda c: qe.daily_aqi(c, start, last)),
    ]
    for s in cfg.sectors:
        inds = [i for i in cfg.indicators if i.sector == s.code]
        if not inds or s.page:
            continue
        codes = tuple(i.code for i in inds)
        first, end = qi.period_range(con, codes)
        end = end or today
        first = first or end - dt.timedelta(days=365 * 3)
        begin = max(first, dt.date(end.year - 2, 1, 1))
        head = next((i.code for i in inds if i.headline), codes[0])
        out += [
            (f"{s.code}: indicators.period_range", partial(qi.period_range, codes=codes)),
            (f"{s.code}: indicators.summary", partial(qi.summary, codes=codes, today=today)),
            (
                f"{s.code}: indicators.values(headline)",
                partial(qi.values, codes=(head,), ward=None, start=begin, end=end),
            ),
            (f"{s.code}: indicators.ward_latest", partial(qi.ward_latest, code=head)),
            (f"{s.code}: indicators.values(all)", partial(qi.values, codes=codes, ward=None, start=begin, end=end)),
        ]
        tables = present(con, [v.table for v in s.views()])
        for spec in (b for b in s.breakdowns if b.table in tables):
            out.append(
                (
                    f"{s.code}: breakdowns.{spec.key}({spec.dims[0]})",
                    partial(breakdowns.breakdown, spec=spec, dim=spec.dims[0], scope=Scope(None, begin, end)),
                )
            )
        for spec in (p for p in s.places if p.table in tables):
            out.append(
                (
                    f"{s.code}: places.points({spec.table})",
                    partial(places.points, spec=spec, scope=Scope(None, begin, end) if spec.date else Scope()),
                )
            )
    out += [
        ("catalog: tables", lambda c: qc.tables(c)),
        ("catalog: reject_counts", lambda c: qc.reject_counts(c)),
        ("catalog: all_columns", lambda c: qc.all_columns(c)),
        ("catalog: text_values", lambda c: qc.text_values(c)),
        ("catalog: profile(env_air_hourly)", lambda c: qc.profile(c, "env_air_hourly")),
        ("catalog: profile(admin_dossiers)", lambda c: qc.profile(c, "admin_dossiers")),
    ]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "data" / "scale" / "config.yaml"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    cfg = load_config(a.config)
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    path = wh.current_path()
    con = duckdb.connect(str(path), read_only=True)
    rows: list[dict[str, Any]] = []
    for label, fn in calls(con, cfg):
        cur = con.cursor()
        t0 = time.perf_counter()
        df = fn(cur)
        first = time.perf_counter() - t0
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            fn(cur)
            times.append(time.perf_counter() - t0)
        cur.close()
        n = len(df) if hasattr(df, "__len__") else 1
        rows.append(
            {"query": label, "first_s": round(first, 4), "median_s": round(statistics.median(times), 4), "rows": n}
        )
    rows.sort(key=lambda r: -r["median_s"])
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB)\n{'query':60s} {'first':>8s} {'median':>8s} {'rows':>8s}")
    for r in rows[: a.top]:
        print(f"{r['query']:60s} {r['first_s']:8.3f} {r['median_s']:8.3f} {r['rows']:8d}")
    out = ROOT / "bench" / "out" / f"queries_{Path(a.config).resolve().parent.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"snapshot": str(path), "rows": rows}, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
