#!/usr/bin/env python3
"""Deterministic generator of the embedded sample data: the files each department of the city would send.

    python data/sample/generate.py [--end 2026-10 | --today 2026-12-03] [--out DIR]

rewrites every file under data/sample/ and data/geo/wards.geojson (with --out: the same tree under DIR,
the geo file is left alone). --end YYYY-MM covers whole months up to that one; --today YYYY-MM-DD
gives the sample as of that date: records and daily/hourly data up to yesterday, monthly reports up
to the last complete month. The same options give the same bytes on every run (seeded random per
file; xlsx zip entries and document properties get fixed timestamps derived from the span).
See data/sample/README.md for what each file holds and the problems put in on purpose.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import functools
import io
import itertools
import json
import math
import random
import re
import zipfile
import zlib
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
OUT = HERE  # where the sample tree is written (--out DIR); main() sets it
GEO_DIR: Path | None = HERE.parent / "geo"  # None with --out: the committed ward polygons are used

START = dt.date(2021, 1, 1)
DEFAULT_END = "2026-10"
BBOX = (106.595, 10.940, 106.720, 11.111)  # min_lon, min_lat, max_lon, max_lat
CITY_CODE = "718"  # GSO code of Thủ Dầu Một city (district level)
UNKNOWN_WARD = "25799"  # not a ward of the city: the deliberate "unknown ward code" rows

# code, name_vi, name_en, lat, lon, population (2025), area km²
WARDS = [
    ("25741", "Hiệp Thành", "Hiep Thanh", 10.998, 106.660, 29500, 4.2),
    ("25744", "Phú Lợi", "Phu Loi", 10.990, 106.680, 33800, 5.3),
    ("25747", "Phú Cường", "Phu Cuong", 10.981, 106.653, 18400, 1.9),
    ("25750", "Phú Hòa", "Phu Hoa", 10.975, 106.672, 41200, 5.0),
    ("25753", "Phú Thọ", "Phu Tho", 10.962, 106.672, 24300, 4.3),
    ("25756", "Chánh Nghĩa", "Chanh Nghia", 10.962, 106.655, 21600, 3.6),
    ("25759", "Định Hòa", "Dinh Hoa", 11.040, 106.660, 23900, 11.8),
    ("25760", "Hòa Phú", "Hoa Phu", 11.070, 106.695, 19800, 13.5),
    ("25762", "Phú Mỹ", "Phu My", 11.010, 106.690, 27600, 9.9),
    ("25763", "Phú Tân", "Phu Tan", 11.045, 106.705, 12700, 9.2),
    ("25765", "Tân An", "Tan An", 11.060, 106.625, 10900, 12.6),
    ("25768", "Hiệp An", "Hiep An", 11.032, 106.635, 16700, 10.4),
    ("25771", "Tương Bình Hiệp", "Tuong Binh Hiep", 11.012, 106.622, 15900, 9.6),
    ("25774", "Chánh Mỹ", "Chanh My", 10.995, 106.628, 23700, 17.6),
]
WARD_CODES = [w[0] for w in WARDS]
WARD_NAME = {w[0]: w[1] for w in WARDS}
WARD_POP = {w[0]: w[5] for w in WARDS}
WARD_AREA = {w[0]: w[6] for w in WARDS}
TOTAL_POP = sum(WARD_POP.values())

TET = {
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
}

CITY_HEAD = "UBND THÀNH PHỐ THỦ DẦU MỘT"
NATION = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
LOOKALIKE_D = "\u00d0"  # 'Ð' (Icelandic eth) where a Vietnamese 'Đ' (U+0110) belongs, as GSO exports have it


# --------------------------------------------------------------------------- the clock of one run


class Span:
    """What the files cover: from January 2021 to `end`, the last day with data.

    --end YYYY-MM: whole months; `end` is the last day of that month, reports are signed on the 5th
    of the next month. --today YYYY-MM-DD: the sample as of that date; `end` is yesterday,
    `end_month` (what monthly aggregates run to) the last complete month before today, quarters and
    years count once they ended by yesterday, and reports are signed on the 5th of today's month, or
    yesterday while the 5th is still to come. Record-level, daily and hourly data run to `end`, so
    they may reach into the month after `end_month` (`last_month`).
    """

    def __init__(self, end: str | None = None, today: dt.date | None = None):
        if today is None:
            y, m = (int(p) for p in (end or DEFAULT_END).split("-"))
            self.end_month = (y, m)
            self.end = dt.date(y, m, calendar.monthrange(y, m)[1])
            ny, nm = add_months(y, m, 1)
            self.report_day = dt.date(ny, nm, 5)  # reports are signed on the 5th of the next month
            self.label = f"{y:04d}-{m:02d}"
            # the quarter of the end month counts as in progress; the last year with figures is the one before
            self.open_quarter = (y, (m - 1) // 3)
            self.last_year = self.end.year - 1
        else:
            self.end = today - dt.timedelta(days=1)
            self.end_month = add_months(today.year, today.month, -1)
            self.report_day = min(dt.date(today.year, today.month, 5), self.end)
            self.label = today.isoformat()
            # a quarter or a year is complete once it ended by yesterday
            self.open_quarter = (today.year, (today.month - 1) // 3)
            self.last_year = today.year - 1
        y, m = self.end_month
        self.month_end = dt.date(y, m, calendar.monthrange(y, m)[1])  # == end with --end
        self.last_month = (self.end.year, self.end.month)  # the month of `end` (may be incomplete)
        self.extract = dt.datetime.combine(self.end, dt.time(23, 59, 59))  # when the APIs were "read"
        self.stamp = dt.datetime.combine(self.report_day, dt.time(8, 0, 0))

    def months(self, last: tuple[int, int] | None = None) -> list[tuple[int, int]]:
        y, m = 2021, 1
        ey, em = last or self.end_month
        out = []
        while (y, m) <= (ey, em):
            out.append((y, m))
            y, m = add_months(y, m, 1)
        return out

    def days(self, first: dt.date = START) -> list[dt.date]:
        return [first + dt.timedelta(d) for d in range((self.end - first).days + 1)]


def add_months(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + (m - 1) + k
    return i // 12, i % 12 + 1


def rng_for(name: str) -> random.Random:
    """One seeded generator per file, so changing one file does not reshuffle the others."""
    return random.Random(zlib.crc32(name.encode("utf-8")))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def vn(x: float, nd: int = 0) -> str:
    """A number as Vietnamese offices type it: '.' between thousands, ',' before decimals."""
    return f"{x:,.{nd}f}".translate(str.maketrans(",.", ".,"))


def dmy(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def annual(table: dict[int, float], year: int, growth: float = 0.04) -> float:
    """A yearly magnitude; years after the table grow at `growth` (so --end may move forward)."""
    last = max(table)
    if year in table:
        return table[year]
    return table[last] * (1 + growth) ** (year - last)


def interp(anchors: list[tuple[dt.date, float]], d: dt.date) -> float:
    """Piecewise-linear path through dated anchors (flat before the first and after the last)."""
    if d <= anchors[0][0]:
        return anchors[0][1]
    for (d0, v0), (d1, v1) in itertools.pairwise(anchors):
        if d <= d1:
            return v0 + (v1 - v0) * (d - d0).days / (d1 - d0).days
    return anchors[-1][1]


def covid_factor(d: dt.date) -> float:
    """Bình Dương's 2021 Delta wave: lockdown from late June to the end of September 2021."""
    if dt.date(2021, 6, 20) <= d <= dt.date(2021, 9, 30):
        return 0.35
    if dt.date(2021, 10, 1) <= d <= dt.date(2021, 11, 15):
        return 0.7
    return 1.0


def add_workdays(d: dt.date, n: int) -> dt.date:
    while d.weekday() >= 5:
        d += dt.timedelta(1)
    while n > 0:
        d += dt.timedelta(1)
        if d.weekday() < 5:
            n -= 1
    return d


# --------------------------------------------------------------------------- geometry (plain Python)

KX = math.cos(math.radians(11.02))  # degrees of longitude are shorter: clip in a locally isotropic plane


def _clip(poly: list[tuple[float, float]], a: float, b: float, c: float) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: the part of a convex polygon where a*x + b*y <= c."""
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        fp = a * p[0] + b * p[1] - c
        fq = a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def voronoi_wards() -> dict[str, list[tuple[float, float]]]:
    """Each ward's Voronoi cell around its centroid, clipped to the city bbox, as (lon, lat) rings."""
    x0, y0, x1, y1 = BBOX
    sites = {w[0]: (w[4] * KX, w[3]) for w in WARDS}
    cells = {}
    for code, (sx, sy) in sites.items():
        poly = [(x0 * KX, y0), (x1 * KX, y0), (x1 * KX, y1), (x0 * KX, y1)]
        for other, (tx, ty) in sites.items():
            if other == code:
                continue
            # closer to s than to t:  2(t - s)·p <= |t|² - |s|²
            poly = _clip(poly, 2 * (tx - sx), 2 * (ty - sy), tx * tx + ty * ty - sx * sx - sy * sy)
        cells[code] = [(round(x / KX, 6), round(y, 6)) for x, y in poly]
    return cells


CELLS = voronoi_wards()


def ward_of(lat: float, lon: float) -> str:
    """The ward whose Voronoi cell holds the point (= the nearest centroid in the isotropic plane)."""
    return min(WARDS, key=lambda w: ((w[4] - lon) * KX) ** 2 + (w[3] - lat) ** 2)[0]


def point_in(rng: random.Random, code: str, spread: float = 1.0) -> tuple[float, float]:
    """A random (lat, lon) inside a ward, clustered around its centroid like buildings are."""
    w = next(w for w in WARDS if w[0] == code)
    sigma = math.sqrt(w[6]) / 111.0 / 3.0 * spread  # a third of the ward's width, in degrees
    for _ in range(200):
        lat = rng.gauss(w[3], sigma)
        lon = rng.gauss(w[4], sigma / KX)
        if BBOX[1] < lat < BBOX[3] and BBOX[0] < lon < BBOX[2] and ward_of(lat, lon) == code:
            return round(lat, 6), round(lon, 6)
    return w[3], w[4]


def ring_area_km2(ring: list[tuple[float, float]]) -> float:
    s = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2 * (111.32 * KX) * 110.57


# --------------------------------------------------------------------------- writers


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


_NUMLIKE = re.compile(r"^-?[\d.]+(,\d+)?$|^\.\.$")


def csv_bytes(
    rows: list[list], delim: str = ";", *, bom: bool = True, quote: str = "minimal", encoding: str = "utf-8"
) -> bytes:
    """CSV as Excel or PX-Web saves it. quote='text' quotes every non-number cell (PX-Web style)."""
    lines = []
    for row in rows:
        cells = []
        for v in row:
            s = "" if v is None else str(v)
            must = any(ch in s for ch in (delim, '"', "\n", "\r"))
            if must or (quote == "text" and s != "" and not _NUMLIKE.match(s)) or (quote == "text" and s == " "):
                s = '"' + s.replace('"', '""') + '"'
            cells.append(s)
        lines.append(delim.join(cells))
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def utf16_tab(rows: list[list]) -> bytes:
    """Excel's 'Unicode Text' export: UTF-16 LE with BOM, tab-separated, CRLF."""
    return csv_bytes(rows, "\t", encoding="utf-16")


def json_pages(folder: Path, items: list[dict], per_page: int = 500) -> int:
    """A paginated API answer saved page by page: page_0001.json ... (stale pages are removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page_*.json"):
        old.unlink()
    n = max(1, math.ceil(len(items) / per_page))
    for i in range(n):
        chunk = items[i * per_page : (i + 1) * per_page]
        body = ",\n".join(json.dumps(it, ensure_ascii=False, separators=(",", ":")) for it in chunk)
        text = (
            '{"status":"ok","data":{"items":[\n' + body + "\n],"
            f'"page":{i + 1},"page_size":{per_page},"total_pages":{n},"total_items":{len(items)}}}}}\n'
        )
        write(folder / f"page_{i + 1:04d}.json", text.encode("utf-8"))
    return n


THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def stable_xlsx(wb: Workbook, path: Path, when: dt.datetime) -> None:
    """Save with fixed document dates and zip timestamps so the same input gives the same bytes."""
    wb.properties.creator = "UBND thành phố Thủ Dầu Một"
    wb.properties.lastModifiedBy = "UBND thành phố Thủ Dầu Một"
    wb.properties.created = when
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps `modified` with now(): put the fixed time back below
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", data
                )
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    write(path, out.getvalue())


def xlsx_report(
    path: Path,
    span: Span,
    *,
    office: str,
    title: str,
    subtitle: str,
    headers: list,
    rows: list[list],
    unit: str = "",
    totals: list | None = None,
    notes: tuple = (),
    number_row: bool = False,
    signer: tuple[str, str, str] | None = None,
    widths: dict[int, float] | None = None,
    sheet: str = "Báo cáo",
) -> None:
    """An office's Excel report: letterhead, title, (two-level merged) header, rows, totals, notes, signatures.

    headers: "Text" for a single column, or ("Group", ["Sub 1", "Sub 2"]) for a merged group.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    cols: list[tuple[str, str | None]] = []
    for h in headers:
        if isinstance(h, tuple):
            cols += [(h[0], s) for s in h[1]]
        else:
            cols.append((h, None))
    n = len(cols)
    two = any(s is not None for _, s in cols)
    half = max(2, n // 2)
    bold = Font(bold=True)

    def merge(r0: int, c0: int, r1: int, c1: int, value, font=None, align=CENTER):
        cell = ws.cell(row=r0, column=c0, value=value)
        if font:
            cell.font = font
        cell.alignment = align
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)

    merge(1, 1, 1, half, CITY_HEAD, bold)
    merge(1, half + 1, 1, n, NATION[0], bold)
    merge(2, 1, 2, half, office, Font(bold=True, underline="single"))
    merge(2, half + 1, 2, n, NATION[1], Font(bold=True, underline="single"))
    merge(4, 1, 4, n, title, Font(bold=True, size=13))
    merge(5, 1, 5, n, subtitle, Font(italic=True))
    if unit:
        ws.cell(row=6, column=n, value=unit).font = Font(italic=True)
    r = 7
    if two:
        c = 1
        for h in headers:
            if isinstance(h, tuple):
                merge(r, c, r, c + len(h[1]) - 1, h[0], bold)
                for i, s in enumerate(h[1]):
                    merge(r + 1, c + i, r + 1, c + i, s, bold)
                c += len(h[1])
            else:
                merge(r, c, r + 1, c, h, bold)
                c += 1
        header_rows = [r, r + 1]
        r += 2
    else:
        for c, (h, _) in enumerate(cols, 1):
            merge(r, c, r, c, h, bold)
        header_rows = [r]
        r += 1
    if number_row:
        for c in range(1, n + 1):
            ws.cell(row=r, column=c, value=f"({c})").alignment = CENTER
        header_rows.append(r)
        r += 1
    for hr in header_rows:
        for c in range(1, n + 1):
            ws.cell(row=hr, column=c).border = BOX
    first_data = r
    for row in rows:
        for c, v in enumerate(row, 1):
            cell = ws.cell(row=r, column=c, value=v)
            cell.border = BOX
            if isinstance(v, str) and _NUMLIKE.match(v):
                cell.alignment = Alignment(horizontal="right")
        r += 1
    if totals is not None:
        label_span = next((i for i, v in enumerate(totals[1:], 1) if v is not None), 1)
        merge(r, 1, r, label_span, totals[0], bold)
        for c in range(label_span + 1, n + 1):
            v = totals[c - 1]
            cell = ws.cell(row=r, column=c, value=v)
            cell.font = bold
            cell.alignment = Alignment(horizontal="right")
        for c in range(1, n + 1):
            ws.cell(row=r, column=c).border = BOX
        r += 1
    r += 1
    for note in notes:
        ws.cell(row=r, column=1, value=note).font = Font(italic=True, size=9)
        r += 1
    r += 1
    d = span.report_day
    merge(r, half + 1, r, n, f"Thủ Dầu Một, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", Font(italic=True))
    r += 1
    maker, boss_title, boss = signer or ("Nguyễn Thị Thu Hà", "TRƯỞNG PHÒNG", "Trần Văn Minh")
    # Offices type the whole signature block into one cell per side (Alt+Enter between the lines).
    merge(r, 1, r, half, f"Người lập biểu\n(Ký, ghi rõ họ tên)\n\n\n\n{maker}", bold)
    merge(r, half + 1, r, n, f"{boss_title}\n(Ký tên, đóng dấu)\n\n\n\n{boss}", bold)
    ws.row_dimensions[r].height = 96
    for c in range(1, n + 1):
        ws.column_dimensions[get_column_letter(c)].width = (widths or {}).get(c, 14)
    ws.freeze_panes = ws.cell(row=first_data, column=1)
    ws.page_setup.orientation = "landscape"
    stable_xlsx(wb, path, span.stamp)


def gso_csv(path: Path, title: str, header1: list, header2: list, body: list[list], notes: list[str]) -> None:
    """A GSO PX-Web export: title, blank row, two-level header with merged cells as " ", notes after."""
    rows = [[title], []] + [header1, header2] + body + [[]] + [[n] for n in notes]
    write(path, csv_bytes(rows, ";", quote="text"))


# --------------------------------------------------------------------------- geo: wards


def gen_wards(span: Span) -> dict:
    feats = []
    for code, name_vi, name_en, _lat, _lon, _pop, _area in WARDS:
        ring = CELLS[code]
        coords = [[x, y] for x, y in ring] + [[ring[0][0], ring[0][1]]]
        feats.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name_vi": name_vi, "name_en": name_en},
                "geometry": {"type": "Polygon", "coordinates": [coords]},
            }
        )
    fc = {
        "type": "FeatureCollection",
        "name": "wards",
        "note": "Approximate ward polygons for the embedded demo: Voronoi cells of the ward centroids "
        "clipped to the city bbox (generated by data/sample/generate.py). Load official "
        "geometry through a source in a real deployment.",
        "features": feats,
    }
    if GEO_DIR is None:  # --out: the committed data/geo/wards.geojson is used
        return {"wards": f"{len(feats)} (not written with --out)"}
    text = json.dumps(fc, ensure_ascii=False, indent=1) + "\n"
    write(GEO_DIR / "wards.geojson", text.encode("utf-8"))
    return {"wards": len(feats)}


# --------------------------------------------------------------------------- env


STATIONS = [
    # code, name, ward, lat, lon, kind, level factor, traffic factor, industry factor
    ("TDM01", "Trạm tự động Phú Cường - Công viên Bạch Đằng", "25747", 10.98150, 106.65020, "tự động", 1.00, 1.00, 0.9),
    (
        "TDM02",
        "Trạm tự động Hòa Phú - Trung tâm Hành chính tỉnh",
        "25760",
        11.05880,
        106.68990,
        "tự động",
        0.86,
        0.85,
        0.9,
    ),
    ("TDM03", "Trạm tự động Phú Tân - KCN Sóng Thần 3", "25763", 11.04600, 106.70680, "tự động", 1.18, 1.05, 1.8),
    ("TDM04", "Trạm tự động Hiệp Thành - Đại lộ Bình Dương", "25741", 10.99930, 106.66310, "tự động", 1.12, 1.35, 1.0),
    ("TDM05", "Trạm tự động Chánh Mỹ", "25774", 10.99400, 106.63030, "tự động", 0.92, 0.80, 0.8),
    ("TDM06", "Điểm quan trắc thủ công Tân An", "25765", 11.06120, 106.62350, "thủ công", 0.82, 0.70, 0.8),
]
POLLUTANTS = ("pm25", "pm10", "no2", "so2", "co", "o3")
# hour-of-day profiles (mean 1): traffic peaks for PM/NO2/CO, midday photochemistry for O3
PROFILE_PM = [
    0.96,
    0.92,
    0.88,
    0.86,
    0.88,
    0.97,
    1.10,
    1.24,
    1.20,
    1.06,
    0.96,
    0.89,
    0.84,
    0.82,
    0.82,
    0.86,
    0.95,
    1.09,
    1.20,
    1.22,
    1.15,
    1.08,
    1.02,
    0.99,
]
PROFILE_O3 = [
    0.55,
    0.50,
    0.48,
    0.46,
    0.46,
    0.50,
    0.62,
    0.80,
    1.00,
    1.22,
    1.42,
    1.58,
    1.68,
    1.70,
    1.62,
    1.46,
    1.26,
    1.05,
    0.88,
    0.76,
    0.68,
    0.62,
    0.58,
    0.56,
]


