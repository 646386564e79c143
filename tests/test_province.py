"""The push to the provincial IOC: the document and its schema, the NGSI-LD entities, what changed, the keys."""

from __future__ import annotations

import datetime as dt
import json
import re

import duckdb
import jsonschema
import pandas as pd
import pytest

from ioc import province as pv
from ioc.queries import indicators as qi
from ioc.warehouse import Warehouse
from tests.helpers import ROOT

CITY = "718"
AT = dt.datetime(2026, 12, 3, 8, 30)  # city time
CODE = "ADMIN_RESOLUTION_DAYS"  # the indicator the sample snapshot's two sources compute


@pytest.fixture(scope="module")
def pushed(sample_snapshot):
    """(config, snapshot id, the indicator layer's frame, value rows, document) from the sample snapshot."""
    cfg, data = sample_snapshot
    wh = Warehouse(data / "warehouse")
    with wh.connect() as con:
        frame = pv.current_values(con, cfg, cfg.city.today())
    rows = pv.value_rows(frame, cfg)
    doc = pv.document(rows, cfg, city_code=CITY, snapshot=wh.current_id(), generated_at=AT)
    return cfg, wh, frame, rows, doc


def docs_json_blocks() -> list:
    text = (ROOT / "docs" / "province-api.md").read_text(encoding="utf-8")
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, re.S)]


# --------------------------------------------------------------------------- the document


def test_document_is_valid_json_without_nan(pushed):
    _cfg, wh, _frame, rows, doc = pushed
    jsonschema.Draft202012Validator(pv.JSON_SCHEMA).validate(doc)
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == doc
    assert doc["snapshot"] == wh.current_id() and doc["since"] is None
    assert doc["generated_at"] == "2026-12-03T08:30:00+07:00"
    assert len(rows) == 180 and {r["ward"] for r in rows} == {None, *(w.code for w in _cfg.wards)}


def test_vietnamese_names_are_intact(pushed):
    cfg, _wh, _frame, _rows, doc = pushed
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False)
    assert "Thời gian giải quyết bình quân" in text and "Thành phố Thủ Dầu Một" in text
    ind = next(i for i in cfg.indicators if i.code == CODE)
    assert {json.dumps(r["name"], ensure_ascii=False) for r in doc["values"]} == {
        json.dumps({"vi": ind.name.vi, "en": ind.name.en}, ensure_ascii=False)
    }
    assert doc["city"]["name"] == {"vi": "Thành phố Thủ Dầu Một", "en": "Thu Dau Mot City"}


def test_numbers_are_the_indicator_layers(pushed, sample_snapshot):
    cfg, wh, _frame, rows, _doc = pushed
    by_key = {(r["ward"], r["period_start"]): r for r in rows}
    with wh.connect() as con:
        for ward in [None, "25741", "25774"]:
            expected = qi.values(con, [CODE], ward, dt.date(2000, 1, 1), dt.date(2100, 1, 1), cfg.city.today())
            assert len(expected) == 12
            for e in expected.itertuples():
                r = by_key[(ward, e.period.date().isoformat())]
                assert r["value"] == pytest.approx(e.value, rel=1e-11)
                assert (r["grain"], r["unit"], r["partial"], r["target"]) == ("month", "ngày", False, 3.0)
        latest = qi.summary(con, codes=[CODE], today=cfg.city.today()).iloc[0]
    city = max((r for r in rows if r["ward"] is None), key=lambda r: r["period_start"])
    assert city["value"] == pytest.approx(latest["value"], rel=1e-11)
    assert city["period_end"] == "2026-10-31"


def test_missing_masked_and_partial_values_are_null_and_flagged(pushed):
    cfg, *_ = pushed
    frame = pd.DataFrame(
        {
            "code": ["ADMIN_DOSSIERS_RECEIVED"] * 3,
            "name_vi": ["Hồ sơ tiếp nhận"] * 3,
            "name_en": ["Dossiers received"] * 3,
            "unit": ["hồ sơ"] * 3,
            "grain": ["month"] * 3,
            "period": pd.to_datetime(["2026-10-01", "2026-11-01", "2026-12-01"]),
            "value": [float("nan"), float("nan"), 40.0],
            "partial": [False, False, True],
            "masked": [False, True, False],
            "ward_code": ["25741", "25741", None],
        }
    )
    rows = pv.value_rows(frame, cfg)
    json.dumps(rows, allow_nan=False)
    got = {(r["period_start"], r["value"], r["masked"], r["partial"], r["target"]) for r in rows}
    assert got == {("2026-10-01", None, False, False, None), ("2026-11-01", None, True, False, None),
                   ("2026-12-01", 40.0, False, True, None)}  # fmt: skip
    doc = pv.document(rows, cfg, city_code=CITY, snapshot=None, generated_at=AT)
    jsonschema.Draft202012Validator(pv.JSON_SCHEMA).validate(doc)


