"""Alerts end to end on real parts: rules evaluated after each published snapshot (DuckDB files on disk),
their life in the ops store (SQLite), notifications through the outbox to a real HTTP receiver and a real
SMTP server on 127.0.0.1, and the push to the province."""

from __future__ import annotations

import json
import time

import pytest

from ioc import alerts, i18n, outbox, province
from ioc.config import load_config
from ioc.errors import ConfigError, IOCError
from ioc.ingest import ingest as ingest_only
from ioc.status import rollback
from ioc.warehouse import Warehouse
from tests.helpers import Reply, write_config
from tests.test_ingest import AIR

WARD_PM = {
    "code": "ENV_PM25_WARD",
    "sector": "env",
    "name": {"vi": "Bụi PM2.5 theo phường", "en": "PM2.5 by ward"},
    "unit": "µg/m³",
    "direction": "lower",
    "grain": "day",
    "sql": "SELECT ward_code, day AS period, avg(pm25) AS value FROM env_air GROUP BY ALL "
    "UNION ALL SELECT NULL, day, avg(pm25) FROM env_air GROUP BY day",
}
RULE = {
    "code": "pm_high",
    "name": {"vi": "Bụi mịn cao", "en": "High PM2.5"},
    "sector": "env",
    "severity": "critical",
    "condition": {"indicator": "ENV_PM25_WARD", "above": 35},
    "scope": "wards",
    "for": 2,
    "message": {
        "vi": "PM2.5 tại phường {ward} là {value} {unit} ngày {period}, vượt {threshold}",
        "en": "PM2.5 in {ward} ward was {value} {unit} on {period}, over {threshold}",
    },
    "unit": "Phòng Tài nguyên và Môi trường",
    "procedure": "air",
    "notify": ["hook"],
}
PROCEDURE = {
    "air": {
        "name": {"vi": "Ứng phó không khí kém"},
        "steps": [
            {"text": {"vi": "Báo Trung tâm Y tế"}, "unit": "Phòng TN&MT", "within": "1h"},
            {"text": {"vi": "Đăng khuyến cáo cho người dân"}, "within": "2h"},
        ],
    }
}


def ingest(cfg):
    """An ingest as the CLI and the scheduler run it: the snapshot, then what follows it (alerts, the push)."""
    result = ingest_only(cfg)
    if result.snapshot_id:
        alerts.after_publish(cfg)
    return result


def readings(*pairs: tuple[str, float], day: str = "2025-06-01") -> str:
    return "Mã phường,Ngày,PM2.5\n" + "".join(f"{w},{day},{v}\n" for w, v in pairs)


@pytest.fixture
def city(tmp_path, http_server):
    """A config with one rule over a ward indicator, its receiver a real HTTP server; write(readings) ingests."""
    http_server.script("/hook", Reply({"ok": True}))
    path = write_config(
        tmp_path,
        {"air": AIR},
        indicators=[WARD_PM],
        alerts=[RULE],
        procedures=PROCEDURE,
        receivers={"hook": {"kind": "webhook", "url": http_server.url("/hook"), "token_env": "IOC_TEST_HOOK"}},
        notifications={"link": "https://ioc.thudaumot.example"},
    )
    cfg = load_config(path)

    def write(*pairs, day="2025-06-01"):
        (tmp_path / "air.csv").write_text(readings(*pairs, day=day), encoding="utf-8")
        return ingest(cfg)

    return cfg, write, http_server


def active(cfg):
    return alerts.alerts(alerts.ops_path(cfg), states=("pending", "open", "acknowledged", "closed", "resolved"))


