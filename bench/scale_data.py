"""The scale dataset: the sample config's three big API sources blown up to what a city's systems hold
after some years, written as the same JSON pages their connector reads, plus a config that ingests them.

    python bench/scale_data.py [--out data/scale] [--air-rows 10000000] [--dossiers 1000000] [--reports 200000]
    python -m ioc ingest --all --config data/scale/config.yaml

Writes into --out (default data/scale/, git-ignored):
- env/air_api/page_NNNN.json      hourly concentrations of 200 stations (the 5 automatic stations of the
                                   sample and 195 low-cost PM sensors), 50,000 hours up to 31/10/2026 23:00
- env/tram_quan_trac.xlsx         the station register with those 200 stations (same layout as the sample)
- admin/ho_so_api/page_NNNN.json  dossiers of the one-stop system, 2021 to October 2026
- citizen/phan_anh_api/page_NNNN.json  citizen reports, 2021 to October 2026
- config.yaml                     config.yaml with these three sources (and the station register) pointed
                                   here, every other sample source read from data/sample/, the open APIs
                                   disabled, the embedded scheduler off, data_dir = run/ (so the warehouse
                                   is data/scale/run/warehouse)

Deterministic (numpy seeded per file); values follow the sample generator's shapes (seasons, hour profiles,
working days, weights of procedures and report topics) from data/sample/generate.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "data" / "sample"))
sys.path.insert(0, str(ROOT))

import generate as g  # noqa: E402  (the sample generator: wards, procedures, topics, profiles)

from ioc.config import config_document, document_sources  # noqa: E402

END = dt.datetime(2026, 10, 31, 23, 0)  # the sample's last hour (generate.py --end 2026-10)
EXTRACT = dt.datetime(2026, 10, 31, 23, 59, 59)  # when the APIs were "read"
FIRST_DAY = np.datetime64("2021-01-01")
LAST_DAY = np.datetime64("2026-10-31")
STATIONS = 200
WARD_CODES = np.array(g.WARD_CODES)
WARD_POP = np.array([g.WARD_POP[c] for c in g.WARD_CODES], float)
WARD_LAT = np.array([w[3] for w in g.WARDS])
WARD_LON = np.array([w[4] for w in g.WARDS])
WARD_AREA = np.array([w[6] for w in g.WARDS])


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(name.encode(), "little") % (2**32))


# --------------------------------------------------------------------------- writers


def write_pages(folder: Path, lines: pa.ChunkedArray | pa.Array, per_page: int) -> int:
    """JSON lines (one record each) as API pages: {"status":"ok","data":{"items":[...],"page":..}}."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    total = len(lines)
    n = max(1, math.ceil(total / per_page))
    for i in range(n):
        chunk = lines.slice(i * per_page, per_page).to_pylist()
        text = (
            '{"status":"ok","data":{"items":[\n' + ",\n".join(chunk) + "\n],"
            f'"page":{i + 1},"page_size":{per_page},"total_pages":{n},"total_items":{total}}}}}\n'
        )
        (folder / f"page_{i + 1:04d}.json").write_bytes(text.encode("utf-8"))
    return n


