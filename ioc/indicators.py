"""The reference and indicator layers of every snapshot: dim_ward, indicator and indicator_value.

Every value is recomputed from the indicator's definition in config at each snapshot, so a leader's
number can always be traced to the rows behind it. An indicator whose query fails keeps its previous
values, and the failure is recorded in `indicator.status` / `indicator.error`.
"""

from __future__ import annotations

import contextlib
import json

import duckdb
import pyarrow as pa

from ioc.config import Config, Indicator
from ioc.warehouse import ident


def ward_geometry(cfg: Config) -> dict[str, dict]:
    """Ward code → GeoJSON geometry from the configured ward polygons (empty when absent)."""
    if not cfg.maps.wards_geojson:
        return {}
    path = cfg.resolve(cfg.maps.wards_geojson)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for feat in doc.get("features", []):
        code = str((feat.get("properties") or {}).get("code", ""))
        if code and feat.get("geometry"):
            out[code] = feat["geometry"]
    return out


def table_geometry(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict]:
    """Ward code → geometry from a snapshot table's `ward_code` and `geometry` columns (empty while the table
    or a column is missing, or for a row whose geometry is not GeoJSON)."""
    try:
        rows = con.execute(
            f"SELECT CAST(ward_code AS VARCHAR), CAST(geometry AS VARCHAR) FROM {ident(table)} "
            "WHERE ward_code IS NOT NULL AND geometry IS NOT NULL"
        ).fetchall()
    except duckdb.Error:
        return {}
    out = {}
    for code, text in rows:
        with contextlib.suppress(ValueError):
            geom = json.loads(text)
            if isinstance(geom, dict) and geom.get("type"):
                out[code] = geom
    return out


