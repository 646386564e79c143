"""`python -m ioc`: exit codes, status and freshness, and a SQL prompt that reads and nothing else."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ioc.cli import main
from ioc.config import load_config
from ioc.errors import QueryError
from ioc.freshness import data_behind, freshness
from ioc.sandbox import run_readonly
from tests.helpers import cli, write_config

AIR = {
    "connector": "csv",
    "sector": "env",
    "table": "env_air",
    "path": "air.csv",
    "schedule": "0 * * * *",
    "columns": {"ward_code": {"required": True}, "pm25": {"type": "double", "min": 0}},
}
NOISE = {**AIR, "table": "env_noise", "path": "noise.csv", "enabled": False, "schedule": "0 6 * * *"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """A config whose `air` was ingested once (two rows, one reject); `noise` is scheduled but never loaded."""
    folder = tmp_path_factory.mktemp("city")
    (folder / "air.csv").write_text("ward_code,pm25\n25741,21.5\n25744,30\n25747,-2\n", encoding="utf-8")
    path = write_config(folder, {"air": AIR, "noise": NOISE})
    done = cli("ingest", "--all", "--config", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_validate_exit_codes(tmp_path):
    good = write_config(tmp_path, {"air": AIR})
    assert cli("validate", "--config", str(good)).returncode == 0
    bad = write_config(tmp_path, {"air": {**AIR, "mode": "merge"}}, name="bad.yaml")
    assert cli("validate", "--config", str(bad)).returncode == 2


def test_ingest_succeeds_with_rejects(loaded):
    runs = json.loads(cli("status", "--json", "--config", str(loaded)).stdout)["sources"]
    assert [(s["source"], s["status"], s["rows"], s["rejects"]) for s in runs] == [
        ("air", "ok", 2, 1),
        ("noise", "never", None, None),
    ]


def test_ingest_fails_naming_the_source_and_why(tmp_path):
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,21.5\n", encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR, "noise": {**NOISE, "enabled": True}})
    done = cli("ingest", "--all", "--config", str(path))
    assert done.returncode == 1
    assert done.stderr == f"FAILED noise: {tmp_path / 'noise.csv'}: No such file or directory\n"
    assert "✓ air" in done.stdout and "✗ noise" in done.stdout
    assert "snapshot " in done.stdout and "published" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "air"], "error: unknown source(s): nope; known: air, noise\n"),
        ([], "error: name the sources to ingest, or --all\n"),
        (["--all", "air"], "error: give --all or source names, not both\n"),
    ],
)
def test_ingest_usage_errors(loaded, capsys, args, message):
    assert main(["ingest", *args, "--config", str(loaded)]) == 1
    assert capsys.readouterr().err == message


def test_status_json(loaded):
    done = cli("status", "--json", "--config", str(loaded))
    assert done.returncode == 0
    st = json.loads(done.stdout)
    assert set(st) == {"snapshot", "scheduler", "last_rollback", "sources"}
    assert set(st["snapshot"]) == {"id", "created"} and st["snapshot"]["id"]
    assert st["scheduler"]["running"] is False and st["last_rollback"] is None
    air, noise = st["sources"]
    assert set(air) == {
        "source",
        "sector",
        "table",
        "connector",
        "enabled",
        "schedule",
        "state",
        "reason",
        "why",
        "status",
        "last_run",
        "last_run_id",
        "last_good",
        "rows",
        "rejects",
        "rows_held",
        "rows_previous",
        "expected_by",
        "latest",
        "latest_grain",
        "behind",
        "next_run",
        "error",
    }
    assert (air["status"], air["state"], air["error"], air["reason"]) == ("ok", "fresh", None, None)
    assert dt.datetime.fromisoformat(air["last_good"]).tzinfo is not None
    nxt = dt.datetime.fromisoformat(air["next_run"])  # hourly: within the hour, on the hour
    assert nxt.minute == 0 and dt.timedelta(0) < nxt - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    assert {k: noise[k] for k in ("status", "state", "last_run", "last_good", "rows", "enabled", "next_run")} == {
        "status": "never",
        "state": "off",  # disabled: nothing to act on, and no next run
        "last_run": None,
        "last_good": None,
        "rows": None,
        "enabled": False,
        "next_run": None,
    }


def test_status_table(loaded):
    done = cli("status", "--config", str(loaded))
    lines = done.stdout.splitlines()
    assert lines[0].startswith("snapshot: 2")
    assert lines[1] == "scheduler: not running"
    assert lines[2].split() == ["source", "state", "rows", "rejects", "last", "good", "next", "run", "reason"]
    assert lines[4].split()[:4] == ["air", "fresh", "2", "1"]
    assert lines[5].split() == ["noise", "off", "-", "-", "-", "-"]


def test_config_may_come_before_or_after_the_command(loaded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./config.yaml here: a config silently not used would fail
    before = cli("--config", str(loaded), "status", cwd=tmp_path)
    after = cli("status", "--config", str(loaded), cwd=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr
    assert before.stdout.splitlines()[0] == after.stdout.splitlines()[0]
    assert before.stdout.splitlines()[0].startswith("snapshot: 2")


def test_runs_lists_the_history_and_the_failed_ones(tmp_path):
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,21.5\n25744,3\n", encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR, "noise": {**NOISE, "enabled": True}})
    assert cli("ingest", "--all", "--config", str(path)).returncode == 1  # noise.csv is missing
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,22\n25744,3\n", encoding="utf-8")
    assert cli("ingest", "air", "--config", str(path)).returncode == 0
    lines = cli("runs", "--config", str(path)).stdout.splitlines()
    assert lines[0].split()[:4] == ["run", "source", "status", "started"]
    assert [ln.split()[1:3] for ln in lines[2:]] == [["air", "ok"], ["noise", "failed"], ["air", "ok"]]
    failed = cli("runs", "--failed", "--config", str(path)).stdout.splitlines()
    assert [ln.split()[1:3] for ln in failed[2:]] == [["noise", "failed"]] and "No such file" in failed[2]
    only = json.loads(cli("runs", "air", "--json", "--config", str(path)).stdout)
    assert [r["source"] for r in only] == ["air", "air"] and only[0]["rows_loaded"] == 2
    bad = cli("runs", "nope", "--config", str(path))
    assert bad.returncode == 1 and "unknown source nope" in bad.stderr


def test_a_held_run_exits_1_and_accept_loads_it(tmp_path):
    many = "ward_code,pm25\n" + "".join(f"2574{i % 10},{i}\n" for i in range(30))
    (tmp_path / "air.csv").write_text(many, encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR})
    assert cli("ingest", "air", "--config", str(path)).returncode == 0
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,1\n", encoding="utf-8")
    held = cli("ingest", "air", "--config", str(path))
    assert held.returncode == 1 and "⏸ air" in held.stdout
    assert held.stderr.startswith("HELD air: held: 1 rows against 30 at the last good load")
    st = json.loads(cli("status", "--json", "--config", str(path)).stdout)["sources"][0]
    assert (st["state"], st["rows"], st["rows_held"], st["rows_previous"]) == ("held", 30, 1, 30)
    assert st["reason"].startswith("held: 1 rows against 30")
    done = cli("accept", "air", "--config", str(path))
    assert done.returncode == 0 and "published" in done.stdout, done.stderr
    st = json.loads(cli("status", "--json", "--config", str(path)).stdout)["sources"][0]
    assert (st["state"], st["rows"]) == ("fresh", 1)
    again = cli("accept", "air", "--config", str(path))
    assert again.returncode == 1 and "no held run to accept (its last run: ok)" in again.stderr


def test_a_rollback_is_recorded_and_last_good_follows_the_snapshot_served(tmp_path):
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,1\n25744,2\n", encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR})
    cli("ingest", "air", "--config", str(path))
    first = json.loads(cli("status", "--json", "--config", str(path)).stdout)
    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,1\n25744,2\n25747,3\n", encoding="utf-8")
    cli("ingest", "air", "--config", str(path))
    second = json.loads(cli("status", "--json", "--config", str(path)).stdout)
    assert second["sources"][0]["rows"] == 3 and second["sources"][0]["last_good"] >= first["sources"][0]["last_good"]

    done = cli("snapshots", "--rollback", first["snapshot"]["id"], "--config", str(path))
    assert done.returncode == 0, done.stderr
    back = json.loads(cli("status", "--json", "--config", str(path)).stdout)
    assert back["snapshot"]["id"] == first["snapshot"]["id"]
    assert back["last_rollback"]["to"] == first["snapshot"]["id"]
    assert back["last_rollback"]["from"] == second["snapshot"]["id"] and back["last_rollback"]["by"]
    air = back["sources"][0]
    assert (air["rows"], air["last_good"]) == (2, first["sources"][0]["last_good"])
    assert "last rollback: to " + first["snapshot"]["id"] in cli("status", "--config", str(path)).stdout


def test_a_killed_ingest_shows_interrupted_at_once(tmp_path):
    """kill -9 leaves its run 'running'; status, with nobody holding the build lock, says interrupted."""
    from ioc.ops import OpsStore

    (tmp_path / "air.csv").write_text("ward_code,pm25\n25741,1\n", encoding="utf-8")
    path = write_config(tmp_path, {"air": AIR})
    cli("ingest", "air", "--config", str(path))
    cfg = load_config(path)
    OpsStore(cfg.data_path / "ops.sqlite").start_run("air")  # as a process killed mid-run leaves it
    air = json.loads(cli("status", "--json", "--config", str(path)).stdout)["sources"][0]
    assert (air["state"], air["status"], air["rows"]) == ("interrupted", "interrupted", 1)
    assert "stopped before its snapshot was published" in air["reason"]


UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


FRESHNESS = [
    # cron, time zone, last good load, now, state
    (None, "UTC", None, at(2025, 6, 5, 10, 20), "never"),
    (None, "UTC", at(2025, 6, 5, 10, 5), at(2025, 6, 5, 10, 20), "manual"),
    ("0 * * * *", "UTC", None, at(2025, 6, 5, 10, 20), "never"),
    ("0 * * * *", "UTC", at(2025, 6, 5, 10, 5), at(2025, 6, 5, 10, 20), "fresh"),
    ("0 * * * *", "UTC", at(2025, 6, 5, 9, 5), at(2025, 6, 5, 10, 20), "fresh"),  # within half an hour's grace
    ("0 * * * *", "UTC", at(2025, 6, 5, 9, 5), at(2025, 6, 5, 10, 40), "late"),
    ("0 * * * *", "UTC", at(2025, 6, 5, 8, 5), at(2025, 6, 5, 10, 20), "late"),  # missed a whole run
    ("*/15 * * * *", "UTC", at(2025, 6, 5, 9, 50), at(2025, 6, 5, 10, 20), "late"),
    # 06:00 city time is 23:00 UTC the day before: the same loads are fresh in the city and late in UTC
    ("0 6 * * *", "Asia/Ho_Chi_Minh", at(2025, 6, 4, 5), at(2025, 6, 5, 10), "fresh"),
    ("0 6 * * *", "UTC", at(2025, 6, 4, 5), at(2025, 6, 5, 10), "late"),
    ("0 6 * * *", "Asia/Ho_Chi_Minh", at(2025, 6, 4, 5), at(2025, 6, 5, 12), "late"),
    # Mondays in cron's numbering (2025-06-02 is a Monday): the next Monday's load may come until Thursday
    ("0 6 * * 1", "Asia/Ho_Chi_Minh", at(2025, 6, 2, 0), at(2025, 6, 5, 10), "fresh"),
    ("0 6 * * 1", "Asia/Ho_Chi_Minh", at(2025, 6, 2, 0), at(2025, 6, 9, 12), "fresh"),
    ("0 6 * * 1", "Asia/Ho_Chi_Minh", at(2025, 6, 2, 0), at(2025, 6, 12, 12), "late"),
    # weekdays: Tuesday's load missed Wednesday's and Thursday's runs; Friday's covers the weekend
    ("0 6 * * 1-5", "Asia/Ho_Chi_Minh", at(2025, 6, 3, 0), at(2025, 6, 5, 3), "late"),
    ("0 6 * * 1-5", "Asia/Ho_Chi_Minh", at(2025, 6, 6, 0), at(2025, 6, 8, 12), "fresh"),
    ("0 6 * * 1-5", "Asia/Ho_Chi_Minh", at(2025, 6, 6, 0), at(2025, 6, 9, 3), "fresh"),
    ("0 6 * * 1-5", "Asia/Ho_Chi_Minh", at(2025, 6, 5, 0), at(2025, 6, 9, 3), "late"),
    ("0 6 * * mon-fri", "Asia/Ho_Chi_Minh", at(2025, 6, 6, 0), at(2025, 6, 9, 3), "fresh"),
    # a monthly run looks back far enough to find the run before
    ("0 6 1 * *", "UTC", at(2025, 4, 1, 7), at(2025, 6, 1, 8), "late"),
    ("0 6 1 * *", "UTC", at(2025, 5, 1, 7), at(2025, 6, 1, 8), "fresh"),
]


@pytest.mark.parametrize("cron, tz, last, now, state", FRESHNESS)
def test_freshness(cron, tz, last, now, state):
    assert freshness(cron, tz, last.timestamp() if last else None, now).state == state


def test_freshness_expects_a_load_by_half_an_interval_after_the_run():
    f = freshness("0 6 * * 1-5", "Asia/Ho_Chi_Minh", at(2025, 6, 4, 0).timestamp(), at(2025, 6, 5, 3))
    assert f.state == "fresh"
    assert f.interval == dt.timedelta(days=1)
    # Thursday 06:00 city time (a weekday in cron's numbering), plus half a day
    assert f.expected_by == dt.datetime.fromisoformat("2025-06-05T18:00:00+07:00")


def test_sql_csv_has_a_header_row(loaded):
    done = cli("sql", "SELECT ward_code, pm25 FROM env_air ORDER BY 1", "--format", "csv", "--config", str(loaded))
    assert (done.returncode, done.stdout) == (0, "ward_code,pm25\n25741,21.5\n25744,30.0\n")


def test_sql_json_and_table(loaded, capsys):
    assert main(["sql", "SELECT count(*) AS n FROM env_air", "--format", "json", "--config", str(loaded)]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 2}]
    assert main(["sql", "SELECT count(*) AS n FROM env_air", "--config", str(loaded)]) == 0
    assert capsys.readouterr().out == "n\n-\n2\n(1 rows)\n"


REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", 'Permission Error: Cannot access file "/etc/passwd"'),
    ("COPY env_air TO '{folder}/out.csv'", "Permission Error: Cannot access file"),
    ("ATTACH '{folder}/other.duckdb' AS other", "Permission Error: Cannot access file"),
    ("INSTALL spatial", "Permission Error"),
    ("LOAD spatial", "Permission Error"),
    ("SET enable_external_access = true", "Invalid Input Error: Cannot change configuration option"),
    ("SET threads = 1", "Invalid Input Error: Cannot change configuration option"),
    ("DELETE FROM env_air", "read-only mode"),
    ("CREATE TABLE x AS SELECT 1", "read-only mode"),
]


@pytest.mark.parametrize("query, message", REFUSED, ids=[q[0].split()[0] + ":" + q[0].split()[-1] for q in REFUSED])
def test_sql_refuses_writes_and_file_access(loaded, capsys, query, message):
    query = query.format(folder=loaded.parent)
    assert main(["sql", query, "--config", str(loaded)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("error: ")
    assert message in out.err
    assert not (loaded.parent / "out.csv").exists() and not (loaded.parent / "other.duckdb").exists()


def test_sql_refusal_from_the_real_command_has_no_traceback(loaded):
    done = cli("sql", "SELECT * FROM read_text('/etc/hostname')", "--config", str(loaded))
    assert done.returncode == 1
    assert done.stderr.startswith('error: Permission Error: Cannot access file "/etc/hostname"')
    assert "Traceback" not in done.stderr


def test_sql_before_any_snapshot(tmp_path, capsys):
    path = write_config(tmp_path, {"air": AIR})
    assert main(["sql", "SELECT 1", "--config", str(path)]) == 1
    assert "no snapshot published yet" in capsys.readouterr().err


def test_a_query_past_its_time_limit_is_stopped(loaded):
    cfg = load_config(loaded)
    with pytest.raises(QueryError, match=r"^the query ran longer than 0.2 s and was stopped$"):
        run_readonly(cfg, "SELECT count(*) FROM range(100000000000)", timeout=0.2)
    assert run_readonly(cfg, "SELECT * FROM range(10)", limit=3) == (["range"], [(0,), (1,), (2,)])


def test_the_sandbox_opens_beside_a_plain_reader_in_the_same_process(tmp_path):
    """The Streamlit server holds a plain read-only connection; an analyst's sandboxed query must still run."""
    import duckdb

    from ioc.sandbox import connect

    path = tmp_path / "snap.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    reader = duckdb.connect(str(path), read_only=True)
    try:
        sandbox = connect(str(path))
        assert sandbox.execute("SELECT x FROM t").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error, match=r"disabled|Permission"):
            sandbox.execute("SELECT * FROM read_csv('/etc/passwd')")
        sandbox.close()
    finally:
        reader.close()