def to_json_lines(table: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """One JSON object per row, keys in the given order, nulls kept (as an API sends them)."""
    con = duckdb.connect()
    con.register("t", table)
    fields = ", ".join(f'"{c}" := "{c}"' for c in columns)
    out = con.sql(f"SELECT to_json(struct_pack({fields})) AS j FROM t").to_arrow_table().column("j")
    con.close()
    return out


def fmt_ts(a: np.ndarray) -> np.ndarray:
    """datetime64[s] → 'YYYY-MM-DD HH:MM:SS' (NaT → None)."""
    s = np.datetime_as_string(a.astype("datetime64[s]"), unit="s").astype(object)
    s = np.char.replace(s.astype(str), "T", " ").astype(object)
    s[np.isnat(a)] = None
    return s


def fmt_day(a: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(a.astype("datetime64[D]"), unit="D")


def pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    w = np.asarray(weights, float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def points_in_wards(rng: np.random.Generator, wards: np.ndarray, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A (lat, lon) inside each given ward (index into WARDS), clustered round its centroid (generate.point_in)."""
    n = len(wards)
    lat, lon = WARD_LAT[wards].copy(), WARD_LON[wards].copy()
    sigma = np.sqrt(WARD_AREA[wards]) / 111.0 / 3.0 * spread
    todo = np.arange(n)
    x0, y0, x1, y1 = g.BBOX
    for _ in range(60):
        if not len(todo):
            break
        la = rng.normal(WARD_LAT[wards[todo]], sigma[todo])
        lo = rng.normal(WARD_LON[wards[todo]], sigma[todo] / g.KX)
        d = ((WARD_LON[None, :] - lo[:, None]) * g.KX) ** 2 + (WARD_LAT[None, :] - la[:, None]) ** 2
        ok = (np.argmin(d, axis=1) == wards[todo]) & (y0 < la) & (la < y1) & (x0 < lo) & (lo < x1)
        lat[todo[ok]], lon[todo[ok]] = la[ok], lo[ok]
        todo = todo[~ok]
    return np.round(lat, 6), np.round(lon, 6)


def progress(days: np.ndarray) -> np.ndarray:
    """generate._progress: 0 at the start of 2021, 1 at the end of 2026."""
    return np.clip((days - FIRST_DAY).astype(int) / 2190, 0.0, 1.2)


def covid(days: np.ndarray) -> np.ndarray:
    return np.array([g.covid_factor(d) for d in days.astype(dt.date)])


# --------------------------------------------------------------------------- air


def stations(n: int) -> list[tuple]:
    """The sample's automatic stations and low-cost sensors spread over the wards by population:
    (code, name, ward, lat, lon, kind, level, traffic, industry, full) — full: measures all six pollutants."""
    out = [
        (c, name, w, la, lo, kind, lvl, tr, ind, True)
        for c, name, w, la, lo, kind, lvl, tr, ind in g.STATIONS
        if kind == "tự động"
    ]
    rng = rng_for("scale_stations")
    k = n - len(out)
    wards = pick(rng, k, WARD_POP)
    lat, lon = points_in_wards(rng, wards, 1.3)
    seq: dict[str, int] = {}
    for i in range(k):
        code = g.WARD_CODES[wards[i]]
        seq[code] = seq.get(code, 0) + 1
        name = f"Cảm biến bụi {g.WARD_NAME[code]} {seq[code]:02d}"
        out.append(
            (
                f"CB{i + 1:03d}",
                name,
                code,
                float(lat[i]),
                float(lon[i]),
                "tự động",
                float(rng.uniform(0.8, 1.25)),
                float(rng.uniform(0.7, 1.4)),
                float(rng.uniform(0.7, 1.4)),
                False,
            )
        )
    return out


def write_stations_xlsx(path: Path, sts: list[tuple]) -> None:
    rows = [[i, s[0], s[1], s[2], g.WARD_NAME[s[2]], s[3], s[4], s[5]] for i, s in enumerate(sts, 1)]
    span = g.Span("2026-10")
    g.xlsx_report(
        path,
        span,
        office="PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        title="DANH SÁCH TRẠM QUAN TRẮC CHẤT LƯỢNG KHÔNG KHÍ",
        subtitle=f"(Cập nhật đến ngày {g.dmy(span.end)})",
        headers=["STT", "Mã trạm", "Tên trạm", "Mã phường", "Phường", ("Tọa độ", ["Vĩ độ", "Kinh độ"]), "Loại trạm"],
        rows=rows,
        notes=("Ghi chú: Tọa độ theo hệ WGS84; CBxxx là cảm biến bụi giá rẻ (chỉ đo PM).",),
        widths={3: 46, 5: 16},
    )


def air(rows: int, sts: list[tuple]) -> pa.Table:
    """`rows` station-hours, hour-major (as the sample's pages), ending at END."""
    rng = rng_for("scale_air")
    s = len(sts)
    hours = math.ceil(rows / s)
    ts = np.datetime64(END, "s") - np.arange(hours - 1, -1, -1).astype("timedelta64[h]")
    day = ts.astype("datetime64[D]")
    doy = (day - day.astype("datetime64[Y]")).astype(int) + 1
    years = day.astype("datetime64[Y]").astype(int) + 1970
    hod = (ts - day).astype("timedelta64[h]").astype(int)
    season = np.cos(2 * np.pi * (doy - 38) / 365.25)
    base = 27.5 + 9.5 * season - 0.55 * (years - 2021)
    base *= np.where(covid(np.unique(day))[np.searchsorted(np.unique(day), day)] < 1, 0.82, 1.0)
    prof_pm, prof_o3 = np.array(g.PROFILE_PM), np.array(g.PROFILE_O3)
    # weather shared by the network, and each station's own noise: AR(1) per hour
    shared = np.empty(hours)
    e = rng.normal(0, 1.2, hours)
    acc = 0.0
    for i in range(hours):
        acc = 0.97 * acc + e[i]
        shared[i] = acc
    own = np.empty((hours, s))
    e = rng.normal(0, 1.6, (hours, s))
    acc_v = np.zeros(s)
    for i in range(hours):
        acc_v = 0.85 * acc_v + e[i]
        own[i] = acc_v
    lvl = np.array([x[6] for x in sts])
    traffic = np.array([x[7] for x in sts])
    industry = np.array([x[8] for x in sts])
    full = np.array([x[9] for x in sts])
    pm25 = np.maximum(3.0, (base * prof_pm[hod])[:, None] * lvl[None, :] + shared[:, None] + own)
    pm10 = pm25 * rng.uniform(1.55, 1.85, pm25.shape) + rng.normal(0, 2, pm25.shape)
    pm10 = np.maximum(pm10, pm25)
    no2 = np.maximum(4.0, (16 + 0.35 * pm25) * traffic[None, :] * prof_pm[hod][:, None] + rng.normal(0, 3, pm25.shape))
    so2 = np.maximum(1.5, 5.5 * industry[None, :] + 0.06 * pm25 + rng.normal(0, 1.3, pm25.shape))
    co = np.clip((380 + 9.0 * pm25) * (0.6 + 0.4 * traffic[None, :]) + rng.normal(0, 45, pm25.shape), 180, 930)
    o3 = np.maximum(
        5.0,
        ((36 + 11 * np.cos(2 * np.pi * (doy - 75) / 365.25)) * prof_o3[hod])[:, None] + rng.normal(0, 6, pm25.shape),
    )
    # sensors measure PM only; every station is silent now and then (a null reading)
    gaps = rng.random(pm25.shape) < 0.004
    cols = {}
    for name, v in (("pm25", pm25), ("pm10", pm10), ("no2", no2), ("so2", so2), ("co", co), ("o3", o3)):
        v = np.round(v, 1)
        mask = gaps | (~full[None, :] if name not in ("pm25", "pm10") else False)
        cols[name] = pa.array(v.ravel()[:rows], pa.float64(), mask=np.broadcast_to(mask, v.shape).ravel()[:rows])
    codes = np.array([x[0] for x in sts], dtype=object)
    return pa.table(
        {
            "station_code": pa.array(np.tile(codes, hours)[:rows], pa.string()),
            "ts": pa.array(np.repeat(fmt_ts(ts), s)[:rows], pa.string()),
            **cols,
        }
    )


# --------------------------------------------------------------------------- dossiers


def day_range() -> np.ndarray:
    return np.arange(FIRST_DAY, LAST_DAY + 1)


def dossiers(n: int) -> pa.Table:
    rng = rng_for("scale_dossiers")
    days = day_range()
    ddt = days.astype(dt.date)
    per_year = np.array([g.annual(g.DOSSIERS_PER_YEAR, d.year) for d in ddt])
    w = per_year * np.array([g.MONTH_SEASON[d.month - 1] for d in ddt]) * covid(days)
    w *= np.array(
        [
            (1.0 if d.weekday() < 5 else 0.12)
            * (0.3 if d.year in g.TET and -3 <= (d - g.TET[d.year]).days <= 4 else 1.0)
            for d in ddt
        ]
    )
    d = days[pick(rng, n, w)]
    procs = g.PROCS
    p = pick(rng, n, [x[5] for x in procs])
    ndays = np.array([x[4] for x in procs])[p]
    affinity = np.array([x[6] for x in procs])[p]
    risk = np.array([x[7] for x in procs])[p]
    weekend = ~np.is_busday(d)
    online = weekend | (rng.random(n) < np.minimum(0.95, (0.12 + 0.62 * progress(d)) * affinity))
    hour = np.where(online & (rng.random(n) < 0.35), rng.uniform(0, 24, n), rng.uniform(7.5, 16.8, n))
    received = d.astype("datetime64[s]") + (hour * 3600).astype("timedelta64[s]")
    ward = pick(rng, n, WARD_POP)
    level = np.array([x[3] for x in procs], dtype=object)[p]
    at_ward = level == "ward"
    agency = np.where(
        at_ward, np.array([f"UBND phường {g.WARD_NAME[c]}" for c in g.WARD_CODES], dtype=object)[ward], level
    )
    unit = np.where(at_ward, WARD_CODES[ward].astype(object), g.CITY_CODE)
    start = np.where(hour < 16, d, d + 1)
    due = np.busday_offset(start, ndays, roll="forward")
    years = d.astype("datetime64[Y]").astype(int) + 1970
    late_p = 0.022 * risk * np.where(years == 2021, 1.6, 1.0) * (1.0 - 0.35 * progress(d))
    late = rng.random(n) < late_p
    quick = np.floor(rng.exponential(np.maximum(1.0, ndays * 0.35))).astype(int)
    k = np.where(late, ndays + rng.integers(1, 7, n), np.where(ndays == 0, 0, np.clip(ndays - quick, 0, ndays)))
    rday = np.busday_offset(start, k, roll="forward")
    same = rday == d
    rt_same = np.minimum(
        received + (rng.uniform(0.3, 3.5, n) * 3600).astype("timedelta64[s]"),
        rday.astype("datetime64[s]") + np.timedelta64(17 * 3600, "s"),
    )
    rt_other = rday.astype("datetime64[s]") + (7.5 * 3600 + rng.uniform(0, 9, n) * 3600).astype("timedelta64[s]")
    resolved = np.where(same, rt_same, rt_other)
    done = resolved <= np.datetime64(EXTRACT, "s")
    resolved = np.where(done, resolved, np.datetime64("NaT"))
    order = np.argsort(received, kind="stable")
    received, d, unit = received[order], d[order], unit[order]
    # dossier number: the unit, the day, and a running number per unit and day
    key = np.char.add(unit.astype(str), fmt_day(d))
    _, _first, inv = np.unique(key, return_index=True, return_inverse=True)
    pos = np.arange(n)
    # position within its (unit, day) group in received order: index minus the group's first index
    grp_start = np.zeros(n, int)
    sorted_idx = np.argsort(inv, kind="stable")
    grp_sorted = inv[sorted_idx]
    starts = np.r_[0, np.flatnonzero(np.diff(grp_sorted)) + 1]
    grp_start[sorted_idx] = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.empty(n, int)
    rank[sorted_idx] = pos - grp_start[sorted_idx] + 1
    prefix = np.where(
        unit == g.CITY_CODE,
        "000.00.35.H57-",
        np.char.add(np.char.add("000.", np.char.replace(unit.astype(str), "257", "")), ".35.H57-"),
    )
    yymmdd = np.char.replace(np.char.replace(fmt_day(d), "-", ""), "20", "", count=1)
    ids = np.char.add(np.char.add(np.char.add(prefix.astype(str), yymmdd), "-"), np.char.zfill(rank.astype(str), 4))
    procs_o = np.array(procs, dtype=object)[p][order]
    return pa.table(
        {
            "dossier_id": pa.array(ids, pa.string()),
            "agency": pa.array(agency[order], pa.string()),
            "field": pa.array(procs_o[:, 1], pa.string()),
            "procedure_code": pa.array(procs_o[:, 0], pa.string()),
            "procedure": pa.array(procs_o[:, 2], pa.string()),
            "ward_code": pa.array(WARD_CODES[ward][order], pa.string()),
            "received_at": pa.array(fmt_ts(received), pa.string()),
            "due_date": pa.array(fmt_day(due[order]), pa.string()),
            "resolved_at": pa.array(fmt_ts(resolved[order]), pa.string()),
            "status": pa.array(np.where(done[order], "Đã trả kết quả", "Đang xử lý"), pa.string()),
            "online": pa.array(online[order], pa.bool_()),
        }
    )


# --------------------------------------------------------------------------- citizen reports


def reports(n: int) -> pa.Table:
    rng = rng_for("scale_reports")
    days = day_range()
    ddt = days.astype(dt.date)
    w = np.array([g.annual(g.REPORTS_PER_YEAR, x.year) * (0.8 if x.month == 2 else 1.0) for x in ddt])
    d = days[pick(rng, n, w)]
    month = (d.astype("datetime64[M]").astype(int) % 12) + 1
    rainy = (month >= 5) & (month <= 10)
    topics = g.REPORT_TOPICS
    base_w = np.array([x[3] for x in topics], float)
    rain_f = np.array([x[4] for x in topics], float)
    cat = np.where(rainy, pick(rng, n, base_w * rain_f), pick(rng, n, base_w))
    title_idx = np.floor(rng.random(n) * np.array([len(x[1]) for x in topics])[cat]).astype(int)
    titles = np.array([topics[c][1][i] for c, i in zip(cat, title_idx)], dtype=object)
    hour = np.where(rng.random(n) < 0.85, rng.uniform(6, 22, n), rng.uniform(0, 24, n))
    created = d.astype("datetime64[s]") + (hour * 3600).astype("timedelta64[s]")
    ward = pick(rng, n, WARD_POP)
    lat, lon = points_in_wards(rng, ward)
    handler = np.array([x[2] for x in topics], dtype=object)[cat]
    ward_agency = np.array([f"UBND phường {g.WARD_NAME[c]}" for c in g.WARD_CODES], dtype=object)[ward]
    handler = np.where(handler == "ward", ward_agency, handler)
    due = np.busday_offset(d, 5, roll="forward").astype("datetime64[s]") + np.timedelta64(17 * 3600, "s")
    out_of_scope = rng.random(n) < 0.04
    ontime = rng.random(n) < 0.78 + 0.16 * progress(d)
    to_due_h = np.maximum(3.0, (due - created).astype(int) / 3600)
    soon = created + (3600 * (2 + rng.random(n) * (to_due_h - 2))).astype("timedelta64[s]")
    late = due + (3600 * rng.uniform(4, 24 * 12, n)).astype("timedelta64[s]")
    resolved = np.where(ontime, soon, late)
    done = ~out_of_scope & (resolved <= np.datetime64(EXTRACT, "s"))
    good = 0.72 + 0.12 * progress(d) - np.where(resolved > due, 0.25, 0.0)
    cum = np.stack([good * 0.55, good, good + 0.5 * (1 - good), good + 0.8 * (1 - good)], axis=1)
    sat = 5 - (rng.random(n)[:, None] > cum).sum(axis=1)
    rated = done & (rng.random(n) < 0.68)
    status = np.where(out_of_scope, "Không thuộc thẩm quyền", np.where(done, "Đã xử lý", "Đang xử lý"))
    channels = pick(rng, n, [c[1] for c in g.CHANNELS])
    order = np.argsort(created, kind="stable")
    years = created[order].astype("datetime64[Y]").astype(int) + 1970
    first_of_year = np.searchsorted(years, years, side="left")
    seq = np.arange(n) - first_of_year + 1
    ids = np.char.add(np.char.add(np.char.add("PA-", years.astype(str)), "-"), np.char.zfill(seq.astype(str), 6))
    res_o = np.where(done, resolved, np.datetime64("NaT"))[order]
    who = reporters(n, WARD_CODES[ward][order])
    return pa.table(
        {
            "report_id": pa.array(ids, pa.string()),
            "created_at": pa.array(fmt_ts(created[order]), pa.string()),
            "channel": pa.array(np.array([c[0] for c in g.CHANNELS], dtype=object)[channels][order], pa.string()),
            "category": pa.array(np.array([x[0] for x in topics], dtype=object)[cat][order], pa.string()),
            "title": pa.array(titles[order], pa.string()),
            "ward_code": pa.array(WARD_CODES[ward][order], pa.string()),
            "lat": pa.array(lat[order], pa.float64()),
            "lon": pa.array(lon[order], pa.float64()),
            "agency": pa.array(handler[order], pa.string()),
            "due_at": pa.array(fmt_ts(due[order]), pa.string()),
            "status": pa.array(status[order], pa.string()),
            "resolved_at": pa.array(fmt_ts(res_o), pa.string()),
            "satisfaction": pa.array(sat[order], pa.int64(), mask=~rated[order]),
            **who,
        }
    )


def reporters(n: int, wards: np.ndarray) -> dict[str, pa.Array]:
    """Who sent each report, as the sample's generator invents them (g.reporter): a name, phone, CCCD number and
    address; one report in five without. Its own random stream, so the reports themselves stay as they were."""
    rng = rng_for("scale_reporters")
    anonymous = rng.random(n) < 0.2
    pick_from = lambda names: np.array(names, dtype=object)[rng.integers(0, len(names), n)]  # noqa: E731
    names = pick_from(g.FAMILY) + " " + pick_from(g.MIDDLE) + " " + pick_from(g.GIVEN)
    prefix = pick_from(["90", "91", "93", "97", "98", "86", "88"])
    phones = "0" + prefix + np.char.zfill(rng.integers(0, 10**7, n).astype(str), 7).astype(object)
    ids = "074" + np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9).astype(object)
    house = rng.integers(1, 251, n)
    street = rng.random(n)
    addresses = [
        f"Số {h} đường {g.STREETS[w][int(x * len(g.STREETS[w]))]}, phường {g.WARD_NAME[w]}"
        for h, x, w in zip(house, street, wards)
    ]
    cols = {"reporter_name": names, "reporter_phone": phones, "reporter_id_number": ids}
    out = {k: pa.array(v, pa.string(), mask=anonymous) for k, v in cols.items()}
    out["reporter_address"] = pa.array(np.array(addresses, dtype=object), pa.string(), mask=anonymous)
    return out


# --------------------------------------------------------------------------- config


def derived_config(out: Path, moved: dict[str, str], header: str = "") -> dict:
    """config.yaml as a document for a config file in `out`: sources in `moved` read from there, every other
    sample source from data/sample/, the open APIs (they need the internet) disabled, the embedded scheduler
    off (nothing is ingested while pages are timed), data_dir = run/."""
    doc = config_document(ROOT / "config.yaml")

    def here(p: str) -> str:  # a path of config.yaml (relative to the repo) as seen from `out`
        return os.path.relpath(ROOT / p, out) if not Path(p).is_absolute() else p

    for name, src in document_sources(doc).items():
        if name in moved:
            src["path"] = moved[name]
        elif src.get("path"):
            src["path"] = here(src["path"])
        else:
            src["enabled"] = False
    doc["maps"]["wards_geojson"] = here(doc["maps"]["wards_geojson"])
    doc["data_dir"] = "run"
    doc["scheduler"] = {"embedded": False}
    return doc


def write_config(out: Path, doc: dict, header: str) -> Path:
    path = out / "config.yaml"
    path.write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return path


def scale_config(out: Path, sts: list[tuple]) -> Path:
    moved = {
        "env_air_hourly": "env/air_api/page_*.json",
        "env_stations": "env/tram_quan_trac.xlsx",
        "admin_dossiers": "admin/ho_so_api/page_*.json",
        "citizen_reports": "citizen/phan_anh_api/page_*.json",
    }
    doc = derived_config(out, moved)
    air = document_sources(doc)["env_air_hourly"]
    air["columns"]["station_code"]["values"] = [s[0] for s in sts]
    air["description"] = (
        f"Bộ dữ liệu quy mô (bench/scale_data.py): nồng độ trung bình giờ của {len(sts)} trạm và cảm biến."
    )
    return write_config(
        out,
        doc,
        (
            "# Generated by bench/scale_data.py from config.yaml: the scale dataset of docs/benchmarks.md.\n"
            "# python -m ioc ingest --all --config data/scale/config.yaml  (warehouse in data/scale/run/)\n"
        ),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "data" / "scale"))
    ap.add_argument("--air-rows", type=int, default=10_000_000)
    ap.add_argument("--dossiers", type=int, default=1_000_000)
    ap.add_argument("--reports", type=int, default=200_000)
    ap.add_argument("--air-page", type=int, default=10_000, help="records per page of the air API")
    ap.add_argument("--page", type=int, default=5_000, help="records per page of the dossier and report APIs")
    a = ap.parse_args()
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    sts = stations(STATIONS)
    (out / "env").mkdir(exist_ok=True)
    write_stations_xlsx(out / "env" / "tram_quan_trac.xlsx", sts)
    for name, make, _cols_from, folder, per_page in (
        ("env_air_hourly", lambda: air(a.air_rows, sts), None, "env/air_api", a.air_page),
        ("admin_dossiers", lambda: dossiers(a.dossiers), None, "admin/ho_so_api", a.page),
        ("citizen_reports", lambda: reports(a.reports), None, "citizen/phan_anh_api", a.page),
    ):
        t0 = time.perf_counter()
        table = make()
        t1 = time.perf_counter()
        lines = to_json_lines(table, table.column_names)
        del table
        pages = write_pages(out / folder, lines, per_page)
        size = sum(f.stat().st_size for f in (out / folder).glob("page_*.json"))
        print(
            f"{name:18s} {len(lines):>11,} records  {pages:>5} pages  {size / 1e6:8.1f} MB  "
            f"generate {t1 - t0:5.1f} s  write {time.perf_counter() - t1:5.1f} s",
            flush=True,
        )
        del lines
    cfg = scale_config(out, sts)
    print(f"config: {cfg}")
    print(f"total {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
