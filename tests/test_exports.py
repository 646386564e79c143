"""Exports: CSV with a BOM, XLSX with a bold header, Parquet with machine names; all rows streamed from the sandbox."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from ioc import exports
from ioc.config import load_config
from ioc.errors import QueryError
from tests.helpers import ROOT

TABLE = pa.table(
    {
        "ward_code": ["25747", "25741", None],
        "agency": ["UBND phường Phú Cường", "Chi nhánh Văn phòng Đăng ký đất đai", 'Đội, "quận"; 3'],
        "received": [1234, 5, None],
        "rate": [98.5, None, 0.25],
        "day": [dt.date(2026, 11, 25), dt.date(2026, 1, 2), None],
        "online": [True, False, None],
    }
)
LABELS = {"agency": "Cơ quan giải quyết", "online": "Nộp trực tuyến"}


def reader() -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(TABLE.schema, TABLE.to_batches(max_chunksize=2))


def test_csv_has_a_bom_labels_and_every_row():
    data = exports.export(reader(), "csv", LABELS)
    assert data.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["ward_code", "Cơ quan giải quyết", "received", "rate", "day", "Nộp trực tuyến"]
    assert df["Cơ quan giải quyết"].tolist() == TABLE["agency"].to_pylist()
    assert df["received"].tolist() == ["1234", "5", ""]
    assert df["day"].tolist() == ["2026-11-25", "2026-01-02", ""]


def test_xlsx_has_a_bold_header_and_typed_cells():
    data = exports.export(reader(), "xlsx", LABELS)
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("ward_code", "Cơ quan giải quyết", "received", "rate", "day", "Nộp trực tuyến")
    assert all(cell.font.bold for cell in ws[1])
    assert rows[1][:4] == ("25747", "UBND phường Phú Cường", 1234, 98.5)
    assert rows[1][4].date() == dt.date(2026, 11, 25) and rows[1][5] is True
    assert rows[3][0] is None and len(rows) == 4


def test_parquet_keeps_machine_names_and_types():
    data = exports.export(reader(), "parquet", LABELS)
    back = pq.read_table(io.BytesIO(data))
    assert back.schema.names == TABLE.schema.names
    assert back.equals(TABLE)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown export format 'pdf'"):
        exports.export(reader(), "pdf")


def test_labels_come_from_short_column_descriptions():
    cfg = load_config(ROOT / "config.yaml")
    labels = exports.labels(cfg, "admin_dossiers")
    assert labels["agency"] == "Cơ quan giải quyết"
    assert labels["online"] == "Nộp trực tuyến"
    assert "dossier_id" not in labels  # no description: the column name stays
    # a unit or a note is no label: "triệu đồng", "HH:MM", "MPN/100 ml"
    assert "revenue_mvnd" not in exports.labels(cfg, "tourism_monthly")
    assert "occurred_time" not in exports.labels(cfg, "security_accidents")
    assert "coliform_mpn" not in exports.labels(cfg, "env_water_quality")
    assert exports.labels(cfg, "env_water_quality")["wqi"] == "Chỉ số chất lượng nước"  # cut before "(VN_WQI)"


@pytest.mark.parametrize(
    "description, label",
    [
        ("Phường của người nộp", "Phường của người nộp"),
        ("Mã phường; 718 = các cơ quan cấp thành phố", "Mã phường"),
        ("Giờ đo, giờ Việt Nam (bắt đầu giờ)", "Giờ đo"),
        ("triệu đồng", None),
        ("PM2.5, µg/m³", None),
        ("", None),
        ("Một mô tả rất dài không phải là một nhãn cột ngắn gọn chút nào", None),
    ],
)
def test_label_of_a_description(description, label):
    assert exports._label(description) == label


def test_export_query_streams_every_row_past_the_display_limit(sample_snapshot, monkeypatch):
    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    cfg = cfg.model_copy(update={"analyst": cfg.analyst.model_copy(update={"display_rows": 10})})
    labels = exports.labels(cfg, "admin_dossiers")
    out = exports.export_query(cfg, "SELECT * FROM admin_dossiers WHERE online = ?", [True], "csv", labels)
    df = pd.read_csv(io.BytesIO(out), encoding="utf-8-sig")
    from ioc.warehouse import Warehouse

    with Warehouse(data / "warehouse").connect() as con:
        assert len(df) == con.execute("SELECT count(*) FROM admin_dossiers WHERE online").fetchone()[0] > 10_000
    assert "Cơ quan giải quyết" in df.columns
    xlsx = exports.export_query(cfg, "SELECT ward_code, count(*) AS n FROM admin_dossiers GROUP BY 1", None, "xlsx")
    assert load_workbook(io.BytesIO(xlsx)).active.max_row == 15


def test_export_query_is_sandboxed(sample_snapshot, monkeypatch):
    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    with pytest.raises(QueryError, match="Permission Error"):
        exports.export_query(cfg, "SELECT * FROM read_csv('/etc/passwd')", None, "csv")


def test_a_declared_label_wins_over_the_description_in_the_language_asked():
    cfg = load_config(ROOT / "config.yaml")
    assert cfg.sources["admin_dossiers"].columns["field"].label is not None
    assert exports.labels(cfg, "admin_dossiers")["field"] == "Lĩnh vực"
    assert exports.labels(cfg, "admin_dossiers", "en")["field"] == "Field"


def test_an_xlsx_over_a_sheets_rows_goes_on_over_sheets_after_what_it_holds(monkeypatch):
    """No row is lost at Excel's limit (lowered here to 2 rows a sheet): the rows go on over further sheets,
    each with the header; the first sheet says what the file holds."""
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    about = {"Bảng": "admin_dossiers", "Bộ lọc": "Phường Phú Cường; 01/10/2026–31/10/2026", "Số dòng": 3}
    wb = load_workbook(io.BytesIO(exports.export(reader(), "xlsx", LABELS, about)))
    assert wb.sheetnames == [exports.ABOUT_SHEET, exports.DATA_SHEET, f"{exports.DATA_SHEET} (2)"]
    assert list(wb[exports.ABOUT_SHEET].iter_rows(values_only=True))[1] == (
        "Bộ lọc", "Phường Phú Cường; 01/10/2026–31/10/2026"
    )  # fmt: skip
    first, second = (list(wb[n].iter_rows(values_only=True)) for n in wb.sheetnames[1:])
    assert first[0] == second[0] == ("ward_code", "Cơ quan giải quyết", "received", "rate", "day", "Nộp trực tuyến")
    assert [r[0] for r in first[1:] + second[1:]] == ["25747", "25741", None]


def test_parquet_carries_what_it_holds_in_its_metadata():
    import json

    data = exports.export(reader(), "parquet", LABELS, {"Bộ lọc": "Phường Phú Cường"})
    meta = pq.read_schema(io.BytesIO(data)).metadata
    assert json.loads(meta[b"ioc.about"]) == {"Bộ lọc": "Phường Phú Cường"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cell_that_would_run_as_a_formula_is_plain_text(fmt):
    """A report titled =HYPERLINK(...), +cmd, -2+3 or @SUM reaches a spreadsheet as the characters typed,
    never as a formula (CSV and XLSX, cells and headers); numbers, negative ones too, stay numbers."""
    evil = pa.table(
        {
            "title": ['=HYPERLINK("http://x","bấm")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "Bình thường"],
            "=x": [1, -2, 3, 4, 5],
        }
    )
    data = exports.export(pa.RecordBatchReader.from_batches(evil.schema, evil.to_batches()), fmt, {})
    if fmt == "csv":
        df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
        titles, header, numbers = df.iloc[:, 0].tolist(), list(df.columns), df.iloc[:, 1].tolist()
    else:
        ws = load_workbook(io.BytesIO(data))[exports.DATA_SHEET]
        rows = list(ws.iter_rows(values_only=True))
        header, titles, numbers = list(rows[0]), [r[0] for r in rows[1:]], [str(r[1]) for r in rows[1:]]
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # not one formula cell
    assert titles == ["'" + t for t in evil["title"].to_pylist()[:4]] + ["Bình thường"]
    assert header[1] == "'=x" and numbers == ["1", "-2", "3", "4", "5"]


def test_the_page_csv_neutralises_formulas_too():
    from ioc.ui import components

    df = pd.DataFrame({"Tiêu đề": ["=1+1", "ổn"], "@Số": [1.0, -2.0]})
    back = pd.read_csv(io.BytesIO(components.csv_bytes(df)), encoding="utf-8-sig", dtype=str)
    assert list(back.columns) == ["Tiêu đề", "'@Số"]
    assert back["Tiêu đề"].tolist() == ["'=1+1", "ổn"] and back["'@Số"].tolist() == ["1", "-2"]
