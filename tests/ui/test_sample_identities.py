"""The sample city is one city: what one sector's files say agrees with what another's say. Each test is one
identity the generator (data/sample/generate.py) must keep, read from the ingested sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioc.warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("sample_data")


@pytest.fixture
def con(sample_data: Path):
    with Warehouse(sample_data / "warehouse").connect() as c:
        yield c


def test_fully_online_is_a_part_of_submitted_online(con) -> None:
    """The digital report's share handled fully online never exceeds the one-stop system's share submitted
    online in the same month (a dossier handled fully online was submitted online)."""
    rows = con.execute("""
        SELECT f.period, f.value AS full, o.value AS online
        FROM indicator_value f JOIN indicator_value o USING (period)
        WHERE f.code = 'SCIENCE_ONLINE_FULL_PROCESS' AND o.code = 'ADMIN_ONLINE_SHARE'
          AND f.ward_code IS NULL AND o.ward_code IS NULL""").fetchall()
    assert len(rows) > 24
    assert [r for r in rows if r[1] > r[2]] == []


def test_a_wards_population_is_one_number(con) -> None:
    """The 2025 population of each ward in the statistics office's table is the one the city declares (the
    ward profile's), and the city's is their sum."""
    rows = con.execute("""
        SELECT d.ward_code, d.population, s.value FROM dim_ward d
        LEFT JOIN socio_indicators s ON s.ward_code = d.ward_code AND s.code = 'SOCIO_POPULATION'
                                     AND s.period = DATE '2025-01-01'""").fetchall()
    assert len(rows) == 14 and [r for r in rows if r[2] != r[1]] == []
    city = con.execute("""SELECT value FROM socio_indicators WHERE code = 'SOCIO_POPULATION'
                          AND ward_code IS NULL AND period = DATE '2025-01-01'""").fetchone()[0]
    assert city == sum(r[1] for r in rows)


def test_the_monthly_report_sums_the_dossiers(con) -> None:
    """The monthly one-stop report is summed from the same dossiers the API returns: in every month the API
    covers, the report's received (and received online) equal the API's records, but for the records the
    API sent wrong and the ingest set aside (each named in _rejects)."""
    rows = con.execute("""
        WITH a AS (SELECT date_trunc('month', received_at)::DATE AS period, count(*) AS n,
                          count(*) FILTER (WHERE online) AS online FROM admin_dossiers GROUP BY 1),
             m AS (SELECT period, sum(received) AS n, sum(received_online) AS online
                   FROM admin_dossiers_monthly GROUP BY 1)
        SELECT a.period, m.n - a.n, m.online - a.online FROM a JOIN m USING (period) ORDER BY 1""").fetchall()
    assert len(rows) >= 12
    set_aside = con.execute(
        "SELECT count(DISTINCT row_number) FROM _rejects WHERE source = 'admin_dossiers' AND reason NOT LIKE 'key:%'"
    ).fetchone()[0]
    assert all(0 <= r[1] <= set_aside for r in rows)
    assert sum(r[1] for r in rows) == set_aside
    monthly = con.execute("""SELECT count(*) FROM admin_dossiers_monthly WHERE received <> received_online
        + received_offline OR resolved <> resolved_on_time + resolved_late
        OR pending <> pending_in_time + pending_overdue""").fetchone()[0]
    assert monthly == 0  # the report's own columns add up


def test_citizen_reports_are_counted_once(con) -> None:
    """The sector's monthly count of reports is the reports table's, city and wards alike."""
    rows = con.execute("""
        WITH r AS (SELECT date_trunc('month', created_at)::DATE AS period, ward_code, count(*) AS n
                   FROM citizen_reports GROUP BY GROUPING SETS ((1, 2), (1)))
        SELECT v.period, v.ward_code, v.value, r.n FROM indicator_value v
        JOIN r ON r.period = v.period AND r.ward_code IS NOT DISTINCT FROM v.ward_code
        WHERE v.code = 'CITIZEN_REPORTS'""").fetchall()
    assert len(rows) > 100 and [r for r in rows if r[2] != r[3]] == []


PLAUSIBLE = {
    "Công ty TNHH": None,
    "Công ty CP": None,
    "Doanh nghiệp tư nhân": None,
    "Bệnh viện": ("Đa khoa", "Y học"),
    "Trường": ("THPT", "THCS", "Tiểu học", "Mầm non", "Cao đẳng", "Đại học"),
    "Khu dân cư": None,
}


def test_a_permit_holder_has_a_name_of_its_kind(con) -> None:
    """A hospital is not named after a textile mill: each holder's name goes with what it is."""
    holders = [r[0] for r in con.execute("SELECT DISTINCT holder FROM resources_water_permits").fetchall()]
    assert len(holders) > 10
    for h in holders:
        kind = next((k for k in PLAUSIBLE if h.startswith(k + " ")), None)
        assert kind, h
        rest = h[len(kind) + 1 :]
        if PLAUSIBLE[kind]:
            assert rest.startswith(PLAUSIBLE[kind]), h
        if kind == "Khu dân cư":
            assert not any(w in rest for w in ("Dệt", "Gỗ", "Nhựa", "Bao bì", "Cơ khí")), h
