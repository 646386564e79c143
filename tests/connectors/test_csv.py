"""csv against the shapes departments export: PX-Web, "Unicode text", cp1258, decimal commas, and broken rows."""

from __future__ import annotations

import csv as pycsv
import io
from pathlib import Path

import pytest

from connectors import csv
from connectors.base import Parsed
from ioc.errors import ParseError
from tests.helpers import FIXTURES, col, context, contract_rows, run, source

CSV = csv.Csv()

GSO_RENAME = {
    "Đơn vị hành chính": "unit",  # the file writes the look-alike Ð (U+00D0)
    "2022 Nam": "male_2022",
    "2022 Nữ": "female_2022",
    "Sơ bộ 2023 Nam": "male_2023",
    "Sơ bộ 2023 Nữ": "female_2023",
}
GSO_OPTIONS = {"header_rows": 2, "na_values": [".."], "drop_rows_matching": "^(Tổng số|Nguồn)"}


def read(path: str, options: dict | None = None, base: Path = FIXTURES, **kw) -> Parsed:
    return run(CSV, source("csv", path=path, **kw), options or {}, context(base))


def read_text(tmp_path: Path, text: str, options: dict | None = None, **kw) -> Parsed:
    (tmp_path / "in.csv").write_bytes(text.encode("utf-8"))
    return read("in.csv", options, tmp_path, **kw)


def test_px_web_export(tmp_path):
    parsed = read("gso_population.csv", GSO_OPTIONS, rename=GSO_RENAME)
    assert parsed.table.to_pylist() == [
        {
            "unit": "Phường Hiệp Thành",
            "male_2022": "15234",
            "female_2022": "15876",
            "male_2023": "15410",
            "female_2023": "16020",
            "_row": 7,
        },
        {
            "unit": "Phường Phú Lợi",
            "male_2022": None,
            "female_2022": None,
            "male_2023": "14210",
            "female_2023": "14870",
            "_row": 8,
        },
        {
            "unit": "Phường Định Hòa",
            "male_2022": "9876",
            "female_2022": "10012",
            "male_2023": None,
            "female_2023": None,
            "_row": 10,
        },
    ]
    # two section rows, the totals row, the blank row and two footnotes
    assert (parsed.dropped, parsed.rejects) == (6, [])
    assert parsed.notes == ["header at row 4; encoding utf-8-sig; delimiter ';'"]


def test_px_web_totals_stay_without_drop_rows_matching():
    parsed = read("gso_population.csv", {"header_rows": 2, "na_values": [".."]}, rename=GSO_RENAME)
    assert col(parsed.table, "unit")[-2:] == ["Tổng số", "Nguồn: Chi cục Thống kê"]
    assert col(parsed.table, "_row") == [7, 8, 10, 11, 14]
    assert parsed.dropped == 4


def test_excel_unicode_text_export():
    rename = {"Mã phường": "ward_code", "Tên phường": "ward", "Số hồ sơ": "dossiers", "Ngày nhận": "received_on"}
    columns = {"ward_code": {}, "ward": {}, "dossiers": {"type": "integer"}, "received_on": {"type": "date"}}
    src = source("csv", path="one_stop_unicode.txt", rename=rename, columns=columns)
    parsed = run(CSV, src, {}, context(FIXTURES))
    assert parsed.notes == ["header at row 1; encoding utf-16; delimiter '\\t'"]
    assert col(parsed.table, "ward") == ["Hiệp Thành", "Phú Lợi", "Phú Cường, trung tâm"]
    good, rejects = contract_rows(src, parsed.table, {"date_format": "%d/%m/%Y"})
    assert [(g["dossiers"], g["received_on"].isoformat()) for g in good] == [
        (120, "2025-06-05"),
        (87, "2025-06-06"),
        (45, "2025-06-07"),
    ]
    assert rejects == []


