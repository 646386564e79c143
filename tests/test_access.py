"""Roles, sessions, the sign-in form's checks, and row-level access by ward: the scoped copy of a snapshot holds
exactly a ward's rows (compared with the same tables filtered by hand), and no query in the SQL sandbox reaches
the rest."""

from __future__ import annotations

import duckdb
import pytest

from ioc import access, api, audit, auth, sandbox, signin
from ioc.config import parse_config
from ioc.errors import QueryError
from ioc.warehouse import Warehouse
from tests.helpers import ROOT

WARD = "25747"


@pytest.fixture
def snap(sample_snapshot, monkeypatch):
    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    return cfg, Warehouse(data / "warehouse").current_path()


def _person(role="ward_official", wards=(WARD,)):
    return access.Person("hoa", role, tuple(wards))


# --------------------------------------------------------------------------- roles


def test_each_role_opens_its_pages_and_the_public_ones(snap):
    cfg, _ = snap
    public = access.pages(cfg, access.PUBLIC)
    assert public == {"phan-anh", "zoning"}
    leader = access.pages(cfg, access.Person("lan", "leader"))
    assert public < leader and "sql" not in leader and "operations" not in leader and "env" in leader
    analyst = access.pages(cfg, access.Person("an", "analyst"))
    assert {"sql", "explorer", "catalog"} <= analyst and "alerts" not in analyst and "audit" not in analyst
    admin = access.pages(cfg, access.Person("q", "admin"))
    assert {*access.APP_PAGES, *(s.code for s in cfg.sectors)} == admin
    assert access.pages(cfg, access.OPEN) == admin  # no account yet: everything, and the page says so
    assert access.may(cfg, access.Person("an", "analyst"), "sql")
    assert not access.may(cfg, access.Person("lan", "leader"), "sql")
    assert not access.may(cfg, access.PUBLIC, "export")
    assert access.may(cfg, access.Person("t", "operator"), "rollback")
    with pytest.raises(ValueError):
        access.may(cfg, access.PUBLIC, "launch")


def test_app_pages_and_the_navigation_name_the_same_pages():
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    pages = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "PAGES")
    urls = [elt.elts[2].value for elt in pages.value.elts]
    assert tuple(urls) == access.APP_PAGES


def test_roles_that_name_what_does_not_exist_are_refused():
    text = (ROOT / "config.yaml").read_text()
    bad = text.replace("    pages: [phan-anh, zoning]", "    pages: [phan-anh, zonning]\n    actions: [sql]")
    bad = bad.replace("actions: [export, sql]", "actions: [export, sql, drop]")
    bad = bad.replace("prices_supply_monthly, socio_province_shared]", "prices_supply_monthly, no_such_table]")
    import yaml

    from ioc.config import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config(yaml.safe_load(bad), ROOT / "config.yaml")
    problems = "\n".join(err.value.problems)
    assert "roles.public.pages.1: unknown page 'zonning'" in problems
    assert "roles.analyst.actions.2: unknown action 'drop'" in problems
    assert "roles.ward_official.city_wide.6: no source writes table 'no_such_table'" in problems
    assert "roles.public.actions: the public (no sign-in) may not run SQL or export" in problems


def test_an_oidc_identity_maps_to_a_role_and_wards():
    from ioc.config import Oidc

    o = Oidc(
        server_metadata_url="http://127.0.0.1/.well-known/openid-configuration",
        client_id="ioc",
        redirect_uri="http://127.0.0.1/oauth2callback",
        roles={"ioc-lanh-dao": "leader", "ioc-phuong": "ward_official"},
    )
    assert access.oidc_person(o, {"sub": "1", "email": "lan@tdm.vn", "groups": ["x", "ioc-lanh-dao"]}) == (
        access.Person("lan@tdm.vn", "leader", (), "oidc")
    )
    p = access.oidc_person(o, {"sub": "2", "groups": "ioc-phuong", "wards": ["25747"]})
    assert p is not None and p.role == "ward_official" and p.wards == ("25747",) and p.name == "2"
    assert access.oidc_person(o, {"sub": "3", "groups": ["ioc-phuong"]}) is None  # bound to no ward: none
    assert access.oidc_person(o, {"sub": "4", "groups": ["khach"]}) is None  # no mapped group: the public


# --------------------------------------------------------------------------- the scoped copy