def test_docs_publish_the_modules_schema_and_a_valid_example():
    blocks = docs_json_blocks()
    assert pv.JSON_SCHEMA in blocks
    examples = [b for b in blocks if isinstance(b, dict) and b.get("schema") == pv.SCHEMA]
    assert examples
    for ex in examples:
        jsonschema.Draft202012Validator(pv.JSON_SCHEMA).validate(ex)


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_period_end_matches_the_indicator_layers_sql(grain):
    starts = [
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 1),
        dt.date(2025, 10, 1),
        dt.date(2026, 12, 28),
        dt.date(2024, 1, 31),
    ]
    sql = f"SELECT {qi.period_end('CAST(? AS DATE)', '?')}"
    with duckdb.connect() as con:
        for s in starts:
            assert qi.last_day(s, grain) == con.execute(sql, [s, grain]).fetchone()[0]


# --------------------------------------------------------------------------- NGSI-LD


def properties(attr: dict) -> list[dict]:
    """An attribute and its sub-properties, at any depth."""
    subs = [v for k, v in attr.items() if isinstance(v, dict) and k not in ("value",)]
    return [attr, *(p for s in subs for p in properties(s))]


def test_entities_are_normalized_ngsi_ld(pushed):
    cfg, _wh, _frame, rows, _doc = pushed
    ents = pv.entities(rows, cfg, city_code=CITY, generated_at=AT)
    assert len(ents) == 15  # the city and its 14 wards
    assert len({e["id"] for e in ents}) == 15
    for e in ents:
        assert e["type"] == "KeyPerformanceIndicator"
        assert e["id"].startswith(f"urn:ngsi-ld:KeyPerformanceIndicator:{CITY}:{CODE}")
        assert e["@context"] == pv.NGSI_LD_CONTEXT
        for name, attr in e.items():
            if name not in ("id", "type", "@context"):
                assert all(p["type"] == "Property" for p in properties(attr)), name
        assert e["kpiValue"]["unitCode"] == "DAY" and e["kpiTarget"]["unitCode"] == "DAY"
        assert e["calculationPeriod"]["value"] == {"from": "2026-10-01", "to": "2026-10-31"}
        assert e["kpiValue"]["observedAt"] == "2026-10-31T17:00:00Z"  # 1 November, 00:00 +07:00
        assert e["dateModified"]["value"] == {"@type": "DateTime", "@value": "2026-12-03T01:30:00Z"}
    city = next(e for e in ents if e["id"] == f"urn:ngsi-ld:KeyPerformanceIndicator:{CITY}:{CODE}")
    latest = max((r for r in rows if r["ward"] is None), key=lambda r: r["period_start"])
    assert city["kpiValue"]["value"] == latest["value"] and city["area"]["value"] == "Thành phố Thủ Dầu Một"
    ward = next(e for e in ents if e["id"].endswith(":25741"))
    assert ward["area"]["value"] == "Hiệp Thành" and ward["name"]["value"] == "Thời gian giải quyết bình quân"
    json.dumps(ents, allow_nan=False)


def test_entity_units_without_a_code_travel_as_text_and_periods_in_progress_stay_out(pushed):
    cfg, *_ = pushed
    base = {"indicator": "ADMIN_DOSSIERS_RECEIVED", "name": {"vi": "Hồ sơ tiếp nhận", "en": ""}, "sector": "admin",
            "unit": "hồ sơ", "grain": "month", "ward": None, "masked": False, "target": None,
            "target_aggregate": "sum", "direction": "higher"}  # fmt: skip
    rows = [
        base | {"period_start": "2026-10-01", "period_end": "2026-10-31", "value": 2100.0, "partial": False},
        base | {"period_start": "2026-11-01", "period_end": "2026-11-30", "value": None, "partial": False},
        base | {"period_start": "2026-12-01", "period_end": "2026-12-31", "value": 90.0, "partial": True},
    ]
    (e,) = pv.entities(rows[:1], cfg, city_code=CITY, generated_at=AT)
    assert "unitCode" not in e["kpiValue"] and e["kpiValue"]["unitText"] == {"type": "Property", "value": "hồ sơ"}
    assert "kpiTarget" not in e and "alternateName" not in e
    (e,) = pv.entities(rows, cfg, city_code=CITY, generated_at=AT)
    assert e["calculationPeriod"]["value"]["from"] == "2026-11-01" and "kpiValue" not in e  # no null in NGSI-LD