def test_cp1258_text_is_composed_like_utf8():
    parsed = read("incidents_cp1258.csv", rename={"Mã phường": "ward_code", "Tên phường": "ward", "Số vụ": "n"})
    assert parsed.notes == ["header at row 1; encoding cp1258; delimiter ','"]
    # cp1258 stores tones as combining marks; the names must equal the ones typed in config
    assert col(parsed.table, "ward") == ["Hiệp Thành", "Định Hòa", "Tương Bình Hiệp"]
    assert col(parsed.table, "n") == ["3", "1", "0"]


def test_decimal_comma_and_thousands_dot():
    rename = {"Chỉ tiêu": "item", "Đơn vị": "unit", "Kế hoạch 2025": "plan", "Thực hiện 6 tháng": "actual"}
    columns = {"item": {"required": True}, "unit": {}, "plan": {"type": "double"}, "actual": {"type": "double"}}
    src = source("csv", path="budget_decimal_comma.csv", rename=rename, columns=columns)
    options = {"decimal": ",", "thousands": "."}
    good, rejects = contract_rows(src, run(CSV, src, options, context(FIXTURES)).table, options)
    assert [(g["plan"], g["actual"]) for g in good] == [(4250.5, 2130.75), (12000.0, 5432.1), (1200.0, 615.0)]
    assert rejects == []


def test_a_row_with_more_cells_than_the_header_is_a_reject_naming_its_row(tmp_path):
    parsed = read_text(tmp_path, "ward,a,b\n25741,1,2\n25744,3,4,5,6\n25747,7,8\n", columns={"ward": {}})
    assert col(parsed.table, "_row") == [2, 4]
    assert [r.row for r in parsed.rejects] == [3]
    assert parsed.rejects[0].reason.startswith("row has more cells than the header (3): 5")


def test_a_row_with_fewer_cells_is_padded(tmp_path):
    parsed = read_text(tmp_path, "ward,a,b\n25741,1\n25744,3,4\n", columns={"ward": {}})
    assert parsed.table.to_pylist() == [
        {"ward": "25741", "a": "1", "b": None, "_row": 2},
        {"ward": "25744", "a": "3", "b": "4", "_row": 3},
    ]


def test_an_empty_header_cell_is_named_by_its_position(tmp_path):
    parsed = read_text(tmp_path, "ward,,b,b\n25741,1,2,3\n")
    assert parsed.table.column_names == ["ward", "column_2", "b", "b_2", "_row"]


def test_the_header_is_found_under_title_lines(tmp_path):
    titles = "UBND THÀNH PHỐ THỦ DẦU MỘT\nPHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG\n\nBÁO CÁO QUAN TRẮC\nTháng 6/2025\n"
    parsed = read_text(
        tmp_path,
        titles + "Trạm,Mã phường,PM2.5\nS1,25741,21.5\nS2,25744,30\n",
        rename={"Mã phường": "ward_code", "PM2.5": "pm25"},
        columns={"ward_code": {}, "pm25": {}},
    )
    assert parsed.notes[0].startswith("header at row 6;")
    assert parsed.table.to_pylist() == [
        {"Trạm": "S1", "ward_code": "25741", "pm25": "21.5", "_row": 7},
        {"Trạm": "S2", "ward_code": "25744", "pm25": "30", "_row": 8},
    ]


def test_explicit_skip_rows(tmp_path):
    # the first row names a declared column too, so only skip_rows says where the header is
    text = "ward,note\nphường,ghi chú\nward,value\n25741,4\n"
    assert read_text(tmp_path, text, columns={"ward": {}}).table.column_names == ["ward", "note", "_row"]
    parsed = read_text(tmp_path, text, {"skip_rows": 2}, columns={"ward": {}})
    assert parsed.table.to_pylist() == [{"ward": "25741", "value": "4", "_row": 4}]
    with pytest.raises(ParseError, match="skip_rows=9: the payload has only 4 rows"):
        read_text(tmp_path, text, {"skip_rows": 9})