def test_a_scoped_copy_holds_exactly_the_wards_rows_and_the_city_wide_tables_of_the_role(snap):
    cfg, path = snap
    sc = access.scope(cfg, _person())
    scoped = access.scoped_path(path, sc)
    assert scoped.parent.name == "scoped" and access.scoped_path(path, sc) == scoped  # made once
    whole, part = duckdb.connect(str(path), read_only=True), duckdb.connect(str(scoped), read_only=True)
    try:
        n = lambda con, sql, *p: con.execute(sql, list(p)).fetchone()[0]  # noqa: E731
        # a table with a ward column: the ward's rows, the same as filtered by hand, and no other ward
        mine = n(whole, "SELECT count(*) FROM admin_dossiers WHERE ward_code = ?", WARD)
        assert mine > 0 and n(part, "SELECT count(*) FROM admin_dossiers") == mine
        assert n(part, "SELECT count(DISTINCT ward_code) FROM admin_dossiers") == 1
        same = "SELECT sum(hash(COLUMNS(*))) FROM (SELECT * FROM admin_dossiers {} ORDER BY ALL)"
        assert (
            whole.execute(same.format("WHERE ward_code = ?"), [WARD]).fetchall()
            == part.execute(same.format("")).fetchall()
        )
        # the city's own indicator rows: indicator_value is city-wide to a ward official
        assert n(part, "SELECT count(*) FROM indicator_value WHERE ward_code IS NULL") == n(
            whole, "SELECT count(*) FROM indicator_value WHERE ward_code IS NULL"
        )
        assert n(part, "SELECT count(*) FROM indicator_value WHERE ward_code IS NOT NULL AND ward_code <> ?", WARD) == 0
        # a table with no ward column: whole when city-wide to the role (air), else there with no rows
        assert n(part, "SELECT count(*) FROM env_air_daily") == n(whole, "SELECT count(*) FROM env_air_daily") > 0
        assert n(part, "SELECT count(*) FROM dim_ward") == 1
        assert n(part, "SELECT count(*) FROM _rejects") == 0
        # the catalog's search values come from the rows kept only
        values = part.execute("SELECT value FROM _search_values WHERE column_name = 'ward_code'").fetchall()
        assert {r[0] for r in values} <= {WARD}
    finally:
        whole.close()
        part.close()
    narrow = access.Scope((WARD,), ())  # a role with nothing city-wide
    none = duckdb.connect(str(access.scoped_path(path, narrow)), read_only=True)
    try:
        assert none.execute("SELECT count(*) FROM env_air_daily").fetchone()[0] == 0
        assert none.execute("SELECT count(*) FROM indicator_value WHERE ward_code IS NULL").fetchone()[0] == 0
    finally:
        none.close()
    leader = access.scope(cfg, access.Person("lan", "leader"))
    assert leader is not None and leader.wards is None  # bound to no ward: the whole city, personal data masked
    assert access.scope(cfg, access.Person("t", "operator")) is None  # handles citizen reports: the snapshot itself


BYPASSES = [
    "SELECT count(*) FROM snapshot.main.admin_dossiers WHERE ward_code <> '25747'",
    "SELECT count(*) FROM admin_dossiers WHERE ward_code <> '25747'",
    "SELECT count(*) FROM (SELECT unnest(list(ward_code)) w FROM snapshot.admin_dossiers) WHERE w <> '25747'",
]


@pytest.mark.parametrize("query", BYPASSES)
def test_sql_on_the_scoped_copy_reaches_no_other_ward(snap, query):
    cfg, path = snap
    scoped = access.scoped_path(path, access.scope(cfg, _person()))
    assert sandbox.run(cfg, query, path=scoped).rows == [(0,)]


def test_the_catalog_and_the_filesystem_do_not_lead_to_the_city_snapshot(snap):
    cfg, path = snap
    scoped = access.scoped_path(path, access.scope(cfg, _person()))
    run = lambda q: sandbox.run(cfg, q, path=scoped).rows  # noqa: E731
    files = {r[0] for r in run("SELECT path FROM duckdb_databases() WHERE path IS NOT NULL")}
    assert str(path) not in files and all("scoped" in f for f in files)
    assert {r[0] for r in run("SELECT DISTINCT database_name FROM duckdb_tables()")} == {"snapshot"}
    assert {r[0] for r in run("SELECT DISTINCT table_catalog FROM information_schema.tables")} <= {"snapshot", "memory"}
    for attack in (
        f"ATTACH '{path}' AS city (READ_ONLY)",
        f"SELECT count(*) FROM '{path}'",
        f"SELECT * FROM read_parquet('{path.parent}/*.parquet')",
        f"SELECT count(*) FROM duckdb_scan('{path}')",
        f"SELECT * FROM glob('{path.parent}/*')",
    ):
        with pytest.raises(QueryError):
            sandbox.run(cfg, attack, path=scoped)
    assert sandbox.refusal(f"ATTACH '{path}' AS city") is not None  # the console refuses it before it runs