def local(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour)  # city time, naive, as the warehouse stores it


HCM = "Asia/Ho_Chi_Minh"
BEHIND = [
    # latest period (city time), grain, lag, cron, now (UTC), periods behind
    # an hourly feed: at 10:20 city time (03:20 UTC), the 10:05 run promised the 09:00 hour
    (local(2025, 6, 5, 9), "hour", 0, "5 * * * *", at(2025, 6, 5, 3, 20), 0),
    (local(2025, 6, 5, 7), "hour", 0, "5 * * * *", at(2025, 6, 5, 3, 20), 2),
    (local(2025, 5, 4, 9), "hour", 0, "5 * * * *", at(2025, 6, 5, 3, 20), 32 * 24),  # 32 days old
    # within 15 minutes of a run the run before it counts (the load may be under way)
    (local(2025, 6, 5, 8), "hour", 0, "5 * * * *", at(2025, 6, 5, 3, 10), 0),
    # a monthly report due on the 5th: on 3 June the April report is what is promised; on 6 June May's
    (local(2025, 4, 1), "month", 0, "0 7 5 * *", at(2025, 6, 3), 0),
    (local(2025, 4, 1), "month", 0, "0 7 5 * *", at(2025, 6, 6), 1),
    (local(2025, 4, 1), "month", 1, "0 7 5 * *", at(2025, 6, 6), 0),  # published with a month's lag
    # weekly data (weeks from Monday), daily, quarterly, yearly, and by hand (no schedule: now)
    (local(2025, 5, 26), "week", 0, "0 8 * * 2", at(2025, 6, 5), 0),
    (local(2025, 5, 19), "week", 0, "0 8 * * 2", at(2025, 6, 5), 1),
    (local(2025, 6, 4), "day", 0, "30 6 * * *", at(2025, 6, 5), 0),  # 07:00 city time: 06:30 promised the 4th
    (local(2025, 6, 3), "day", 0, "30 6 * * *", at(2025, 6, 5), 1),
    (local(2025, 1, 1), "quarter", 0, "0 7 15 1,4,7,10 *", at(2025, 6, 5), 0),
    (local(2024, 1, 1), "year", 0, None, at(2025, 6, 5), 0),
    (local(2023, 1, 1), "year", 0, None, at(2025, 6, 5), 1),
    (None, "day", 0, None, at(2025, 6, 5), None),
]