def _norm(p: list[float]) -> list[float]:
    m = sum(p) / len(p)
    return [x / m for x in p]


PROFILE_PM, PROFILE_O3 = _norm(PROFILE_PM), _norm(PROFILE_O3)


def air_daily_truth(span: Span) -> dict[str, dict[dt.date, dict[str, float]]]:
    """Daily means per station since 2021: dry-season PM peaks (Dec–Apr), a slow improvement, noise."""
    rng = rng_for("env_air_truth")
    days = span.days()
    shared, out = 0.0, {}
    shared_series = []
    for _ in days:
        shared = 0.72 * shared + rng.gauss(0, 4.2)
        shared_series.append(shared)
    for code, _, _, _, _, _, lvl, traffic, industry in STATIONS:
        own = 0.0
        series = {}
        for d, sh in zip(days, shared_series):
            own = 0.6 * own + rng.gauss(0, 2.4)
            doy = d.timetuple().tm_yday
            season = math.cos(2 * math.pi * (doy - 38) / 365.25)
            trend = -0.55 * (d.year - 2021)
            tet = 6.0 if d.year in TET and 0 <= (d - TET[d.year]).days <= 2 else 0.0
            base = (27.5 + 9.5 * season + trend + tet) * (0.82 if covid_factor(d) < 1 else 1.0)
            pm25 = max(6.0, base * lvl + sh + own)
            pm10 = pm25 * rng.uniform(1.55, 1.85) + rng.gauss(0, 2)
            no2 = max(4.0, (16 + 0.35 * pm25) * traffic * (0.7 if covid_factor(d) < 1 else 1.0) + rng.gauss(0, 3))
            so2 = max(1.5, 5.5 * industry + 0.06 * pm25 + rng.gauss(0, 1.3))
            co = min(930.0, max(180.0, (380 + 9.0 * pm25) * (0.6 + 0.4 * traffic) + rng.gauss(0, 45)))
            o3 = max(5.0, 36 + 11 * math.cos(2 * math.pi * (doy - 75) / 365.25) + rng.gauss(0, 6))
            series[d] = {"pm25": pm25, "pm10": pm10, "no2": no2, "so2": so2, "co": co, "o3": o3}
        out[code] = series
    return out


def gen_env(span: Span) -> dict:
    stats = {}
    # ---- stations (xlsx)
    rows = []
    for i, (code, name, ward, lat, lon, kind, *_rest) in enumerate(STATIONS, 1):
        assert ward_of(lat, lon) == ward, (code, ward_of(lat, lon))
        rows.append([i, code, name, ward, WARD_NAME[ward], lat, lon, kind])
    # Deliberate: a planned station typed into the list, with a kind the contract does not know.
    rows.append(
        [7, "TDM07", "Trạm tự động Định Hòa (dự kiến lắp đặt 2027)", "25759", "Định Hòa", None, None, "dự kiến"]
    )
    xlsx_report(
        OUT / "env" / "tram_quan_trac.xlsx",
        span,
        office="PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        title="DANH SÁCH TRẠM QUAN TRẮC CHẤT LƯỢNG KHÔNG KHÍ",
        subtitle=f"(Cập nhật đến ngày {dmy(span.end)})",
        headers=["STT", "Mã trạm", "Tên trạm", "Mã phường", "Phường", ("Tọa độ", ["Vĩ độ", "Kinh độ"]), "Loại trạm"],
        rows=rows,
        notes=("Ghi chú: Tọa độ theo hệ WGS84.", "Trạm TDM07 đang trong giai đoạn chuẩn bị đầu tư."),
        widths={3: 46, 5: 16},
    )
    stats["env_stations"] = len(rows)

    truth = air_daily_truth(span)
    rng = rng_for("env_air_hourly")
    first_hour_day = span.end - dt.timedelta(days=89)
    outage = (
        dt.datetime.combine(span.end - dt.timedelta(days=48), dt.time(8)),
        dt.datetime.combine(span.end - dt.timedelta(days=43), dt.time(14)),
    )  # TDM04 down ~5.25 days
    hourly: list[dict] = []
    daily_from_hourly: dict[tuple[str, dt.date], dict[str, float]] = {}
    auto = [s for s in STATIONS if s[5] == "tự động"]
    d = first_hour_day
    while d <= span.end:
        for code, *_ in auto:
            t = truth[code][d]
            acc = {p: [] for p in POLLUTANTS}
            for h in range(24):
                ts = dt.datetime.combine(d, dt.time(h))
                if code == "TDM04" and outage[0] <= ts <= outage[1]:
                    continue
                rec = {"station_code": code, "ts": ts.strftime("%Y-%m-%d %H:%M:%S")}
                for p in POLLUTANTS:
                    prof = PROFILE_O3[h] if p == "o3" else (PROFILE_PM[h] if p != "so2" else 1.0)
                    v = t[p] * prof * math.exp(rng.gauss(0, 0.13))
                    v = min(v, 990.0) if p == "co" else v
                    rec[p] = round(v, 1)
                    acc[p].append(rec[p])
                hourly.append(rec)
            if len(acc["pm25"]) >= 18:  # a daily mean needs 75 % of the hours
                daily_from_hourly[(code, d)] = {p: sum(v) / len(v) for p, v in acc.items()}
        d += dt.timedelta(1)
    hourly.sort(key=lambda r: (r["ts"], r["station_code"]))

    # Deliberate problems, a handful among ~10,800 records.
    def at(code, ts):
        return next(i for i, r in enumerate(hourly) if r["station_code"] == code and r["ts"] == ts)

    base = dt.datetime.combine(first_hour_day, dt.time(0))
    i = at("TDM02", (base + dt.timedelta(days=20, hours=9)).strftime("%Y-%m-%d %H:%M:%S"))
    hourly[i] = dict(hourly[i], pm25=9999.0)  # sensor fault code
    i = at("TDM05", (base + dt.timedelta(days=33, hours=3)).strftime("%Y-%m-%d %H:%M:%S"))
    hourly[i] = dict(hourly[i], no2=-3.2)  # negative after a zero drift
    i = at("TDM01", (base + dt.timedelta(days=61, hours=14)).strftime("%Y-%m-%d %H:%M:%S"))
    hourly.insert(i + 1, dict(hourly[i], pm25=round(hourly[i]["pm25"] + 4.1, 1)))  # the same hour sent twice
    i = at("TDM03", (base + dt.timedelta(days=75, hours=6)).strftime("%Y-%m-%d %H:%M:%S"))
    hourly.insert(i + 1, dict(hourly[i], station_code="TDM99"))  # a test station leaking into the feed
    # the last day of a 30-day month (else of February, else of any month) in the window, typed as the day after it
    ends = [
        d
        for d in (first_hour_day + dt.timedelta(k) for k in range(90))
        if d.day == calendar.monthrange(d.year, d.month)[1]
    ]
    bad_day = next((d for d in ends if d.day == 30), next((d for d in ends if d.month == 2), ends[0]))
    i = at("TDM02", bad_day.strftime("%Y-%m-%d") + " 07:00:00")
    hourly[i] = dict(hourly[i], ts=bad_day.strftime("%Y-%m-") + f"{bad_day.day + 1} 07:00:00")  # 31 September
    pages = json_pages(OUT / "env" / "air_api", hourly, 500)
    stats["env_air_hourly"] = f"{len(hourly)} records in {pages} pages"

    # ---- daily means (UTF-16 tab "Unicode text")
    rows = [
        ["SỐ LIỆU QUAN TRẮC CHẤT LƯỢNG KHÔNG KHÍ - GIÁ TRỊ TRUNG BÌNH 24 GIỜ"],
        ["Đơn vị tính: µg/m³. Nguồn: Phòng Tài nguyên và Môi trường thành phố Thủ Dầu Một"],
        [],
        ["Mã trạm", "Ngày", "PM2.5", "PM10", "NO2", "SO2", "CO", "O3"],
    ]
    for d in span.days():
        for code, _, _, _, _, kind, *_ in STATIONS:
            if kind == "thủ công":
                if d.day not in (5, 20):  # manual sampling twice a month
                    continue
                v = truth[code][d]
            elif d >= first_hour_day:
                v = daily_from_hourly.get((code, d))
                if v is None:
                    continue  # the outage: no valid daily mean
            else:
                v = truth[code][d]
            rows.append([code, dmy(d)] + [vn(v[p], 1) for p in POLLUTANTS])
    hdr = 4

    def find(code, d):
        s = dmy(d)
        return next(i for i in range(hdr, len(rows)) if rows[i][0] == code and rows[i][1] == s)

    i = find("TDM03", dt.date(2023, 1, 17))
    rows[i][2] = "9999"  # fault code kept in the export
    i = find("TDM05", dt.date(2022, 8, 9))
    rows[i][5] = "-2,1"  # negative SO2
    i = find("TDM01", dt.date(2024, 2, 28))
    rows.insert(i + 1, ["TDM01", "30/02/2024", *rows[i][2:]])  # a typed date that does not exist
    i = find("TDM02", dt.date(2025, 5, 14))
    rows.insert(i + 1, list(rows[i]))  # the same station-day twice
    write(OUT / "env" / "khong_khi_trung_binh_ngay.txt", utf16_tab(rows))
    stats["env_air_daily"] = len(rows) - hdr

    # ---- surface water (monthly manual sampling), UTF-8 BOM ';' CSV
    rng = rng_for("env_water")
    points = [
        ("NM01", "Sông Sài Gòn - bến Bạch Đằng", "25747", 1.0),
        ("NM02", "Sông Sài Gòn - cầu Ông Cộ", "25765", 0.9),
        ("NM03", "Rạch Bà Cô - cầu Phú Thọ", "25753", 1.5),
        ("NM04", "Suối Cát - Phú Mỹ", "25762", 1.3),
    ]
    rows = [
        ["KẾT QUẢ QUAN TRẮC CHẤT LƯỢNG NƯỚC MẶT"],
        [],
        [
            "Mã điểm",
            "Vị trí quan trắc",
            "Mã phường",
            "Ngày lấy mẫu",
            "pH",
            "DO (mg/l)",
            "BOD5 (mg/l)",
            "COD (mg/l)",
            "TSS (mg/l)",
            "N-NH4+ (mg/l)",
            "Coliform (MPN/100ml)",
            "WQI",
        ],
    ]
    for y, m in span.months(span.last_month):
        for code, name, ward, poll in points:
            d = add_workdays(dt.date(y, m, 9 + rng.randint(0, 6)), 0)
            rainy = 1.25 if 5 <= m <= 10 else 1.0
            cod = max(6.0, rng.gauss(17, 4) * poll * rainy)
            bod = cod * rng.uniform(0.45, 0.6)
            tss = max(5.0, rng.gauss(28, 8) * poll * rainy)
            nh4 = max(0.02, rng.gauss(0.35, 0.15) * poll)
            do = max(1.5, rng.gauss(5.4, 0.6) - 0.5 * (poll - 1))
            coli = int(max(300, rng.gauss(3500, 1200) * poll * rainy))
            wqi = max(20, min(100, 118 - 1.5 * cod - 0.2 * tss - 16 * nh4 + rng.gauss(0, 3)))
            ph = rng.gauss(6.9, 0.25)
            if d > span.end:  # --today: this month's sample is not taken yet
                continue
            rows.append(
                [
                    code,
                    name,
                    ward,
                    dmy(d),
                    vn(ph, 1),
                    vn(do, 1),
                    vn(bod, 1),
                    vn(cod, 1),
                    vn(tss, 1),
                    vn(nh4, 2),
                    vn(coli),
                    vn(wqi),
                ]
            )
    rows[3 + 17][4] = "15,2"  # pH typed with a slipped digit (max 14)
    rows[3 + 150][5] = "-0,4"  # negative dissolved oxygen
    rows += [[], ["Ghi chú: WQI tính theo Quyết định 1460/QĐ-TCMT năm 2019."]]
    write(OUT / "env" / "nuoc_mat.csv", csv_bytes(rows, ";"))
    stats["env_water_quality"] = len(rows) - 5
    return stats


# --------------------------------------------------------------------------- admin