def test_copies_of_snapshots_that_are_gone_are_removed(snap, tmp_path):
    import shutil

    _, path = snap
    wh = tmp_path / "warehouse"
    wh.mkdir()
    old, new = wh / "20260101T000000000000Z.duckdb", wh / "20260102T000000000000Z.duckdb"
    shutil.copy(path, old)
    a = access.scoped_path(old, access.Scope((WARD,), ()))
    shutil.copy(path, new)
    old.unlink()
    b = access.scoped_path(new, access.Scope((WARD,), ()))
    assert b.exists() and not a.exists()


# --------------------------------------------------------------------------- sessions and the form


def test_a_session_ends_on_sign_out_idle_age_and_account_changes(tmp_path):
    ops = tmp_path / "ops.sqlite"
    auth.add(ops, "lan", "leader", "0123456789")
    t = auth.start_session(ops, "lan", "leader")
    s = auth.session(ops, t, idle=60, max_age=3600)
    assert s is not None and s.name == "lan" and s.role == "leader"
    assert auth.session(ops, t, idle=60, max_age=3600, now=s.started_at + 61) is None  # idle
    assert auth.session(ops, t, idle=60, max_age=3600) is None  # and stays ended
    t2 = auth.start_session(ops, "lan", "leader")
    assert auth.session(ops, t2, idle=10_000, max_age=100, now=s.started_at + 50) is not None
    assert auth.session(ops, t2, idle=10_000, max_age=100, now=s.started_at + 5000) is None  # too old
    t3 = auth.start_session(ops, "lan", "leader")
    assert auth.end_session(ops, t3) == "lan" and auth.session(ops, t3, 60, 3600) is None
    t4 = auth.start_session(ops, "lan", "leader")
    auth.passwd(ops, "lan", "9876543210")
    assert auth.session(ops, t4, 60, 3600) is None  # a new password ends the old sessions
    t5 = auth.start_session(ops, "lan", "leader")
    auth.disable(ops, "lan")
    assert auth.session(ops, t5, 60, 3600) is None
    assert auth.session(ops, "made-up", 60, 3600) is None


def test_a_cookie_with_a_wrong_signature_is_nobody(monkeypatch):
    monkeypatch.setenv(auth.SECRET_ENV, "one secret")
    signed = auth.sign("tok")
    assert auth.unsign(signed) == "tok"
    assert auth.unsign(signed[:-1] + ("0" if signed[-1] != "0" else "1")) is None
    assert auth.unsign("tok") is None and auth.unsign(None) is None and auth.unsign(".abc") is None
    monkeypatch.setenv(auth.SECRET_ENV, "another secret")
    assert auth.unsign(signed) is None


def test_the_form_goes_back_only_to_this_site():
    assert signin.safe_next("/ward?ward=25747") == "/ward?ward=25747"
    for bad in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "", None):
        assert signin.safe_next(bad) == "/"