@pytest.mark.parametrize("latest, grain, lag, cron, now, behind", BEHIND)
def test_data_behind_its_schedules_promise(latest, grain, lag, cron, now, behind):
    assert data_behind(latest, grain, lag, cron, HCM, now) == behind


def test_a_source_loaded_on_time_with_old_data_is_late(tmp_path):
    """An hourly air feed whose latest reading is 32 days old is late, whatever time it was loaded: status
    names the latest reading and how far behind it is."""
    now = dt.datetime.now(dt.UTC)
    old = (now - dt.timedelta(days=32)).astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    rows = "\n".join(f"25741,{(old - dt.timedelta(hours=h)):%Y-%m-%d %H:00:00},{20 + h}" for h in range(3))
    (tmp_path / "air.csv").write_text("ward_code,measured_at,pm25\n" + rows + "\n", encoding="utf-8")
    src = {
        **AIR,
        "schedule": "5 * * * *",
        "columns": {**AIR["columns"], "measured_at": {"type": "timestamp"}},
        "latest": {"column": "measured_at", "grain": "hour"},
    }
    path = write_config(tmp_path, {"air": src, "fresh": {**src, "table": "env_air_2", "latest": None}})
    assert cli("ingest", "--all", "--config", str(path)).returncode == 0
    air, fresh = json.loads(cli("status", "--json", "--config", str(path)).stdout)["sources"]
    assert (air["status"], air["state"], air["latest_grain"]) == ("ok", "late", "hour")
    assert air["latest"] == f"{old:%Y-%m-%d %H}:00" and air["behind"] >= 32 * 24 - 2
    assert "its latest data is of" in air["reason"] and "behind what its schedule promises" in air["reason"]
    assert fresh["state"] == "fresh" and fresh["latest"] is None  # no `latest`: judged by its loads alone
    # the pages word the same reason in their language, the time as the city writes it
    from ioc.status import reason

    vi, en = reason(air, "vi"), reason(air, "en")
    assert vi.startswith(f"Số liệu mới nhất là của {old:%H}:00 {old:%d/%m/%Y} (cột measured_at): chậm ") and "giờ" in vi
    assert en.startswith(f"Its latest data is of {old:%H}:00 {old:%d/%m/%Y}") and "hours behind" in en
    assert reason({"reason": "the payload lacks column(s) x"}, "vi") == "the payload lacks column(s) x"