PROCS = [
    # code, field, name, handled by ("ward" = the ward's UBND), working days, weight, online affinity, late risk
    ("2.000815", "Chứng thực", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "ward", 0, 30, 0.6, 0.2),
    ("2.000884", "Chứng thực", "Chứng thực chữ ký trong các giấy tờ, văn bản", "ward", 0, 8, 0.3, 0.2),
    ("1.001193", "Hộ tịch", "Đăng ký khai sinh", "ward", 1, 7, 1.0, 0.5),
    ("1.000656", "Hộ tịch", "Đăng ký khai tử", "ward", 1, 2, 0.9, 0.5),
    ("1.000894", "Hộ tịch", "Đăng ký kết hôn", "ward", 3, 2.5, 0.5, 0.6),
    ("1.004873", "Hộ tịch", "Cấp giấy xác nhận tình trạng hôn nhân", "ward", 3, 6, 1.0, 0.6),
    ("2.000635", "Hộ tịch", "Cấp bản sao trích lục hộ tịch", "ward", 1, 5, 1.1, 0.4),
    ("1.001776", "Bảo trợ xã hội", "Trợ giúp xã hội thường xuyên", "ward", 10, 0.8, 0.6, 1.0),
    ("1.011608", "Xây dựng", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Phòng Quản lý đô thị", 15, 4, 1.0, 1.6),
    ("2.000720", "Hộ kinh doanh", "Đăng ký thành lập hộ kinh doanh", "Phòng Tài chính - Kế hoạch", 3, 5, 1.2, 0.8),
    (
        "2.000575",
        "Hộ kinh doanh",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Phòng Tài chính - Kế hoạch",
        3,
        3,
        1.2,
        0.8,
    ),
    (
        "1.004221",
        "Đất đai",
        "Đăng ký biến động quyền sử dụng đất",
        "Chi nhánh Văn phòng Đăng ký đất đai",
        10,
        9,
        0.7,
        2.0,
    ),
    (
        "1.004227",
        "Đất đai",
        "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        "Chi nhánh Văn phòng Đăng ký đất đai",
        20,
        2,
        0.5,
        2.4,
    ),
    ("1.001009", "Đất đai", "Tách thửa hoặc hợp thửa đất", "Chi nhánh Văn phòng Đăng ký đất đai", 15, 2, 0.5, 2.0),
    (
        "2.000908",
        "Chứng thực",
        "Chứng thực hợp đồng, giao dịch liên quan đến động sản",
        "Phòng Tư pháp",
        2,
        2,
        0.3,
        0.6,
    ),
    (
        "1.005462",
        "Người có công",
        "Giải quyết chế độ trợ cấp một lần đối với người có công",
        "Phòng Lao động - Thương binh và Xã hội",
        12,
        0.6,
        0.4,
        1.2,
    ),
    ("1.001612", "Văn hóa", "Cấp giấy phép kinh doanh dịch vụ karaoke", "Phòng Văn hóa - Thông tin", 5, 0.3, 0.8, 1.0),
    (
        "2.001283",
        "Giáo dục",
        "Chuyển trường đối với học sinh trung học cơ sở",
        "Phòng Giáo dục và Đào tạo",
        3,
        1.2,
        0.9,
        0.5,
    ),
]
DOSSIERS_PER_YEAR = {2021: 17000, 2022: 20500, 2023: 21500, 2024: 22300, 2025: 23000, 2026: 23600}
MONTH_SEASON = [1.05, 0.75, 1.10, 1.00, 1.05, 1.00, 1.02, 1.00, 0.98, 1.02, 1.00, 1.03]


def _progress(d: dt.date) -> float:
    """0 at the start of 2021, 1 at the end of 2026: how far digital government has come."""
    return min(1.2, max(0.0, (d - START).days / 2190))


@functools.lru_cache(maxsize=1)  # the one-stop files and the digital report read the same dossiers
def gen_dossiers(span: Span) -> list[dict]:
    """Every dossier since 2021 (the API file keeps the last 12 months; the monthly report sums them all).
    Read only: the callers copy what they change."""
    rng = rng_for("admin_dossiers")
    weights = [p[5] for p in PROCS]
    ward_w = [WARD_POP[c] for c in WARD_CODES]
    out = []
    seq: dict[tuple[str, dt.date], int] = {}
    # Whole months are drawn (so a later --today in the same month adds dossiers, it does not
    # reshuffle them) and the days after `end` dropped.
    for y, m in span.months(span.last_month):
        nd = calendar.monthrange(y, m)[1]
        days = [dt.date(y, m, k) for k in range(1, nd + 1)]
        lam = annual(DOSSIERS_PER_YEAR, y) / 12 * MONTH_SEASON[m - 1] * covid_factor(dt.date(y, m, 15))
        day_w = [
            (1.0 if d.weekday() < 5 else 0.12) * (0.3 if y in TET and -3 <= (d - TET[y]).days <= 4 else 1.0)
            for d in days
        ]
        for _ in range(poisson(rng, lam)):
            p = rng.choices(PROCS, weights)[0]
            code, field, name, level, ndays, _, affinity, risk = p
            d = rng.choices(days, day_w)[0]
            online_p = min(0.95, (0.12 + 0.62 * _progress(d)) * affinity)
            online = d.weekday() >= 5 or rng.random() < online_p
            hour = rng.uniform(0, 24) if online and rng.random() < 0.35 else rng.uniform(7.5, 16.8)
            received = dt.datetime.combine(d, dt.time(0)) + dt.timedelta(hours=hour)
            ward = rng.choices(WARD_CODES, ward_w)[0]
            agency = f"UBND phường {WARD_NAME[ward]}" if level == "ward" else level
            unit = ward if level == "ward" else CITY_CODE
            start = d if received.hour < 16 else d + dt.timedelta(1)
            due = add_workdays(start, ndays)
            late_p = 0.022 * risk * (1.6 if y == 2021 else 1.0) * (1.0 - 0.35 * _progress(d))
            if rng.random() < late_p:
                k = ndays + rng.randint(1, 6)
            elif ndays == 0:
                k = 0
            else:
                k = min(ndays, max(0, ndays - int(rng.expovariate(1 / max(1.0, ndays * 0.35)))))
            rday = add_workdays(start, k)
            if rday == received.date():
                rt = min(received + dt.timedelta(hours=rng.uniform(0.3, 3.5)), dt.datetime.combine(rday, dt.time(17)))
            else:
                rt = dt.datetime.combine(rday, dt.time(7, 30)) + dt.timedelta(hours=rng.uniform(0, 9))
            if d > span.end:
                continue
            key = (unit, d)
            seq[key] = seq.get(key, 0) + 1
            prefix = f"000.{'00' if unit == CITY_CODE else unit[-2:]}.35.H57"
            out.append(
                {
                    "dossier_id": f"{prefix}-{d:%y%m%d}-{seq[key]:04d}",
                    "agency": agency,
                    "unit_code": unit,
                    "field": field,
                    "procedure_code": code,
                    "procedure": name,
                    "ward_code": ward,
                    "received_at": received.replace(microsecond=0),
                    "due_date": due,
                    "resolved_at": rt.replace(microsecond=0),
                    "online": online,
                }
            )
    out.sort(key=lambda r: r["received_at"])
    return out


def gen_admin(span: Span) -> dict:
    stats = {}
    dossiers = gen_dossiers(span)
    ext = span.extract
    # ---- API pages: the last 12 months as the one-stop system returns them
    y, m = add_months(*span.end_month, -11)
    first = dt.datetime(y, m, 1)
    items = []
    for r in dossiers:
        if r["received_at"] < first:
            continue
        done = r["resolved_at"] <= ext
        items.append(
            {
                "dossier_id": r["dossier_id"],
                "agency": r["agency"],
                "field": r["field"],
                "procedure_code": r["procedure_code"],
                "procedure": r["procedure"],
                "ward_code": r["ward_code"],
                "received_at": r["received_at"].strftime("%Y-%m-%d %H:%M:%S"),
                "due_date": r["due_date"].isoformat(),
                "resolved_at": r["resolved_at"].strftime("%Y-%m-%d %H:%M:%S") if done else None,
                "status": "Đã trả kết quả" if done else "Đang xử lý",
                "online": r["online"],
            }
        )
    # Deliberate problems: the same dossier twice on one page, a ward code from another district,
    # a received date that does not exist, and a word where the API should say true or false.
    items.insert(1203, dict(items[1202]))
    items[2950] = dict(items[2950], ward_code=UNKNOWN_WARD)
    r = items[7001]
    items[7001] = dict(r, received_at=r["received_at"][:5] + "02-30" + r["received_at"][10:])
    items[15333] = dict(items[15333], online="trực tuyến")
    pages = json_pages(OUT / "admin" / "ho_so_api", items, 500)
    stats["admin_dossiers"] = f"{len(items)} records in {pages} pages"

    # ---- monthly one-stop report per unit (xlsx), since 2021, summed from the same dossiers
    units = [(c, f"UBND phường {WARD_NAME[c]}") for c in WARD_CODES] + [(CITY_CODE, "Các cơ quan cấp thành phố")]
    agg: dict[tuple[tuple[int, int], str], list[int]] = {}
    months = span.months()
    for r in dossiers:
        k = ((r["received_at"].year, r["received_at"].month), r["unit_code"])
        a = agg.setdefault(k, [0] * 9)
        a[0] += 1
        a[1] += r["online"]
        a[2] += not r["online"]
        if r["resolved_at"] <= ext:
            k2 = ((r["resolved_at"].year, r["resolved_at"].month), r["unit_code"])
            b = agg.setdefault(k2, [0] * 9)
            b[3] += 1
            if r["resolved_at"].date() <= r["due_date"]:
                b[4] += 1
            else:
                b[5] += 1
    # pending at each month end
    month_ends = [dt.datetime(yy, mm, calendar.monthrange(yy, mm)[1], 23, 59, 59) for yy, mm in months]
    for r in dossiers:
        i0 = (r["received_at"].year - 2021) * 12 + r["received_at"].month - 1
        for i in range(i0, len(months)):
            if r["resolved_at"] <= month_ends[i]:
                break
            b = agg.setdefault((months[i], r["unit_code"]), [0] * 9)
            b[6] += 1
            if r["due_date"] >= month_ends[i].date():
                b[7] += 1
            else:
                b[8] += 1
    rows = []
    stt = 0
    for yy, mm in months:
        tot = [0] * 9
        for code, name in units:
            a = agg.get(((yy, mm), code), [0] * 9)
            stt += 1
            rows.append([stt, f"{mm:02d}/{yy}", code, name] + [vn(v) for v in a])
            tot = [t + v for t, v in zip(tot, a)]
        rows.append(["Cộng", None, None, None] + [vn(v) for v in tot])
    # Deliberate problems.
    i = next(i for i, r in enumerate(rows) if r[1] == "05/2022" and r[2] == "25750")
    rows[i][8] = "-3"  # negative "on time"
    i = next(i for i, r in enumerate(rows) if r[1] == "09/2023" and r[2] == "25768")
    rows.insert(i + 1, list(rows[i]))  # one ward typed twice
    rows[i + 1][0] = None
    i = next(i for i, r in enumerate(rows) if r[1] == "03/2025" and r[2] == "25771")
    rows[i][2] = "25791"  # a mistyped unit code
    xlsx_report(
        OUT / "admin" / "bao_cao_tthc_thang.xlsx",
        span,
        office="VĂN PHÒNG HĐND VÀ UBND - BỘ PHẬN MỘT CỬA",
        title="BÁO CÁO TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        subtitle=f"(Từ tháng 01/2021 đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        unit="Đơn vị tính: hồ sơ",
        headers=[
            "STT",
            "Tháng",
            "Mã đơn vị",
            "Đơn vị",
            ("Tiếp nhận", ["Tổng số", "Trực tuyến", "Trực tiếp, bưu chính"]),
            ("Đã giải quyết", ["Tổng số", "Đúng hạn", "Quá hạn"]),
            ("Đang giải quyết", ["Tổng số", "Trong hạn", "Quá hạn"]),
        ],
        rows=rows,
        notes=(
            "Ghi chú: Số liệu trích xuất từ Hệ thống thông tin giải quyết thủ tục hành chính tỉnh.",
            "Hồ sơ đúng hạn là hồ sơ trả kết quả trước hoặc trong ngày hẹn trả.",
        ),
        widths={4: 34},
        signer=("Lê Thị Mỹ Duyên", "KT. CHÁNH VĂN PHÒNG\nPHÓ CHÁNH VĂN PHÒNG", "Phạm Quốc Bảo"),
    )
    stats["admin_dossiers_monthly"] = sum(1 for r in rows if r[0] != "Cộng")
    return stats


# --------------------------------------------------------------------------- tourism


VISITORS_PER_YEAR = {2021: 520_000, 2022: 1_150_000, 2023: 1_420_000, 2024: 1_580_000, 2025: 1_720_000, 2026: 1_810_000}
TOURISM_SEASON = [1.15, 1.35, 0.85, 1.05, 1.05, 0.95, 1.00, 0.95, 0.88, 0.85, 0.85, 1.07]


def gen_tourism(span: Span) -> dict:
    stats = {}
    rng = rng_for("tourism_monthly")
    ly, lm = add_months(*span.end_month, -1)  # deliberate: the office's report is one month late
    rows = []
    stt = 0
    year_tot = None
    for y, m in span.months((ly, lm)):
        if m == 1:
            rows.append([f"Năm {y}"] + [None] * 9)  # section row
            year_tot = [0, 0, 0, 0, 0, 0.0]
        s = sum(TOURISM_SEASON)
        base = annual(VISITORS_PER_YEAR, y) * TOURISM_SEASON[m - 1] / s
        if y == 2021:
            base *= {
                1: 1.5,
                2: 1.6,
                3: 1.3,
                4: 1.4,
                5: 0.9,
                6: 0.35,
                7: 0.04,
                8: 0.03,
                9: 0.05,
                10: 0.4,
                11: 0.8,
                12: 1.2,
            }[m]
        total = int(base * rng.uniform(0.94, 1.06))
        intl_share = (0.006 if y == 2021 else 0.025 + 0.004 * (y - 2022)) * rng.uniform(0.85, 1.15)
        intl = int(total * intl_share)
        stay = int(total * rng.uniform(0.19, 0.25))
        nights = int(stay * rng.uniform(1.45, 1.75))
        revenue = total * rng.uniform(0.6, 0.7) * (1 + 0.05 * (y - 2022))  # triệu đồng
        occ = min(88.0, max(4.0, 22 + 38 * total / (annual(VISITORS_PER_YEAR, 2025) / 12) + rng.gauss(0, 3)))
        stt += 1  # noqa: SIM113 - the row number of the office's report
        rows.append(
            [stt, f"{m:02d}/{y}", vn(total), vn(intl), vn(total - intl), vn(stay), vn(nights), vn(revenue), vn(occ, 1)]
        )
        year_tot = [a + b for a, b in zip(year_tot, [total, intl, total - intl, stay, nights, revenue])]
        if m == 12 or (y, m) == (ly, lm):
            rows.append([f"Cộng năm {y}", None] + [vn(v) for v in year_tot] + [None])
    for r in rows:
        r += [None] * (9 - len(r))
        del r[9:]
    # Deliberate problems.
    i = next(i for i, r in enumerate(rows) if r[1] == "07/2023")
    rows.insert(i + 1, list(rows[i]))  # July 2023 pasted twice
    rows[i + 1][0] = None
    i = next(i for i, r in enumerate(rows) if r[1] == "12/2024")
    rows[i][8] = "112,5"  # occupancy above 100 %
    i = next(i for i, r in enumerate(rows) if r[1] == "03/2022")
    rows[i][3] = "-1.250"  # negative international visitors
    xlsx_report(
        OUT / "tourism" / "bao_cao_du_lich_thang.xlsx",
        span,
        office="PHÒNG VĂN HÓA - THÔNG TIN",
        title="BÁO CÁO KẾT QUẢ HOẠT ĐỘNG DU LỊCH",
        subtitle=f"(Từ tháng 01/2021 đến tháng {lm:02d}/{ly})",
        headers=[
            "STT",
            "Tháng",
            ("Lượt khách tham quan", ["Tổng số", "Khách quốc tế", "Khách nội địa"]),
            ("Khách lưu trú", ["Lượt khách", "Ngày khách"]),
            "Tổng thu từ du lịch (triệu đồng)",
            "Công suất sử dụng phòng bình quân (%)",
        ],
        rows=rows,
        notes=(
            "Ghi chú: Số liệu tháng báo cáo là số ước tính, được điều chỉnh ở kỳ sau.",
            "Nguồn: tổng hợp từ các cơ sở lưu trú, điểm tham quan trên địa bàn.",
        ),
        signer=("Võ Thị Ngọc Trâm", "TRƯỞNG PHÒNG", "Huỳnh Minh Tâm"),
        widths={2: 11},
    )
    stats["tourism_monthly"] = sum(1 for r in rows if isinstance(r[0], int) or (r[0] is None and r[1]))

    # ---- accommodation establishments (xlsx)
    rng = rng_for("tourism_accommodation")
    kinds = [
        ("Khách sạn", 0.42),
        ("Nhà nghỉ", 0.38),
        ("Căn hộ du lịch", 0.1),
        ("Nhà ở có phòng cho khách du lịch thuê", 0.1),
    ]
    names = [
        "Hoàng Gia",
        "Phú Cường",
        "Sông Sài Gòn",
        "Minh Tâm",
        "Thanh Bình",
        "Kim Long",
        "Hồng Phúc",
        "Ngọc Lan",
        "An Phú",
        "Riverside",
        "Golden",
        "Bình Minh",
        "Hải Đăng",
        "Thành Công",
        "Phương Nam",
        "Mai Anh",
        "Ánh Dương",
        "Hoa Sen",
        "Đại Nam",
        "Sao Mai",
        "Thiên Phúc",
        "Tân Thế Giới",
        "Hòa Bình",
        "Như Ý",
        "Cát Tường",
        "Phú Gia",
        "Lam Sơn",
        "Hạnh Phúc",
        "Ngọc Bích",
        "Green View",
        "Kim Ngân",
        "Sài Gòn Xanh",
    ]
    streets = [
        "Đại lộ Bình Dương",
        "Cách Mạng Tháng Tám",
        "Yersin",
        "Phạm Ngọc Thạch",
        "Lê Hồng Phong",
        "Huỳnh Văn Lũy",
        "Nguyễn Văn Cừ",
        "Phú Lợi",
        "Trần Văn Ơn",
        "Ngô Quyền",
        "Bạch Đằng",
        "Nguyễn Thái Học",
        "Lê Thị Trung",
        "Hoàng Hoa Thám",
        "Nguyễn Tri Phương",
        "Võ Văn Kiệt",
    ]
    hot = {"25747": 3, "25750": 3, "25744": 2.5, "25741": 2.5, "25760": 2, "25753": 1.5, "25756": 1.5, "25762": 1.2}
    ward_w = [hot.get(c, 0.6) for c in WARD_CODES]
    rows = []
    used: dict[str, int] = {}
    for i in range(1, 93):
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        ward = rng.choices(WARD_CODES, ward_w)[0]
        nm = rng.choice(names)
        used[(kind, nm)] = used.get((kind, nm), 0) + 1
        label = f"{kind} {nm}" + (f" {used[(kind, nm)]}" if used[(kind, nm)] > 1 else "")
        if kind == "Khách sạn":
            stars = rng.choices([1, 2, 3, 4, 5], [2, 4, 3, 1.2, 0.3])[0]
            rooms = int(rng.uniform(15, 35) * (1 + 0.8 * stars))
        else:
            stars = None
            rooms = rng.randint(6, 24) if kind != "Căn hộ du lịch" else rng.randint(12, 60)
        beds = int(rooms * rng.uniform(1.3, 1.8))
        lat, lon = point_in(rng, ward, 0.8)
        since = dt.date(rng.randint(2008, 2026), rng.randint(1, 12), rng.randint(1, 28))
        since = min(since, span.end)
        rows.append(
            [
                i,
                f"LT{i:03d}",
                label,
                kind,
                stars,
                f"{rng.randint(1, 480)} {rng.choice(streets)}",
                ward,
                WARD_NAME[ward],
                vn(rooms),
                vn(beds),
                lat,
                lon,
                dmy(since),
            ]
        )
    rows[40][6] = UNKNOWN_WARD  # an address from the neighbouring district
    rows[57][8] = "-12"  # negative room count
    rows.insert(71, list(rows[70]))  # the same establishment listed twice
    rows[71][0] = None
    xlsx_report(
        OUT / "tourism" / "co_so_luu_tru.xlsx",
        span,
        office="PHÒNG VĂN HÓA - THÔNG TIN",
        title="DANH SÁCH CƠ SỞ LƯU TRÚ DU LỊCH TRÊN ĐỊA BÀN THÀNH PHỐ",
        subtitle=f"(Cập nhật đến ngày {dmy(span.end)})",
        headers=[
            "STT",
            "Mã cơ sở",
            "Tên cơ sở lưu trú",
            "Loại hình",
            "Hạng sao",
            "Địa chỉ",
            "Mã phường",
            "Phường",
            "Số phòng",
            "Số giường",
            "Vĩ độ",
            "Kinh độ",
            "Ngày cấp phép",
        ],
        rows=rows,
        widths={3: 32, 4: 22, 6: 28},
        notes=("Ghi chú: Hạng sao chỉ áp dụng đối với khách sạn đã được thẩm định xếp hạng.",),
        signer=("Võ Thị Ngọc Trâm", "TRƯỞNG PHÒNG", "Huỳnh Minh Tâm"),
    )
    stats["tourism_accommodation"] = len(rows)

    # ---- sights (UTF-8 BOM ';' CSV, coordinates with decimal comma)
    rng = rng_for("tourism_sights")
    sights = [
        ("Chùa Hội Khánh", "Di tích lịch sử - văn hóa", "25747", "Di tích quốc gia", 95000),
        ("Nhà tù Phú Lợi", "Di tích lịch sử", "25750", "Di tích quốc gia đặc biệt", 120000),
        ("Đình Phú Cường", "Di tích kiến trúc nghệ thuật", "25747", "Di tích cấp tỉnh", 30000),
        ("Nhà thờ Chánh tòa Phú Cường", "Công trình tôn giáo", "25747", "", 85000),
        ("Miếu Bà Thiên Hậu (Chùa Bà Bình Dương)", "Di tích lịch sử - văn hóa", "25747", "Di tích cấp tỉnh", 260000),
        ("Bảo tàng tỉnh Bình Dương", "Bảo tàng", "25747", "", 45000),
        ("Chợ Thủ Dầu Một", "Mua sắm - ẩm thực", "25747", "", 210000),
        ("Công viên Bạch Đằng", "Công viên - cảnh quan", "25747", "", 150000),
        ("Nhà cổ ông Trần Văn Hổ", "Di tích kiến trúc nghệ thuật", "25747", "Di tích quốc gia", 12000),
        ("Trung tâm Hành chính tập trung tỉnh Bình Dương", "Công trình kiến trúc", "25760", "", 180000),
        ("Công viên Thành phố mới Bình Dương", "Công viên - cảnh quan", "25760", "", 140000),
        ("Làng nghề sơn mài Tương Bình Hiệp", "Làng nghề truyền thống", "25771", "", 25000),
        ("Đình Tương Bình Hiệp", "Di tích lịch sử - văn hóa", "25771", "Di tích cấp tỉnh", 9000),
        ("Khu du lịch sinh thái Chánh Mỹ", "Du lịch sinh thái", "25774", "", 60000),
        ("Vườn trái cây Phú An - Tân An", "Du lịch sinh thái", "25765", "", 40000),
        ("Chùa Tây Tạng", "Công trình tôn giáo", "25741", "Di tích cấp tỉnh", 70000),
        ("Trường Trung học Mỹ thuật Bình Dương (Trường Bá Nghệ)", "Di tích kiến trúc nghệ thuật", "25756", "", 8000),
        ("Đền thờ liệt sĩ Tân An", "Di tích lịch sử", "25765", "", 6000),
        ("Quảng trường Hòa Phú", "Công viên - cảnh quan", "25760", "", 90000),
    ]
    rows = [
        ["DANH MỤC ĐIỂM THAM QUAN DU LỊCH TRÊN ĐỊA BÀN THÀNH PHỐ THỦ DẦU MỘT"],
        [],
        [
            "Mã điểm",
            "Tên điểm tham quan",
            "Loại hình",
            "Mã phường",
            "Phường",
            "Vĩ độ",
            "Kinh độ",
            "Xếp hạng di tích",
            "Năm thống kê",
            "Lượt khách",
        ],
    ]
    for i, (name, kind, ward, rank, visits) in enumerate(sights, 1):
        lat, lon = point_in(rng, ward, 0.7)
        rows.append(
            [
                f"DL{i:02d}",
                name,
                kind,
                ward,
                WARD_NAME[ward],
                vn(lat, 6),
                vn(lon, 6),
                rank,
                span.last_year,
                vn(int(visits * rng.uniform(0.9, 1.1))),
            ]
        )
    rows[3 + 13][5] = "1,099512"  # latitude typed without its first digit (outside the city bbox)
    rows[3 + 5][9] = "-45.000"  # negative visitors
    rows += [[], ["Nguồn: Phòng Văn hóa - Thông tin thành phố Thủ Dầu Một."]]
    write(OUT / "tourism" / "diem_tham_quan.csv", csv_bytes(rows, ";"))
    stats["tourism_sights"] = len(sights)
    return stats


# --------------------------------------------------------------------------- security


STREETS = {
    "25741": ["Đại lộ Bình Dương", "Phạm Ngọc Thạch", "Huỳnh Văn Lũy", "Lê Hồng Phong"],
    "25744": ["Phú Lợi", "Huỳnh Văn Lũy", "Nguyễn Văn Cừ", "Lê Hồng Phong"],
    "25747": ["Cách Mạng Tháng Tám", "Bạch Đằng", "Đoàn Trần Nghiệp", "Văn Công Khai"],
    "25750": ["Đại lộ Bình Dương", "Yersin", "Phú Lợi", "Lò Chén"],
    "25753": ["Đại lộ Bình Dương", "Cách Mạng Tháng Tám", "Lê Thị Trung", "Phú Lợi"],
    "25756": ["Cách Mạng Tháng Tám", "Ngô Chí Quốc", "Trần Văn Ơn", "Nguyễn Văn Tiết"],
    "25759": ["Đại lộ Bình Dương", "Võ Minh Đức", "Huỳnh Thị Hiếu", "Nguyễn Chí Thanh"],
    "25760": ["Đại lộ Bình Dương", "Võ Văn Kiệt", "Lê Lợi", "Hùng Vương"],
    "25762": ["Huỳnh Văn Lũy", "Nguyễn Văn Linh", "Mỹ Phước - Tân Vạn", "Phan Đăng Lưu"],
    "25763": ["Mỹ Phước - Tân Vạn", "Đường NA3", "Lê Lợi", "Trường Chinh"],
    "25765": ["Nguyễn Chí Thanh", "Hồ Văn Cống", "Đường ĐX 045", "Lê Chí Dân"],
    "25768": ["Nguyễn Chí Thanh", "Hồ Văn Cống", "Trần Ngọc Lên", "Đường ĐX 062"],
    "25771": ["Nguyễn Chí Thanh", "Lê Chí Dân", "Hồ Văn Cống", "Đường ĐX 091"],
    "25774": ["Nguyễn Chí Thanh", "Đường 30/4", "Huỳnh Văn Cù", "Nguyễn Văn Thành"],
}
ACCIDENTS_PER_YEAR = {2021: 28, 2022: 38, 2023: 41, 2024: 36, 2025: 33, 2026: 31}


def gen_security(span: Span) -> dict:
    stats = {}
    rng = rng_for("security_accidents")
    causes = [
        "Không chú ý quan sát",
        "Đi không đúng phần đường",
        "Vi phạm tốc độ",
        "Sử dụng rượu bia",
        "Chuyển hướng không đúng quy định",
        "Không nhường đường",
        "Vượt đèn đỏ",
    ]
    vehicles = [
        "Xe mô tô - xe mô tô",
        "Xe mô tô - ô tô tải",
        "Xe mô tô - xe con",
        "Xe mô tô - người đi bộ",
        "Ô tô tải - xe con",
        "Xe mô tô tự gây tai nạn",
        "Xe container - xe mô tô",
    ]
    road_w = {"25741": 1.6, "25750": 1.5, "25760": 1.3, "25762": 1.3, "25759": 1.2, "25763": 1.2, "25753": 1.1}
    ww = [WARD_POP[c] * road_w.get(c, 1.0) for c in WARD_CODES]
    rows = []
    tot = [0, 0, 0.0]
    for y, m in span.months(span.last_month):  # records: up to `end`, whole months drawn
        lam = (
            annual(ACCIDENTS_PER_YEAR, y, -0.03)
            / 12
            * (1.35 if m in (1, 2, 12) else 0.95)
            * covid_factor(dt.date(y, m, 15))
        )
        for _ in range(poisson(rng, lam)):
            d = dt.date(y, m, rng.randint(1, calendar.monthrange(y, m)[1]))
            hour = rng.choices(range(24), [1, 1, 1, 1, 1, 2, 3, 5, 4, 3, 3, 3, 3, 3, 3, 3, 4, 6, 7, 7, 6, 4, 3, 2])[0]
            ward = rng.choices(WARD_CODES, ww)[0]
            lat, lon = point_in(rng, ward, 0.9)
            deaths = rng.choices([0, 1, 2], [0.45, 0.5, 0.05])[0]
            injured = rng.choices([0, 1, 2, 3], [0.3, 0.45, 0.2, 0.05])[0] + (1 if deaths == 0 else 0)
            damage = rng.uniform(2, 60)
            row = [
                None,
                None,
                dmy(d),
                f"{hour:02d}:{rng.randint(0, 59):02d}",
                f"{rng.choice(STREETS[ward])}, phường {WARD_NAME[ward]}",
                ward,
                WARD_NAME[ward],
                lat,
                lon,
                deaths,
                injured,
                vn(damage, 1),
                rng.choice(vehicles),
                rng.choice(causes),
            ]
            if d > span.end:
                continue
            rows.append(row)
            tot = [tot[0] + deaths, tot[1] + injured, tot[2] + damage]
    rows.sort(key=lambda r: (r[2][6:], r[2][3:5], r[2][:2], r[3]))
    counters: dict[int, int] = {}
    for i, r in enumerate(rows, 1):
        yr = int(r[2][6:])
        counters[yr] = counters.get(yr, 0) + 1
        r[0], r[1] = i, f"TNGT-{yr}-{counters[yr]:03d}"
    # Deliberate problems.
    rows[20][2] = "31/04/2022"  # 31 April
    rows[77][5] = UNKNOWN_WARD  # unknown ward code
    rows[101][10] = -1  # negative injuries
    rows.insert(150, list(rows[149]))  # the same case entered twice
    rows[150][0] = None
    xlsx_report(
        OUT / "security" / "tai_nan_giao_thong.xlsx",
        span,
        office="CÔNG AN THÀNH PHỐ THỦ DẦU MỘT",
        title="THỐNG KÊ CÁC VỤ TAI NẠN GIAO THÔNG ĐƯỜNG BỘ",
        subtitle=f"(Từ ngày 01/01/2021 đến ngày {dmy(span.end)})",
        headers=[
            "STT",
            "Số hiệu vụ",
            "Ngày xảy ra",
            "Giờ",
            "Địa điểm",
            "Mã phường",
            "Phường",
            ("Tọa độ", ["Vĩ độ", "Kinh độ"]),
            ("Thiệt hại", ["Số người chết", "Số người bị thương", "Tài sản (triệu đồng)"]),
            "Loại phương tiện",
            "Nguyên nhân chính",
        ],
        rows=rows,
        number_row=True,
        totals=["Cộng", None, None, None, None, None, None, None, None, tot[0], tot[1], vn(tot[2], 1), None, None],
        notes=(
            "Ghi chú: Thống kê các vụ tai nạn giao thông từ ít nghiêm trọng trở lên.",
            "Tọa độ xác định theo vị trí hiện trường, hệ WGS84.",
        ),
        widths={5: 36, 13: 24, 14: 28},
        signer=(
            "Đại úy Nguyễn Hoàng Phúc",
            "KT. TRƯỞNG CÔNG AN THÀNH PHỐ\nPHÓ TRƯỞNG CÔNG AN",
            "Thượng tá Lê Văn Dũng",
        ),
    )
    stats["security_accidents"] = len(rows)

    # ---- public order incidents per ward, month and kind (UTF-16 tab)
    rng = rng_for("security_incidents")
    kinds = [
        ("Trộm cắp tài sản", 14.0),
        ("Cướp giật tài sản", 1.6),
        ("Cố ý gây thương tích", 2.4),
        ("Lừa đảo chiếm đoạt tài sản", 3.2),
        ("Đánh bạc", 2.2),
        ("Tàng trữ, mua bán trái phép chất ma túy", 4.5),
        ("Gây rối trật tự công cộng", 2.0),
    ]
    rows = [
        ["BẢNG THỐNG KÊ VỤ VIỆC VI PHẠM PHÁP LUẬT VỀ TRẬT TỰ XÃ HỘI"],
        ["Đơn vị: Công an thành phố Thủ Dầu Một"],
        [],
        ["Tháng", "Mã phường", "Phường", "Loại vụ việc", "Số vụ", "Số đối tượng", "Số vụ đã làm rõ"],
    ]
    for y, m in span.months():
        trend = 1.0 - 0.04 * (y - 2021)
        for code in WARD_CODES:
            share = WARD_POP[code] / TOTAL_POP
            for kind, per_month in kinds:
                k = 1.6 if kind.startswith("Lừa đảo") and y >= 2024 else 1.0
                n = poisson(rng, per_month * share * trend * k * (0.6 if covid_factor(dt.date(y, m, 15)) < 1 else 1))
                if n == 0:
                    continue
                solved = sum(rng.random() < 0.82 for _ in range(n))
                people = n + sum(rng.random() < 0.4 for _ in range(n))
                rows.append([f"{m:02d}/{y}", code, WARD_NAME[code], kind, n, people, solved])
    h = 4
    n = len(rows) - h
    rows[h + n // 7][4] = -2  # negative count
    rows[h + n // 2][1] = "25780"  # unknown ward code
    rows.insert(h + n * 4 // 5 + 1, list(rows[h + n * 4 // 5]))  # repeated line
    write(OUT / "security" / "vu_viec_trat_tu.txt", utf16_tab(rows))
    stats["security_incidents_monthly"] = len(rows) - h
    return stats


# --------------------------------------------------------------------------- citizen reports


REPORT_TOPICS = [
    # category, titles, handling agency ("ward" = UBND phường), weight, rainy-season factor
    (
        "Môi trường",
        [
            "Rác thải tồn đọng trên vỉa hè",
            "Đốt rác gây khói",
            "Nước thải chảy tràn ra đường",
            "Mùi hôi từ cơ sở sản xuất",
            "Bãi rác tự phát",
        ],
        "ward",
        22,
        1.1,
    ),
    (
        "Trật tự đô thị",
        [
            "Lấn chiếm vỉa hè, lòng đường",
            "Quảng cáo rao vặt sai quy định",
            "Xây dựng không phép",
            "Kinh doanh lấn chiếm lòng đường",
        ],
        "ward",
        20,
        1.0,
    ),
    (
        "Giao thông",
        ["Đèn tín hiệu giao thông hư hỏng", "Ổ gà trên mặt đường", "Đỗ xe sai quy định", "Biển báo bị che khuất"],
        "Phòng Quản lý đô thị",
        12,
        1.2,
    ),
    (
        "Hạ tầng đô thị",
        ["Đèn chiếu sáng công cộng không hoạt động", "Ngập nước sau mưa", "Cây xanh gãy đổ", "Nắp hố ga hư hỏng"],
        "Phòng Quản lý đô thị",
        16,
        1.8,
    ),
    (
        "An ninh trật tự",
        ["Tụ tập gây mất trật tự", "Tiếng ồn kéo dài ban đêm", "Nghi vấn tụ điểm ma túy"],
        "Công an thành phố",
        10,
        1.0,
    ),
    (
        "Điện, nước",
        ["Mất nước sinh hoạt", "Rò rỉ đường ống nước", "Cúp điện kéo dài"],
        "Công ty CP Nước - Môi trường Bình Dương",
        8,
        1.3,
    ),
    (
        "Y tế",
        ["Nghi ổ dịch sốt xuất huyết", "Cơ sở kinh doanh thực phẩm mất vệ sinh"],
        "Trung tâm Y tế thành phố",
        5,
        1.6,
    ),
    ("Dịch vụ công", ["Hồ sơ trễ hẹn", "Thái độ phục vụ của cán bộ"], "Văn phòng HĐND và UBND thành phố", 4, 1.0),
    ("Khác", ["Góp ý xây dựng chính quyền", "Nội dung khác"], "ward", 3, 1.0),
]
REPORTS_PER_YEAR = {2021: 1200, 2022: 1500, 2023: 1800, 2024: 2100, 2025: 2300, 2026: 2450}
CHANNELS = [
    ("Ứng dụng Bình Dương Smart", 0.5),
    ("Tổng đài 1022", 0.25),
    ("Zalo OA", 0.15),
    ("Cổng thông tin điện tử", 0.1),
]


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Quốc", "Thu", "Hoàng", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc", "Quân", "Tâm",
         "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Khoa"]  # fmt: skip


def reporter(rng: random.Random, ward: str) -> dict:
    """Who sent a report (invented: no real person): personal data the cockpit shows masked (Nghị định
    13/2023/NĐ-CP) to every role but the one handling reports. One report in five comes without a name."""
    if rng.random() < 0.2:
        return {"reporter_name": None, "reporter_phone": None, "reporter_id_number": None, "reporter_address": None}
    return {
        "reporter_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "reporter_phone": "0" + rng.choice(["90", "91", "93", "97", "98", "86", "88"]) + f"{rng.randrange(10**7):07d}",
        "reporter_id_number": "074" + f"{rng.randrange(10**9):09d}",  # a CCCD of Bình Dương (province code 074)
        "reporter_address": f"Số {rng.randint(1, 250)} đường {rng.choice(STREETS[ward])}, phường {WARD_NAME[ward]}",
    }


def gen_citizen(span: Span) -> dict:
    rng = rng_for("citizen_reports")
    who_rng = rng_for("citizen_reporters")  # its own stream: the reports themselves draw as before
    ext = span.extract
    ww = [WARD_POP[c] for c in WARD_CODES]
    items = []
    n = 0
    for y, m in span.months(span.last_month):  # records: up to `end`, whole months drawn
        rainy = 5 <= m <= 10
        lam = annual(REPORTS_PER_YEAR, y) / 12 * (0.8 if m == 2 else 1.0)
        weights = [t[3] * (t[4] if rainy else 1.0) for t in REPORT_TOPICS]
        for _ in range(poisson(rng, lam)):
            cat, titles, agency, *_ = rng.choices(REPORT_TOPICS, weights)[0]
            d = dt.date(y, m, rng.randint(1, calendar.monthrange(y, m)[1]))
            created = dt.datetime.combine(d, dt.time(0)) + dt.timedelta(
                hours=rng.choices([rng.uniform(6, 22), rng.uniform(0, 24)], [0.85, 0.15])[0]
            )
            created = created.replace(microsecond=0)
            ward = rng.choices(WARD_CODES, ww)[0]
            lat, lon = point_in(rng, ward, 1.0)
            handler = f"UBND phường {WARD_NAME[ward]}" if agency == "ward" else agency
            due = dt.datetime.combine(add_workdays(d, 5), dt.time(17))
            out_of_scope = rng.random() < 0.04
            ontime_p = 0.78 + 0.16 * _progress(d)
            if rng.random() < ontime_p:
                resolved = created + dt.timedelta(
                    hours=rng.uniform(2, max(3.0, (due - created).total_seconds() / 3600))
                )
            else:
                resolved = due + dt.timedelta(hours=rng.uniform(4, 24 * 12))
            resolved = resolved.replace(microsecond=0)
            n += 1
            rec = {
                "report_id": f"PA-{y}-{n:06d}",
                "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
                "channel": rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0],
                "category": cat,
                "title": rng.choice(titles),
                "ward_code": ward,
                "lat": lat,
                "lon": lon,
                "agency": handler,
                "due_at": due.strftime("%Y-%m-%d %H:%M:%S"),
            }
            rec.update(reporter(who_rng, ward))
            if out_of_scope:
                rec.update(status="Không thuộc thẩm quyền", resolved_at=None, satisfaction=None)
            elif resolved <= ext:
                sat = None
                if rng.random() < 0.68:
                    good = 0.72 + 0.12 * _progress(d) - (0.25 if resolved > due else 0)
                    sat = rng.choices(
                        [5, 4, 3, 2, 1],
                        [good * 0.55, good * 0.45, 0.5 * (1 - good), 0.3 * (1 - good), 0.2 * (1 - good)],
                    )[0]
                rec.update(status="Đã xử lý", resolved_at=resolved.strftime("%Y-%m-%d %H:%M:%S"), satisfaction=sat)
            else:
                rec.update(status="Đang xử lý", resolved_at=None, satisfaction=None)
            if d <= span.end:
                items.append(rec)
        n = n if m < 12 else 0
    items.sort(key=lambda r: r["created_at"])
    # Deliberate problems.
    n = len(items)
    i = n * 8 // 100
    items[i] = dict(items[i], satisfaction=7)  # out of the 1–5 scale
    i = n * 28 // 100
    items[i] = dict(items[i], ward_code=UNKNOWN_WARD)  # unknown ward
    i = n * 48 // 100
    items[i] = dict(items[i], created_at=items[i]["created_at"][:5] + "13" + items[i]["created_at"][7:])  # month 13
    i = n * 60 // 100
    items.insert(i + 1, dict(items[i]))  # a report sent twice
    i = n * 85 // 100
    items[i] = dict(items[i], lat=round(items[i]["lat"] / 10, 4))  # coordinates lost a digit
    # what a citizen may type: markup and spreadsheet formulas, which the cockpit shows as text and exports inert
    i = n * 90 // 100
    items[i] = dict(items[i], title="<script>alert('xss')</script> Ngập nước sau mưa")
    i = n * 91 // 100
    items[i] = dict(
        items[i], title='=HYPERLINK("http://evil.example","Bấm vào đây")', reporter_name="<img src=x onerror=alert(1)>"
    )
    pages = json_pages(OUT / "citizen" / "phan_anh_api", items, 500)
    return {"citizen_reports": f"{len(items)} records in {pages} pages"}


# --------------------------------------------------------------------------- zoning


PLAN_KINDS = ["Khu dân cư", "Khu nhà ở", "Khu thương mại", "Khu trường học", "Công viên"]
PARK_NAMES = [
    "Phú Thịnh",
    "Hòa Lợi",
    "An Khang",
    "Thành Công",
    "Bình An",
    "Hiệp Phát",
    "Phú Mỹ",
    "Chánh Nghĩa",
    "Sông Sài Gòn",
]


def gen_zoning(span: Span) -> dict:
    stats = {}
    rng = rng_for("zoning_plans")
    uses = [
        "Đất ở",
        "Đất thương mại dịch vụ",
        "Đất công nghiệp",
        "Đất cây xanh, mặt nước",
        "Đất công cộng",
        "Đất hỗn hợp",
        "Đất giáo dục",
        "Đất giao thông",
    ]
    levels = [
        ("Quy hoạch phân khu tỷ lệ 1/2000", "1/2000", "UBND tỉnh Bình Dương", 120, 420),
        ("Quy hoạch chi tiết tỷ lệ 1/500", "1/500", "UBND thành phố Thủ Dầu Một", 4, 45),
    ]
    feats = []
    for i in range(1, 29):
        lvl = levels[0] if i <= 9 else levels[1]
        ward = WARD_CODES[(i * 5) % 14] if i <= 9 else rng.choice(WARD_CODES)
        use = "Đất hỗn hợp" if lvl is levels[0] else rng.choice(uses)
        area = rng.uniform(lvl[3], lvl[4])
        clat, clon = point_in(rng, ward, 0.6)
        # an irregular polygon of about the right area around the point
        r_deg = math.sqrt(area / 100 / math.pi) / 111.0
        k = rng.randint(5, 8)
        ring = []
        for j in range(k):
            a = 2 * math.pi * j / k + rng.uniform(-0.2, 0.2)
            rr = r_deg * rng.uniform(0.75, 1.25)
            lon = min(BBOX[2], max(BBOX[0], clon + rr * math.cos(a) / KX))
            lat = min(BBOX[3], max(BBOX[1], clat + rr * math.sin(a)))
            ring.append([round(lon, 6), round(lat, 6)])
        ring.append(ring[0])
        year = 2021 + (i * 7) % 6 if i > 9 else 2021 + i % 3
        d = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        if d > span.end:
            d = span.end - dt.timedelta(days=rng.randint(10, 200))
        no = f"{rng.randint(120, 4800)}/QĐ-UBND"
        name = (
            f"Quy hoạch phân khu phường {WARD_NAME[ward]}"
            if lvl is levels[0]
            else f"Quy hoạch chi tiết {rng.choice(PLAN_KINDS)} "
            f"{rng.choice(['Phú Thịnh', 'Hòa Lợi', 'An Khang', 'Thành Công', 'Sông Sài Gòn', 'Bình An', 'Hiệp Phát'])}"
        )
        props = {
            "MA_QH": f"QH{i:03d}",
            "TEN_QH": name,
            "CAP_QH": lvl[0],
            "TY_LE": lvl[1],
            "CHUC_NANG": use,
            "DT_HA": round(area, 2),
            "MA_PHUONG": ward,
            "SO_QD": no,
            "NGAY_QD": d.isoformat(),
            "CQ_PHE_DUYET": lvl[2],
            "TRANG_THAI": "Đã phê duyệt" if rng.random() < 0.85 else "Điều chỉnh cục bộ",
        }
        feats.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    feats[11]["properties"]["NGAY_QD"] = "2023-02-30"  # a date that does not exist
    feats[17]["properties"]["DT_HA"] = -12.5  # negative area
    feats[22]["properties"]["MA_PHUONG"] = "25801"  # unknown ward code
    fc = {
        "type": "FeatureCollection",
        "name": "quy_hoach_tdm",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": feats,
    }
    write(OUT / "zoning" / "quy_hoach.geojson", (json.dumps(fc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    stats["zoning_plans"] = len(feats)

    # ---- investment projects (xlsx)
    rng = rng_for("zoning_projects")
    kinds = [
        "Khu dân cư",
        "Khu nhà ở xã hội",
        "Trung tâm thương mại",
        "Trường học",
        "Bệnh viện",
        "Công viên",
        "Chung cư",
        "Khu đô thị",
    ]
    investors = [
        "Tổng Công ty Becamex IDC",
        "Công ty CP Đầu tư Phú Thịnh",
        "Công ty TNHH Bất động sản Hòa Lợi",
        "Công ty CP Địa ốc Kim Oanh",
        "Ban Quản lý dự án đầu tư xây dựng thành phố",
        "Công ty CP Phát triển Đô thị Sông Sài Gòn",
        "Công ty TNHH Xây dựng An Khang",
        "Công ty CP Thương mại Dịch vụ Bình An",
    ]
    statuses = ["Chuẩn bị đầu tư", "Đang thi công", "Hoàn thành"]
    rows = []
    for i in range(1, 43):
        ward = rng.choice(WARD_CODES)
        kind = rng.choice(kinds)
        area = rng.uniform(0.5, 60 if kind.startswith("Khu") else 8)
        capital = area * rng.uniform(15, 60)
        d = dt.date(rng.randint(2018, span.end.year), rng.randint(1, 12), rng.randint(1, 28))
        d = min(d, span.end - dt.timedelta(days=30))
        age = (span.end - d).days / 365
        st = statuses[0] if age < 1 else (statuses[1] if age < 3.5 or rng.random() < 0.4 else statuses[2])
        disb = {statuses[0]: rng.uniform(0, 8), statuses[1]: rng.uniform(15, 85), statuses[2]: rng.uniform(92, 100)}[st]
        rows.append(
            [
                i,
                f"DA{i:03d}",
                f"{kind} {rng.choice(PARK_NAMES)} {i}",
                rng.choice(investors),
                ward,
                WARD_NAME[ward],
                vn(area, 2),
                vn(capital, 1),
                f"{rng.randint(100, 4800)}/QĐ-UBND",
                dmy(d),
                st,
                vn(disb, 1),
            ]
        )
    rows[9][11] = "135,0"  # disbursement above 100 %
    rows[23][2] = None  # project name missing (required)
    rows[30][9] = "15/15/2022"  # month 15
    xlsx_report(
        OUT / "zoning" / "du_an_dau_tu.xlsx",
        span,
        office="PHÒNG QUẢN LÝ ĐÔ THỊ",
        title="DANH MỤC DỰ ÁN ĐẦU TƯ XÂY DỰNG CÔNG KHAI TRÊN ĐỊA BÀN THÀNH PHỐ",
        subtitle=f"(Cập nhật đến ngày {dmy(span.end)})",
        headers=[
            "STT",
            "Mã dự án",
            "Tên dự án",
            "Chủ đầu tư",
            "Mã phường",
            "Phường",
            "Diện tích (ha)",
            "Tổng vốn đầu tư (tỷ đồng)",
            ("Quyết định chủ trương đầu tư", ["Số quyết định", "Ngày ban hành"]),
            "Tình trạng",
            "Tỷ lệ giải ngân (%)",
        ],
        rows=rows,
        widths={3: 34, 4: 40},
        notes=("Ghi chú: Công khai theo Luật Quy hoạch đô thị và Luật Đầu tư.",),
        signer=("Trần Thị Kim Ngân", "TRƯỞNG PHÒNG", "Nguyễn Thanh Tùng"),
    )
    stats["zoning_projects"] = len(rows)
    return stats


# --------------------------------------------------------------------------- industry


PARKS = [
    # code, name, kind, ward, area ha, wwtp m³/day
    ("KCN-DA2", "Khu công nghiệp Đồng An 2", "Khu công nghiệp", "25760", 205.9, 4000),
    ("KCN-KH", "Khu công nghiệp Kim Huy", "Khu công nghiệp", "25763", 213.6, 5000),
    ("KCN-DD", "Khu công nghiệp Đại Đăng", "Khu công nghiệp", "25763", 274.4, 5500),
    ("KCN-ST3", "Khu công nghiệp Sóng Thần 3", "Khu công nghiệp", "25763", 533.8, 8000),
    ("KCN-PT", "Khu công nghiệp Phú Tân", "Khu công nghiệp", "25763", 107.1, 2500),
    ("KCN-MT", "Khu công nghiệp Mapletree Bình Dương", "Khu công nghiệp", "25760", 75.0, 1500),
    ("CCN-TBH", "Cụm công nghiệp Tương Bình Hiệp", "Cụm công nghiệp", "25771", 48.5, 0),
]


def gen_industry(span: Span) -> dict:
    stats = {}
    rng = rng_for("industry_parks")
    rows = []
    for i, (code, name, kind, ward, area, wwtp) in enumerate(PARKS, 1):
        lat, lon = point_in(rng, ward, 0.8)
        occ = rng.uniform(82, 99.5)
        dom, fdi = rng.randint(40, 160), rng.randint(20, 120)
        workers = int(area * rng.uniform(90, 160))
        rows.append(
            [
                i,
                code,
                name,
                kind,
                ward,
                WARD_NAME[ward],
                vn(area, 1),
                vn(area * 0.7 * occ / 100, 1),
                vn(occ, 1),
                dom,
                fdi,
                vn(workers),
                vn(wwtp) if wwtp else "Chưa có",
                lat,
                lon,
            ]
        )
    rows.append(
        [
            8,
            "KCN-DA2",
            "Khu công nghiệp Đồng An 2 (mở rộng)",
            "Khu công nghiệp",
            "25760",
            "Hòa Phú",
            "-35,0",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    )  # a key repeat with a negative area
    xlsx_report(
        OUT / "industry" / "khu_cong_nghiep.xlsx",
        span,
        office="PHÒNG KINH TẾ",
        title="TÌNH HÌNH HOẠT ĐỘNG CÁC KHU, CỤM CÔNG NGHIỆP TRÊN ĐỊA BÀN THÀNH PHỐ",
        subtitle=f"(Số liệu đến ngày {dmy(span.end)})",
        headers=[
            "STT",
            "Mã",
            "Tên khu, cụm công nghiệp",
            "Loại hình",
            "Mã phường",
            "Phường",
            ("Diện tích (ha)", ["Quy hoạch", "Đã cho thuê"]),
            "Tỷ lệ lấp đầy (%)",
            ("Số dự án đầu tư", ["Trong nước", "Nước ngoài (FDI)"]),
            "Số lao động",
            "Công suất xử lý nước thải tập trung (m³/ngày đêm)",
            "Vĩ độ",
            "Kinh độ",
        ],
        rows=rows,
        widths={3: 36},
        notes=("Ghi chú: Cụm công nghiệp Tương Bình Hiệp chưa có hệ thống xử lý nước thải tập trung.",),
        signer=("Lâm Thị Hồng Nhung", "TRƯỞNG PHÒNG", "Đặng Văn Thắng"),
    )
    stats["industry_parks"] = len(rows)

    # ---- discharge monitoring of central waste-water plants (UTF-16 tab)
    rng = rng_for("industry_discharge")
    pts = [p for p in PARKS if p[5]]
    rows = [
        ["SỐ LIỆU QUAN TRẮC NƯỚC THẢI TỰ ĐỘNG, LIÊN TỤC - GIÁ TRỊ TRUNG BÌNH NGÀY"],
        ["Nguồn: Hệ thống quan trắc tự động của các khu công nghiệp, truyền về Sở Tài nguyên và Môi trường"],
        [],
        ["Mã KCN", "Ngày", "Lưu lượng (m³/ngày đêm)", "pH", "COD (mg/l)", "TSS (mg/l)", "Amoni (mg/l)"],
    ]
    for d in span.days():
        for code, _, _, _, _, cap in pts:
            load = covid_factor(d) ** 0.5 * (0.55 if d.year in TET and 0 <= (d - TET[d.year]).days <= 6 else 1.0)
            flow = cap * rng.uniform(0.55, 0.8) * load
            cod = max(5.0, rng.gauss(38, 9))
            tss = max(3.0, rng.gauss(22, 6))
            nh4 = max(0.1, rng.gauss(1.6, 0.7))
            ph = rng.gauss(7.2, 0.25)
            if rng.random() < 0.0028:  # an upset at the plant
                cod, tss = cod * rng.uniform(2.0, 2.8), tss * rng.uniform(1.8, 2.6)
            rows.append([code, dmy(d), vn(flow), vn(ph, 1), vn(cod, 1), vn(tss, 1), vn(nh4, 2)])
    h = 4
    n = len(rows) - h
    rows[h + n // 25][3] = "15,3"  # pH out of range
    rows[h + n // 3][4] = "-12,0"  # negative COD
    i = h + n * 55 // 100
    rows.insert(i + 1, list(rows[i]))  # repeated day
    i = next(i for i in range(h, len(rows)) if rows[i][1].startswith("28/02/2023"))
    rows[i][1] = "29/02/2023"  # 2023 is not a leap year
    write(OUT / "industry" / "quan_trac_nuoc_thai.txt", utf16_tab(rows))
    stats["industry_discharge_daily"] = len(rows) - h

    # ---- industrial production index (UTF-8 BOM ';' CSV with a two-level header)
    rng = rng_for("industry_iip")
    yoy = {2021: 103.5, 2022: 111.0, 2023: 104.2, 2024: 107.1, 2025: 108.3, 2026: 108.0}
    rows = [
        ["CHỈ SỐ SẢN XUẤT CÔNG NGHIỆP (IIP) THÁNG SO VỚI CÙNG KỲ NĂM TRƯỚC"],
        ["Đơn vị tính: %"],
        ["Tháng", "Chỉ số sản xuất công nghiệp", " ", " ", " ", "Số doanh nghiệp công nghiệp đang hoạt động"],
        [
            " ",
            "Toàn ngành",
            "Chế biến, chế tạo",
            "Sản xuất và phân phối điện",
            "Cung cấp nước, xử lý rác thải, nước thải",
            " ",
        ],
    ]
    firms = 1480
    for y, m in span.months():
        base = annual(yoy, y, 0.0)
        if y == 2021:
            base += {7: -14, 8: -22, 9: -18, 10: -6}.get(m, 2)
        if y == 2022:
            base += {7: 12, 8: 20, 9: 16, 10: 6}.get(m, -3)
        total = base + rng.gauss(0, 1.4)
        manu = total + rng.gauss(0, 0.6)
        elec = 100 + (total - 100) * 0.6 + rng.gauss(0, 2)
        water = 104 + rng.gauss(0, 1.5)
        firms += rng.randint(-4, 12)
        rows.append([f"{m:02d}/{y}", vn(total, 2), vn(manu, 2), vn(elec, 2), vn(water, 2), vn(firms)])
    rows[4 + 30][3] = ".."  # not published that month
    rows[4 + 44][1] = "-107,35"  # a stray minus sign
    rows.insert(4 + 51, list(rows[4 + 50]))  # a month twice
    rows += [[], ["Ghi chú: Số liệu tháng gần nhất là số ước tính."], ["Nguồn: Phòng Kinh tế thành phố Thủ Dầu Một."]]
    write(OUT / "industry" / "chi_so_san_xuat_cong_nghiep.csv", csv_bytes(rows, ";"))
    stats["industry_production_monthly"] = len(span.months()) + 1
    return stats


# --------------------------------------------------------------------------- resources


def gen_resources(span: Span) -> dict:
    stats = {}
    rng = rng_for("resources_waste")
    rows = []
    stt = 0
    for y, m in span.months():
        nd = calendar.monthrange(y, m)[1]
        tot = [0.0, 0.0, 0]
        for code in WARD_CODES:
            pop = WARD_POP[code] * (1 - 0.018 * (2025 - y))
            kg = 0.92 + 0.02 * (y - 2021) + (0.08 if m in (1, 2) else 0)
            gen = pop * kg * nd / 1000 * rng.uniform(0.95, 1.05)
            urban = code in ("25747", "25750", "25744", "25741", "25753", "25756")
            rate = min(100.0, (99.2 if urban else 95.5 + 0.6 * (y - 2021)) + rng.gauss(0, 0.6))
            col = gen * rate / 100
            hh = int(pop / 3.4 * (0.97 if urban else 0.88 + 0.015 * (y - 2021)))
            stt += 1
            rows.append(
                [stt, f"{m:02d}/{y}", code, WARD_NAME[code], vn(gen, 1), vn(col, 1), vn(col / gen * 100, 1), vn(hh)]
            )
            tot = [tot[0] + gen, tot[1] + col, tot[2] + hh]
        rows.append(["Cộng", None, None, None, vn(tot[0], 1), vn(tot[1], 1), vn(tot[1] / tot[0] * 100, 1), vn(tot[2])])
    i = next(i for i, r in enumerate(rows) if r[1] == "04/2023" and r[2] == "25765")
    rows[i][6] = "103,5"  # collection rate above 100 %
    i = next(i for i, r in enumerate(rows) if r[1] == "11/2021" and r[2] == "25771")
    rows[i][5] = "-56,0"  # negative tonnes
    i = next(i for i, r in enumerate(rows) if r[1] == "08/2025" and r[2] == "25762")
    rows[i][2] = "25726"  # a ward code of another city
    xlsx_report(
        OUT / "resources" / "thu_gom_chat_thai_ran.xlsx",
        span,
        office="PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        title="BÁO CÁO KẾT QUẢ THU GOM, XỬ LÝ CHẤT THẢI RẮN SINH HOẠT",
        subtitle=f"(Từ tháng 01/2021 đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        headers=[
            "STT",
            "Tháng",
            "Mã phường",
            "Phường",
            ("Chất thải rắn sinh hoạt (tấn)", ["Phát sinh", "Thu gom"]),
            "Tỷ lệ thu gom (%)",
            "Số hộ đăng ký thu gom",
        ],
        rows=rows,
        notes=(
            "Ghi chú: Khối lượng phát sinh ước tính theo định mức; khối lượng thu gom theo phiếu cân tại "
            "Khu xử lý chất thải Nam Bình Dương.",
        ),
        signer=("Phan Thị Bích Vân", "TRƯỞNG PHÒNG", "Hồ Quang Vinh"),
    )
    stats["resources_waste_monthly"] = stt + 0

    rng = rng_for("resources_land")
    rows = [
        ["TÌNH HÌNH ĐĂNG KÝ ĐẤT ĐAI, CẤP GIẤY CHỨNG NHẬN THEO THÁNG"],
        ["Đơn vị: Chi nhánh Văn phòng Đăng ký đất đai thành phố Thủ Dầu Một"],
        [],
        [
            "Tháng",
            "Mã phường",
            "Phường",
            "Cấp GCN lần đầu (giấy)",
            "Đăng ký biến động (hồ sơ)",
            "Chuyển mục đích sử dụng đất (hồ sơ)",
            "Diện tích chuyển mục đích (m²)",
        ],
    ]
    for y, m in span.months():
        cf = covid_factor(dt.date(y, m, 15))
        for code in WARD_CODES:
            periurban = WARD_AREA[code] > 8
            first = poisson(rng, (9 if periurban else 3) * cf)
            changes = poisson(rng, WARD_POP[code] / 260 * cf * (0.8 if m == 2 else 1))
            conv = poisson(rng, (6 if periurban else 1.5) * cf)
            area = sum(rng.uniform(80, 600) for _ in range(conv))
            rows.append([f"{m:02d}/{y}", code, WARD_NAME[code], first, changes, conv, vn(area)])
    n = len(rows) - 4
    rows[4 + n // 12][4] = -5  # negative count
    i = 4 + n * 51 // 100
    rows.insert(i + 1, list(rows[i]))  # same ward-month twice
    i = 4 + n * 82 // 100
    rows[i][0] = "13/" + rows[i][0][3:]  # month 13
    rows += [[], ["Ghi chú: GCN = Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất."]]
    write(OUT / "resources" / "dang_ky_dat_dai.csv", csv_bytes(rows, ";"))
    stats["resources_land_monthly"] = len(span.months()) * 14 + 1

    # ---- water-resource permits (register kept by the office, one row per permit)
    rng = rng_for("resources_water_permits")
    kinds = [
        ("Khai thác, sử dụng nước dưới đất", (20, 600), 5),
        ("Khai thác, sử dụng nước mặt", (200, 8000), 10),
        ("Xả nước thải vào nguồn nước", (50, 4000), 5),
        ("Thăm dò nước dưới đất", (20, 300), 2),
    ]
    # a holder is a company, a hospital, a school or a residential area, each with a name of its kind
    holders = ["Công ty TNHH", "Công ty CP", "Doanh nghiệp tư nhân", "Bệnh viện", "Trường", "Khu dân cư"]
    company = [
        "Dệt may Phú Cường",
        "Thực phẩm Bình An",
        "Gốm sứ Chánh Nghĩa",
        "Gỗ Tân An",
        "Bao bì Hiệp Thành",
        "Nước giải khát Định Hòa",
        "Cơ khí Phú Tân",
        "Giấy Tương Bình Hiệp",
        "Sơn mài Tương Bình Hiệp",
        "Chế biến hạt điều Hòa Phú",
        "Nhựa Phú Mỹ",
    ]
    trades = {
        "Bệnh viện": ["Đa khoa Phú Lợi", "Đa khoa tỉnh Bình Dương", "Y học cổ truyền Hiệp Thành"],
        "Trường": ["THPT Chánh Nghĩa", "THCS Phú Hòa", "Tiểu học Định Hòa", "Cao đẳng Việt Nam - Singapore"],
        "Khu dân cư": ["Phú Hòa 1", "Hiệp Thành 3", "Chánh Mỹ", "Tân An", "Phú Mỹ Hiệp"],
    }
    rows = []
    for i in range(1, 87):
        kind, (lo, hi), years = rng.choice(kinds)
        code = rng.choice(WARD_CODES)
        issued = dt.date(2016 + (i * 10) // 87, rng.randint(1, 12), rng.randint(1, 28))
        expires = dt.date(issued.year + years, issued.month, issued.day)
        status = "Đã thu hồi" if rng.random() < 0.04 else "Còn hiệu lực" if expires > span.month_end else "Hết hiệu lực"
        rows.append(
            [
                i,
                f"{i:03d}/GP-UBND",
                f"{(h := rng.choice(holders))} {rng.choice(trades.get(h, company))}",
                kind,
                code,
                WARD_NAME[code],
                vn(rng.uniform(lo, hi)),
                dmy(issued),
                years,
                dmy(expires),
                status,
            ]
        )
    rows[30][6] = "-120"  # a minus typed by mistake
    rows[58][7] = "30/02/2021"  # 30 February
    xlsx_report(
        OUT / "resources" / "giay_phep_tai_nguyen_nuoc.xlsx",
        span,
        office="PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        title="DANH SÁCH GIẤY PHÉP TÀI NGUYÊN NƯỚC TRÊN ĐỊA BÀN THÀNH PHỐ",
        subtitle=f"(Cập nhật đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        headers=[
            "STT",
            "Số giấy phép",
            "Tổ chức, cá nhân được cấp phép",
            "Loại giấy phép",
            "Mã phường",
            "Phường",
            "Lưu lượng (m³/ngày đêm)",
            "Ngày cấp",
            "Thời hạn (năm)",
            "Ngày hết hạn",
            "Tình trạng",
        ],
        rows=rows,
        widths={3: 40, 4: 34},
        signer=("Phan Thị Bích Vân", "TRƯỞNG PHÒNG", "Hồ Quang Vinh"),
    )
    stats["resources_water_permits"] = len(rows)
    return stats


# --------------------------------------------------------------------------- health


DENGUE_PER_YEAR = {2021: 380, 2022: 1900, 2023: 720, 2024: 610, 2025: 840, 2026: 560}
HFMD_PER_YEAR = {2021: 160, 2022: 690, 2023: 1250, 2024: 520, 2025: 610, 2026: 470}


def gen_health(span: Span) -> dict:
    stats = {}
    rng = rng_for("health_disease")
    # ISO weeks: Monday 4 January 2021 onwards, complete weeks only
    wk = dt.date(2021, 1, 4)
    weeks = []
    while wk + dt.timedelta(6) <= span.end:
        weeks.append(wk)
        wk += dt.timedelta(7)
    dengue_season = [0.35, 0.2, 0.15, 0.15, 0.35, 0.8, 1.3, 1.7, 1.9, 1.9, 1.6, 0.9]  # by month, Jun–Nov high
    hfmd_season = [0.5, 0.4, 0.9, 1.2, 1.3, 1.0, 0.7, 0.7, 1.3, 1.5, 1.4, 0.9]
    ds, hs = sum(dengue_season), sum(hfmd_season)
    rows = [
        ["SỐ CA MẮC BỆNH TRUYỀN NHIỄM THEO TUẦN"],
        ["Đơn vị: Trung tâm Y tế thành phố Thủ Dầu Một"],
        [],
        [
            "Năm",
            "Tuần",
            "Từ ngày",
            "Đến ngày",
            "Mã phường",
            "Phường",
            "Sốt xuất huyết",
            " ",
            "Tay chân miệng",
            " ",
            "Sởi",
        ],
        [" ", " ", " ", " ", " ", " ", "Mắc", "Tử vong", "Mắc", "Tử vong", "Mắc"],
    ]
    hot = {"25750": 1.3, "25744": 1.2, "25762": 1.2, "25771": 1.15, "25774": 1.1}
    for w in weeks:
        mid = w + dt.timedelta(3)
        y, m = mid.year, mid.month
        dl = annual(DENGUE_PER_YEAR, y, 0.0) * dengue_season[m - 1] / ds * 12 / 52.18
        hl = annual(HFMD_PER_YEAR, y, 0.0) * hfmd_season[m - 1] / hs * 12 / 52.18
        measles = 0.0
        if dt.date(2024, 10, 1) <= mid <= dt.date(2025, 5, 31):  # the 2024–25 measles outbreak in the south
            measles = 9.0 * math.exp(-(((mid - dt.date(2025, 2, 15)).days / 55) ** 2))
        iso = w.isocalendar()
        for code in WARD_CODES:
            share = WARD_POP[code] / TOTAL_POP * hot.get(code, 0.92)
            dc, hc = poisson(rng, dl * share), poisson(rng, hl * share)
            rows.append(
                [
                    iso[0],
                    iso[1],
                    dmy(w),
                    dmy(w + dt.timedelta(6)),
                    code,
                    WARD_NAME[code],
                    dc,
                    1 if dc >= 6 and rng.random() < 0.15 else 0,
                    hc,
                    0,
                    poisson(rng, measles * share),
                ]
            )
    h = 5
    n = len(rows) - h
    rows[h + n // 4][6] = -1  # negative cases
    rows[h + n * 55 // 100][4] = UNKNOWN_WARD  # unknown ward
    i = h + n * 73 // 100
    rows.insert(i + 1, list(rows[i]))  # same ward-week twice
    i = h + n * 82 // 100
    rows[i][2] = "31/11/" + rows[i][2][6:]  # 31 November
    rows += [
        [],
        ["Ghi chú: Số liệu theo ngày khởi phát; tuần theo ISO 8601 (thứ Hai đến Chủ nhật)."],
        ["Số liệu tuần gần nhất có thể được bổ sung ở kỳ sau."],
    ]
    write(OUT / "health" / "giam_sat_benh_truyen_nhiem_tuan.csv", csv_bytes(rows, ";"))
    stats["health_disease_weekly"] = len(weeks) * 14 + 1

    # ---- facilities (xlsx)
    rng = rng_for("health_facilities")
    fac = [
        ("Bệnh viện Đa khoa tỉnh Bình Dương", "Bệnh viện đa khoa", "Công lập", "25741", 1500, 420),
        ("Bệnh viện Y học cổ truyền tỉnh Bình Dương", "Bệnh viện chuyên khoa", "Công lập", "25747", 200, 45),
        ("Bệnh viện Phục hồi chức năng tỉnh", "Bệnh viện chuyên khoa", "Công lập", "25753", 150, 30),
        ("Bệnh viện Đa khoa Medic Bình Dương", "Bệnh viện đa khoa", "Tư nhân", "25750", 300, 110),
        ("Bệnh viện Đa khoa Quốc tế Becamex", "Bệnh viện đa khoa", "Tư nhân", "25760", 250, 95),
        ("Bệnh viện Mắt Sài Gòn - Bình Dương", "Bệnh viện chuyên khoa", "Tư nhân", "25744", 60, 18),
        ("Trung tâm Y tế thành phố Thủ Dầu Một", "Trung tâm y tế", "Công lập", "25747", 120, 52),
        ("Trung tâm Kiểm soát bệnh tật tỉnh Bình Dương", "Trung tâm y tế", "Công lập", "25750", 0, 40),
    ]
    for c in WARD_CODES:
        fac.append((f"Trạm Y tế phường {WARD_NAME[c]}", "Trạm y tế", "Công lập", c, 5, rng.randint(1, 3)))
    clinic_names = [
        "An Phúc",
        "Sài Gòn",
        "Hoàn Mỹ",
        "Thiện Nhân",
        "Medlatec",
        "Tâm Đức",
        "Phước An",
        "Bình An",
        "Việt Mỹ",
        "Hòa Hảo",
        "Nhân Ái",
        "Minh Khang",
        "Đại Phước",
        "Gia Đình",
        "An Tâm",
        "Kim Ngọc",
    ]
    for i in range(30):
        spec = rng.choice(
            [
                "Phòng khám đa khoa",
                "Phòng khám chuyên khoa Nhi",
                "Phòng khám chuyên khoa Răng hàm mặt",
                "Phòng khám chuyên khoa Sản phụ khoa",
                "Phòng khám chuyên khoa Mắt",
            ]
        )
        c = rng.choices(WARD_CODES, [WARD_POP[x] for x in WARD_CODES])[0]
        fac.append(
            (
                f"{spec} {clinic_names[i % len(clinic_names)]}"
                + (f" {i // len(clinic_names) + 1}" if i >= len(clinic_names) else ""),
                "Phòng khám",
                "Tư nhân",
                c,
                rng.randint(0, 10),
                rng.randint(2, 9),
            )
        )
    rows = []
    for i, (name, kind, own, ward, beds, doctors) in enumerate(fac, 1):
        lat, lon = point_in(rng, ward, 0.8)
        rows.append([i, f"YT{i:03d}", name, kind, own, ward, WARD_NAME[ward], vn(beds), vn(doctors), lat, lon])
    rows[20][8] = "-2"  # negative doctors
    rows[33][5] = UNKNOWN_WARD  # unknown ward
    xlsx_report(
        OUT / "health" / "co_so_y_te.xlsx",
        span,
        office="TRUNG TÂM Y TẾ THÀNH PHỐ",
        title="DANH SÁCH CƠ SỞ KHÁM BỆNH, CHỮA BỆNH TRÊN ĐỊA BÀN THÀNH PHỐ",
        subtitle=f"(Cập nhật đến ngày {dmy(span.end)})",
        headers=[
            "STT",
            "Mã cơ sở",
            "Tên cơ sở",
            "Loại hình",
            "Hình thức sở hữu",
            "Mã phường",
            "Phường",
            "Số giường bệnh",
            "Số bác sĩ",
            "Vĩ độ",
            "Kinh độ",
        ],
        rows=rows,
        widths={3: 44, 4: 22},
        signer=("Ngô Thị Thanh Hương", "GIÁM ĐỐC", "BSCKII. Lý Văn Hải"),
    )
    stats["health_facilities"] = len(rows)

    # ---- health insurance and immunisation per ward and month (xlsx)
    rng = rng_for("health_coverage")
    rows = []
    stt = 0
    for y, m in span.months():
        for code in WARD_CODES:
            pop = WARD_POP[code] * (1 - 0.018 * (2025 - y))
            cov = min(99.0, 87.5 + 1.3 * (y - 2021) + 0.05 * m + rng.gauss(0, 0.5))
            insured = int(pop * cov / 100)
            births = pop * 0.0135
            imm_rate = min(99.9, (m / 12) * rng.uniform(95, 99.5) * (0.85 if y == 2021 and 7 <= m <= 10 else 1))
            stt += 1
            rows.append(
                [
                    stt,
                    f"{m:02d}/{y}",
                    code,
                    WARD_NAME[code],
                    vn(insured),
                    vn(cov, 2),
                    vn(births * imm_rate / 100),
                    vn(imm_rate, 1),
                ]
            )
    rows[500][5] = "101,30"  # coverage above 100 %
    rows[640][2] = UNKNOWN_WARD  # unknown ward
    xlsx_report(
        OUT / "health" / "bhyt_tiem_chung.xlsx",
        span,
        office="TRUNG TÂM Y TẾ THÀNH PHỐ",
        title="BÁO CÁO TỶ LỆ BAO PHỦ BẢO HIỂM Y TẾ VÀ TIÊM CHỦNG MỞ RỘNG",
        subtitle=f"(Từ tháng 01/2021 đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        headers=[
            "STT",
            "Tháng",
            "Mã phường",
            "Phường",
            ("Bảo hiểm y tế", ["Số người tham gia", "Tỷ lệ bao phủ (%)"]),
            ("Trẻ dưới 1 tuổi tiêm chủng đầy đủ", ["Số trẻ (lũy kế năm)", "Tỷ lệ (%) so với kế hoạch năm"]),
        ],
        rows=rows,
        notes=("Ghi chú: Tỷ lệ tiêm chủng là số lũy kế từ đầu năm so với số trẻ dự kiến trong năm.",),
        signer=("Ngô Thị Thanh Hương", "GIÁM ĐỐC", "BSCKII. Lý Văn Hải"),
    )
    stats["health_coverage_monthly"] = len(rows)
    return stats


# --------------------------------------------------------------------------- education


def gen_education(span: Span) -> dict:
    stats = {}
    rng = rng_for("education_schools")
    sy = span.end.year if span.end.month >= 9 else span.end.year - 1  # current school year starts in September
    # level, public, private, pupils (public, private), pupils per class, teachers per class
    levels = [
        ("Mầm non", 30, 88, (380, 95), 28, 1.9),
        ("Tiểu học", 33, 7, (1150, 450), 38, 1.35),
        ("Trung học cơ sở", 20, 4, (1250, 400), 42, 1.9),
        ("Trung học phổ thông", 9, 4, (1300, 700), 42, 2.2),
    ]
    pools = {
        "Mầm non": [
            "Hoa Mai",
            "Hoa Sen",
            "Hoa Hồng",
            "Sơn Ca",
            "Họa Mi",
            "Vành Khuyên",
            "Tuổi Thơ",
            "Măng Non",
            "Hướng Dương",
            "Rạng Đông",
            "Hoa Lan",
            "Ánh Dương",
            "Hoa Cúc",
            "Bông Sen",
            "Tuổi Ngọc",
        ],
        "Mầm non tư thục": [
            "Thiên Thần Nhỏ",
            "Ngôi Sao",
            "Hoa Trạng Nguyên",
            "Bình Minh",
            "Việt Mỹ",
            "Tuệ Đức",
            "Nắng Hồng",
            "Ong Vàng",
            "Búp Bê",
            "Chuột Mickey",
            "Hoa Thiên Lý",
            "Thỏ Ngọc",
            "Kid's Garden",
            "Sao Việt",
            "Cầu Vồng",
            "Mặt Trời Nhỏ",
            "Hạt Nắng",
            "Ban Mai",
        ],
        "Tiểu học": [
            "Trần Phú",
            "Lê Thị Hồng Gấm",
            "Nguyễn Du",
            "Kim Đồng",
            "Võ Thị Sáu",
            "Nguyễn Trãi",
            "Lý Tự Trọng",
            "Nguyễn Hiền",
            "Trần Quốc Toản",
            "Lê Văn Tám",
            "Nguyễn Văn Trỗi",
            "Hòa Phú",
            "Phú Hòa 1",
            "Phú Hòa 2",
            "Phú Hòa 3",
            "Phú Lợi",
            "Định Hòa",
            "Chánh Mỹ",
            "Tương Bình Hiệp",
            "Tân An",
            "Hiệp An",
            "Phú Mỹ",
            "Phú Tân",
            "Chánh Nghĩa",
            "Phú Thọ",
            "Hiệp Thành",
            "Phú Cường",
            "Lê Hồng Phong",
            "Ngô Thời Nhiệm",
            "Trần Văn Ơn",
            "Nguyễn Thị Minh Khai",
            "Đinh Bộ Lĩnh",
            "Lê Quý Đôn",
        ],
        "Tiểu học tư thục": [
            "Ngô Thời Nhiệm",
            "Việt Anh",
            "Đức Trí",
            "Petrus Ký",
            "Nguyễn Khuyến",
            "Hiệp Phát",
            "Sao Mai",
        ],
        "Trung học cơ sở": [
            "Trần Bình Trọng",
            "Nguyễn Văn Cừ",
            "Chu Văn An",
            "Phú Hòa",
            "Nguyễn Thị Minh Khai",
            "Trần Hưng Đạo",
            "Nguyễn Viết Xuân",
            "Phú Mỹ",
            "Định Hòa",
            "Hòa Phú",
            "Hiệp An",
            "Tân An",
            "Phú Cường",
            "Chánh Nghĩa",
            "Tương Bình Hiệp",
            "Phú Tân",
            "Hiệp Thành",
            "Phú Lợi",
            "Nguyễn Bỉnh Khiêm",
            "Chánh Mỹ",
        ],
        "Trung học cơ sở tư thục": ["Ngô Thời Nhiệm", "Việt Anh", "Đức Trí", "Petrus Ký"],
        "Trung học phổ thông": [
            "chuyên Hùng Vương",
            "Bình Phú",
            "Võ Minh Đức",
            "An Mỹ",
            "Nguyễn Đình Chiểu",
            "Thủ Dầu Một",
            "Trần Văn Ơn",
            "Phú Mỹ",
            "Nguyễn Trãi",
        ],
        "Trung học phổ thông tư thục": ["Ngô Thời Nhiệm", "Việt Anh", "Petrus Ký", "Nguyễn Khuyến"],
    }
    prefix = {
        "Mầm non": "Trường Mầm non",
        "Tiểu học": "Trường Tiểu học",
        "Trung học cơ sở": "Trường THCS",
        "Trung học phổ thông": "Trường THPT",
    }
    streets = sorted({s for v in STREETS.values() for s in v})
    schools = []
    ww = [WARD_POP[c] for c in WARD_CODES]
    for level, pub, pri, (pp, pv), per_class, tpc in levels:
        for own, count, avg in (("Công lập", pub, pp), ("Ngoài công lập", pri, pv)):
            pool = pools[level if own == "Công lập" else level + " tư thục"]
            for k in range(count):
                nm = pool[k % len(pool)] + (f" {k // len(pool) + 1}" if k >= len(pool) else "")
                name = f"{prefix[level]} {'tư thục ' if own != 'Công lập' and level == 'Mầm non' else ''}{nm}"
                ward = (
                    rng.choices(WARD_CODES, ww)[0] if own != "Công lập" or level != "Tiểu học" else WARD_CODES[k % 14]
                )
                pupils = max(25, int(avg * rng.uniform(0.7, 1.3)))
                classes = max(1, round(pupils / (per_class * rng.uniform(0.9, 1.1))))
                teachers = max(2, round(classes * tpc * rng.uniform(0.9, 1.1)))
                p_std = 0.72 if own == "Công lập" else 0.18
                std = "Chưa đạt" if rng.random() > p_std else ("Mức độ 2" if rng.random() < 0.3 else "Mức độ 1")
                lat, lon = point_in(rng, ward, 0.9)
                schools.append(
                    [
                        level,
                        own,
                        name,
                        ward,
                        lat,
                        lon,
                        classes,
                        pupils,
                        teachers,
                        std,
                        f"{rng.randint(1, 350)} {rng.choice(streets)}",
                    ]
                )
    rows = []
    for i, s in enumerate(schools, 1):
        level, own, name, ward, lat, lon, classes, pupils, teachers, std, addr = s
        rows.append(
            [
                i,
                f"TDM{i:04d}",
                name,
                level,
                own,
                ward,
                WARD_NAME[ward],
                addr,
                lat,
                lon,
                vn(classes),
                vn(pupils),
                vn(teachers),
                std,
                f"{sy}-{sy + 1}",
            ]
        )
    rows[44][11] = "-350"  # negative pupils
    rows[120][5] = UNKNOWN_WARD  # unknown ward
    rows.insert(151, list(rows[150]))  # a school listed twice
    rows[151][0] = None
    xlsx_report(
        OUT / "education" / "truong_hoc.xlsx",
        span,
        office="PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
        title="THỐNG KÊ MẠNG LƯỚI TRƯỜNG HỌC",
        subtitle=f"(Năm học {sy}-{sy + 1})",
        headers=[
            "STT",
            "Mã trường",
            "Tên trường",
            "Cấp học",
            "Loại hình",
            "Mã phường",
            "Phường",
            "Địa chỉ",
            ("Tọa độ", ["Vĩ độ", "Kinh độ"]),
            ("Quy mô", ["Số lớp", "Số học sinh", "Số giáo viên"]),
            "Đạt chuẩn quốc gia",
            "Năm học",
        ],
        rows=rows,
        number_row=True,
        widths={3: 40, 8: 28},
        totals=[
            "Tổng cộng",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            vn(sum(s[6] for s in schools)),
            vn(sum(s[7] for s in schools)),
            vn(sum(s[8] for s in schools)),
            None,
            None,
        ],
        notes=("Ghi chú: Trường THPT do Sở Giáo dục và Đào tạo quản lý, thống kê để tổng hợp chung.",),
        signer=("Lưu Thị Hoài Thương", "TRƯỞNG PHÒNG", "Nguyễn Thị Phương Dung"),
    )
    stats["education_schools"] = len(rows)

    # ---- yearly statistics by level (GSO PX-Web shape; unpivoted by a transform)
    rng = rng_for("education_yearly")
    years = list(range(2021, sy + 1))
    measures = [
        ("Số trường học (Trường)", 6),
        ("Số lớp học (Lớp)", 1),
        ("Số giáo viên (Người)", 2),
        ("Số học sinh (Học sinh)", 7),
        ("Số trường đạt chuẩn quốc gia (Trường)", 9),
    ]
    cur = {}
    for level, *_ in levels:
        ls = [s for s in schools if s[0] == level]
        cur[level] = [
            len(ls),
            sum(s[6] for s in ls),
            sum(s[8] for s in ls),
            sum(s[7] for s in ls),
            sum(1 for s in ls if s[9] != "Chưa đạt"),
        ]
    h1 = ["Cấp học"]
    h2 = [" "]
    for mname, _ in measures:
        for j, y in enumerate(years):
            h1.append(mname if j == 0 else " ")
            h2.append(f"{'Sơ bộ ' if y == sy else ''}{y}-{y + 1}")
    body = []
    for level, *_ in levels:
        row = [level]
        for mi in range(len(measures)):
            v = float(cur[level][mi])
            back = [v]  # walk back from the current school year: counts grew a little every year
            for _ in years[1:]:
                if mi == 0:
                    v -= rng.randint(0, 2)
                elif mi == 4:
                    v = max(0, v - rng.randint(1, 3))
                else:
                    v *= 1 - rng.uniform(0.018, 0.035)
                back.append(v)
            row += [vn(x) for x in reversed(back)]
        body.append(row)
    body[1][3] = ".."  # a year not yet compiled for one cell
    body[2][7] = "1.2O5"  # letter O typed for a zero
    gso_csv(
        OUT / "education" / "thong_ke_giao_duc.csv",
        "Số trường, lớp, giáo viên và học sinh phân theo cấp học, thành phố Thủ Dầu Một",
        h1,
        h2,
        body,
        [
            f"Ghi chú: Số liệu năm học {sy}-{sy + 1} là số sơ bộ.",
            "..: Không có số liệu.",
            "Nguồn: Phòng Giáo dục và Đào tạo; Chi cục Thống kê.",
        ],
    )
    stats["education_yearly"] = f"{len(levels)} wide rows -> {len(levels) * len(years)} tidy rows"
    return stats


# --------------------------------------------------------------------------- labour


def gen_labour(span: Span) -> dict:
    stats = {}
    rng = rng_for("labour_jobs")
    rows = []
    stt = 0
    for y, m in span.months():
        cf = covid_factor(dt.date(y, m, 15))
        tet = 1.6 if m in (2, 3) else 1.0
        vac = int(rng.uniform(3200, 5200) * cf * tet * (1.15 if y == 2022 else 1.0) * (0.85 if y == 2023 else 1.0))
        seek = int(
            rng.uniform(1500, 2600)
            * (1.5 if y == 2023 else 1.0)
            * (0.7 if cf < 1 else 1.0)
            * (1.3 if m in (2, 3) else 1.0)
        )
        placed = int(min(seek * 0.6, rng.uniform(620, 880) * (0.5 if cf < 1 else 1.0) * (1.2 if m in (2, 3) else 1.0)))
        enrol = int(rng.uniform(280, 520) * (0.3 if cf < 1 else 1.0))
        grad = int(enrol * rng.uniform(0.8, 0.95))
        ui = int(rng.uniform(1400, 2200) * (1.6 if y == 2023 else 1.0) * (1.4 if cf < 1 else 1.0))
        stt += 1  # noqa: SIM113 - the row number of the office's report
        rows.append([stt, f"{m:02d}/{y}", vn(vac), vn(seek), vn(placed), vn(enrol), vn(grad), vn(ui)])
    rows[14][4] = "-120"  # negative placements
    rows.insert(41, list(rows[40]))  # a month twice
    rows[41][0] = None
    rows[60][1] = "31/2025"  # not a month
    xlsx_report(
        OUT / "labour" / "viec_lam_dao_tao_nghe.xlsx",
        span,
        office="PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        title="BÁO CÁO TÌNH HÌNH VIỆC LÀM, GIÁO DỤC NGHỀ NGHIỆP VÀ BẢO HIỂM THẤT NGHIỆP",
        subtitle=f"(Từ tháng 01/2021 đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        headers=[
            "STT",
            "Tháng",
            "Nhu cầu tuyển dụng (chỗ làm việc)",
            "Người tìm việc (lượt)",
            "Số người có việc làm qua giới thiệu",
            ("Giáo dục nghề nghiệp (người)", ["Tuyển sinh", "Tốt nghiệp"]),
            "Số người hưởng trợ cấp thất nghiệp",
        ],
        rows=rows,
        notes=("Ghi chú: Số liệu từ Trung tâm Dịch vụ việc làm và các cơ sở giáo dục nghề nghiệp trên địa bàn.",),
        signer=("Trương Thị Mai", "TRƯỞNG PHÒNG", "Đỗ Văn Lực"),
    )
    stats["labour_jobs_monthly"] = len(rows)

    # ---- children and social protection per ward and quarter (UTF-8, comma-separated, no BOM)
    rng = rng_for("labour_social")
    rows = [
        [
            "Kỳ báo cáo",
            "Từ ngày",
            "Đến ngày",
            "Mã phường",
            "Phường",
            "Trẻ em có hoàn cảnh đặc biệt",
            "Trẻ em được trợ giúp",
            "Đối tượng bảo trợ xã hội hưởng trợ cấp hằng tháng",
            "Hộ nghèo",
            "Hộ cận nghèo",
        ]
    ]
    roman = ["I", "II", "III", "IV"]
    q_last = span.open_quarter  # the quarter in progress is not reported
    for y in range(2021, span.end.year + 1):
        for q in range(4):
            if (y, q) >= q_last:
                continue
            a = dt.date(y, 3 * q + 1, 1)
            b = dt.date(y, 3 * q + 3, calendar.monthrange(y, 3 * q + 3)[1])
            for code in WARD_CODES:
                s = WARD_POP[code] / TOTAL_POP * 14
                kids = poisson(rng, 3.2 * s)
                helped = min(kids, poisson(rng, kids * 0.8)) if kids else 0
                soc = int(WARD_POP[code] * 0.0075 * (1 + 0.03 * (y - 2021)) * rng.uniform(0.95, 1.05))
                poor = max(0, int(WARD_POP[code] / 3.5 * 0.004 * (1 - 0.18 * (y - 2021)) * rng.uniform(0.8, 1.2)))
                near = int(WARD_POP[code] / 3.5 * 0.007 * (1 - 0.1 * (y - 2021)) * rng.uniform(0.8, 1.2))
                rows.append(
                    [f"Quý {roman[q]}/{y}", dmy(a), dmy(b), code, WARD_NAME[code], kids, helped, soc, poor, near]
                )
    rows[40][8] = -3  # negative households
    rows.insert(101, list(rows[100]))  # a ward-quarter twice
    rows[150][3] = "2574"  # a code that lost a digit
    write(OUT / "labour" / "tre_em_bao_tro_xa_hoi.csv", csv_bytes(rows, ",", bom=False))
    stats["labour_social_quarterly"] = len(rows) - 1
    return stats


# --------------------------------------------------------------------------- science


def gen_science(span: Span) -> dict:
    stats = {}
    rng = rng_for("science_digital")
    rows = [
        ["CHỈ TIÊU CHUYỂN ĐỔI SỐ VÀ ĐỔI MỚI SÁNG TẠO THEO THÁNG"],
        [],
        [
            "Tháng",
            "Tỷ lệ hồ sơ trực tuyến toàn trình (%)",
            "Tỷ lệ thanh toán trực tuyến phí, lệ phí (%)",
            "Tài khoản định danh điện tử mức 2 kích hoạt (lũy kế)",
            "Đơn đăng ký sở hữu trí tuệ",
            "Dự án khởi nghiệp được hỗ trợ",
        ],
    ]
    # a dossier handled fully online was submitted online: the share is a part of the month's online share
    online: dict[tuple[int, int], list[int]] = {}
    for r in gen_dossiers(span):
        a = online.setdefault((r["received_at"].year, r["received_at"].month), [0, 0])
        a[0] += r["online"]
        a[1] += 1
    vneid = 0
    for y, m in span.months():
        d = dt.date(y, m, 15)
        p = _progress(d)
        submitted = 100 * online[(y, m)][0] / online[(y, m)][1]
        full = max(0.0, min(submitted - 0.5, submitted * (0.55 + 0.35 * p) + rng.gauss(0, 1.0)))
        pay = min(90.0, 3 + 60 * p**1.2 + rng.gauss(0, 1.5))
        if d >= dt.date(2022, 7, 1):
            vneid += int(rng.uniform(4000, 9000) * (1.8 if d < dt.date(2023, 12, 31) else 0.6))
        ip = poisson(rng, 9 + 4 * p)
        st = poisson(rng, 1.2 + 1.5 * p)
        rows.append([f"{m:02d}/{y}", vn(full, 1), vn(pay, 1), vn(vneid), ip, st])
    rows[3 + 12][1] = "108,0"  # above 100 %
    rows.insert(3 + 33, list(rows[3 + 32]))  # a month twice
    rows += [[], ["Nguồn: Phòng Kinh tế (lĩnh vực khoa học, công nghệ); Công an thành phố (định danh điện tử)."]]
    write(OUT / "science" / "chuyen_doi_so_thang.csv", csv_bytes(rows, ";"))
    stats["science_digital_monthly"] = len(span.months()) + 1

    rng = rng_for("science_projects")
    fields = [
        "Khoa học kỹ thuật và công nghệ",
        "Khoa học xã hội và nhân văn",
        "Khoa học nông nghiệp",
        "Khoa học y, dược",
        "Chuyển đổi số",
    ]
    hosts = [
        "Trường Đại học Thủ Dầu Một",
        "Trung tâm Y tế thành phố",
        "Phòng Kinh tế",
        "Phòng Giáo dục và Đào tạo",
        "Công ty CP Nước - Môi trường Bình Dương",
        "Trung tâm Văn hóa, Thể thao và Truyền thanh",
        "UBND phường Phú Cường",
        "Hội Nông dân thành phố",
    ]
    topics = [
        "Ứng dụng IoT giám sát",
        "Xây dựng cơ sở dữ liệu",
        "Giải pháp nâng cao chất lượng",
        "Nghiên cứu mô hình",
        "Ứng dụng trí tuệ nhân tạo trong",
        "Giải pháp tiết kiệm năng lượng cho",
        "Số hóa quy trình",
        "Đánh giá hiện trạng",
    ]
    objects = [
        "chất lượng nước sông Sài Gòn",
        "hồ sơ thủ tục hành chính",
        "chiếu sáng công cộng",
        "di tích lịch sử",
        "trường học",
        "dịch bệnh sốt xuất huyết",
        "làng nghề sơn mài",
        "rác thải sinh hoạt",
        "giao thông đô thị",
        "quản lý đô thị thông minh",
    ]
    rows = []
    for i in range(1, 65):
        year = 2021 + (i - 1) * (span.end.year - 2021 + 1) // 64
        start = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        done_by = start + dt.timedelta(days=rng.randint(300, 720))
        if done_by <= span.end and rng.random() < 0.9:
            result, accepted = rng.choice(["Đạt", "Khá", "Khá", "Xuất sắc"]), dmy(done_by)
        else:
            result, accepted = "Đang thực hiện", None
        rows.append(
            [
                i,
                f"KHCN-{year}-{i:03d}",
                f"{rng.choice(topics)} {rng.choice(objects)}",
                rng.choice(fields),
                rng.choice(hosts),
                year,
                vn(rng.uniform(60, 900), 1),
                accepted,
                result,
            ]
        )
    rows[12][6] = "-150,0"  # negative budget
    rows[47][7] = "31/09/2024"  # 31 September
    xlsx_report(
        OUT / "science" / "de_tai_khcn.xlsx",
        span,
        office="PHÒNG KINH TẾ",
        title="DANH MỤC ĐỀ TÀI, DỰ ÁN KHOA HỌC VÀ CÔNG NGHỆ CẤP THÀNH PHỐ",
        subtitle=f"(Giai đoạn 2021 - {span.end.year})",
        headers=[
            "STT",
            "Mã số",
            "Tên đề tài, dự án",
            "Lĩnh vực",
            "Đơn vị chủ trì",
            "Năm phê duyệt",
            "Kinh phí (triệu đồng)",
            "Ngày nghiệm thu",
            "Kết quả",
        ],
        rows=rows,
        widths={3: 48, 4: 30, 5: 34},
        signer=("Lâm Thị Hồng Nhung", "TRƯỞNG PHÒNG", "Đặng Văn Thắng"),
    )
    stats["science_projects"] = len(rows)
    return stats


# --------------------------------------------------------------------------- prices


CPI_GROUPS = [
    # name, weight (‰ of the basket), yearly % change 2021..2026, seasonal mom pattern
    ("Hàng ăn và dịch vụ ăn uống", 335.6, [1.2, 3.4, 4.2, 4.3, 3.6, 3.2]),
    ("Ðồ uống và thuốc lá", 27.3, [1.8, 2.5, 2.4, 2.6, 2.3, 2.2]),
    ("May mặc, mũ nón và giày dép", 57.0, [1.0, 2.0, 1.9, 1.8, 1.7, 1.6]),
    ("Nhà ở, điện, nước, chất đốt và vật liệu xây dựng", 157.3, [3.5, 4.0, 6.5, 5.0, 4.4, 3.8]),
    ("Thiết bị và đồ dùng gia đình", 67.4, [1.3, 2.4, 1.6, 1.2, 1.1, 1.0]),
    ("Thuốc và dịch vụ y tế", 53.9, [0.8, 0.7, 1.6, 6.8, 3.5, 2.0]),
    ("Giao thông", 96.7, None),
    ("Bưu chính, viễn thông", 31.4, [-0.6, -0.4, -0.5, -0.3, -0.4, -0.3]),
    ("Giáo dục", 61.7, [2.0, 1.9, 7.4, 8.8, 4.0, 2.5]),
    ("Văn hóa, giải trí và du lịch", 45.5, [0.2, 2.8, 2.4, 2.1, 1.9, 1.8]),
    ("Hàng hóa và dịch vụ khác", 35.2, [1.5, 2.6, 3.5, 3.4, 3.0, 2.6]),
]

PETROL = [
    (dt.date(2020, 1, 1), 20500),
    (dt.date(2020, 4, 15), 12900),
    (dt.date(2020, 12, 31), 16800),
    (dt.date(2021, 6, 15), 21500),
    (dt.date(2021, 11, 10), 25300),
    (dt.date(2022, 3, 10), 29800),
    (dt.date(2022, 6, 20), 32870),
    (dt.date(2022, 8, 20), 26000),
    (dt.date(2022, 12, 20), 22500),
    (dt.date(2023, 6, 15), 22800),
    (dt.date(2023, 9, 20), 25500),
    (dt.date(2023, 12, 20), 22900),
    (dt.date(2024, 4, 15), 25800),
    (dt.date(2024, 9, 20), 20900),
    (dt.date(2025, 1, 20), 21500),
    (dt.date(2025, 6, 20), 20300),
    (dt.date(2025, 12, 20), 20500),
    (dt.date(2026, 6, 15), 21200),
    (dt.date(2026, 10, 31), 20800),
]
GOODS = [
    # code, name, unit, place, anchors (date, VND), weekly noise, Tết bump
    (
        "HH01",
        "Thịt heo hơi",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [
            (dt.date(2021, 1, 1), 78000),
            (dt.date(2021, 6, 1), 62000),
            (dt.date(2021, 10, 1), 50000),
            (dt.date(2022, 2, 1), 52000),
            (dt.date(2022, 7, 1), 70000),
            (dt.date(2022, 12, 1), 55000),
            (dt.date(2023, 6, 1), 62000),
            (dt.date(2023, 12, 1), 52000),
            (dt.date(2024, 6, 1), 68000),
            (dt.date(2024, 12, 1), 64000),
            (dt.date(2025, 6, 1), 72000),
            (dt.date(2025, 12, 1), 62000),
            (dt.date(2026, 6, 1), 66000),
            (dt.date(2026, 10, 1), 60000),
        ],
        0.025,
        0.06,
    ),
    ("HH02", "Thịt heo nạc", "đồng/kg", "Chợ Thủ Dầu Một", None, 0.02, 0.08),
    (
        "HH03",
        "Thịt bò thăn",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [(dt.date(2021, 1, 1), 260000), (dt.date(2023, 1, 1), 280000), (dt.date(2026, 10, 1), 290000)],
        0.015,
        0.08,
    ),
    (
        "HH04",
        "Gà công nghiệp làm sẵn",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [
            (dt.date(2021, 1, 1), 55000),
            (dt.date(2022, 6, 1), 65000),
            (dt.date(2024, 1, 1), 58000),
            (dt.date(2026, 10, 1), 62000),
        ],
        0.03,
        0.08,
    ),
    (
        "HH05",
        "Gạo tẻ thường",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [
            (dt.date(2021, 1, 1), 14000),
            (dt.date(2023, 3, 1), 14500),
            (dt.date(2023, 9, 1), 17500),
            (dt.date(2024, 3, 1), 18500),
            (dt.date(2025, 3, 1), 16000),
            (dt.date(2026, 10, 1), 15500),
        ],
        0.01,
        0.0,
    ),
    (
        "HH06",
        "Gạo thơm Jasmine",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [
            (dt.date(2021, 1, 1), 18500),
            (dt.date(2023, 9, 1), 22000),
            (dt.date(2024, 3, 1), 24000),
            (dt.date(2026, 10, 1), 21500),
        ],
        0.01,
        0.0,
    ),
    (
        "HH07",
        "Trứng gà",
        "đồng/chục",
        "Chợ Thủ Dầu Một",
        [
            (dt.date(2021, 1, 1), 28000),
            (dt.date(2022, 6, 1), 33000),
            (dt.date(2023, 6, 1), 32000),
            (dt.date(2024, 6, 1), 34000),
            (dt.date(2026, 10, 1), 33000),
        ],
        0.03,
        0.05,
    ),
    (
        "HH08",
        "Rau muống",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [(dt.date(2021, 1, 1), 14000), (dt.date(2026, 10, 1), 17000)],
        0.08,
        0.25,
    ),
    (
        "HH09",
        "Cải xanh",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [(dt.date(2021, 1, 1), 16000), (dt.date(2026, 10, 1), 21000)],
        0.08,
        0.3,
    ),
    (
        "HH10",
        "Cà chua",
        "đồng/kg",
        "Chợ Thủ Dầu Một",
        [(dt.date(2021, 1, 1), 20000), (dt.date(2026, 10, 1), 24000)],
        0.1,
        0.35,
    ),
    (
        "HH11",
        "Đường trắng",
        "đồng/kg",
        "Siêu thị Co.opmart Bình Dương",
        [
            (dt.date(2021, 1, 1), 20000),
            (dt.date(2023, 6, 1), 24000),
            (dt.date(2024, 3, 1), 28000),
            (dt.date(2026, 10, 1), 24000),
        ],
        0.01,
        0.0,
    ),
    (
        "HH12",
        "Dầu ăn",
        "đồng/lít",
        "Siêu thị Co.opmart Bình Dương",
        [
            (dt.date(2021, 1, 1), 45000),
            (dt.date(2022, 5, 1), 58000),
            (dt.date(2023, 6, 1), 49000),
            (dt.date(2026, 10, 1), 52000),
        ],
        0.01,
        0.0,
    ),
    ("HH13", "Xăng RON 95-III", "đồng/lít", "Cửa hàng xăng dầu Petrolimex số 3", PETROL, 0.0, 0.0),
    ("HH14", "Xăng E5 RON 92-II", "đồng/lít", "Cửa hàng xăng dầu Petrolimex số 3", None, 0.0, 0.0),
    ("HH15", "Dầu diesel 0,05S-II", "đồng/lít", "Cửa hàng xăng dầu Petrolimex số 3", None, 0.0, 0.0),
    (
        "HH16",
        "Gas bình 12 kg",
        "đồng/bình",
        "Đại lý gas Phú Cường",
        [
            (dt.date(2021, 1, 1), 380000),
            (dt.date(2022, 5, 1), 520000),
            (dt.date(2023, 6, 1), 470000),
            (dt.date(2026, 10, 1), 455000),
        ],
        0.0,
        0.0,
    ),
]


def petrol_price(d: dt.date, rng: random.Random | None = None) -> float:
    return interp(PETROL, d)


def gen_prices(span: Span) -> dict:
    stats = {}
    rng = rng_for("prices_goods")
    # Survey on Thursdays, the day fuel prices are set.
    d = dt.date(2021, 1, 7)
    rows = [
        ["GIÁ MỘT SỐ MẶT HÀNG THIẾT YẾU TRÊN ĐỊA BÀN THÀNH PHỐ THỦ DẦU MỘT"],
        ["Đơn vị: Phòng Kinh tế; khảo sát định kỳ hằng tuần"],
        [],
        ["Ngày khảo sát", "Mã hàng", "Tên mặt hàng", "Đơn vị tính", "Điểm khảo sát", "Giá (đồng)"],
    ]
    state = {g[0]: 0.0 for g in GOODS}
    fuel_step = {}
    values: dict[str, float] = {}  # the live pig's price of the week (HH01 comes first), for pork's (HH02)
    while d <= span.end:
        tet = TET.get(d.year)
        near_tet = tet is not None and -14 <= (d - tet).days <= 3
        for code, name, unit, place, anchors, noise, bump in GOODS:
            if code == "HH02":
                price = 1.85 * values["HH01"] + 12000
            elif code in ("HH13", "HH14", "HH15"):
                p95 = interp(PETROL, d)
                # fuel prices move in steps: keep last week's price unless the path moved by > 1.2 %
                last = fuel_step.get(code)
                target = {
                    "HH13": p95,
                    "HH14": p95 - 800 - 300 * (d.year >= 2023),
                    "HH15": p95 * (0.92 if dt.date(2022, 2, 1) <= d <= dt.date(2022, 11, 30) else 0.86),
                }[code]
                if last is None or abs(target - last) / last > 0.012:
                    last = target
                fuel_step[code] = last
                price = last
            else:
                state[code] = 0.7 * state[code] + rng.gauss(0, noise)
                price = interp(anchors, d) * (1 + state[code]) * (1 + (bump if near_tet else 0))
                if code in ("HH08", "HH09") and 6 <= d.month <= 10:
                    price *= 1.15  # rain ruins leaf vegetables
            if code == "HH01":
                values = {"HH01": price}
            step = 10 if code in ("HH13", "HH14", "HH15") else 500
            rows.append([dmy(d), code, name, unit, place, vn(round(price / step) * step)])
        d += dt.timedelta(7)
    h = 4
    n = len(rows) - h
    rows[h + n * 18 // 100][5] = "-65.000"  # a minus typed by mistake
    i = h + n * 37 // 100
    rows.insert(i + 1, list(rows[i]))  # the same item and day twice
    i = h + n * 62 // 100
    rows[i][0] = "31/06/" + rows[i][0][6:]  # 31 June
    write(OUT / "prices" / "gia_hang_thiet_yeu.txt", utf16_tab(rows))
    stats["prices_goods_weekly"] = len(rows) - h

    # ---- CPI by group (GSO PX-Web; unpivoted by a transform)
    rng = rng_for("prices_cpi")
    months = [(2020, m) for m in range(1, 13)] + span.months()
    levels: dict[str, list[float]] = {g[0]: [] for g in CPI_GROUPS}
    for _gi, (gname, _w, yearly) in enumerate(CPI_GROUPS):
        lvl = 100.0
        for y, m in months:
            if yearly is None:  # transport follows the pump price
                lvl = 100 * (0.78 + 0.22 * interp(PETROL, dt.date(y, m, 15)) / 18000) * (1.012 ** (y - 2020 + m / 12))
            else:
                r = annual(dict(zip(range(2021, 2027), yearly)), max(y, 2021), 0.0) / 100
                mom = (1 + r) ** (1 / 12) - 1 + rng.gauss(0, 0.0012)
                if gname.startswith("Hàng ăn") and m in (1, 2):
                    mom += 0.006
                if gname.startswith("Hàng ăn") and m == 3:
                    mom -= 0.008
                if gname == "Giáo dục":
                    mom = ((1 + r) ** 1 - 1) * 0.85 if m == 9 else ((1 + r) ** (1 / 12) - 1) * 0.15
                lvl *= 1 + mom
            levels[gname].append(lvl)
    wsum = sum(g[1] for g in CPI_GROUPS)
    general = [sum(levels[g[0]][i] * g[1] for g in CPI_GROUPS) / wsum for i in range(len(months))]
    names = ["Chỉ số giá chung"] + [g[0] for g in CPI_GROUPS]
    series = [general] + [levels[g[0]] for g in CPI_GROUPS]
    h1 = ["Tháng"] + ["So với cùng kỳ năm trước"] + [" "] * 11 + ["So với tháng trước"] + [" "] * 11
    h2 = [" ", *names, *names]
    body = []
    year_seen = None
    for i in range(12, len(months)):
        y, m = months[i]
        if y != year_seen:
            body.append([f"Năm {y}"])  # section row
            year_seen = y
        label = f"{'Sơ bộ ' if (y, m) == span.end_month else ''}Tháng {m:02d}/{y}"
        yoy = [vn(s[i] / s[i - 12] * 100, 2) for s in series]
        mom = [vn(s[i] / s[i - 1] * 100, 2) for s in series]
        body.append([label, *yoy, *mom])
    body[20][9] = ".."  # not published
    body[40][5] = "1O2,31"  # letter O for a zero
    gso_csv(
        OUT / "prices" / "cpi_theo_nhom_hang.csv",
        "Chỉ số giá tiêu dùng (CPI) phân theo nhóm hàng, thành phố Thủ Dầu Một (Kỳ gốc = 100)",
        h1,
        h2,
        body,
        [
            "Ghi chú: Số liệu tháng gần nhất là số sơ bộ.",
            "..: Không có số liệu.",
            "Nguồn: Chi cục Thống kê khu vực; quyền số năm gốc 2019.",
        ],
    )
    stats["prices_cpi_monthly"] = f"{len(span.months())} months x 12 series"

    # ---- supply of essential goods: what the market received against what the city needs, each month
    rng = rng_for("prices_supply")
    items = [
        ("Gạo", "tấn", 2650),
        ("Thịt heo", "tấn", 1480),
        ("Thịt gia cầm", "tấn", 760),
        ("Trứng gia cầm", "nghìn quả", 10400),
        ("Rau, củ, quả", "tấn", 5300),
        ("Xăng, dầu", "m³", 21500),
    ]
    rows = [
        ["TÌNH HÌNH CUNG ỨNG HÀNG HÓA THIẾT YẾU TRÊN ĐỊA BÀN THÀNH PHỐ"],
        ["Đơn vị: Phòng Kinh tế (tổng hợp từ hệ thống phân phối, chợ đầu mối và cửa hàng xăng dầu)"],
        [],
        ["Tháng", "Mặt hàng", "Đơn vị tính", "Nhu cầu ước tính", "Lượng cung ứng", "Dự trữ cuối tháng"],
    ]
    for y, m in span.months():
        growth = 1.025 ** (y - 2021)
        for name, unit, base in items:
            demand = base * growth * (1.22 if m in (1, 2) and name != "Xăng, dầu" else 1.0) * rng.uniform(0.97, 1.03)
            short = 0.9 if (name == "Thịt heo" and (y, m) in ((2021, 8), (2021, 9))) else 1.0  # lockdown months
            supply = demand * short * rng.uniform(0.99, 1.08)
            rows.append([f"{m:02d}/{y}", name, unit, vn(demand), vn(supply), vn(supply * rng.uniform(0.08, 0.2))])
    rows[4 + 100][4] = ""  # a month a distributor did not report
    rows += [[], ["Ghi chú: Nhu cầu ước tính theo dân số và định mức tiêu dùng; tháng Tết tăng khoảng 20 %."]]
    write(OUT / "prices" / "cung_ung_hang_thiet_yeu.csv", csv_bytes(rows, ";"))
    stats["prices_supply_monthly"] = len(span.months()) * len(items)
    return stats


# --------------------------------------------------------------------------- socio-economic


def gen_socio(span: Span) -> dict:
    stats = {}
    rng = rng_for("socio_monthly")
    revenue = {2021: 3650, 2022: 4180, 2023: 4020, 2024: 4450, 2025: 4900, 2026: 5200}
    retail = {2021: 48000, 2022: 62000, 2023: 68500, 2024: 75000, 2025: 82000, 2026: 88000}
    invest = {2021: 7800, 2022: 9100, 2023: 9600, 2024: 10400, 2025: 11200, 2026: 11900}
    rev_w = [0.11, 0.06, 0.07, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.09, 0.12]
    ret_w = [1.12, 1.2, 0.92, 0.95, 0.97, 0.96, 0.97, 0.97, 0.96, 0.98, 0.98, 1.1]
    rows = []
    stt = 0
    for y, m in span.months():
        if m == 1:
            rows.append([f"Năm {y}"] + [None] * 7)
            tot = [0.0] * 6
        cf = covid_factor(dt.date(y, m, 15))
        rev = annual(revenue, y, 0.06) * rev_w[m - 1] / sum(rev_w) * rng.uniform(0.92, 1.08)
        spend = rev * rng.uniform(0.55, 0.7)
        ret = (
            annual(retail, y, 0.08)
            / 12
            * ret_w[m - 1]
            / (sum(ret_w) / 12)
            * (0.55 + 0.45 * cf)
            * rng.uniform(0.97, 1.03)
        )
        inv = (
            annual(invest, y, 0.07) / 12 * (1.35 if m in (11, 12) else 0.94) * (0.5 + 0.5 * cf) * rng.uniform(0.9, 1.1)
        )
        firms = int(rng.uniform(115, 175) * (0.4 if cf < 1 else 1) * (0.6 if m == 2 else 1))
        cap = firms * rng.uniform(8, 14)
        stt += 1
        vals = [rev, spend, ret, inv, firms, cap]
        rows.append([stt, f"{m:02d}/{y}", vn(rev, 1), vn(spend, 1), vn(ret, 1), vn(inv, 1), vn(firms), vn(cap, 1)])
        tot = [a + b for a, b in zip(tot, vals)]
        if m == 12 or (y, m) == span.end_month:
            rows.append(
                [
                    f"Cộng năm {y}",
                    None,
                    vn(tot[0], 1),
                    vn(tot[1], 1),
                    vn(tot[2], 1),
                    vn(tot[3], 1),
                    vn(tot[4]),
                    vn(tot[5], 1),
                ]
            )
    i = next(i for i, r in enumerate(rows) if r[1] == "06/2024")
    rows.insert(i + 1, list(rows[i]))  # June 2024 twice
    rows[i + 1][0] = None
    i = next(i for i, r in enumerate(rows) if r[1] == "10/2022")
    rows[i][3] = "-215,4"  # negative spending
    xlsx_report(
        OUT / "socio" / "bao_cao_kt_xh_thang.xlsx",
        span,
        office="PHÒNG TÀI CHÍNH - KẾ HOẠCH",
        title="BÁO CÁO MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI CHỦ YẾU THEO THÁNG",
        subtitle=f"(Từ tháng 01/2021 đến tháng {span.end_month[1]:02d}/{span.end_month[0]})",
        headers=[
            "STT",
            "Tháng",
            ("Ngân sách nhà nước trên địa bàn (tỷ đồng)", ["Tổng thu", "Tổng chi"]),
            "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng (tỷ đồng)",
            "Vốn đầu tư thực hiện trên địa bàn (tỷ đồng)",
            ("Doanh nghiệp thành lập mới", ["Số doanh nghiệp", "Vốn đăng ký (tỷ đồng)"]),
        ],
        rows=rows,
        notes=(
            "Ghi chú: Số liệu tháng báo cáo là số ước thực hiện.",
            "Thu ngân sách gồm thu nội địa trên địa bàn, không gồm thu bổ sung từ ngân sách cấp trên.",
        ),
        signer=("Bùi Thị Thanh Xuân", "TRƯỞNG PHÒNG", "Võ Hoàng Nam"),
    )
    stats["socio_monthly"] = stt + 1

    # ---- annual indicators by ward (GSO PX-Web; unpivoted by a transform into code, ward_code, period, value)
    rng = rng_for("socio_wards")
    ly = span.last_year  # the last year with (preliminary) figures
    years = list(range(2021, ly + 1))
    measures = [
        "Dân số trung bình (Người)",
        "Số doanh nghiệp đang hoạt động (Doanh nghiệp)",
        "Tỷ lệ hộ nghèo (%)",
        "Tốc độ tăng tổng sản phẩm trên địa bàn - GRDP (%)",
    ]
    h1, h2 = ["Mã", f"{LOOKALIKE_D}ơn vị hành chính"], [" ", " "]
    for mname in measures:
        for j, y in enumerate(years):
            h1.append(mname if j == 0 else " ")
            h2.append(f"{'Sơ bộ ' if y == ly else ''}{y}")
    wards_rows = []
    tot = [[0.0] * len(years) for _ in range(3)]
    for code in WARD_CODES:
        name = WARD_NAME[code].replace("Đ", LOOKALIKE_D)
        row = [code, f"Phường {name}"]
        # 2025 is the wards' population in the city's declaration (what the ward profile shows): one number
        pops = [
            WARD_POP[code] * (1 - 0.018 * (2025 - y)) * (1.0 if y == 2025 else rng.uniform(0.995, 1.005)) for y in years
        ]
        firms = [WARD_POP[code] / 40 * (1 + 0.06 * (y - 2021)) * rng.uniform(0.9, 1.1) for y in years]
        poor = [max(0.05, (0.62 - 0.12 * (y - 2021)) * rng.uniform(0.7, 1.3)) for y in years]
        row += [vn(v) for v in pops] + [vn(v) for v in firms] + [vn(v, 2) for v in poor] + [".."] * len(years)
        for j in range(len(years)):
            tot[0][j] += pops[j]
            tot[1][j] += firms[j]
            tot[2][j] += poor[j] * pops[j]
        wards_rows.append(row)
    grdp = {2021: 2.4, 2022: 9.1, 2023: 6.8, 2024: 7.6, 2025: 8.2, 2026: 8.0}
    city = (
        [CITY_CODE, "Toàn thành phố"]
        + [vn(v) for v in tot[0]]
        + [vn(v) for v in tot[1]]
        + [vn(tot[2][j] / tot[0][j], 2) for j in range(len(years))]
        + [vn(annual(grdp, y, 0.0), 1) for y in years]
    )
    body = [city, ["Phân theo phường"], *wards_rows]
    body[2 + 5][3] = "27.3 45"  # a space typed inside a number
    gso_csv(
        OUT / "socio" / "chi_tieu_kt_xh_phuong.csv",
        "Một số chỉ tiêu kinh tế - xã hội chủ yếu phân theo phường, thành phố Thủ Dầu Một",
        h1,
        h2,
        body,
        [
            f"Ghi chú: Số liệu năm {ly} là số sơ bộ.",
            "..: Không có số liệu (GRDP không tính cho cấp phường).",
            "Nguồn: Chi cục Thống kê khu vực.",
        ],
    )
    stats["socio_indicators"] = f"{len(body) - 1} wide rows -> {len(years) * (3 * 15 + 1)} tidy rows"
    return stats


# --------------------------------------------------------------------------- what the province shares back
# Other cities of the province and the province as a whole, for comparison beside the city's own figures, and
# the targets the province sets: the monthly file the provincial IOC shares (a CSV export of its data portal).
PROVINCE_AREAS = [  # (name, baseline offset in points, noise)
    ("TP. Thuận An", -0.6, 0.5),
    ("TP. Dĩ An", -0.3, 0.4),
    ("TP. Tân Uyên", -1.4, 0.7),
    ("TP. Bến Cát", -1.9, 0.8),
    ("Toàn tỉnh", -0.9, 0.3),
]
PROVINCE_SHARED = {  # code: (start value 2021, yearly gain, cap, the province's target by year)
    "ADMIN_ONTIME_RATE": (95.5, 0.6, 99.6, {2021: 96, 2022: 96.5, 2023: 97, 2024: 97.5, 2025: 98, 2026: 98}),
    "CITIZEN_ONTIME_RATE": (82.0, 2.0, 97.0, {2021: 85, 2022: 85, 2023: 87, 2024: 88, 2025: 90, 2026: 90}),
    "ADMIN_ONLINE_SHARE": (12.0, 9.0, 80.0, {2021: 15, 2022: 20, 2023: 30, 2024: 40, 2025: 50, 2026: 60}),
}


def gen_province(span: Span) -> dict:
    rng = rng_for("province_shared")
    rows = [["Mã chỉ tiêu", "Địa phương", "Kỳ", "Loại", "Giá trị"]]
    for code, (first, gain, cap, targets) in PROVINCE_SHARED.items():
        drift = {area: 0.0 for area, _, _ in PROVINCE_AREAS}  # a locality's good and bad spells last months
        for y, m in span.months():
            base = min(cap, first + gain * (y - 2021 + (m - 1) / 12))
            for area, offset, noise in PROVINCE_AREAS:
                drift[area] = 0.7 * drift[area] + rng.gauss(0, noise * 0.5)
                value = min(100.0, max(0.0, base + offset + drift[area]))
                rows.append([code, area, f"{m:02d}/{y}", "Thực hiện", vn(value, 1)])
        for y in sorted(targets):
            if (y, 1) <= span.end_month:
                rows.append([code, "Toàn tỉnh", f"01/{y}", "Chỉ tiêu tỉnh giao", vn(targets[y], 1)])
    write(OUT / "province" / "so_lieu_tinh_chia_se.csv", csv_bytes(rows, ";"))
    return {"socio_province_shared": len(rows) - 1}


# --------------------------------------------------------------------------- main


GENERATORS = [
    gen_wards,
    gen_env,
    gen_admin,
    gen_tourism,
    gen_security,
    gen_citizen,
    gen_zoning,
    gen_industry,
    gen_resources,
    gen_health,
    gen_education,
    gen_labour,
    gen_science,
    gen_prices,
    gen_socio,
    gen_province,
]


def main(argv: list[str] | None = None) -> None:
    global OUT, GEO_DIR
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--end", help=f"last full month covered, YYYY-MM (default {DEFAULT_END})")
    ap.add_argument(
        "--today",
        help="generate the sample as of this date, YYYY-MM-DD: data up to the day before, "
        "monthly reports up to the last complete month (not with --end)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        help="write the sample tree into DIR instead of data/sample/ (data/geo/wards.geojson is not "
        "written) and put a marker DIR/.generated holding the --today date or --end month",
    )
    args = ap.parse_args(argv)
    if args.end is not None and args.today is not None:
        ap.error("--end and --today exclude each other")
    if args.today is not None:
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", args.today):
                raise ValueError
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            ap.error("--today: expected a date YYYY-MM-DD")
        if today < dt.date(2026, 1, 1):
            ap.error("--today: the files start in January 2021 and need five years: give 2026-01-01 or later")
        span = Span(today=today)
    else:
        end = DEFAULT_END if args.end is None else args.end
        if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", end):
            ap.error("--end: expected YYYY-MM")
        if end < "2025-12":
            ap.error("--end: the files start in January 2021 and need five years: give 2025-12 or later")
        span = Span(end)
    if args.out is not None:
        OUT, GEO_DIR = args.out.resolve(), None
    for gen in GENERATORS:
        for table, n in gen(span).items():
            print(f"{table:32s} {n}")
    if args.out is not None:
        write(OUT / ".generated", (span.label + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