def test_the_form_checks_its_origin_and_csrf_then_the_password(snap, tmp_path, monkeypatch):
    cfg, _ = snap
    ops = cfg.data_path / "ops.sqlite"
    auth.add(ops, "form-user", "analyst", "0123456789")
    good = {"name": "form-user", "password": "0123456789", "csrf": "c", "next": "/sql", "lang": "vi"}
    assert signin.submit(cfg, good, {"ioc_csrf": "c"}, "127.0.0.1", same_origin=False).status == 403
    assert signin.submit(cfg, good, {"ioc_csrf": "other"}, "127.0.0.1", same_origin=True).status == 403
    wrong = signin.submit(cfg, {**good, "password": "nope nope"}, {"ioc_csrf": "c"}, "127.0.0.1", True)
    assert wrong.status == 401 and "Sai tên tài khoản hoặc mật khẩu." in wrong.body
    ok = signin.submit(cfg, good, {"ioc_csrf": "c"}, "127.0.0.1", True)
    assert ok.status == 303 and ok.location == "/sql"
    english = signin.submit(cfg, {**good, "lang": "en"}, {"ioc_csrf": "c"}, "127.0.0.1", True)
    assert english.location == "/sql?lang=en"  # the cockpit opens in the form's language
    value, max_age = ok.cookies[auth.COOKIE]
    assert max_age == cfg.sign_in.max_hours * 3600
    assert auth.session(ops, auth.unsign(value), 60, 3600).name == "form-user"
    page = signin.page("vi", "/", "c", message="<script>alert(1)</script>", name='"><img src=x onerror=alert(1)>')
    assert "<script>alert(1)" not in page and "<img src=x" not in page


def test_the_form_refuses_an_address_after_many_failures_and_says_until_when(snap):
    cfg, _ = snap
    cfg = cfg.model_copy(update={"sign_in": cfg.sign_in.model_copy(update={"address_failures": 2})})
    auth.add(cfg.data_path / "ops.sqlite", "spray-target", "analyst", "0123456789")
    form = {"password": "nope nope", "csrf": "c", "next": "/", "lang": "vi"}
    for name in ("spray-1", "spray-2"):
        wrong = signin.submit(cfg, {**form, "name": name}, {"ioc_csrf": "c"}, "192.0.2.77", True)
        assert wrong.status == 401 and "Sai tên tài khoản hoặc mật khẩu." in wrong.body
    right = {**form, "name": "spray-target", "password": "0123456789"}
    refused = signin.submit(cfg, right, {"ioc_csrf": "c"}, "192.0.2.77", True)
    assert refused.status == 401 and auth.COOKIE not in refused.cookies
    assert "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Hãy thử lại sau" in refused.body
    assert signin.submit(cfg, right, {"ioc_csrf": "c"}, "192.0.2.78", True).status == 303


def test_a_ward_official_is_given_no_rank_among_their_one_ward(snap):
    """Ranks are among the wards a person reads: in a ward official's copy that is their ward alone, and "1/1"
    would read as first; the whole city's copy ranks it among the wards with a value."""
    from ioc.queries import ward as qw

    cfg, path = snap
    sc = access.scope(cfg, _person())
    assert sc is not None
    frames = {}
    for name, db in (("ward", access.scoped_path(path, sc)), ("city", path)):
        con = duckdb.connect(str(db), read_only=True)
        try:
            frames[name] = qw.indicators(con, WARD)
        finally:
            con.close()
    ward, city = frames["ward"], frames["city"]
    assert not ward.empty and ward["rank"].isna().all() and set(ward["ranked"]) == {1}
    assert city["ranked"].min() > 1 and city["rank"].notna().all(), city[["code", "rank", "ranked"]]


def test_the_api_reads_a_ward_official_their_wards_and_the_city(snap):
    cfg, _ = snap
    ops = cfg.data_path / "ops.sqlite"
    auth.add(ops, "hoa-api", "ward_official", "0123456789", [WARD])
    token = auth.start_session(ops, "hoa-api", "ward_official", [WARD])
    who = api.asker(cfg, None, auth.sign(token))
    assert who.wards == (WARD,)
    assert api.sees(cfg, who, WARD) and api.sees(cfg, who, None) and not api.sees(cfg, who, "25741")
    with pytest.raises(api.Unauthorized):
        api.asker(cfg, None, None)
    with pytest.raises(api.Unauthorized):
        api.asker(cfg, None, auth.sign("not-a-session"))


