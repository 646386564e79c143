"""Config: a valid file passes; each kind of mistake is one line naming its dotted key; paths resolve as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ioc.cli import main
from ioc.config import load_config
from tests.helpers import ROOT, cli, config_doc, write_config

AIR = {
    "connector": "csv",
    "sector": "env",
    "table": "env_air",
    "path": "air.csv",
    "mode": "upsert",
    "key": ["ward_code", "day"],
    "schedule": "0 * * * *",
    "rename": {"Mã phường": "ward_code", "Ngày": "day", "PM2.5": "pm25"},
    "columns": {"ward_code": {"required": True}, "day": {"type": "date"}, "pm25": {"type": "double", "min": 0}},
    "options": {"decimal": ",", "date_format": "%d/%m/%Y"},
}
PM25 = {
    "code": "ENV_PM25",
    "sector": "env",
    "name": {"vi": "Bụi PM2.5", "en": "PM2.5"},
    "unit": "µg/m³",
    "direction": "lower",
    "sql": "SELECT ward_code, day AS period, avg(pm25) AS value FROM env_air GROUP BY ALL",
}
DELETE = object()


def valid_doc() -> dict:
    return config_doc({"air": AIR}, indicators=[PM25])


def set_at(doc: dict, dotted: str, value: Any) -> dict:
    """The document with one key (list items by index) set, or removed with DELETE."""
    *parents, last = dotted.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


def validate(tmp_path: Path, doc: dict, capsys) -> tuple[int, list[str], Path]:
    """`validate --config` on the document, in this process: (exit code, stderr lines, config path)."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    code = main(["validate", "--config", str(path)])
    return code, capsys.readouterr().err.splitlines(), path


def test_valid_config_passes(tmp_path, capsys):
    code, err, path = validate(tmp_path, set_at(valid_doc(), "sources.air.schedule", "30 6 * * 7"), capsys)
    assert (code, err) == (0, [])
    cfg = load_config(path)
    assert cfg.sources["air"].name == "air"
    assert cfg.sources["air"].key == ["ward_code", "day"]
    assert cfg.city.timezone == "Asia/Ho_Chi_Minh"  # the default
    assert cfg.path == path


@pytest.mark.skipif(not (ROOT / "config.yaml").exists(), reason="the project's config.yaml is not written yet")
def test_project_config_validates():
    done = cli("validate", "--config", str(ROOT / "config.yaml"))
    assert done.returncode == 0, done.stderr
    assert ": OK (" in done.stdout