def test_an_alert_opens_updates_and_resolves_once(city, monkeypatch):
    cfg, write, server = city
    monkeypatch.setenv("IOC_TEST_HOOK", "s3cret")
    path = alerts.ops_path(cfg)
    write(("25741", 20), ("25744", 50))
    [a] = active(cfg)
    assert a["state"] == "pending" and a["ward_code"] == "25744"  # `for: 2`: one reading is not yet an alert
    alerts.evaluate(cfg)  # the same snapshot again is not a second reading
    assert active(cfg)[0]["state"] == "pending" and active(cfg)[0]["streak"] == 1
    write(("25741", 20), ("25744", 60))
    [a] = active(cfg)
    assert a["state"] == "open" and a["value"] == 60 and a["peak"] == 60
    assert "PM2.5 tại phường" in a["message_vi"] and "60 µg/m³" in a["message_vi"] and "vượt 35" in a["message_vi"]
    first = a["id"]
    write(("25741", 20), ("25744", 45))
    [a] = active(cfg)
    assert (a["id"], a["state"], a["value"], a["peak"]) == (first, "open", 45, 60)  # updated, not a second
    snapshots = [s.id for s in Warehouse(cfg.data_path / "warehouse").snapshots()]
    # a restart (a new config object, a new process's view) and a rollback: still the same alert
    again = load_config(cfg.path)
    alerts.evaluate(again)
    rollback(again, snapshots[1], "tester")
    assert [x["id"] for x in active(cfg)] == [first]
    write(("25741", 20), ("25744", 20))
    [a] = active(cfg)
    assert a["state"] == "resolved" and a["holding"] == 0
    kinds = [e["kind"] for e in alerts.history(path, first)]
    assert kinds[0] == "opened" and kinds[-1] == "resolved" and "updated" in kinds
    # one message when it opened, one when it resolved, in order, each delivered once with its key and token
    done = alerts.run_outbox(cfg)
    assert len(done.sent) == 2
    hooks = [r for r in server.requests if r.path == "/hook"]
    bodies = [json.loads(r.body) for r in hooks]
    assert [b["event"] for b in bodies] == ["opened", "resolved"]
    assert bodies[0]["link"] == f"https://ioc.thudaumot.example/alerts?id={first}"
    assert bodies[0]["message"]["vi"].startswith("PM2.5 tại phường") and bodies[0]["severity"] == "critical"
    assert hooks[0].headers["Authorization"] == "Bearer s3cret" and hooks[0].headers["Idempotency-Key"]
    alerts.run_outbox(cfg)
    assert len([r for r in server.requests if r.path == "/hook"]) == 2  # never twice
    # the condition again, later: a new alert (the old one is history)
    write(("25744", 80))
    write(("25744", 81))
    assert sorted(x["state"] for x in active(cfg)) == ["open", "resolved"]


def test_one_bad_reading_is_ridden_out(city):
    cfg, write, server = city
    write(("25744", 90))
    write(("25744", 10))
    assert active(cfg) == []  # pending, then gone: never an alert, nobody told
    alerts.run_outbox(cfg)
    assert not [r for r in server.requests if r.path == "/hook"]


def test_acknowledge_tick_steps_and_close(city):
    cfg, write, _ = city
    path = alerts.ops_path(cfg)
    write(("25744", 50))
    write(("25744", 51))
    [a] = active(cfg)
    with pytest.raises(IOCError, match="needs who"):
        alerts.acknowledge(path, a["id"], " ")
    alerts.acknowledge(path, a["id"], "Nguyễn Văn A", "đang xử lý")
    with pytest.raises(IOCError, match="acknowledged: it cannot be acknowledged") as twice:
        alerts.acknowledge(path, a["id"], "B")
    # the page words it in Vietnamese, by the refusal's key (a key missing from the locale would show itself)
    refused = twice.value
    assert isinstance(refused, alerts.Refused) and refused.key == "wrong_state"
    said = i18n.t(f"alerts_page.why.{refused.key}", "vi", id=refused.values["id"], state="đã tiếp nhận")
    assert said == f"cảnh báo #{a['id']} đã tiếp nhận nên không làm được việc này."
    for key in ("no_alert", "wrong_state", "needs_who", "needs_who_why", "no_step", "past"):
        for lang in ("vi", "en"):
            assert i18n.t(f"alerts_page.why.{key}", lang) != f"alerts_page.why.{key}", (key, lang)
    a = alerts.alerts(path, alert_id=a["id"])[0]
    steps = alerts.steps(path, cfg, a, now=a["opened_at"] + 2 * 3600)
    assert [s["text_vi"] for s in steps] == ["Báo Trung tâm Y tế", "Đăng khuyến cáo cho người dân"]
    assert steps[0]["overdue"] and not steps[1]["overdue"]  # 1 h expected, 2 h gone
    alerts.tick(path, cfg, a["id"], 0, "Nguyễn Văn A")
    steps = alerts.steps(path, cfg, a, now=a["opened_at"] + 2 * 3600)
    assert steps[0]["done_by"] == "Nguyễn Văn A" and not steps[0]["overdue"]
    with pytest.raises(IOCError, match="no step 3"):
        alerts.tick(path, cfg, a["id"], 2, "A")
    with pytest.raises(IOCError, match="why"):
        alerts.close(path, a["id"], "A", "")
    alerts.close(path, a["id"], "Nguyễn Văn A", "đã kiểm tra, do cháy rừng ngoài địa bàn")
    write(("25744", 52))  # still holding: no new alert for the condition that was closed by hand
    assert [(x["id"], x["state"]) for x in active(cfg)] == [(a["id"], "closed")]
    write(("25744", 10))
    assert active(cfg)[0]["holding"] == 0


