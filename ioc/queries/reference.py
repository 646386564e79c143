"""Reference data shared by every page: the wards with their geometry."""

from __future__ import annotations

import duckdb
import pandas as pd

from ioc.queries import frame


def wards(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "SELECT ward_code, name_vi, name_en, lat, lon, population, area_km2, geometry FROM dim_ward ORDER BY ward_code",
    )