BAD = [
    (
        "column-type",
        "sources.air.columns.pm25.type",
        "float",
        "sources.air.columns.pm25.type: expected one of 'text', 'integer', 'double', 'date', 'timestamp', 'boolean', "
        "got 'float'",
    ),
    ("unknown-top", "colour", "blue", "colour: unknown key"),
    ("unknown-nested", "sources.air.columns.pm25.unit", "µg", "sources.air.columns.pm25.unit: unknown key"),
    ("unknown-in-source", "sources.air.sheet", 1, "sources.air.sheet: unknown key"),
    (
        "connector",
        "sources.air.connector",
        "xls",
        "sources.air.connector: expected one of ckan, csv, excel, geojson, json_api, open_meteo, overpass, "
        "parquet, got 'xls'",
    ),
    ("option-value", "sources.air.options.decimal", ";", "sources.air.options.decimal: expected `.` or `,`"),
    ("option-unknown", "sources.air.options.delimeter", ";", "sources.air.options.delimeter: unknown key"),
    (
        "option-regex",
        "sources.air.options.drop_rows_matching",
        "^(Tổng",
        "sources.air.options.drop_rows_matching: not a regular expression",
    ),
    ("upsert-without-key", "sources.air.key", [], "sources.air: mode upsert needs `key`"),
    ("key-not-declared", "sources.air.key", ["ward_code", "hour"], "sources.air.key: 'hour' is not a declared column"),
    (
        "mode",
        "sources.air.mode",
        "merge",
        "sources.air.mode: expected one of 'replace', 'append', 'upsert', got 'merge'",
    ),
    ("cron", "sources.air.schedule", "0 25 * * *", "sources.air.schedule: not a cron expression"),
    ("cron-words", "sources.air.schedule", "every hour", "sources.air.schedule: not a cron expression"),
    (
        "cron-weekday",
        "sources.air.schedule",
        "0 6 * * 8",
        "sources.air.schedule: not a cron expression (day of week '8': expected numbers 0-7 (0 and 7 are Sunday))",
    ),
    ("timezone", "city.timezone", "Asia/Thu_Dau_Mot", "city.timezone: unknown time zone 'Asia/Thu_Dau_Mot'"),
    ("duplicate-wards", "wards.1.code", "25741", "wards: duplicate codes ['25741']"),
    ("no-wards", "wards", [], "wards: List should have at least 1 item"),
    ("missing-city", "city", DELETE, "city: required key is missing"),
    ("number-as-words", "city.lat", "north", "city.lat: Input should be a valid number"),
    ("table-name", "sources.air.table", "Env Air", "sources.air.table: expected a snake_case identifier"),
    ("column-name", "sources.air.columns", {"PM 2.5": {}}, "sources.air.columns: column name 'PM 2.5'"),
    ("no-location", "sources.air.path", DELETE, "sources.air: give `path` or `url`"),
    ("unknown-sector", "sources.air.sector", "health", "sources.air.sector: unknown sector 'health' (see `sectors`)"),
    (
        "indicator-both-ways",
        "indicators.0.table",
        "env_air_daily",
        "indicators.0: give exactly one of `sql` or `table`",
    ),
    ("indicator-sector", "indicators.0.sector", "health", "indicators.0.sector: unknown sector 'health'"),
    ("keep", "snapshots.keep", 0, "snapshots.keep: Input should be greater than or equal to 1"),
    (
        "format-unknown",
        "sources.air.format",
        "office",
        "sources.air.format: unknown format 'office' (see `formats`: none)",
    ),
    (
        "values-twice",
        "sources.air.columns.ward_code",
        {"values": ["25741"], "values_from": "wards"},
        "sources.air.columns.ward_code: give `values` or `values_from`, not both",
    ),
    (
        "values-from-what",
        "sources.air.columns.ward_code.values_from",
        "streets",
        "sources.air.columns.ward_code.values_from: expected one of 'wards', got 'streets'",
    ),
    ("source-sector-missing", "sources.air.sector", DELETE, "sources.air.sector: required key is missing"),
    (
        "sensitive-not-a-count",
        "sources.air.columns.pm25.sensitive",
        True,
        "sources.air.columns.pm25: sensitive: a count of people, so type integer (not double)",
    ),
    ("duplicate-sectors", "sectors.1.code", "env", "sectors: duplicate codes ['env']"),
]


@pytest.mark.parametrize("dotted, value, expected", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_each_mistake_is_one_line_naming_its_key(tmp_path, capsys, dotted, value, expected):
    code, err, path = validate(tmp_path, set_at(valid_doc(), dotted, value), capsys)
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"{path}: {expected}"), err[0]


