"""The data catalog's facts per table (config + lineage + freshness) and its accent-insensitive search."""

from __future__ import annotations

import re

import pandas as pd

from ioc.config import Config
from ioc.status import worst
from ioc.text import fold

SYSTEM_SECTOR = "_system"


def entries(
    cfg: Config,
    tables: pd.DataFrame,
    rejects: pd.DataFrame,
    status: dict,
    system_descriptions: dict[str, str],
) -> pd.DataFrame:
    """One row per table of the snapshot: table_name, sector, sector_vi, sector_en, description, sources,
    connectors, locations, last_good_load (UTC), freshness (the worst state, ioc.status), schedule, rows,
    columns, rejects, sample.

    A table several sources load into lists them all; freshness is the worst of them."""
    by_table: dict[str, list] = {}
    for _name, src in cfg.sources.items():
        by_table.setdefault(src.table, []).append(src)
    fresh = {s["source"]: s for s in status.get("sources", [])}
    rows = []
    for r in tables.itertuples():
        srcs = by_table.get(r.table_name, [])
        rej = rejects[rejects["table_name"] == r.table_name] if not rejects.empty else rejects
        states = [fresh[s.name]["state"] for s in srcs if s.name in fresh]
        goods = [fresh[s.name]["last_good"] for s in srcs if s.name in fresh and fresh[s.name]["last_good"]]
        sector = srcs[0].sector if srcs else SYSTEM_SECTOR
        rows.append(
            {
                "table_name": r.table_name,
                "sector": sector,
                "sector_vi": cfg.sector_name(sector, "vi") if srcs else "",
                "sector_en": cfg.sector_name(sector, "en") if srcs else "",
                "description": " ".join(s.description for s in srcs if s.description)
                or system_descriptions.get(r.table_name, ""),
                "sources": ", ".join(s.name for s in srcs),
                "connectors": ", ".join(dict.fromkeys(s.connector for s in srcs)),
                "locations": ", ".join(s.location for s in srcs if s.location),
                "schedule": ", ".join(s.schedule for s in srcs if s.schedule),
                # as status has it (the served payload last loaded or found unchanged), naive UTC
                "last_good_load": max(pd.Timestamp(g).tz_convert("UTC").tz_localize(None) for g in goods)
                if goods
                else None,
                "freshness": worst(states),
                "rows": int(r.rows),
                "columns": int(r.columns),
                "rejects": int(rej["rejects"].sum()) if len(rej) else 0,
                "sample": any(s.sample for s in srcs),
            }
        )
    return pd.DataFrame(rows)


def column_descriptions(cfg: Config, table: str) -> dict[str, str]:
    """Column name → its description from the config of the sources loading the table."""
    out: dict[str, str] = {}
    for src in cfg.sources.values():
        if src.table == table:
            out.update({n: c.description for n, c in src.columns.items() if c.description})
    return out


def _word(w: str) -> str:
    # short words whole ("dat" is not "date"), longer ones as a prefix too ("dossier" finds "dossiers")
    return r"(?<!\w)" + re.escape(w) + (r"(?!\w)" if len(w) <= 3 else "")


def search(
    cfg: Config, catalog: pd.DataFrame, columns: pd.DataFrame, values: pd.DataFrame, query: str
) -> dict[str, list[str]]:
    """Tables matching the query, with what matched: "table", "source", "description", "sector", "column:NAME",
    "value:NAME=VALUE" (a short text value such as a ward name), or "words" (every word somewhere).
    Accents, đ/d and case are ignored on both sides: "phu cuong" finds "Phú Cường"; an underscore is a space,
    as in the names, so a table's or source's own name ("admin_dossiers") finds it."""
    words = fold(query).replace("_", " ").split()
    if not words:
        return {t: [] for t in catalog["table_name"]}
    phrase = re.compile(r"\s+".join(_word(w) for w in words))
    each = [re.compile(_word(w)) for w in words]
    hits: dict[str, list[str]] = {}
    for row in catalog.itertuples():
        t = row.table_name
        descs = column_descriptions(cfg, t)
        texts = [
            ("table", t.replace("_", " ")),
            ("source", row.sources.replace("_", " ")),
            ("description", row.description),
            ("sector", f"{row.sector_vi} {row.sector_en}"),
        ]
        texts += [
            (f"column:{c}", f"{c.replace('_', ' ')} {descs.get(c, '')}")
            for c in columns.loc[columns["table_name"] == t, "column_name"]
        ]
        folded = [(label, fold(text)) for label, text in texts]
        found = [label for label, text in folded if phrase.search(text)]
        if not found and all(p.search(" ".join(text for _, text in folded)) for p in each):
            found = ["words"]
        if not t.startswith("_") and not values.empty:  # bookkeeping tables would match every source name
            vs = values[values["table_name"] == t]
            found += [
                f"value:{c}={v}"
                for c, v in zip(vs["column_name"], vs["value"])
                if len(str(v)) <= 120 and phrase.search(fold(v))
            ]
        if found:
            hits[t] = found
    return hits


def last_load_text(ts: pd.Timestamp | None, timezone: str) -> str:
    """dd/mm/yyyy HH:MM in city time, from a naive UTC timestamp."""
    if ts is None or pd.isna(ts):
        return "–"
    return pd.Timestamp(ts).tz_localize("UTC").tz_convert(timezone).strftime("%d/%m/%Y %H:%M")
