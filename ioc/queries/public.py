"""What the city publishes about citizen reports (phản ánh hiện trường): the results of handling them, by ward,
and one report's progress looked up by its code. No personal data: the reports table holds none, and these
queries read only what a citizen sees in the reporting app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ioc.config import Config
from ioc.queries import frame
from ioc.warehouse import one

TABLE = "citizen_reports"


@dataclass(frozen=True)
class Rules:
    """What `open` and `late` mean for a citizen report: the SQL of the report table's declared conditions."""

    open: str
    late: str

    @classmethod
    def of(cls, cfg: Config) -> Rules:
        return cls(cfg.condition(TABLE, "open"), cfg.condition(TABLE, "late"))

    def reports(self) -> str:
        """Every report with whether it was answered on time and whether it is (or was) late, computed once."""
        return (
            f"(SELECT *, resolved_at IS NOT NULL AND resolved_at <= due_at AS on_time, ({self.late}) AS late, "
            f"({self.open}) AS open FROM {TABLE})"
        )


def as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day of the latest report received: the results read up to it."""
    return one(con, f"SELECT CAST(max(created_at) AS DATE) FROM {TABLE}")[0]


# What became of a report, in three states that add up to the reports received: answered (resolved_at), still
# open (the table's `open` condition, among the unanswered), or closed otherwise (passed on to the body that
# holds the matter: its statuses are listed in `other_statuses`).
# (report_id IS NOT NULL: a ward without reports joins as one empty row, which is no report)
STATES = """count(resolved_at) AS resolved,
            count(report_id) FILTER (WHERE resolved_at IS NULL AND coalesce(open, false)) AS open,
            count(report_id) FILTER (WHERE resolved_at IS NULL AND NOT coalesce(open, false)) AS other"""


def results(con: duckdb.DuckDBPyConnection, rules: Rules, ward: str | None, start: dt.date, end: dt.date) -> dict:
    """Reports received in the period (one ward or the city, by the day received) and what became of them:
    received = resolved + open + other."""
    return (
        frame(
            con,
            f"""
        SELECT count(*) AS received, {STATES},
               string_agg(DISTINCT status, ', ' ORDER BY status) FILTER (WHERE resolved_at IS NULL
                   AND NOT coalesce(open, false)) AS other_statuses,
               count(*) FILTER (WHERE late) AS late,
               100.0 * count(*) FILTER (WHERE on_time) / nullif(count(resolved_at), 0) AS on_time_pct,
               median(date_diff('hour', created_at, resolved_at)) / 24.0 AS median_days,
               avg(satisfaction) AS satisfaction
        FROM {rules.reports()}
        WHERE CAST(created_at AS DATE) BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR ward_code = ?)
    """,
            [start, end, ward, ward],
        )
        .iloc[0]
        .to_dict()
    )


def by_ward(con: duckdb.DuckDBPyConnection, rules: Rules, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per ward: received, what became of them (received = resolved + open + other, as in `results`), and the
    share of those answered that were answered on time."""
    return frame(
        con,
        f"""
        SELECT w.ward_code, w.name_vi, w.name_en, count(r.report_id) AS received, {STATES},
               100.0 * count(*) FILTER (WHERE r.on_time) / nullif(count(r.resolved_at), 0) AS on_time_pct
        FROM dim_ward w LEFT JOIN {rules.reports()} r
          ON r.ward_code = w.ward_code AND CAST(r.created_at AS DATE) BETWEEN ? AND ?
        GROUP BY ALL ORDER BY on_time_pct DESC NULLS LAST, w.name_vi
    """,
        [start, end],
    )


def latest(con: duckdb.DuckDBPyConnection, rules: Rules, ward: str | None, limit: int = 100) -> pd.DataFrame:
    """The reports answered most recently: what, where, who handled it, when, and whether on time."""
    return frame(
        con,
        f"""
        SELECT r.report_id, r.created_at, r.category, r.title, w.name_vi AS ward_vi, w.name_en AS ward_en,
               r.agency, r.status, r.resolved_at, r.on_time
        FROM {rules.reports()} r LEFT JOIN dim_ward w USING (ward_code)
        WHERE r.resolved_at IS NOT NULL AND (CAST(? AS VARCHAR) IS NULL OR r.ward_code = ?)
        ORDER BY r.resolved_at DESC LIMIT ?
    """,
        [ward, ward, limit],
    )


def report(con: duckdb.DuckDBPyConnection, rules: Rules, report_id: str) -> dict | None:
    """One report by its code (PA-2026-001943), as the citizen who sent it follows it; None if unknown."""
    df = frame(
        con,
        f"""
        SELECT r.report_id, r.created_at, r.channel, r.category, r.title, w.name_vi AS ward_vi, w.name_en AS ward_en,
               r.agency, r.due_at, r.status, r.resolved_at, r.late
        FROM {rules.reports()} r LEFT JOIN dim_ward w USING (ward_code)
        WHERE upper(r.report_id) = upper(trim(?))
    """,
        [report_id],
    )
    return None if df.empty else df.iloc[0].to_dict()