def test_a_quoted_line_break_keeps_row_numbers(tmp_path):
    text = '"Báo cáo\ntháng 6",,\nward,a,b\n25741,1,2\n"25744\n(mới)",3,4\n25747,5,6,7\n25750,8,9\n'
    parsed = read_text(tmp_path, text, columns={"ward": {}, "a": {}})
    assert col(parsed.table, "ward") == ["25741", "25744\n(mới)", "25750"]
    assert col(parsed.table, "_row") == [3, 4, 6]
    assert [r.row for r in parsed.rejects] == [5]


def test_a_quoted_line_break_in_a_title_row_loses_no_data(tmp_path):
    parsed = read_text(tmp_path, '"Báo cáo\ntháng 6",,\nward,a,b\n25741,1,2\n25744,3,4\n', columns={"ward": {}})
    assert col(parsed.table, "ward") == ["25741", "25744"]
    assert col(parsed.table, "_row") == [3, 4]


def test_blank_lines_count_as_rows(tmp_path):
    parsed = read_text(tmp_path, "ward,a\n25741,1\n\n\n25744,2\n", columns={"ward": {}})
    assert col(parsed.table, "_row") == [2, 5]
    assert parsed.dropped == 2


def test_delimiter_detection_and_an_explicit_one(tmp_path):
    assert read_text(tmp_path, "ward|a|b\n25741|1,5|2\n").table.column_names == ["ward", "a", "b", "_row"]
    text = "ward;a,b\n25741;1,2\n"  # as many commas as semicolons: detection takes the comma
    assert read_text(tmp_path, text).table.column_names == ["ward;a", "b", "_row"]
    assert read_text(tmp_path, text, {"delimiter": ";"}).table.to_pylist() == [
        {"ward": "25741", "a,b": "1,2", "_row": 2}
    ]


@pytest.mark.parametrize(
    "data, options, message",
    [
        (b"", {}, "no rows: the payload is empty"),
        (b"ward,a\n1,2\n", {"encoding": "latin-99"}, "cannot decode as latin-99"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, {}, "cannot tell the text encoding"),
    ],
)
def test_unreadable_payloads(tmp_path, data, options, message):
    (tmp_path / "in.csv").write_bytes(data)
    with pytest.raises(ParseError, match=message):
        read("in.csv", options, tmp_path)


# ------------------------------------------------------------------ files past the head sample (256 KiB)


def big_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        ward = ("25741", "25744", "25747")[i % 3]
        pm25 = ".." if i % 97 == 0 else f"{10 + i % 40},{i % 10}"
        rows.append([f"{i:06d}", ward, pm25, f"Trạm đo tự động phường số {i % 14} — ghi chú"])
    rows[2500] += ["thừa"]  # one row wider than the header, far below the head sample
    return rows


def write_big(path: Path, rows: list[list[str]], trailer: str = "", title: str = "Số liệu quan trắc bụi mịn") -> bytes:
    buf = io.StringIO()
    buf.write(f"{title};;;\n")
    pycsv.writer(buf, delimiter=";", lineterminator="\n").writerows([["Mã", "Mã phường", "PM2.5", "Ghi chú"], *rows])
    data = (buf.getvalue() + trailer).encode("utf-8")
    path.write_bytes(data)
    return data


@pytest.fixture
def reader_calls(monkeypatch) -> list[int]:
    """Counts the calls of Python's (slow) reader, which runs when DuckDB's cannot."""
    calls: list[int] = []
    slow = csv._rows_python

    def counted(*args, **kw):
        calls.append(1)
        return slow(*args, **kw)

    monkeypatch.setattr(csv, "_rows_python", counted)
    return calls


BIG = dict(
    rename={"Mã": "id", "Mã phường": "ward_code", "PM2.5": "pm25", "Ghi chú": "note"},
    columns={"id": {}, "ward_code": {}, "pm25": {}, "note": {}},
)
BIG_OPTIONS = {"na_values": [".."]}