def test_entities_only_for_changed_pairs_and_ids_of_those_gone(pushed):
    cfg, _wh, _frame, rows, doc = pushed
    state = pv.acknowledge(doc)
    kept = [r for r in rows if r["ward"] != "25741"]
    changed = pv.changes(kept, state)
    assert pv.entities(kept, cfg, city_code=CITY, only=changed) == []
    assert pv.gone(kept, changed, CITY) == [f"urn:ngsi-ld:KeyPerformanceIndicator:{CITY}:{CODE}:25741"]
    bumped = [r | {"value": 9.0} if r["ward"] == "25744" and r["period_start"] == "2026-10-01" else r for r in rows]
    (e,) = pv.entities(bumped, cfg, city_code=CITY, only=pv.changes(bumped, state))
    assert e["id"].endswith(":25744") and e["kpiValue"]["value"] == 9.0


# --------------------------------------------------------------------------- what changed, and the keys


def test_an_unchanged_second_push_is_empty(pushed):
    _cfg, _wh, _frame, rows, doc = pushed
    assert pv.changes(rows, None) == rows  # nothing acknowledged yet: everything
    state = json.loads(json.dumps(pv.acknowledge(doc)))  # as the ops store keeps it
    assert state["last"] == pv.idempotency_key(doc) and len(state["values"]) == len(rows)
    assert pv.changes(rows, state) == []


def test_a_changed_value_appears_alone(pushed):
    _cfg, _wh, _frame, rows, doc = pushed
    state = pv.acknowledge(doc)
    i = 7
    for field, new in [("value", rows[i]["value"] + 1), ("target", 2.5), ("partial", True)]:
        now = [r | {field: new} if n == i else r for n, r in enumerate(rows)]
        assert pv.changes(now, state) == [now[i]], field


def test_a_removed_value_is_signalled_and_acknowledged(pushed):
    cfg, _wh, _frame, rows, doc = pushed
    state = pv.acknowledge(doc)
    gone_row = rows[3]
    now = rows[:3] + rows[4:]
    (removal,) = pv.changes(now, state)
    assert removal == {k: gone_row[k] for k in ("indicator", "grain", "period_start", "period_end", "ward")} | {
        "value": None,
        "removed": True,
    }
    second = pv.document([removal], cfg, city_code=CITY, snapshot="s2", generated_at=AT, since=state["last"])
    jsonschema.Draft202012Validator(pv.JSON_SCHEMA).validate(second)
    after = pv.acknowledge(second, state)
    assert pv.row_key(gone_row) not in after["values"] and len(after["values"]) == len(rows) - 1
    assert pv.changes(now, after) == []


def test_the_idempotency_key_depends_on_content_only(pushed):
    cfg, _wh, _frame, rows, doc = pushed
    again = pv.document(list(reversed(rows)), cfg, city_code=CITY, snapshot="other", generated_at=AT.replace(hour=9))
    assert pv.idempotency_key(again) == pv.idempotency_key(doc)
    assert re.fullmatch("[0-9a-f]{64}", pv.idempotency_key(doc))
    assert pv.idempotency_key(pv.document(rows[1:], cfg, city_code=CITY, snapshot=None)) != pv.idempotency_key(doc)
    assert pv.fingerprint(rows[0]) == pv.fingerprint(dict(reversed(list(rows[0].items()))))


def test_a_value_changed_back_and_forth_gets_a_new_key_each_time(pushed):
    """A → B → A → B: the third push repeats the first's values but not its base, so the province does not
    drop it as a repeat (the key covers `since`, the key of the push it follows)."""
    cfg, _wh, _frame, rows, doc = pushed
    state = pv.acknowledge(doc)
    a, b = rows, [r | {"value": 1.0} if n == 0 else r for n, r in enumerate(rows)]
    keys = []
    for now in (b, a, b):
        d = pv.document(pv.changes(now, state), cfg, city_code=CITY, snapshot=None, since=state["last"])
        keys.append(pv.idempotency_key(d))
        resent = pv.document(pv.changes(now, state), cfg, city_code=CITY, snapshot="later", since=state["last"])
        assert pv.idempotency_key(resent) == keys[-1]  # not acknowledged yet: the same key again
        state = pv.acknowledge(d, state)
    assert len(set(keys)) == 3
