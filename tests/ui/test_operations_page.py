"""The operators' page and the freshness table tell the truth: a failed or held source never shows as on time,
a held run is accepted from the page with the operator's name, and the run history lists what happened."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ioc.config import load_config
from ioc.ingest import ingest
from ioc.ops import OpsStore
from tests.helpers import snapshot_rows, write_config
from tests.ui.conftest import run_page

AIR = {
    "connector": "csv",
    "sector": "env",
    "table": "env_air",
    "path": "air.csv",
    "schedule": "0 * * * *",
    "columns": {"ward_code": {"required": True}, "pm25": {"type": "double", "min": 0}},
}
MANY = "ward_code,pm25\n" + "".join(f"2574{i % 10},{i}\n" for i in range(30))


@pytest.fixture
def troubled(tmp_path: Path, monkeypatch) -> Path:
    """air: loaded fresh (30 rows), then a truncated file held; noise: its file is gone, so it failed, though its
    last good load is recent enough to be 'on time' by the clock."""
    (tmp_path / "air.csv").write_text(MANY, encoding="utf-8")
    (tmp_path / "noise.csv").write_text(MANY, encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR, "noise": AIR | {"table": "env_noise", "path": "noise.csv"}})
    monkeypatch.setenv("IOC_CONFIG", str(path))
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    cfg = load_config(path)
    assert not ingest(cfg).failed
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,1\n", encoding="utf-8")
    (tmp_path / "noise.csv").unlink()
    assert [r.status for r in ingest(cfg).results] == ["held", "failed"]
    return path


def _page(path: str, **params: str) -> AppTest:
    return run_page(path, **params)


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def test_operations_shows_each_state_and_accepts_a_held_run(troubled: Path) -> None:
    at = _page("pages/operations.py")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Nguồn cần xử lý": "2", "Chờ duyệt": "1", "Lỗi": "1", "Bộ lập lịch": "Không chạy"}
    states = _frames(at)[0].set_index("Nguồn")
    assert states.loc["air", "Trạng thái"] == "⚠ Chờ duyệt (số dòng giảm mạnh)"
    assert states.loc["noise", "Trạng thái"] == "⚠ Lỗi lần nạp gần nhất"
    assert "No such file" in states.loc["noise", "Lý do"]
    assert states.loc["air", "Số dòng"] == "30"  # what the table holds, not what was held
    held = "\n".join(m.value for m in at.markdown)
    assert "lần nạp 3 có 1 dòng, trong khi lần nạp tốt trước có 30 dòng" in held

    at.button(key="ops_accept_air").click().run()  # no name: refused, nothing loaded
    assert [w.value for w in at.warning] == ["Nhập tên người duyệt trước khi chấp nhận."]
    at.text_input(key="ops_by_air").input("Trần Văn A")
    at.button(key="ops_accept_air").click().run()
    assert not at.exception, at.exception
    assert at.success and at.success[0].value.startswith("Đã nạp air: 1 dòng, bản mới ")
    cfg = load_config(troubled)
    assert snapshot_rows(cfg, "SELECT count(*) FROM env_air") == [(1,)]
    assert OpsStore(cfg.data_path / "ops.sqlite").last_runs()["air"]["accepted_by"] == "Trần Văn A"
    states = _frames(at)[0].set_index("Nguồn")
    assert states.loc["air", "Trạng thái"] == "● Đúng hạn" and states.loc["air", "Số dòng"] == "1"

    history = _frames(at)[1]
    assert list(history["Kết quả"])[:3] == ["Thành công", "Lỗi", "Chờ duyệt"]
    only = _page("pages/operations.py", src="noise", problems="1")
    assert list(_frames(only)[1]["Kết quả"]) == ["Lỗi"]


def test_the_freshness_table_never_says_on_time_for_a_failed_source(troubled: Path) -> None:
    at = _page("pages/overview.py")
    assert not at.exception, at.exception
    table = _frames(at)[-1].set_index("Nguồn")
    assert set(table["Trạng thái"]) == {"⚠ Chờ duyệt (số dòng giảm mạnh)", "⚠ Lỗi lần nạp gần nhất"}
    assert "Đúng hạn" not in " ".join(table["Trạng thái"])


def test_the_outbox_shows_what_is_undelivered_and_sends_it_again(troubled: Path) -> None:
    """A message the receiver refused is shown with its answer, and an operator sends it again from the page."""
    import sqlite3

    from ioc import alerts, outbox

    cfg = load_config(troubled)
    path = alerts.ops_path(cfg)
    alerts.init(path)
    with sqlite3.connect(path) as con:
        mid = outbox.enqueue(con, "truc_ban", "k1", "[Khẩn cấp] Mở: PM2.5 <b>cao</b>", {"text": "x"})
        con.execute(
            "UPDATE outbox SET status = 'dead', attempts = 3, last_status = 410, last_error = ? WHERE id = ?",
            ("http://hook: HTTP 410 Gone: <script>alert(1)</script>", mid),
        )
    at = _page("pages/operations.py")
    assert not at.exception, at.exception
    html = "\n".join(getattr(e, "proto", e).body for e in at.get("html"))
    assert f"#{mid} · truc_ban" in html and "không gửi được sau 3 lần (mã 410)" in html
    assert "&lt;script&gt;" in html and "<script>" not in html and "&lt;b&gt;cao" in html  # data as text
    at.button(key=f"ops_retry_{mid}").click().run()
    assert not at.exception, at.exception
    assert outbox.messages(path, status="pending")[0]["id"] == mid


def test_a_source_turned_off_says_why_in_the_pages_language(tmp_path: Path, monkeypatch) -> None:
    """A source on the internet with `internet: false` is off, and the operations page says why in
    Vietnamese (the command line keeps the English words)."""
    (tmp_path / "air.csv").write_text(MANY, encoding="utf-8")
    web = {k: v for k, v in AIR.items() if k != "path"} | {"table": "env_web", "url": "https://api.example.org/a.csv"}
    path = write_config(tmp_path, {"air": AIR, "web": web}, internet=False)
    monkeypatch.setenv("IOC_CONFIG", str(path))
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    assert not ingest(load_config(path)).failed
    at = _page("pages/operations.py")
    assert not at.exception, at.exception
    states = _frames(at)[0].set_index("Nguồn")
    assert states.loc["web", "Trạng thái"] == "Đã tắt"
    assert states.loc["web", "Lý do"].startswith("Địa chỉ của nguồn nằm trên Internet"), states.loc["web", "Lý do"]
