"""Soak test of the video wall: serve the app, drive one wall in Chromium through many panel changes, and
sample the server's RSS and the browser's JS heap to see whether either grows.

    python bench/kiosk_soak.py [--changes 1000] [--every 50] [--max-minutes 40] [--data-dir DIR] [--panels overview,env]

The wall is a playlist of 1-second panels (overview, air, every sector) written into a temporary copy of
config.yaml (scheduler off, so nothing is ingested while it runs). Without --data-dir the sample data is
ingested first into a temporary folder. The figures go to stdout, to kiosk_soak.json in the run's temporary
folder and into docs/kiosk.md between the `soak` markers. Stops by itself after --max-minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving import ARGS, CHROMIUM, free_port, start_server, stop_server  # noqa: E402

SLOT = "() => { const h = document.querySelector('.ioc-k-head'); return h ? h.dataset.slot : null; }"


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (psutil is not installed here)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def soak_config(tmp: Path, names: list[str]) -> Path:
    from ioc.config import config_document

    doc = config_document(ROOT / "config.yaml")
    names = names or ["overview", "air"] + [s["code"] for s in doc["sectors"]]
    panels = [
        {"panel": n, "seconds": 1} if n in ("overview", "air") else {"panel": "sector", "sector": n, "seconds": 1}
        for n in names
    ]
    doc.setdefault("kiosk", {}).setdefault("walls", {})["soak"] = {"panels": panels}
    doc["scheduler"] = {"embedded": False}
    # relative paths in the config are read from the config file's folder
    doc["maps"]["wards_geojson"] = str(ROOT / doc["maps"]["wards_geojson"])
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def ingest_sample(data: Path) -> None:
    from ioc.config import load_config
    from ioc.ingest import ingest

    os.environ["IOC_DATA_DIR"] = str(data)
    cfg = load_config(ROOT / "config.yaml")
    ingest(cfg, [n for n, s in cfg.sources.items() if s.sample and s.enabled])


def slope_per_1000(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--max-minutes", type=float, default=40)
    ap.add_argument("--data-dir")
    ap.add_argument("--panels", default="", help="comma-separated panels (overview, air, sector codes); default all")
    ap.add_argument("--no-docs", action="store_true", help="don't write docs/kiosk.md")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `kill` still stops the server it started

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    data = Path(a.data_dir) if a.data_dir else tmp / "data"
    if not a.data_dir:
        print("ingesting the sample data ...", flush=True)
        ingest_sample(data)
    cfg = soak_config(tmp, [n for n in a.panels.split(",") if n])
    port = free_port()
    log = open(tmp / "streamlit.log", "w")  # noqa: SIM115 - the server writes it until it is stopped
    server = start_server(port, cfg, data, log, timeout=60)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + a.max_minutes * 60
    samples: list[dict] = []
    changes, errors = 0, []
    started = time.monotonic()
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--enable-precise-memory-info"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("pageerror", lambda e: errors.append(str(e)))
            cdp = page.context.new_cdp_session(page)
            page.goto(url + "/?kiosk=soak")
            page.wait_for_function(SLOT, timeout=90_000)
            last = page.evaluate(SLOT)

            def sample() -> None:
                cdp.send("HeapProfiler.collectGarbage")
                heap = cdp.send("Runtime.getHeapUsage")
                nodes = page.evaluate("document.getElementsByTagName('*').length")
                row = {
                    "changes": changes,
                    "minutes": round((time.monotonic() - started) / 60, 2),
                    "server_rss_mib": round(rss_kib(server.pid) / 1024, 1),
                    "js_heap_mib": round(heap["usedSize"] / 2**20, 2),
                    "dom_nodes": nodes,
                }
                samples.append(row)
                print(json.dumps(row), flush=True)

            sample()
            while changes < a.changes and time.monotonic() < deadline:
                time.sleep(0.1)
                now = page.evaluate(SLOT)
                if now and now != last:
                    changes, last = changes + 1, now
                    if changes % a.every == 0:
                        sample()
            browser.close()
    finally:
        stop_server(server)
        log.close()
    result = summarise(samples, changes, a, errors)
    (tmp / "kiosk_soak.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(result["verdict"], f"\n(figures: {tmp / 'kiosk_soak.json'})")
    if not a.no_docs:
        write_docs(result)
    return 0 if changes >= a.changes else 1


def summarise(samples: list[dict], changes: int, a, errors: list[str]) -> dict:
    # the first samples include warm-up (caches filling, the first draw of each panel): judge growth after it
    steady = [s for s in samples if s["changes"] >= 2 * a.every] or samples
    xs = [s["changes"] for s in steady]
    growth = {
        k: round(slope_per_1000(xs, [s[k] for s in steady]), 2) if len(steady) > 2 else None
        for k in ("server_rss_mib", "js_heap_mib", "dom_nodes")
    }
    first, last = steady[0], steady[-1]
    verdict = (
        f"{changes} panel changes in {samples[-1]['minutes']} min; after warm-up the server's RSS went "
        f"{first['server_rss_mib']} → {last['server_rss_mib']} MiB (slope {growth['server_rss_mib']} MiB per 1,000 "
        f"changes), the JS heap {first['js_heap_mib']} → {last['js_heap_mib']} MiB (slope {growth['js_heap_mib']} MiB "
        f"per 1,000), DOM nodes {first['dom_nodes']} → {last['dom_nodes']}; page errors: {len(errors)}"
    )
    return {
        "date": time.strftime("%Y-%m-%d"),
        "changes": changes,
        "samples": samples,
        "growth_per_1000": growth,
        "page_errors": errors[:20],
        "verdict": verdict,
    }


def write_docs(result: dict) -> None:
    doc = ROOT / "docs" / "kiosk.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "<!-- soak:start -->\n<!-- soak:end -->\n"
    rows = [
        "| changes | minutes | server RSS (MiB) | JS heap after GC (MiB) | DOM nodes |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows += [
        f"| {s['changes']} | {s['minutes']} | {s['server_rss_mib']} | {s['js_heap_mib']} | {s['dom_nodes']} |"
        for s in result["samples"]
    ]
    g = result["growth_per_1000"]
    block = (
        f"<!-- soak:start -->\nRun of {result['date']} (`python bench/kiosk_soak.py`): {result['verdict']}.\n\n"
        f"Least-squares slope after warm-up, per 1,000 changes: server RSS {g['server_rss_mib']} MiB, "
        f"JS heap {g['js_heap_mib']} MiB, DOM nodes {g['dom_nodes']}.\n\n" + "\n".join(rows) + "\n<!-- soak:end -->"
    )
    head, _, rest = text.partition("<!-- soak:start -->")
    _, _, tail = rest.partition("<!-- soak:end -->")
    doc.write_text(head + block + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