def test_personal_fields_are_masked_for_every_role_but_the_one_handling_reports(sample_data_citizen):
    cfg, path = sample_data_citizen
    whole = duckdb.connect(str(path), read_only=True)
    personal = cfg.personal_columns()["citizen_reports"]
    assert set(personal) == {"reporter_name", "reporter_phone", "reporter_id_number", "reporter_address"}
    try:
        clear = whole.execute(
            "SELECT report_id, reporter_phone, reporter_name FROM citizen_reports WHERE reporter_phone IS NOT NULL "
            "ORDER BY report_id LIMIT 1"
        ).fetchone()
        total = whole.execute("SELECT count(*) FROM citizen_reports").fetchone()[0]
        rejects = whole.execute("SELECT count(*) FROM _rejects").fetchone()[0]
    finally:
        whole.close()
    for who in (access.Person("lan", "leader"), access.Person("an", "analyst"), access.PUBLIC, access.OPEN,
                access.Person("q", "admin"), _person()):  # fmt: skip
        sc = access.scope(cfg, who)
        assert sc is not None and {c for _, c in sc.masked} == set(personal), who
        con = duckdb.connect(str(access.scoped_path(path, sc)), read_only=True)
        try:
            row = con.execute(
                "SELECT reporter_phone, reporter_name FROM citizen_reports WHERE report_id = ?", [clear[0]]
            ).fetchone()
            if who.wards and row is None:
                continue  # another ward's report: not in their copy at all
            phone, name = row
            assert phone == clear[1][0] + "*" * (len(clear[1]) - 3) + clear[1][-2:] and phone != clear[1]
            assert name[0] == clear[2][0] and set(name[1:-2]) == {"*"}
            found = con.execute(
                "SELECT count(*) FROM citizen_reports WHERE reporter_phone = ? OR reporter_name = ?", list(clear[1:])
            ).fetchone()[0]
            assert found == 0  # no query finds the clear value
            if not who.wards:
                assert con.execute("SELECT count(*) FROM citizen_reports").fetchone()[0] == total
                assert con.execute("SELECT count(*) FROM _rejects").fetchone()[0] == rejects  # the catalog's counts
                assert con.execute("SELECT count(*) FROM _dropped WHERE text IS NOT NULL").fetchone()[0] == 0
        finally:
            con.close()
    assert access.scope(cfg, access.Person("t", "operator")) is None


def test_the_copies_are_made_when_a_snapshot_is_published(sample_data_citizen, monkeypatch):
    cfg, path = sample_data_citizen
    monkeypatch.setenv("IOC_DATA_DIR", str(path.parent.parent))
    made = access.prepare(cfg)
    assert all(p.exists() for p in made)
    # one masked copy serves every role bound to no ward on the pages; the analysts' tools have theirs made too
    people = [access.PUBLIC, access.OPEN, *(access.Person("-", r) for r in cfg.roles if r != "public")]
    pages = {access.scope(cfg, p) for p in people} - {None}
    tools = {access.scope(cfg, p, adhoc=True) for p in people if {"catalog", "sql"} & access.pages(cfg, p)}
    assert len(pages) == 1 and tools and {access.scoped_target(path, sc) for sc in pages | tools} == set(made)


@pytest.fixture(scope="module")
def sample_data_citizen(tmp_path_factory):
    """The citizen reports (with who sent them) ingested into a data dir of their own."""
    from ioc.config import load_config
    from ioc.ingest import ingest

    data = tmp_path_factory.mktemp("citizen")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IOC_DATA_DIR", str(data))
        cfg = load_config(ROOT / "config.yaml")
        from ioc import sample

        sample.pin_committed(cfg)
        result = ingest(cfg, ["citizen_reports"])
        assert not result.failed, [r.error for r in result.failed]
        yield cfg, Warehouse(data / "warehouse").current_path()


def test_the_command_line_issues_a_wall_token_shown_once_and_kept_only_hashed(tmp_path):
    import sqlite3

    from tests.helpers import cli

    env = {"IOC_DATA_DIR": str(tmp_path), "IOC_CONFIG": str(ROOT / "config.yaml")}
    out = cli("kiosk", "token", "main", env=env)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().split("token=")[1]
    assert auth.wall_token(tmp_path / "ops.sqlite", "main", token) is True
    assert auth.wall_token(tmp_path / "ops.sqlite", "test", token) is None  # never issued for that wall
    stored = sqlite3.connect(tmp_path / "ops.sqlite").execute("SELECT hash FROM wall_tokens").fetchone()[0]
    assert token not in stored
    again = cli("kiosk", "token", "main", env=env).stdout.strip().split("token=")[1]
    assert auth.wall_token(tmp_path / "ops.sqlite", "main", token) is False  # rotated
    assert auth.wall_token(tmp_path / "ops.sqlite", "main", again) is True
    assert cli("kiosk", "token", "nowhere", env=env).returncode != 0
    assert [e["action"] for e in audit.entries(tmp_path / "ops.sqlite")] == ["wall_token", "wall_token"]


