"""Server time of every page: serve the app for real, open each page in headless Chromium, and time each
script run on the wire; then the server's RSS.

    python bench/pages.py --data sample [--warm 10] [--cold 3]
    python bench/pages.py --data scale  [--warm 10] [--cold 3]     # after bench/scale_data.py and its ingest

--data sample ingests the sample sources (once) into bench/out/sample/run with a copy of config.yaml whose
embedded scheduler is off; --data scale reads data/scale/config.yaml (bench/scale_data.py writes it, with the
scheduler off too) and its warehouse data/scale/run/. `streamlit run server.py` serves the app as deployed.

What is timed ("server time"): Chromium's network stack stamps every websocket frame (CDP
Network.webSocketFrameSent/Received). A visit's server time runs from the browser's rerun request (BackMsg
rerun_script) to the server's script_finished message: the script's run, the queries, building and
serialising every element and sending it over localhost. The browser's drawing is not in it; the
browser-visible time to a settled page is recorded beside it (`ready_s`).

- cold: the first visit of each URL in a freshly started server, URLs in the order listed below, so a page's
  own queries are not cached yet (pages visited before it may have cached shared ones: the config, the ward
  geometry, the indicator summary). Repeated over --cold server starts.
- warm: --warm further visits of every URL (rounds over all URLs) in the last server: Streamlit's
  st.cache_data answers the queries; what is left is the page's Python and the transfer.

RSS: VmRSS and VmHWM (peak) of the server process from /proc after each pass over all URLs.
JSON results go to bench/out/pages_<data>.json; a summary table to stdout.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.serving import ARGS, CHROMIUM, READY, free_port, start_server, stop_server  # noqa: E402

SECTORS = [
    "socio",
    "admin",
    "tourism",
    "security",
    "citizen",
    "zoning",
    "industry",
    "resources",
    "health",
    "education",
    "labour",
    "science",
    "prices",
]
# (label, url path + query): every page of the navigation with its defaults, then filtered views
URLS = (
    [("overview", "/overview"), ("ward", "/ward"), ("phan-anh", "/phan-anh"), ("environment", "/environment")]
    + [(s, f"/{s}") for s in SECTORS]
    + [("catalog", "/catalog"), ("explorer", "/explorer"), ("sql", "/sql")]
    + [
        ("environment · hourly, 30 days", "/environment?grain=hour"),
        (
            "environment · 2 stations, PM10, 2021–2026",
            "/environment?st=TDM01,TDM03&pol=pm10&period=2021-01-01..2026-10-31",
        ),
        ("admin · ward, 2025", "/admin?si=ADMIN_DOSSIERS_RECEIVED&ward=25747&period=2025-01-01..2025-12-31"),
        ("citizen · ward, 2021–2026", "/citizen?ward=25750&period=2021-01-01..2026-10-31"),
        ("catalog · env_air_hourly profile", "/catalog?table=env_air_hourly"),
        ("explorer · citizen_reports by category", "/explorer?t=citizen_reports&g=category"),
    ]
)
NAV_PAGES = 20  # the first 20 URLs are the navigation's pages with their defaults


def rss(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mib": out.get("VmRSS"), "peak_rss_mib": out.get("VmHWM")}


def prepare(data: str) -> Path:
    """The config file to serve (its data_dir holds a published snapshot)."""
    if data == "scale":
        cfg = ROOT / "data" / "scale" / "config.yaml"
        if not cfg.exists():
            sys.exit(
                "no data/scale/config.yaml: run bench/scale_data.py, then "
                "python -m ioc ingest --all --config data/scale/config.yaml"
            )
        return cfg
    from scale_data import derived_config, write_config

    out = OUT / "sample"
    out.mkdir(parents=True, exist_ok=True)
    cfg = write_config(out, derived_config(out, {}), "# bench/pages.py: config.yaml with the scheduler off\n")
    if not (out / "run" / "warehouse").exists():
        from ioc.config import load_config
        from ioc.ingest import ingest

        print("ingesting the sample data ...", flush=True)
        c = load_config(cfg)
        res = ingest(c, [n for n, s in c.sources.items() if s.sample and s.enabled])
        assert not res.failed, [f"{r.source}: {r.error}" for r in res.failed]
    return cfg


class Server:
    def __init__(self, cfg: Path, log: Path):
        self.port = free_port()
        self.log = open(log, "w")  # noqa: SIM115 - the server writes it until it is stopped
        self.proc = start_server(self.port, cfg, (cfg.parent / "run").resolve(), self.log, timeout=90)
        self.url = f"http://127.0.0.1:{self.port}"

    def timed(self, visit) -> dict:
        """A visit, with the page script's own run time from app.py's log line ("page X ran in N ms"):
        the first run the visit caused, without session start, sending or the browser."""
        self.log.flush()
        start = Path(self.log.name).stat().st_size
        res = visit()
        time.sleep(0.05)
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            runs = [int(m.group(1)) for m in re.finditer(r"ran in (\d+) ms", f.read())]
        if runs:
            res["script_s"] = runs[0] / 1000
        return res

    def stop(self) -> None:
        stop_server(self.proc)
        self.log.close()


class Visitor:
    """One Chromium page whose websocket frames are stamped through CDP."""

    def __init__(self, browser):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.BackMsg, self.ForwardMsg = BackMsg, ForwardMsg
        self.page = browser.new_page(viewport={"width": 1600, "height": 1000})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.events: list[tuple[float, str, str, int]] = []  # (cdp timestamp, dir, message type, bytes)
        self.cdp.on("Network.webSocketFrameSent", lambda p: self._frame(p, "sent"))
        self.cdp.on("Network.webSocketFrameReceived", lambda p: self._frame(p, "recv"))

    def _frame(self, p: dict, direction: str) -> None:
        r = p["response"]
        if r.get("opcode") != 2:
            return
        raw = base64.b64decode(r["payloadData"])
        try:
            msg = (self.BackMsg if direction == "sent" else self.ForwardMsg).FromString(raw)
            kind = msg.WhichOneof("type") or "?"
        except Exception:
            kind = "?"
        self.events.append((p["timestamp"], direction, kind, len(raw)))

    def visit(self, url: str, settle: float = 0.3, timeout: float = 600) -> dict:
        self.events.clear()
        self.errors.clear()
        t0 = time.perf_counter()
        self.page.goto(url, timeout=timeout * 1000)
        self.page.wait_for_function(READY, timeout=timeout * 1000, polling=25)
        deadline = time.monotonic() + timeout
        while not any(k == "script_finished" for _, _, k, _ in self.events) and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        ready = time.perf_counter() - t0
        self.page.wait_for_timeout(settle * 1000)  # a rerun the page asks for itself shows up here
        ev = list(self.events)
        sent = [e for e in ev if e[1] == "sent" and e[2] == "rerun_script"]
        done = [e for e in ev if e[1] == "recv" and e[2] == "script_finished"]
        out = {
            "ready_s": round(ready, 3),
            "runs": len(done),
            "errors": list(self.errors),
            "exception": "Traceback" in self.page.inner_text("body")
            or self.page.locator('[data-testid="stException"]').count() > 0,
        }
        # leave the page, so the browser's drawing of it does not compete with the next visit's server time
        self.page.goto("about:blank")
        self.page.wait_for_timeout(200)
        if sent and done:
            first_done = next(e for e in done if e[0] >= sent[0][0])
            out["server_s"] = round(first_done[0] - sent[0][0], 4)
            out["all_runs_s"] = round(done[-1][0] - sent[0][0], 4)
            out["bytes"] = sum(e[3] for e in ev if e[1] == "recv" and sent[0][0] <= e[0] <= first_done[0])
        return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=["sample", "scale"], default="sample")
    ap.add_argument("--warm", type=int, default=10, help="warm visits of every URL")
    ap.add_argument("--cold", type=int, default=3, help="server starts, each with one cold visit of every URL")
    ap.add_argument("--only", default="", help="labels to visit, separated by ';' (default: all)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `kill` still stops the server it started
    OUT.mkdir(parents=True, exist_ok=True)
    cfg = prepare(a.data)
    urls = [(label, path) for label, path in URLS if not a.only or label in a.only.split(";")]
    results: dict[str, dict[str, Any]] = {label: {"path": path, "cold": [], "warm": []} for label, path in urls}
    memory: list[dict] = []
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for r in range(a.cold):
            server = Server(cfg, OUT / f"streamlit_{a.data}.log")
            try:
                v = Visitor(browser)
                memory.append({"when": f"server {r + 1} started", **rss(server.proc.pid)})
                for label, path in urls:
                    res = server.timed(functools.partial(v.visit, server.url + path))
                    results[label]["cold"].append(res)
                    print(
                        f"cold {r + 1} {label:45s} server {res.get('server_s', float('nan')):7.3f} s  "
                        f"ready {res['ready_s']:7.3f} s  runs {res['runs']}  {res.get('bytes', 0) / 1e3:8.0f} kB"
                        + ("  EXCEPTION" if res["exception"] else ""),
                        flush=True,
                    )
                memory.append({"when": f"server {r + 1} after one cold visit of every URL", **rss(server.proc.pid)})
                if r == a.cold - 1:
                    for i in range(a.warm):
                        for label, path in urls:
                            results[label]["warm"].append(
                                server.timed(functools.partial(v.visit, server.url + path, settle=0.1))
                            )
                        memory.append({"when": f"server {r + 1} after warm round {i + 1}", **rss(server.proc.pid)})
                        print(f"warm round {i + 1}: {memory[-1]}", flush=True)
                v.page.close()
            finally:
                server.stop()
        browser.close()

    summary = []
    for label, res in results.items():
        row = {"page": label, "path": res["path"]}
        for kind in ("cold", "warm"):
            xs = [x["server_s"] for x in res[kind] if "server_s" in x]
            rd = [x["ready_s"] for x in res[kind]]
            sc = [x["script_s"] for x in res[kind] if "script_s" in x]
            if sc:
                row[f"{kind}_script_median_s"] = round(statistics.median(sc), 3)
            if xs:
                row[f"{kind}_median_s"] = round(statistics.median(xs), 3)
                row[f"{kind}_p95_s"] = round(pct(xs, 0.95), 3)
                row[f"{kind}_ready_median_s"] = round(statistics.median(rd), 3)
                row[f"{kind}_kb"] = round(statistics.median(x.get("bytes", 0) for x in res[kind]) / 1e3)
            row[f"{kind}_exceptions"] = sum(1 for x in res[kind] if x["exception"])
        summary.append(row)
    git = lambda *c: subprocess.run(["git", *c], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    doc = {
        "data": a.data,
        "config": str(cfg),
        "nproc": os.cpu_count(),
        "commit": git("rev-parse", "HEAD"),
        "dirty": git("status", "--short").splitlines(),
        "mem_total_mib": int(Path("/proc/meminfo").read_text().split()[1]) // 1024,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "minutes": round((time.monotonic() - started) / 60, 1),
        "warm": a.warm,
        "cold": a.cold,
        "summary": summary,
        "memory": memory,
        "runs": results,
    }
    out = OUT / f"pages_{a.data}.json"
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    print(
        f"\n{'page':45s} {'cold med':>9s} {'cold p95':>9s} {'warm med':>9s} {'warm p95':>9s} "
        f"{'script c':>9s} {'script w':>9s}   kB"
    )
    nan = float("nan")
    for row in summary:
        print(
            f"{row['page']:45s} {row.get('cold_median_s', nan):9.3f} {row.get('cold_p95_s', nan):9.3f} "
            f"{row.get('warm_median_s', nan):9.3f} {row.get('warm_p95_s', nan):9.3f} "
            f"{row.get('cold_script_median_s', nan):9.3f} {row.get('warm_script_median_s', nan):9.3f}   "
            f"{row.get('cold_kb', 0)}"
        )
    nav = summary[:NAV_PAGES]
    for kind in ("cold", "warm", "cold_script", "warm_script"):
        meds = [r[f"{kind}_median_s"] for r in nav if f"{kind}_median_s" in r]
        if meds:
            print(
                f"{kind}: median over the navigation's pages {statistics.median(meds):.3f} s, slowest {max(meds):.3f} s"
            )
    print(f"memory: {memory[-1]}\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
