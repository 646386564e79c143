"""AppTest of the analyst pages on the sample data: catalog, explorer, SQL console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import run_page
from tests.ui.test_pages import _elements

pytestmark = pytest.mark.usefixtures("sample_data")


def _page(path: str, **params: str) -> AppTest:
    return run_page(path, **params)


def _texts(at: AppTest) -> str:
    return "\n".join([e.value for e in at.error] + [w.value for w in at.warning] + [c.value for c in at.caption])


@pytest.mark.parametrize("path", ["pages/catalog.py", "pages/explorer.py", "pages/sql_console.py"])
def test_each_page_runs_by_default(path: str) -> None:
    at = _page(path)
    assert not at.exception, at.exception
    assert not at.error and not at.warning, _texts(at)


def test_catalog_lists_every_table_with_facts_from_the_snapshot(sample_data: Path) -> None:
    from ioc.warehouse import Warehouse

    at = _page("pages/catalog.py")
    listing = at.dataframe[0].value
    with Warehouse(sample_data / "warehouse").connect() as con:
        rows = dict(con.execute("SELECT 'admin_dossiers', count(*) FROM admin_dossiers").fetchall())
        rejects = con.execute(
            "SELECT count(*) FROM _rejects r JOIN _lineage l ON r.source = l.source AND r.run_id = l.run_id "
            "WHERE l.table_name = 'admin_dossiers'"
        ).fetchone()[0]
    tables = list(listing["Bảng"])
    assert {"admin_dossiers", "dim_ward", "indicator", "indicator_value", "_runs", "_rejects", "_lineage"} <= set(
        tables
    )
    row = listing[listing["Bảng"] == "admin_dossiers"].iloc[0]
    assert row["Số dòng"] == rows["admin_dossiers"] and row["Dòng bị loại"] == rejects
    from ioc import status
    from ioc.config import load_config

    state = next(s["state"] for s in status.source_status(load_config())["sources"] if s["source"] == "admin_dossiers")
    assert row["Lĩnh vực"] == "Hành chính công" and row["Độ mới"] == status.label(state, "vi")
    assert row["Mô tả"].startswith("Hồ sơ thủ tục hành chính")


@pytest.mark.parametrize(
    "query, expected, first",
    [
        ("phu cuong", {"dim_ward", "env_stations", "tourism_sights"}, None),
        ("ho so", {"admin_dossiers"}, "admin_dossiers"),
        ("Hồ sơ", {"admin_dossiers"}, "admin_dossiers"),
        ("dossier", {"admin_dossiers", "admin_dossiers_monthly"}, "admin_dossiers"),
    ],
)
def test_catalog_search_ignores_accents(query: str, expected: set, first) -> None:
    at = _page("pages/catalog.py", q=query)
    assert not at.exception, at.exception
    found = list(at.dataframe[0].value["Bảng"])
    assert expected <= set(found), found
    if first:
        assert found[0] == first
    assert "air" not in " ".join(found) or query == "phu cuong"


def test_catalog_opens_a_table_from_the_url() -> None:
    at = _page("pages/catalog.py", table="admin_dossiers")
    assert not at.exception, at.exception
    assert at.selectbox(key="table").value == "admin_dossiers"
    columns = at.dataframe[2].value
    assert list(columns["Cột"])[:3] == ["dossier_id", "agency", "field"]
    agency = columns[columns["Cột"] == "agency"].iloc[0]
    assert agency["Mô tả"] == "Cơ quan giải quyết" and agency["Tỷ lệ trống"] == "0,0 %"
    rejects = at.dataframe[3].value
    assert len(rejects) > 0 and "Lý do" in rejects.columns
    assert {m.label for m in at.metric} >= {"Số dòng", "Số cột", "Dòng bị loại"}


def test_catalog_lists_the_rows_a_load_set_aside_with_their_line_and_reason() -> None:
    at = _page("pages/catalog.py", table="health_disease_weekly")
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert "Nguồn health_disease: 3 dòng không phải số liệu được bỏ qua" in labels
    gone = at.dataframe[-1].value
    assert list(gone.columns) == ["Dòng trong tệp gốc", "Lý do", "Nội dung"]
    assert list(gone["Lý do"])[:2] == ["Dòng trống", "Dòng tiêu đề (chỉ có ô đầu)"]
    assert gone["Nội dung"].iloc[1].startswith("Ghi chú: Số liệu theo ngày khởi phát")


def test_an_explorer_url_reproduces_the_view() -> None:
    at = _page(
        "pages/explorer.py", t="admin_dossiers", g="ward_code", tg="month:received_at", m="count", f="online:eq:true"
    )
    assert not at.exception, at.exception
    assert at.selectbox(key="t").value == "admin_dossiers"
    assert at.multiselect(key="x_groups").value == ["ward_code"]
    assert at.selectbox(key="x_grain").value == "month"
    result = at.dataframe[0].value
    assert list(result.columns) == ["Tháng", "Phường của người nộp", "Tên phường", "Số dòng"]
    from ioc.config import load_config
    from ioc.warehouse import Warehouse

    cfg = load_config()
    with Warehouse(cfg.data_path / "warehouse").connect() as con:
        online = con.execute("SELECT count(*) FROM admin_dossiers WHERE online").fetchone()[0]
        months = con.execute(
            "SELECT count(DISTINCT (date_trunc('month', received_at), ward_code)) FROM admin_dossiers WHERE online"
        ).fetchone()[0]
    assert result["Số dòng"].sum() == online and len(result) == months
    assert result["Tháng"].iloc[0].startswith("Tháng ")
    chart = json.loads((_elements(at, "vega_lite_chart") or _elements(at, "arrow_vega_lite_chart"))[0].proto.spec)
    assert chart["mark"]["type"] == "line"
    sql = at.code[0].value
    assert 'WHERE "online" = ?' in sql and "date_trunc('month', \"received_at\")" in sql


def test_explorer_grouped_by_ward_draws_a_map_and_ungrouped_a_number() -> None:
    at = _page("pages/explorer.py", t="admin_dossiers", g="ward_code")
    assert not at.exception, at.exception
    deck = json.loads(_elements(at, "deck_gl_json_chart")[0].proto.json)
    assert len(next(layer for layer in deck["layers"] if layer["id"] == "wards")["data"]["features"]) == 14
    at = _page("pages/explorer.py", t="admin_dossiers", f="online:eq:false")
    assert at.metric[0].label == "Số dòng" and int(at.metric[0].value.replace(".", "")) > 1000


def test_explorer_saves_a_view_for_everyone() -> None:
    at = _page("pages/explorer.py", t="admin_dossiers", g="status")
    at.text_input(key="x_view_name").input("Hồ sơ theo trạng thái").run()
    at.button(key="x_view_save").click().run()
    assert not at.exception, at.exception
    at2 = _page("pages/explorer.py")
    names = [b.label for b in at2.button if b.label.startswith("↗")]
    assert "↗ Hồ sơ theo trạng thái" in names
    at2.button(key=next(str(b.key) for b in at2.button if b.label == "↗ Hồ sơ theo trạng thái")).click().run()
    assert at2.multiselect(key="x_groups").value == ["status"]


def test_console_refuses_copy_with_a_message() -> None:
    at = _page("pages/sql_console.py")
    at.text_area(key="sql").input("COPY (SELECT 1) TO '/tmp/x.csv'").run()
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "COPY" in at.error[0].value and "Không chạy" in at.error[0].value
    assert not Path("/tmp/x.csv").exists() or Path("/tmp/x.csv").stat().st_mtime < 0


def test_console_runs_a_count_and_remembers_it() -> None:
    at = _page("pages/sql_console.py")
    at.text_area(key="sql").input("SELECT count(*) FROM admin_dossiers").run()
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert at.dataframe[0].value.iloc[0, 0] > 20_000
    assert any(b.label.startswith("↺ SELECT count(*) FROM admin_dossiers") for b in at.button)


def test_console_shows_duckdb_errors_not_tracebacks() -> None:
    at = _page("pages/sql_console.py")
    for query, words in [
        ("SELECT * FROM nowhere", "Catalog Error"),
        ("SELECT * FROM read_text('/etc/hostname')", "tệp"),
        ("SELEC 1", "Parser Error"),
    ]:
        at.text_area(key="sql").input(query).run()
        at.button(key="sql_run").click().run()
        assert not at.exception, at.exception
        assert words in at.error[0].value, at.error[0].value


def test_console_says_in_vietnamese_what_to_do_and_refuses_what_it_cannot_run_alone() -> None:
    """A DuckDB error comes after a Vietnamese line saying what to do; several statements, PREPARE, a query of
    comments only and the server's settings or paths are refused with their reason, nothing run."""
    at = _page("pages/sql_console.py")
    for query, words in [
        ("SELECT * FROM nowhere", "Không có bảng hoặc cột với tên này"),
        ("SELEC 1", "Câu lệnh sai cú pháp"),
        ("SELECT 1; SELECT 2", "mỗi lần chạy một câu lệnh"),
        ("-- chỉ có chú thích", "chỉ có chú thích"),
        ("PREPARE q AS SELECT 1", "PREPARE/EXECUTE"),
        ("SELECT path FROM duckdb_databases", "máy chủ"),
        ("PRAGMA database_list", "PRAGMA"),
    ]:
        at.text_area(key="sql").input(query).run()
        at.button(key="sql_run").click().run()
        assert not at.exception, (query, at.exception)
        assert at.error and words in at.error[0].value, (query, at.error[0].value if at.error else None)
        assert not at.dataframe, query
    from ioc import audit
    from ioc.ui import state

    tried = audit.entries(state.config().data_path / "ops.sqlite", limit=7)
    assert [e["action"] for e in tried][:5] == ["sql_refused"] * 5 and tried[0]["who"] == "anonymous"
    assert tried[0]["detail"] == "pragma: PRAGMA database_list"