def test_every_problem_is_listed_by_the_real_command(tmp_path):
    doc = valid_doc()
    for dotted, value in [
        ("colour", "blue"),
        ("sources.air.columns.pm25.type", "float"),
        ("wards.2.code", "25744"),
        ("sources.air.options.decimal", ";"),
    ]:
        set_at(doc, dotted, value)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    done = cli("validate", "--config", str(path))
    assert done.returncode == 2
    keys = sorted(line.removeprefix(f"{path}: ").split(":")[0] for line in done.stderr.splitlines())
    assert keys == ["colour", "sources.air.columns.pm25.type", "sources.air.options.decimal", "wards"]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("city:\n  name: {vi: Thủ Dầu Một\n  lat: 10.98\n", encoding="utf-8")
    done = cli("validate", "--config", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{path}: line 3, column 6: not valid YAML")
    assert len(done.stderr.splitlines()) == 1


def test_missing_file(tmp_path):
    done = cli("validate", "--config", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert done.stderr == f"{tmp_path / 'nope.yaml'}: (file): not found; pass --config PATH or set IOC_CONFIG\n"


def test_a_document_that_is_not_a_mapping(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert main(["validate", "--config", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}: (top): expected a mapping of keys\n"


def test_config_flag_beats_environment_beats_working_directory(tmp_path):
    here = write_config(tmp_path / "cwd", {})
    from_env = write_config(tmp_path / "env", {"air": AIR})
    flagged = write_config(tmp_path / "flag", {"air": AIR, "air2": {**AIR, "table": "env_air2"}})
    env = {"IOC_CONFIG": str(from_env)}
    assert cli("validate", "--config", str(flagged), cwd=here.parent, env=env).stdout.startswith(
        f"{flagged}: OK (2 sources"
    )
    assert cli("validate", cwd=here.parent, env=env).stdout.startswith(f"{from_env}: OK (1 sources")
    assert cli("validate", cwd=here.parent).stdout.startswith(f"{here}: OK (0 sources")


def test_data_dir_is_relative_to_the_config_and_overridden_by_the_environment(tmp_path, monkeypatch):
    path = write_config(tmp_path / "city", {}, data_dir="store")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IOC_DATA_DIR", raising=False)
    assert load_config(path).data_path == tmp_path / "city" / "store"
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_config(path).data_path == tmp_path / "elsewhere"


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    folder = tmp_path / "city"
    path = write_config(folder, {"air": {**AIR, "path": "inputs/air.csv"}})
    (folder / "inputs").mkdir()
    (folder / "inputs" / "air.csv").write_text("Mã phường;Ngày;PM2.5\n25741;05/06/2025;21,5\n", encoding="utf-8")
    cwd = tmp_path / "somewhere" / "else"
    cwd.mkdir(parents=True)
    done = cli("ingest", "air", "--config", "../../city/config.yaml", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert (folder / "data" / "warehouse" / "CURRENT").exists()
    assert not (cwd / "data").exists()
    assert load_config(path).resolve("inputs/air.csv") == folder / "inputs" / "air.csv"


def test_a_sector_file_is_read_and_its_problems_named_by_sector_and_file(tmp_path, capsys):
    (tmp_path / "sectors").mkdir()
    sector = {
        "code": "water",
        "name": {"vi": "Cấp nước"},
        "sources": {"air": {**{k: v for k, v in AIR.items() if k != "sector"}, "table": "water_air"}},
        "indicators": [{**{k: v for k, v in PM25.items() if k != "sector"}, "code": "WATER_X"}],
    }
    (tmp_path / "sectors" / "water.yaml").write_text(yaml.safe_dump(sector, allow_unicode=True), encoding="utf-8")
    doc = config_doc(sectors=[*config_doc()["sectors"], "sectors/water.yaml"])
    code, err, path = validate(tmp_path, doc, capsys)
    assert (code, err) == (0, [])
    cfg = load_config(path)
    assert cfg.sources["air"].sector == "water" and cfg.sector("water").file == "sectors/water.yaml"
    assert [i.code for i in cfg.indicators] == ["WATER_X"] and cfg.indicators[0].sector == "water"
    sector["sources"]["air"]["mode"] = "merge"
    sector["sources"]["air"]["sector"] = "env"
    (tmp_path / "sectors" / "water.yaml").write_text(yaml.safe_dump(sector, allow_unicode=True), encoding="utf-8")
    code, err, _ = validate(tmp_path, doc, capsys)
    assert code == 2 and err == [
        f"{path}: sectors.water.sources.air.mode: expected one of 'replace', 'append', "
        "'upsert', got 'merge' (in sectors/water.yaml)"
    ]
    sector["sources"]["air"]["mode"] = "upsert"
    (tmp_path / "sectors" / "water.yaml").write_text(yaml.safe_dump(sector, allow_unicode=True), encoding="utf-8")
    code, err, _ = validate(tmp_path, doc, capsys)
    assert code == 2 and err == [
        f"{path}: sectors.water.sources.air.sector: 'env' inside sector 'water'; leave it out (in sectors/water.yaml)"
    ]
    code, err, _ = validate(tmp_path, config_doc(sectors=["sectors/nope.yaml"]), capsys)
    assert code == 2 and err[0].startswith(
        f"{path}: sectors.0 (sectors/nope.yaml): (file): not found; paths in `sectors` are relative to the config file"
    )


def test_values_from_wards_and_a_format_fill_in_what_the_source_leaves_out(tmp_path):
    air = {
        **AIR,
        "format": "report",
        "options": {"decimal": "."},
        "columns": {**AIR["columns"], "ward_code": {"required": True, "values_from": "wards"}},
    }
    doc = config_doc({"air": air}, formats={"report": {"decimal": ",", "thousands": ".", "header_rows": 2}})
    cfg = load_config(write_config(tmp_path, doc["sources"], formats=doc["formats"]))
    src = cfg.sources["air"]
    assert src.columns["ward_code"].values == [w["code"] for w in config_doc()["wards"]]
    assert (src.options.decimal, src.options.thousands, src.options.header_rows) == (".", ".", 2)  # its own win


def test_model_and_cross_entry_problems_come_in_one_pass_with_the_key_meant(tmp_path):
    """A misspelt key, a bad value in one source and problems across entries elsewhere: all in one run of
    validate, each once, the list entries keeping their own numbers."""
    import copy

    doc = valid_doc()
    air = doc["sources"]["air"]
    doc["sources"] = {
        "air": air,
        "copy": copy.deepcopy(air) | {"key": ["nope"]},  # writes air's table; a key it does not declare
        "broken": copy.deepcopy(air) | {"table": "broken_t", "mode": "merge"},
    }
    air["columns"]["ward_code"]["requried"] = True
    doc["indicators"] = [
        {"code": "BAD", "name": {"vi": "x"}, "sector": "env", "sql": "SELECT 1", "grain": "fortnight"},
        {"code": "LOST", "name": {"vi": "y"}, "sector": "nowhere", "sql": "SELECT 1"},
    ]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    done = cli("validate", "--config", str(path))
    assert done.returncode == 2
    lines = [line.removeprefix(f"{path}: ") for line in done.stderr.splitlines()]
    assert "sources.air.columns.ward_code.requried: unknown key; did you mean required?" in lines
    assert any(line.startswith("sources.broken.mode: expected one of") for line in lines)
    assert any(line.startswith("indicators.0.grain: expected one of") for line in lines)
    table = "sources.copy.table: 'env_air' is written by source air too; one table has one source"
    assert f"{table} (give each its own table)" in lines
    assert "sources.copy.key: 'nope' is not a declared column" in lines
    assert "indicators.1.sector: unknown sector 'nowhere' (see `sectors`)" in lines  # numbered as written
    assert len(lines) == len(set(lines)) == 6, lines


def test_the_default_config_keeps_internet_sources_off_until_one_line_turns_them_on(tmp_path):
    from ioc.config import config_document, parse_config

    cfg = load_config(ROOT / "config.yaml")
    off = {n for n, s in cfg.sources.items() if s.off_reason}
    assert off == {"weather", "air_open_meteo", "poi_osm"}
    assert all(not cfg.sources[n].enabled for n in off)
    assert all(s.enabled for n, s in cfg.sources.items() if n not in off and s.sample)  # the sample data runs
    doc = config_document(ROOT / "config.yaml") | {"internet": True}
    on = parse_config(doc, ROOT / "config.yaml")
    assert all(on.sources[n].enabled and on.sources[n].off_reason is None for n in off)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```yaml\ninternet: true\n```" in readme and "internet: false" in (ROOT / "config.yaml").read_text()


@pytest.mark.parametrize(
    "url, internet",
    [
        ("https://api.open-meteo.com/v1/forecast", True),
        ("https://overpass-api.de/api/interpreter", True),
        ("http://127.0.0.1:8080/x", False),
        ("http://localhost:9000/x", False),
        ("http://10.2.3.4/api", False),
        ("http://192.168.1.20/api", False),
        ("http://ho-so.local/api", False),
        ("http://ioc-server/api", False),
        ("data/sample/x.csv", False),
        (None, False),
    ],
)
def test_what_counts_as_the_internet(url, internet):
    from connectors.base import on_internet

    assert on_internet(url) is internet