def expected(rows: list[list[str]], first_row: int) -> list[dict]:
    out = []
    for i, r in enumerate(rows):
        if len(r) == 4:
            out.append(
                {
                    "id": r[0],
                    "ward_code": r[1],
                    "pm25": None if r[2] == ".." else r[2],
                    "note": r[3],
                    "_row": first_row + i,
                }
            )
    return out


def test_a_large_file_reads_the_same_by_duckdb_and_by_python(tmp_path, reader_calls):
    rows = big_rows(6000)
    data = write_big(tmp_path / "big.csv", rows)
    assert len(data) > csv.HEAD_BYTES
    src = source("csv", path="big.csv", **BIG)
    opts = csv.Options.model_validate(BIG_OPTIONS)
    payloads = CSV.fetch(src, opts, context(tmp_path))
    payloads[0].landed = tmp_path / "big.csv"  # as the ingest does: DuckDB reads the file itself
    fast = CSV.parse(src, opts, payloads)
    assert reader_calls == []
    assert fast.table.to_pylist() == expected(rows, 3)
    assert [(r.row, r.value) for r in fast.rejects] == [(2503, "thừa")]

    # a blank line at the end sends the same rows through Python's reader
    write_big(tmp_path / "big.csv", rows, trailer="\n;;;\n")
    slow = read("big.csv", BIG_OPTIONS, tmp_path, **BIG)
    assert reader_calls == [1]
    assert slow.table.to_pylist() == fast.table.to_pylist()
    assert slow.rejects == fast.rejects
    assert (fast.dropped, slow.dropped) == (0, 2)

    # and a small file (wholly inside the head sample) reads its rows the same way
    small = write_big(tmp_path / "small.csv", rows[:40])
    assert len(small) < csv.HEAD_BYTES
    assert read("small.csv", BIG_OPTIONS, tmp_path, **BIG).table.to_pylist() == expected(rows[:40], 3)


def test_a_character_cut_by_the_head_sample_is_still_utf8(tmp_path):
    rows = big_rows(6000)
    data = write_big(tmp_path / "big.csv", rows)
    # lengthen the title until a multi-byte character straddles the sample's end
    pad = next(k for k in range(80) if data[csv.HEAD_BYTES - k] & 0xC0 == 0x80)
    data = write_big(tmp_path / "big.csv", rows, title="Số liệu quan trắc bụi mịn" + "." * pad)
    assert data[csv.HEAD_BYTES] & 0xC0 == 0x80 and data[csv.HEAD_BYTES - 1] & 0x80
    parsed = read("big.csv", BIG_OPTIONS, tmp_path, **BIG)
    assert parsed.notes == ["header at row 2; encoding utf-8; delimiter ';'"]
    assert parsed.table.to_pylist() == expected(rows, 3)


def test_spans_of_some_lines_are_those_of_all_lines(tmp_path):
    """_spans finds a few lines' byte offsets a slice at a time; they equal _lines' over the whole payload, for
    lines across slice boundaries, empty lines, and data with and without a last line break, in bytes held
    or a file mapped into memory."""
    import random

    from connectors.base import Payload

    rng = random.Random(7)
    for trial in range(60):
        parts = [b"x" * rng.choice([0, 1, 2, 5, 300_000]) for _ in range(rng.randint(1, 30))]
        data = b"\n".join(parts) + (b"\n" if trial % 2 else b"")
        starts, ends = csv._lines(data)
        want = sorted(rng.sample(range(len(starts)), rng.randint(1, len(starts))))
        expected = [(int(starts[w]), int(ends[w])) for w in want]
        (tmp_path / "f.csv").write_bytes(data)
        for payload in (Payload(data, "csv"), Payload(ext="csv", file=tmp_path / "f.csv")):
            with payload.buffer() as buf:
                assert csv._spans(buf, want) == expected, (trial, want)
    (tmp_path / "empty.csv").write_bytes(b"")
    with Payload(ext="csv", file=tmp_path / "empty.csv").buffer() as buf:
        assert len(buf) == 0