@pytest.fixture(scope="module")
def labour(tmp_path_factory):
    """The children and social protection counts by ward (sensitive) ingested into a data dir of their own."""
    from ioc.config import load_config
    from ioc.ingest import ingest

    data = tmp_path_factory.mktemp("labour")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IOC_DATA_DIR", str(data))
        cfg = load_config(ROOT / "config.yaml")
        from ioc import sample

        sample.pin_committed(cfg)
        result = ingest(cfg, ["labour_social"])
        assert not result.failed, [r.error for r in result.failed]
        yield cfg, Warehouse(data / "warehouse").current_path()


def test_the_analysts_tools_read_small_counts_of_people_as_less_than_five(labour):
    cfg, path = labour
    n = lambda con, sql: con.execute(sql).fetchone()[0]  # noqa: E731
    whole = duckdb.connect(str(path), read_only=True)
    try:
        small = n(whole, "SELECT count(*) FROM labour_social_quarterly WHERE children_special BETWEEN 1 AND 4")
        large = n(whole, "SELECT count(*) FROM labour_social_quarterly WHERE children_special >= 5")
        zero = n(whole, "SELECT count(*) FROM labour_social_quarterly WHERE children_special = 0")
        exact = whole.execute(
            "SELECT ward_code, period_start, children_special FROM labour_social_quarterly WHERE children_special >= 5"
        ).fetchall()
        masked_codes = [i.code for i in cfg.indicators if i.mask_below]
        codes = "', '".join(masked_codes)
        small_ind = n(
            whole, f"SELECT count(*) FROM indicator_value WHERE code IN ('{codes}') AND value BETWEEN 1 AND 4"
        )
        kept_ind = n(whole, f"SELECT count(*) FROM indicator_value WHERE code IN ('{codes}') AND value >= 5")
        other_small = n(whole, f"SELECT count(*) FROM indicator_value WHERE code NOT IN ('{codes}') AND value = 3")
    finally:
        whole.close()
    assert small > 0 and large > 0 and small_ind > 0 and kept_ind > 0  # the sample has both kinds
    for who in (access.Person("an", "analyst"), access.Person("t", "operator"), access.Person("q", "admin"), _person()):
        sc = access.scope(cfg, who, adhoc=True)
        assert sc is not None and ("labour_social_quarterly", "children_special") in sc.small, who
        tool = access.scoped_path(path, sc)

        def run(q: str, tool=tool):
            return sandbox.run(cfg, q, path=tool).rows

        # text in the analysts' copy: no cell from 1 to 4 is there to read, and no sum passes for the total
        assert run("SELECT count(*) FROM labour_social_quarterly WHERE children_special IN ('1', '2', '3', '4')") == [
            (0,)
        ]
        with pytest.raises(QueryError, match="sum"):
            run("SELECT sum(children_special) FROM labour_social_quarterly")
        withheld = f"SELECT count(*) FROM indicator_value WHERE code IN ('{codes}') AND withheld = '<5'"
        assert run(f"SELECT count(*) FROM indicator_value WHERE code IN ('{codes}') AND value BETWEEN 1 AND 4") == [
            (0,)
        ]
        if not who.wards:
            assert run("SELECT count(*) FROM labour_social_quarterly WHERE children_special = '<5'") == [(small,)]
            assert run("SELECT count(*) FROM labour_social_quarterly WHERE children_special = '0'") == [(zero,)]
            shown = run(
                "SELECT ward_code, period_start, CAST(children_special AS BIGINT) FROM labour_social_quarterly "
                "WHERE children_special NOT IN ('<5', '0')"
            )
            assert sorted(shown) == sorted(exact) and len(exact) == large  # counts of 5 and more exact
            assert run(withheld) == [(small_ind,)]
            assert run(f"SELECT count(*) FROM indicator_value WHERE code IN ('{codes}') AND value >= 5") == [
                (kept_ind,)
            ]
            # other indicators keep their small values, and nothing withheld
            assert run(f"SELECT count(*) FROM indicator_value WHERE code NOT IN ('{codes}') AND value = 3") == [
                (other_small,)
            ]
            assert run("SELECT count(*) FROM indicator_value WHERE withheld IS NOT NULL") == [(small_ind,)]
    # the pages read the counts as they are: their indicator queries show them as "<5" (qi.mask)
    page = access.scope(cfg, access.Person("t", "operator"))
    assert page is None or not page.small