def test_small_counts_of_people_read_less_than_five_in_the_explorer_its_exports_and_the_console() -> None:
    """Counts of people declared `sensitive` are text in the analysts' tools: "<5" from 1 to 4 in the explorer's
    result and in each of its export formats, never a number it could sum or take the largest of; the console
    says why it cannot sum them."""
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from ioc import access, exports
    from ioc.config import load_config
    from ioc.warehouse import Warehouse

    at = _page(
        "pages/explorer.py",
        t="labour_social_quarterly",
        g="ward_code,children_special",
        m="count,max:children_special,sum:poor_households",
    )
    assert not at.exception, at.exception
    result = at.dataframe[0].value
    shown = set(result["Trẻ em có hoàn cảnh đặc biệt"])
    assert "<5" in shown and not shown & {"1", "2", "3", "4", 1, 2, 3, 4}, shown
    # a bookmark asking for the largest count or a sum of them opens with the row count alone
    assert at.multiselect(key="x_measures").value == ["count"]
    offered = [m for m in at.multiselect(key="x_measures").options if "Hộ nghèo" in m or "hoàn cảnh" in m]
    assert offered and all(m.startswith("Số giá trị khác nhau") for m in offered), offered

    cfg = load_config()
    sc = access.scope(cfg, access.OPEN, adhoc=True)
    assert sc is not None
    tool = access.scoped_path(Warehouse(cfg.data_path / "warehouse").current_path(), sc)
    sql = at.code[0].value
    files = {fmt: exports.export_query(cfg, sql, None, fmt, path=tool) for fmt in exports.FORMATS}
    csv = pd.read_csv(io.BytesIO(files["csv"]), dtype=str, encoding="utf-8-sig")
    ws = load_workbook(io.BytesIO(files["xlsx"]), read_only=True).worksheets[0]
    xlsx = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    parquet = pd.read_parquet(io.BytesIO(files["parquet"]))["children_special"].tolist()
    for name, cells in (("csv", csv.iloc[:, 1].tolist()), ("xlsx", xlsx), ("parquet", parquet)):
        assert "<5" in cells and not {c for c in cells if c in ("1", "2", "3", "4", 1, 2, 3, 4)}, name
        assert len(cells) == len(result), name

    at = _page("pages/sql_console.py")
    at.text_area(key="sql").input("SELECT ward_code, sum(children_special) FROM labour_social_quarterly GROUP BY 1")
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    assert at.error and "số đếm nhỏ về con người" in at.error[0].value, at.error[0].value
    at.text_area(key="sql").input("SELECT DISTINCT children_special AS n FROM labour_social_quarterly").run()
    at.button(key="sql_run").click().run()
    values = set(at.dataframe[0].value["n"])
    assert "<5" in values and not values & {"1", "2", "3", "4"}, values