def test_a_silence_holds_back_notifications_not_the_alert(city):
    cfg, write, _ = city
    path = alerts.ops_path(cfg)
    alerts.silence(path, "trực ban", "bảo trì trạm", time.time() + 3600, rule="pm_high", ward="25744")
    write(("25744", 50))
    write(("25744", 51))
    [a] = active(cfg)
    assert a["state"] == "open"
    assert "silenced" in [e["kind"] for e in alerts.history(path, a["id"])]
    assert outbox.messages(path) == []


def test_a_rule_that_fails_leaves_its_alerts_as_they_are(city):
    cfg, write, _ = city
    write(("25744", 50))
    write(("25744", 51))
    broken = cfg.model_copy(deep=True)
    broken.alerts[0] = broken.alerts[0].model_copy(
        update={"condition": broken.alerts[0].condition.model_copy(update={"indicator": "GONE"})}
    )
    res = alerts.evaluate(broken)
    assert "pm_high" in res.errors
    assert active(cfg)[0]["state"] == "open"  # a failed query is not "resolved"


def test_email_in_vietnamese_to_a_real_smtp_server(tmp_path, smtp):
    box, port = smtp
    rule = {**RULE, "for": 1, "notify": ["mail"]}
    cfg = load_config(
        write_config(
            tmp_path,
            {"air": AIR},
            indicators=[WARD_PM],
            alerts=[rule],
            procedures=PROCEDURE,
            receivers={
                "mail": {
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": port,
                    "starttls": False,
                    "sender": "ioc@thudaumot.example",
                    "to": ["truc.ban@thudaumot.example"],
                },
            },
        )
    )
    (tmp_path / "air.csv").write_text(readings(("25744", 70)), encoding="utf-8")
    ingest(cfg)
    assert len(alerts.run_outbox(cfg).sent) == 1
    [msg] = box.messages
    assert msg["Subject"].startswith("[Khẩn cấp] Mở: PM2.5 tại phường") and "70 µg/m³" in msg["Subject"]
    text = msg.get_content()
    assert "Mức độ: Khẩn cấp" in text and "/alerts?id=" in text
    assert box.envelopes == [("ioc@thudaumot.example", ["truc.ban@thudaumot.example"])]


