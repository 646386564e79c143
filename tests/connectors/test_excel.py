"""excel against a one-stop-shop report: title rows, merged headers and cells, numbers as text, totals, signatures."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from connectors import excel
from connectors.base import Parsed, Payload
from ioc.errors import ParseError
from tests.helpers import FIXTURES, col, context, contract_rows, run, source

EXCEL = excel.Excel()

RENAME = {
    "Lĩnh vực": "field",
    "Mã phường": "ward_code",
    "Ngày báo cáo": "report_date",
    "Hồ sơ Tiếp nhận": "received",
    "Hồ sơ Đúng hạn": "on_time",
    "Hồ sơ Trễ hạn": "late",
    "Tỷ lệ đúng hạn (%)": "on_time_pct",
}
COLUMNS = {
    "field": {"required": True},
    "ward_code": {"required": True},
    "report_date": {"type": "date"},
    "received": {"type": "integer"},
    "on_time": {"type": "integer"},
    "late": {"type": "integer"},
    "on_time_pct": {"type": "double", "max": 100},
}
OPTIONS = {
    "sheet": "Hồ sơ T5",
    "header_rows": 2,
    "decimal": ",",
    "thousands": ".",
    "date_format": "%d/%m/%Y",
    "drop_rows_matching": "^(Tổng cộng|Người lập)",
}


def report(**options) -> tuple[Parsed, list[dict], list[tuple]]:
    """The fixture report parsed with OPTIONS changed by `options`, and its rows under the contract."""
    opts = {k: v for k, v in {**OPTIONS, **options}.items() if v is not None}
    src = source("excel", path="dossier_report.xlsx", rename=RENAME, columns=COLUMNS)
    parsed = run(EXCEL, src, opts, context(FIXTURES))
    good, rejects = contract_rows(src, parsed.table, opts)
    return parsed, good, rejects


def test_report_rows_under_title_rows_and_a_merged_two_level_header():
    parsed, _, _ = report()
    assert sorted(parsed.table.column_names) == sorted([*RENAME.values(), "_row"])
    assert col(parsed.table, "_row") == [7, 8, 9, 10]  # the sheet's own row numbers
    assert parsed.notes == ["sheet 'Hồ sơ T5': header at row 5"]
    # totals, the blank row, the signature row and the signer's name
    assert (parsed.dropped, parsed.rejects) == (4, [])


def test_vertically_merged_cells_repeat_down_their_rows():
    parsed, _, _ = report()
    assert col(parsed.table, "field") == ["Đất đai", "Đất đai", "Đất đai", "Tư pháp"]


def test_numbers_as_text_and_real_numbers_read_alike():
    _, good, rejects = report()
    assert rejects == []
    assert [(g["received"], g["on_time"], g["late"], g["on_time_pct"]) for g in good] == [
        (1234, 1200, 34, 97.25),
        (856, 850, 6, 99.3),
        (2001, 1990, 11, 99.45),
        (310, 310, 0, 100.0),
    ]


def test_dates_as_text_and_real_date_cells_with_date_format():
    _, good, _ = report()
    assert [g["report_date"] for g in good] == [dt.date(2025, 6, 5)] * 4


def test_without_date_format_only_real_date_cells_are_dates():
    parsed, good, rejects = report(date_format=None)
    assert col(parsed.table, "report_date") == ["05/06/2025", "2025-06-05", "05/06/2025", "2025-06-05"]
    assert [g["ward_code"] for g in good] == ["25744", "25741"]
    assert rejects == [
        (7, "report_date", "05/06/2025", "type: expected date"),
        (9, "report_date", "05/06/2025", "type: expected date"),
    ]


def test_totals_and_signatures_stay_without_drop_rows_matching():
    parsed, good, rejects = report(drop_rows_matching=None)
    assert col(parsed.table, "field")[-2:] == ["Tổng cộng", "Người lập biểu"]
    assert parsed.dropped == 2
    assert rejects == [
        (11, "ward_code", None, "required: missing"),
        (13, "late", "KT. CHỦ TỊCH", "type: expected integer"),
        (13, "ward_code", None, "required: missing"),
    ]
    assert len(good) == 4


@pytest.mark.parametrize("sheet", ["Hồ sơ T5", 1])
def test_sheet_by_name_or_index(sheet):
    parsed, _, _ = report(sheet=sheet)
    assert col(parsed.table, "ward_code") == ["25741", "25744", "25747", "25741"]


@pytest.mark.parametrize(
    "sheet, message",
    [
        ("Hồ sơ T6", "sheet 'Hồ sơ T6' not found; the workbook has ['Ghi chú', 'Hồ sơ T5']"),
        (5, "sheet 5 not found"),
    ],
)
def test_a_missing_sheet(sheet, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        report(sheet=sheet)


def test_not_a_workbook():
    src = source("excel", path="gso_population.csv")
    with pytest.raises(ParseError, match=r"not a readable \.xlsx workbook"):
        EXCEL.parse(src, excel.Options(), [Payload((FIXTURES / "gso_population.csv").read_bytes(), "xlsx")])


def test_a_unit_row_above_a_merged_header_is_not_taken_for_it():
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "BÁO CÁO HỒ SƠ THÁNG 5/2025"
    ws["G2"] = "Đơn vị tính: hồ sơ"  # right-aligned above the table, as reports do
    for cell, text in {
        "A3": "Lĩnh vực",
        "B3": "Mã phường",
        "C3": "Ngày",
        "D3": "Tiếp nhận",
        "E3": "Trễ hạn",
        "F3": "Đúng hạn",
        "F4": "Số",
        "G4": "Tỷ lệ",
    }.items():
        ws[cell] = text
    for rng in ("A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:G3"):
        ws.merge_cells(rng)
    for j, v in enumerate(["Đất đai", "25741", "05/06/2025", 12, 1, 11, "91,7"], start=1):
        ws.cell(row=5, column=j, value=v)
    buf = BytesIO()
    wb.save(buf)
    rename = {
        "Lĩnh vực": "field",
        "Mã phường": "ward_code",
        "Ngày": "day",
        "Tiếp nhận": "received",
        "Trễ hạn": "late",
        "Đúng hạn Số": "on_time",
        "Đúng hạn Tỷ lệ": "on_time_pct",
    }
    parsed = EXCEL.parse(
        source("excel", rename=rename), excel.Options(header_rows=2), [Payload(buf.getvalue(), "xlsx")]
    )
    assert parsed.notes == ["sheet 0: header at row 3"]
    assert {k: v for k, v in parsed.table.to_pylist()[0].items()} == {
        "field": "Đất đai",
        "ward_code": "25741",
        "day": "05/06/2025",
        "received": "12",
        "late": "1",
        "on_time": "11",
        "on_time_pct": "91,7",
        "_row": 5,
    }
