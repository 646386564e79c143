"""Benchmark: our CSV ingest (parse + contract + load + publish) against DuckDB's own read_csv on the same file.

    python bench/ingest_csv.py [--rows 1000000] [--repeat 3] [--breakdown] [--dirty]

Writes the figures to stdout; docs/benchmarks.md records them. Goal: ratio 1.3 or less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ioc.config import parse_config
from ioc.ingest import ingest

CONFIG = {
    "city": {"name": {"vi": "Bench"}, "lat": 11.0, "lon": 106.66},
    "wards": [{"code": f"2574{i}", "name": {"vi": f"P{i}"}, "lat": 11.0, "lon": 106.66} for i in range(10)],
    "sectors": [{"code": "env", "name": {"vi": "Môi trường"}}],
    "snapshots": {"keep": 2},
    "sources": {
        "readings": {
            "connector": "csv",
            "sector": "env",
            "table": "env_bench",
            "path": "readings.csv",
            "columns": {
                "station_code": {"type": "text", "required": True},
                "ward_code": {"type": "text"},
                "ts": {"type": "timestamp", "required": True},
                "pm25": {"type": "double", "min": 0, "max": 1000},
                "pm10": {"type": "double", "min": 0, "max": 1000},
                "count": {"type": "integer", "min": 0},
            },
        }
    },
}


def make_csv(path: Path, rows: int, dirty: bool = False) -> None:
    rng = np.random.default_rng(7)
    start = np.datetime64("2021-01-01T00:00")
    ts = (start + np.arange(rows) * np.timedelta64(1, "m")).astype(str)
    station = np.char.add("ST", (np.arange(rows) % 40).astype(str))
    ward = np.char.add("2574", (np.arange(rows) % 10).astype(str))
    pm25 = np.round(rng.gamma(4, 7, rows), 1).astype(str)
    pm10 = np.round(rng.gamma(4, 12, rows), 1).astype(str)
    count = rng.integers(0, 500, rows).astype(str)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("station_code,ward_code,ts,pm25,pm10,count\n")
        for i in range(0, rows, 200_000):
            sl = slice(i, i + 200_000)
            lines = [",".join(t) for t in zip(station[sl], ward[sl], ts[sl], pm25[sl], pm10[sl], count[sl])]
            fh.write("\n".join(lines) + "\n")
        if dirty:  # what a department's export may hold: a bad number, one out of range, a section row
            fh.write("ST1,25741,2026-01-01T00:00,nhiều,1,1\nST1,25741,2026-01-01T01:00,-5,1,1\nTrạm di động,,,,,\n")


STAGES: dict[str, float] = {}


def _timed(owner, name: str, label: str) -> None:
    """Wrap owner.name to add its wall time to STAGES[label] (stages of one ingest, for the breakdown)."""
    fn = getattr(owner, name)

    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            STAGES[label] = STAGES.get(label, 0.0) + time.perf_counter() - t0

    setattr(owner, name, wrapper)


def instrument() -> None:
    import ioc.ingest as ig
    from connectors.csv import Csv
    from ioc import direct, search
    from ioc.landing import Landing
    from ioc.warehouse import Build, Warehouse

    _timed(Csv, "fetch", "fetch (name the file)")
    _timed(Landing, "save_file", "land (copy in the kernel)")
    _timed(Landing, "save", "land (write the bytes)")
    _timed(Csv, "direct", "layout (header)")
    _timed(direct, "load", "direct read, contract, write")
    _timed(Csv, "parse", "general: parse")
    _timed(ig, "check", "general: contract")
    _timed(Build, "write", "general: write table")
    _timed(ig.Ingestor, "_refresh_reference", "wards, indicators")
    _timed(search, "build_search_index", "search index")
    _timed(Landing, "flush", "landing fsync wait")
    _timed(Warehouse, "_point", "publish pointer")


def run_ours(base: Path, existing: bool = False) -> float:
    """One ingest of readings.csv: into a new data folder (a first run), or into the folder of the runs
    before (`existing`: an ops store, a current snapshot to copy, earlier payloads; the file must differ)."""
    data = base / "data"
    if not existing:
        shutil.rmtree(data, ignore_errors=True)
    cfg = parse_config(CONFIG, base / "config.yaml")
    os.environ["IOC_DATA_DIR"] = str(data)
    t0 = time.perf_counter()
    res = ingest(cfg, ["readings"])
    dt = time.perf_counter() - t0
    assert res.results[0].status == "ok", res.results[0].error
    return dt


def run_duckdb(base: Path, dirty: bool = False) -> float:
    db = base / "baseline.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    # on the dirty file DuckDB's reader stops at the first bad row unless told to skip such rows silently
    con.execute(
        f"CREATE TABLE t AS SELECT * FROM read_csv(?{', ignore_errors=true' if dirty else ''})",
        [str(base / "readings.csv")],
    )
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--breakdown", action="store_true", help="also time the stages of our ingest")
    ap.add_argument("--dirty", action="store_true", help="end the file with 3 rows to report (the general path)")
    ap.add_argument(
        "--existing",
        action="store_true",
        help="ingest into the data folder of the runs before (the file changes a little each time)",
    )
    args = ap.parse_args()
    if args.breakdown:
        instrument()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        make_csv(base / "readings.csv", args.rows, args.dirty)
        size = (base / "readings.csv").stat().st_size
        ours, base_t = [], []
        if args.existing:  # the folder's first run, not timed
            run_ours(base)
        for i in range(args.repeat):  # interleaved, so both see the same machine state
            if args.existing:  # a new export: one more row, so the payload is never the one before
                with open(base / "readings.csv", "a", encoding="utf-8") as fh:
                    fh.write(f"ST1,25741,2030-01-01T00:{i % 60:02d},1.5,2.5,{i}\n")
            base_t.append(run_duckdb(base, args.dirty))
            ours.append(run_ours(base, args.existing))
        o, b = statistics.median(ours), statistics.median(base_t)
        print(f"rows={args.rows:,} file={size / 1e6:.1f} MB repeat={args.repeat}")
        print(f"duckdb read_csv into table: median {b:.3f} s  runs {[round(x, 3) for x in base_t]}")
        print(f"ioc ingest (contract, landing, snapshot): median {o:.3f} s  runs {[round(x, 3) for x in ours]}")
        print(f"ratio: {o / b:.2f}")
        if args.breakdown:
            for label, total in STAGES.items():
                if total:
                    print(f"  {label:<32} {total / args.repeat:.3f} s per run")
            load = STAGES.get("direct read, contract, write", 0.0) / args.repeat
            if load:
                print(
                    f"the load step alone (read, contract, write into the snapshot) against the baseline: "
                    f"{load / b:.2f}"
                )


if __name__ == "__main__":
    main()