def test_the_province_gets_only_what_changed(tmp_path, http_server):
    http_server.script("/province", Reply({"ok": True}))
    cfg = load_config(
        write_config(
            tmp_path,
            {"air": AIR},
            indicators=[WARD_PM],
            receivers={"prov": {"kind": "webhook", "url": http_server.url("/province")}},
            province={"receiver": "prov"},
        )
    )
    path = alerts.ops_path(cfg)
    (tmp_path / "air.csv").write_text(readings(("25741", 20), ("25744", 50)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    [first] = [json.loads(r.body) for r in http_server.requests]
    assert first["schema"] == "ioc-city-indicators" and first["since"] is None
    assert {(v["ward"], v["value"]) for v in first["values"]} == {(None, 35.0), ("25741", 20.0), ("25744", 50.0)}
    province.push(cfg, path)  # nothing changed: nothing sent
    (tmp_path / "air.csv").write_text(readings(("25741", 20), ("25744", 60)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    second = json.loads(http_server.requests[-1].body)
    assert len(http_server.requests) == 2
    assert {(v["ward"], v["value"]) for v in second["values"]} == {(None, 40.0), ("25744", 60.0)}
    assert second["since"] == province.idempotency_key(first)
    assert [p["settled"] for p in province.pushes(path)] == ["acknowledged", "acknowledged"]
    # a rejection (4xx) is kept and shown, not retried forever
    http_server.script("/province", Reply({"error": "unknown indicator"}, 422))
    (tmp_path / "air.csv").write_text(readings(("25741", 25), ("25744", 60)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    alerts.run_outbox(cfg, now=time.time() + 7200)
    last = province.pushes(path)[0]
    assert last["settled"] == "rejected" and last["last_status"] == 422 and "unknown indicator" in last["last_error"]
    assert len(http_server.requests) == 3


def test_ngsi_ld_entities_to_a_context_broker(tmp_path, http_server):
    http_server.script("/ngsi-ld/v1/entityOperations/upsert", Reply(b"", 204))
    cfg = load_config(
        write_config(
            tmp_path,
            {"air": AIR},
            indicators=[WARD_PM],
            receivers={
                "broker": {
                    "kind": "webhook",
                    "url": http_server.url("/ngsi-ld/v1/entityOperations/upsert"),
                    "headers": {"Content-Type": "application/ld+json"},
                }
            },
            province={"receiver": "broker", "format": "ngsi-ld"},
        )
    )
    (tmp_path / "air.csv").write_text(readings(("25741", 20), ("25744", 50)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    [req] = http_server.requests
    assert req.headers["Content-Type"] == "application/ld+json"
    entities = json.loads(req.body)
    assert len(entities) == 3 and all(e["type"] == "KeyPerformanceIndicator" and "@context" in e for e in entities)
    assert all(e["kpiValue"]["type"] == "Property" for e in entities)


def test_rules_name_what_the_config_declares(tmp_path):
    bad = {**RULE, "condition": {"indicator": "NOPE", "above": 1}, "procedure": "none", "notify": ["ghost"]}
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, {"air": AIR}, indicators=[WARD_PM], alerts=[bad]))
    text = "\n".join(err.value.problems)
    assert "alerts.0.condition.indicator: unknown indicator 'NOPE'" in text
    assert "alerts.0.procedure: unknown procedure 'none'" in text
    assert "alerts.0.notify.0: unknown receiver 'ghost'" in text
    two = {**RULE, "condition": {"indicator": "ENV_PM25_WARD", "above": 1, "below": 0}}
    with pytest.raises(ConfigError, match="exactly one of above, below"):
        load_config(write_config(tmp_path, {"air": AIR}, indicators=[WARD_PM], alerts=[two], procedures=PROCEDURE))


def test_the_command_line(tmp_path, http_server):
    """`alerts evaluate`, the list, `ack`, `close`, `show`, and `outbox` with `run` and `retry`, in real processes."""
    from tests.helpers import cli

    http_server.script("/hook", Reply({"error": "gone"}, 410))
    path = write_config(
        tmp_path,
        {"air": AIR},
        indicators=[WARD_PM],
        alerts=[{**RULE, "for": 1}],
        procedures=PROCEDURE,
        receivers={"hook": {"kind": "webhook", "url": http_server.url("/hook")}},
    )
    (tmp_path / "air.csv").write_text(readings(("25744", 70)), encoding="utf-8")
    ingested = cli("ingest", "--all", "--config", str(path))
    assert ingested.returncode == 0, ingested.stderr
    listed = cli("alerts", "--config", str(path))
    assert "pm_high" in listed.stdout and "PM2.5 tại phường" in listed.stdout
    [a] = json.loads(cli("alerts", "--json", "--config", str(path)).stdout)
    assert cli("alerts", "ack", str(a["id"]), "--note", "đang xử lý", "--config", str(path)).returncode == 0
    shown = json.loads(cli("alerts", "show", str(a["id"]), "--config", str(path)).stdout)
    assert (
        shown["state"] == "acknowledged" and len(shown["steps"]) == 2 and shown["history"][-1]["kind"] == "acknowledged"
    )
    refused = cli("alerts", "close", str(a["id"]), "--config", str(path))
    assert refused.returncode != 0 and "why" in refused.stderr
    ran = cli("outbox", "run", "--config", str(path))
    assert "dead 1" in ran.stdout
    [m] = json.loads(cli("outbox", "--json", "--config", str(path)).stdout)
    assert m["status"] == "dead" and "410" in m["last_error"]
    assert cli("outbox", "retry", str(m["id"]), "--config", str(path)).returncode == 0
    assert json.loads(cli("outbox", "--json", "--config", str(path)).stdout)[0]["status"] == "pending"
    assert cli("alerts", "evaluate", "--config", str(path)).returncode == 0


def test_a_table_named_in_config_goes_to_the_province_by_its_changed_rows(tmp_path, http_server):
    """province.tables: the table's rows new or changed since the last acknowledged push, and the keys of rows
    gone, each table its own document; nothing when nothing changed."""
    http_server.script("/province", Reply({"ok": True}))
    cfg = load_config(
        write_config(
            tmp_path,
            {"air": {**AIR, "key": ["ward_code", "day"]}},
            indicators=[WARD_PM],
            receivers={"prov": {"kind": "webhook", "url": http_server.url("/province")}},
            province={"receiver": "prov", "tables": ["env_air"]},
        )
    )
    (tmp_path / "air.csv").write_text(readings(("25741", 20), ("25744", 50)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    docs = {json.loads(r.body)["schema"]: json.loads(r.body) for r in http_server.requests}
    table = docs["ioc-city-table"]
    assert table["table"] == "env_air" and table["key"] == ["ward_code", "day"]
    assert {(r["ward_code"], r["day"], r["pm25"]) for r in table["rows"]} == {
        ("25741", "2025-06-01", 20.0),
        ("25744", "2025-06-01", 50.0),
    }
    n = len(http_server.requests)
    province.push(cfg, alerts.ops_path(cfg))
    alerts.run_outbox(cfg)
    assert len(http_server.requests) == n  # nothing changed
    (tmp_path / "air.csv").write_text(readings(("25741", 25)), encoding="utf-8")
    ingest(cfg)
    alerts.run_outbox(cfg)
    later = [json.loads(r.body) for r in http_server.requests[n:] if json.loads(r.body)["schema"] == "ioc-city-table"]
    assert [(r["ward_code"], r["pm25"]) for r in later[0]["rows"]] == [("25741", 25.0)]
    assert later[0]["removed"] == [{"ward_code": "25744", "day": "2025-06-01"}] and later[0]["since"]
    assert {p["target"] for p in province.pushes(alerts.ops_path(cfg))} == {None, "env_air"}


def test_a_person_bound_to_wards_reads_their_wards_alerts_and_the_citys(tmp_path):
    import sqlite3

    from ioc import alerts

    path = tmp_path / "ops.sqlite"
    alerts.init(path)
    con = sqlite3.connect(path)
    cols = {r[1] for r in con.execute("PRAGMA table_info(alerts)")}
    for i, ward in enumerate(["25747", "25741", None]):
        row = {"rule": f"r{i}", "key": f"k{i}", "severity": "warning", "state": "open", "sector": "health",
               "ward_code": ward, "first_seen": 1.0, "updated_at": 1.0, "message_vi": "x"}  # fmt: skip
        row = {k: v for k, v in row.items() if k in cols}
        con.execute(f"INSERT INTO alerts({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    con.commit()
    con.close()
    assert {a["ward_code"] for a in alerts.alerts(path)} == {"25747", "25741", None}
    assert {a["ward_code"] for a in alerts.alerts(path, wards=["25747"])} == {"25747", None}
    assert alerts.counts(path, ["25747"]) == {"health": {"warning": 2}}
    assert alerts.counts(path) == {"health": {"warning": 3}}