def build_dim_ward(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    geoms = ward_geometry(cfg)
    if cfg.maps.wards_table:
        geoms |= table_geometry(con, cfg.maps.wards_table)
    tbl = pa.table(
        {
            "ward_code": [w.code for w in cfg.wards],
            "name_vi": [w.name.vi for w in cfg.wards],
            "name_en": [w.name.get("en") for w in cfg.wards],
            "lat": pa.array([w.lat for w in cfg.wards], pa.float64()),
            "lon": pa.array([w.lon for w in cfg.wards], pa.float64()),
            "population": pa.array([w.population for w in cfg.wards], pa.int64()),
            "area_km2": pa.array([w.area_km2 for w in cfg.wards], pa.float64()),
            "geometry": pa.array(
                [json.dumps(geoms[w.code]) if w.code in geoms else None for w in cfg.wards], pa.string()
            ),
        }
    )
    con.register("_wards", tbl)
    con.execute("CREATE OR REPLACE TABLE dim_ward AS SELECT * FROM _wards")
    con.unregister("_wards")


def _indicator_table(cfg: Config) -> pa.Table:
    inds = cfg.indicators
    return pa.table(
        {
            "code": [i.code for i in inds],
            "sector": [i.sector for i in inds],
            "name_vi": [i.name.vi for i in inds],
            "name_en": [i.name.get("en") for i in inds],
            "unit": [i.unit for i in inds],
            "direction": [i.direction for i in inds],
            "grain": [i.grain for i in inds],
            "target": pa.array([i.target for i in inds], pa.float64()),
            "targets": [json.dumps({str(k): v for k, v in i.targets.items()}) for i in inds],
            "target_aggregate": [i.target_aggregate for i in inds],
            "threshold": pa.array([i.threshold for i in inds], pa.float64()),
            "ward_threshold": pa.array([i.ward_threshold for i in inds], pa.float64()),
            "headline": pa.array([i.headline for i in inds], pa.bool_()),
            "mask_below": pa.array([i.mask_below for i in inds], pa.int64()),
            "definition": [i.sql or f"table {i.table}" for i in inds],
            "description": [i.description for i in inds],
        }
    )


def value_sql(ind: Indicator) -> str:
    """The SELECT giving an indicator's values as (code, ward_code, period, value); for `counts`, with a 0 for
    each ward ($wards) that has no row in a period where another ward has one (no accident is 0 accidents)."""
    if ind.sql:
        body = ind.sql.strip().rstrip(";")
        sql = (
            "SELECT CAST($code AS VARCHAR) AS code, CAST(ward_code AS VARCHAR) AS ward_code, "
            f"CAST(period AS DATE) AS period, CAST(value AS DOUBLE) AS value FROM ({body}) AS q "
            "WHERE period IS NOT NULL AND value IS NOT NULL"
        )
    else:
        sql = (
            "SELECT CAST(code AS VARCHAR) AS code, CAST(ward_code AS VARCHAR) AS ward_code, "
            "CAST(period AS DATE) AS period, "
            f"CAST(value AS DOUBLE) AS value FROM {ident(ind.table or '')} WHERE code = $code "
            "AND period IS NOT NULL AND value IS NOT NULL"
        )
    if not ind.counts:
        return sql
    return f"""
        WITH v AS ({sql}),
             p AS (SELECT DISTINCT period FROM v WHERE ward_code IS NOT NULL),
             w AS (SELECT unnest(CAST($wards AS VARCHAR[])) AS ward_code)
        SELECT * FROM v
        UNION ALL
        SELECT CAST($code AS VARCHAR), w.ward_code, p.period, 0.0 FROM p CROSS JOIN w
        WHERE NOT EXISTS (SELECT 1 FROM v WHERE v.ward_code = w.ward_code AND v.period = p.period)"""


VALUES = pa.schema(
    [("code", pa.string()), ("ward_code", pa.string()), ("period", pa.date32()), ("value", pa.float64())]
)


def recompute(con: duckdb.DuckDBPyConnection, cfg: Config) -> dict[str, str | None]:
    """Rebuild indicator and indicator_value; returns code → error (None when computed)."""
    errors, values = compute(con, cfg)
    store(con, cfg, errors, values)
    return errors


def compute(con: duckdb.DuckDBPyConnection, cfg: Config) -> tuple[dict[str, str | None], pa.Table]:
    """Every indicator's values (an indicator that fails keeps its last ones), and code → error (None when
    computed). Read, not written: outside a transaction, which a failing definition would end."""
    errors: dict[str, str | None] = {}
    parts = [VALUES.empty_table()]
    for ind in cfg.indicators:
        try:
            params: dict = {"code": ind.code} | ({"wards": [w.code for w in cfg.wards]} if ind.counts else {})
            parts.append(con.sql(value_sql(ind), params=params).to_arrow_table().cast(VALUES))
            errors[ind.code] = None
        except duckdb.Error as exc:
            errors[ind.code] = str(exc).split("\n")[0][:500]
            with contextlib.suppress(duckdb.CatalogException):  # keep its last good values (none at the first)
                parts.append(
                    con.sql(
                        "SELECT code, ward_code, period, value FROM main.indicator_value WHERE code = ?",
                        params=[ind.code],
                    )
                    .to_arrow_table()
                    .cast(VALUES)
                )
    return errors, pa.concat_tables(parts)


def store(con: duckdb.DuckDBPyConnection, cfg: Config, errors: dict[str, str | None], values: pa.Table) -> None:
    """indicator (with each one's status) and indicator_value, from what compute() gave."""
    tbl = _indicator_table(cfg)
    tbl = tbl.append_column(
        "status", pa.array(["failed" if errors[c] else "ok" for c in tbl["code"].to_pylist()], pa.string())
    )
    tbl = tbl.append_column("error", pa.array([errors[c] for c in tbl["code"].to_pylist()], pa.string()))
    con.register("_ind", tbl)
    con.execute("CREATE OR REPLACE TABLE indicator AS SELECT * FROM _ind")
    con.unregister("_ind")
    con.register("_iv", values)
    con.execute(
        "CREATE OR REPLACE TABLE indicator_value AS SELECT code, ward_code, period, avg(value) AS value "
        "FROM _iv GROUP BY ALL ORDER BY code, period, ward_code NULLS FIRST"
    )
    con.unregister("_iv")