REGISTER = {
    "connector": "csv",
    "sector": "env",
    "table": "env_children",
    "path": "children.csv",
    "sensitive": True,
    "columns": {
        "child_id": {"required": True},
        "ward_code": {"required": True, "values_from": "wards"},
        "situation": {"description": "Hoàn cảnh"},
    },
}
CHILDREN = {
    "code": "ENV_CHILDREN",
    "sector": "env",
    "name": {"vi": "Trẻ em có hoàn cảnh đặc biệt", "en": "Children in special circumstances"},
    "unit": "trẻ",
    "mask_below": 5,
    "sql": "SELECT ward_code, DATE '2026-10-01' AS period, count(*) AS value FROM env_children "
    "GROUP BY GROUPING SETS ((ward_code), ())",
}


def test_a_register_of_people_is_never_read_row_by_row_in_the_analysts_tools(tmp_path, monkeypatch):
    """A source declared `sensitive` (one row per child): the analysts' copy holds its table with no rows and
    none of its rejected or dropped lines; the pages' indicator over it masks its small counts; and the config
    refuses a page part that would list or map its rows, or an indicator over it that masks nothing."""
    from ioc.config import ConfigError, load_config
    from ioc.ingest import ingest
    from tests.helpers import config_doc, write_config

    lines = ["child_id,ward_code,situation"]
    lines += [f"c{i},25741,mồ côi" for i in range(7)] + ["c7,25744,khuyết tật", "c8,25744,mồ côi", "c9,25747,mồ côi"]
    lines += ["c10,99999,Nguyễn Văn A bỏ học"]  # a reject, whose value must not reach an analyst
    (tmp_path / "children.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    cfg = load_config(write_config(tmp_path, {"children": REGISTER}, indicators=[CHILDREN]))
    assert cfg.sensitive_tables() == ["env_children"]
    result = ingest(cfg)
    assert not result.failed, [r.error for r in result.failed]
    path = Warehouse(cfg.data_path / "warehouse").current_path()
    whole = duckdb.connect(str(path), read_only=True)
    try:
        assert whole.execute("SELECT count(*) FROM env_children").fetchone()[0] == 10
        assert whole.execute("SELECT count(*) FROM _rejects WHERE source = 'children'").fetchone()[0] == 1
    finally:
        whole.close()

    for who in (access.Person("an", "analyst"), access.Person("q", "admin"), _person(wards=("25744",))):
        sc = access.scope(cfg, who, adhoc=True)
        assert sc is not None and sc.registers == ("env_children",)
        tool = access.scoped_path(path, sc)

        def run(q: str, tool=tool):
            return sandbox.run(cfg, q, path=tool).rows

        assert run("SELECT count(*) FROM env_children") == [(0,)], who
        assert run("SELECT count(*) FROM _rejects WHERE source = 'children'") == [(0,)], who
        assert run("SELECT count(*) FROM _dropped WHERE source = 'children' AND text IS NOT NULL") == [(0,)]
        shown = dict(run("SELECT ward_code, coalesce(withheld, CAST(value AS VARCHAR)) FROM indicator_value"))
        assert shown.get("25744") == "<5", shown  # two children: a count that identifies them
        if not who.wards:
            assert shown["25741"] == "7.0" and shown["25747"] == "<5" and shown[None] == "10.0"
    # the pages' copies are not the analysts': a ward official's pages still count their ward's children
    page = access.scope(cfg, _person(wards=("25741",)))
    assert page is not None and not page.registers
    con = duckdb.connect(str(access.scoped_path(path, page)), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM env_children").fetchone()[0] == 7
    finally:
        con.close()

    doc = config_doc({"children": REGISTER}, indicators=[{**CHILDREN, "mask_below": None}])
    doc["sectors"][0]["places"] = [
        {"key": "kids", "title": {"vi": "Trẻ em"}, "table": "env_children", "name": "child_id", "category": "situation"}
    ]
    with pytest.raises(ConfigError) as err:
        parse_config(doc, tmp_path / "config.yaml")
    problems = "\n".join(err.value.problems)
    assert "sectors.env.places.0.table: 'env_children' is a register of people (`sensitive`)" in problems
    assert "indicators.0: ENV_CHILDREN reads 'env_children', a register of people (`sensitive`)" in problems
