"""Server time of every page: serve the app for real, open each page in headless Chromium, and time each
script run on the wire, for a direct load of each URL and for a page change from the side navigation; then
the server's RSS.

    python bench/pages.py --data sample [--warm 10] [--cold 3]
    python bench/pages.py --data scale  [--warm 10] [--cold 3]     # after bench/scale_data.py and its ingest
    python bench/pages.py --data sample --as leader                # signed in, with that role's pages
    python bench/pages.py --data sample --as ward_official [--ward 25747]

--data sample ingests the sample sources into bench/out/sample/run with a copy of config.yaml whose
embedded scheduler is off (on every run: the ingest is incremental, so it publishes a new snapshot only when
the sample files or the config changed), and what follows a published snapshot as in the CLI
(ioc.alerts.follow → after_publish: the alerts evaluated, the copies of ioc.access.prepare made); --data
scale reads data/scale/config.yaml (bench/scale_data.py writes it, with the scheduler off too) and its
warehouse data/scale/run/. Either way ioc.access.prepare(cfg) is called once more before serving, so the
copies the roles bound to no ward read (personal data masked) exist, as right after a publish in production
(a no-op when they do). `streamlit run server.py` serves the app as deployed.

Who visits: without --as, nobody signs in and the data dir must hold no account: the cockpit is "open"
(every page, the masked copy). With --as ROLE (and --ward CODE for ward_official, default 25747), the
benchmark creates an account `bench-ROLE` in the data dir's ops store before serving (removed again at the
end, with its sessions; the audit log keeps its entries), sets IOC_SESSION_SECRET for the servers, and each
browser context signs in once before its visits by posting the real form (GET /signin, which sets the
ioc_csrf cookie, fill #name and #password, click the submit button; its `next` is /_stcore/health so the
sign-in runs no page and warms no cache). Only the URLs of the pages that role may open
(ioc.access.pages) are visited, and those are the navigation's links. For a ward official the ward-scoped
copy of the snapshot is removed before the first server, so the first visit pays for building it, as the
first page of a ward official after each publish does; its build time alone (ioc.access.scoped_path) is
timed before serving and written to the JSON (`copies`), beside that of the masked copy.

What is timed ("server time"): CDP reports every websocket frame with a timestamp
(Network.webSocketFrameSent/Received, stamped as Chromium's renderer handles the frame). A direct visit's
server time runs from the browser's rerun request (BackMsg rerun_script) to the server's script_finished
message: the script's run, the queries, building and serialising every element and sending it over
localhost. The browser's drawing is not in it, except where it keeps the renderer from handling
script_finished (below); the browser-visible time to a settled page (script_finished received, then the
app's script state notRunning and no status widget) is recorded beside it (`ready_s`, from the goto or the
click).

- direct, cold: the first visit of each URL in a freshly started server, URLs in the order listed below,
  so a page's own queries are not cached yet (pages visited before it may have cached shared ones: the
  config, the ward geometry, the indicator summary). Repeated over --cold server starts. Each visit is a
  new session (a new tab or bookmark).
- direct, warm: --warm further visits of every URL (rounds over all URLs) in the last server:
  Streamlit's st.cache_data answers the queries; what is left is the page's Python and the transfer.
- nav, cold ("first"): in another freshly started server, open the overview page ("/", the default page)
  once, then click each page's link in the sidebar navigation (a[data-testid="stSidebarNavLink"]), one
  after the other in the order listed below, in that one session: no new session, no page load, only the
  rerun of app.py and the page. The filters the session carries from page to page (state.url_key: the
  period) apply, as for a user. The overview comes last, by its link, from the page before it: its own
  queries were cached by the opening load. A click's server time runs from the click (a capture listener
  stamps Date.now(), set on the CDP clock through the websocket handshake's wallTime) to script_finished;
  `request_s` is the part from the click to the rerun_script frame. Repeated over --cold server starts.
- nav, warm ("repeat"): --warm further rounds of the same clicks in the last nav server, each round from a
  new load of the overview page.

Beside each visit: the page script's own run time from app.py's log line (`script_s`); the time from the
rerun request (direct) or the click (nav) to that log line's timestamp (`script_end_s`: when the server had
run the script, its elements already queued for sending, read on the server's clock and so free of the browser); and
the CPU seconds the server's process tree and the browser (with the Playwright driver) used during the
visit (`server_cpu_s`, `browser_cpu_s`, from /proc): browser and server share the machine's cores here.
The frames are stamped in Chromium's renderer as it handles them, so a renderer busy drawing (pydeck
maps in software WebGL, on this headless machine) stamps script_finished late: `server_s` then exceeds
`script_end_s` by that wait.

RSS: VmRSS and VmHWM (peak) of the server process from /proc after each pass over all URLs or links.
JSON results go to bench/out/pages_<data>.json; a summary table to stdout.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import functools
import json
import os
import re
import secrets
import signal
import sqlite3
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
    + [("catalog", "/catalog"), ("explorer", "/explorer"), ("sql", "/sql"), ("operations", "/operations")]
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
NAV_PAGES = 21  # the first 21 URLs are the navigation's pages with their defaults
# the default page: its link and its URL in the navigation are "/"; its direct URL above, /overview, runs it
# too, behind Streamlit's "Page not found" dialog
HOME = "overview"
NAV_LINK = 'a[data-testid="stSidebarNavLink"]'
# the gate's words when a page is refused (locales/*.access.yaml: access.not_for_role, access.needs_sign_in)
REFUSED = ("không được mở trang này", "Trang này cần đăng nhập", "may not open this page", "needs you to sign in")
# stamps the last click on a navigation link (epoch ms), so that it can be set against the CDP frames
CLICK_STAMP = f"""document.addEventListener('click', e => {{
  if (e.target.closest && e.target.closest('{NAV_LINK}')) window.__navClick = Date.now(); }}, true);"""


def rss(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mib": out.get("VmRSS"), "peak_rss_mib": out.get("VmHWM")}


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by the server's process tree and by the rest of this
    process's descendants (Chromium and the Playwright driver), from /proc."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(f[1])
        ticks[int(d.name)] = int(f[11]) + int(f[12])

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    hz = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    server = sum(t for pid, t in ticks.items() if under(pid, server_pid))
    others = sum(t for pid, t in ticks.items() if pid != me and under(pid, me) and not under(pid, server_pid))
    return server / hz, others / hz


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

    from ioc.alerts import follow
    from ioc.config import load_config
    from ioc.ingest import ingest

    out = OUT / "sample"
    out.mkdir(parents=True, exist_ok=True)
    cfg = write_config(out, derived_config(out, {}), "# bench/pages.py: config.yaml with the scheduler off\n")
    # every run: unchanged sources are skipped; changed sample files or config publish a new snapshot, and
    # what follows a publish runs as in the CLI (cmd_ingest: alerts.follow → after_publish → access.prepare)
    print("ingesting the sample data (incremental) ...", flush=True)
    c = load_config(cfg)
    t0 = time.perf_counter()
    res = follow(c, ingest(c, [n for n, s in c.sources.items() if s.sample and s.enabled]))
    assert not res.failed, [f"{r.source}: {r.error}" for r in res.failed]
    print(
        f"  {'snapshot ' + res.snapshot_id + ' published' if res.snapshot_id else 'nothing changed'}"
        f" ({time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    return cfg


def copies(cfg_path: Path, person) -> dict:
    """The copies of the current snapshot the pages read, as after a publish (access.prepare: those of the
    roles bound to no ward; a no-op when they exist), and the build time of the copy `person` reads
    (access.scoped_path on this snapshot, 3 builds, each from nothing; none when it is the snapshot itself).
    A ward-scoped copy is left removed: the first page of a ward official builds it, as after a publish."""
    from ioc import access
    from ioc.config import load_config
    from ioc.warehouse import Warehouse

    c = load_config(cfg_path)
    t0 = time.perf_counter()
    made = access.prepare(c)
    out: dict[str, Any] = {"prepare_s": round(time.perf_counter() - t0, 3), "prepared": [p.name for p in made]}
    snap = Warehouse(c.data_path / "warehouse", c.snapshots.keep).current_path()
    out["snapshot"], out["snapshot_mib"] = snap.name, round(snap.stat().st_size / 2**20, 1)
    scopes = {"masked": access.scope(c, access.OPEN)}
    if person is not None:
        scopes["person"] = access.scope(c, person)
    for what, sc in scopes.items():
        if sc is None or (what == "person" and sc == scopes["masked"]):
            out[what] = None if sc is None else "masked"  # the snapshot itself, or the same copy as above
            continue
        target = access.scoped_target(snap, sc)
        keep = target.exists() and (what == "masked" or not sc.wards)
        saved = target.with_suffix(".bench-saved") if keep else None
        if saved:
            os.replace(target, saved)  # the served copy set aside while its build is timed, then put back
        times = []
        try:
            for _ in range(3):
                target.unlink(missing_ok=True)
                t0 = time.perf_counter()
                access.scoped_path(snap, sc)
                times.append(round(time.perf_counter() - t0, 3))
        finally:
            if saved:
                os.replace(saved, target)
        out[what] = {
            "file": target.name,
            "wards": list(sc.wards) if sc.wards else None,
            "masked": [f"{t}.{col}" for t, col in sc.masked],
            "build_s": times,
            "mib": round(target.stat().st_size / 2**20, 1),
        }
        if sc.wards:
            target.unlink()  # built by the first page of the first server, as after a publish
        print(f"copy {what} ({target.name}): built in {', '.join(f'{x:.2f}' for x in times)} s", flush=True)
    return out


BENCH_USER = "bench-"  # the accounts this benchmark makes, bench-ROLE


def drop_accounts(ops: Path) -> None:
    """The benchmark's accounts and their sessions removed (the audit log is append-only and keeps them)."""
    if not ops.exists():
        return
    con = sqlite3.connect(ops, timeout=30)
    try:
        for table in ("users", "sessions"):
            if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone():
                con.execute(f"DELETE FROM {table} WHERE name LIKE ?", [BENCH_USER + "%"])
        con.commit()
    finally:
        con.close()


def account(cfg_path: Path, role: str | None, wards: list[str]):
    """(name, password, person) of the account the visits sign in as (made now in the data dir's ops store),
    or None without --as; then the cockpit must be open (no account at all)."""
    from ioc import access, auth
    from ioc.config import load_config

    ops = load_config(cfg_path).data_path / "ops.sqlite"
    drop_accounts(ops)  # a run stopped before its end leaves its account behind
    if role is None:
        if auth.any_account(ops):
            sys.exit(f"{ops} holds accounts: the cockpit is not open; give --as ROLE, or use another data dir")
        return None
    name, password = BENCH_USER + role, secrets.token_urlsafe(18)
    user = auth.add(ops, name, role, password, wards if role == "ward_official" else (), by="bench/pages.py")
    os.environ.setdefault(auth.SECRET_ENV, secrets.token_hex(32))  # the servers' environment (start_server)
    return name, password, access.Person(user.name, user.role, user.wards)


def cfg_data(cfg_path: Path) -> Path:
    from ioc.config import load_config

    return load_config(cfg_path).data_path


def allowed_urls(cfg_path: Path, person) -> list[tuple[str, str]]:
    """The URLs of the pages a person may open (a sector page by its code)."""
    from ioc import access
    from ioc.config import load_config

    c = load_config(cfg_path)
    pages = access.pages(c, person)
    code = {s.url: s.code for s in c.sectors}
    return [(label, path) for label, path in URLS if code.get(path[1:].split("?")[0], path[1:].split("?")[0]) in pages]


class Server:
    def __init__(self, cfg: Path, log: Path):
        self.port = free_port()
        self.log = open(log, "w")  # noqa: SIM115 - the server writes it until it is stopped
        self.proc = start_server(self.port, cfg, (cfg.parent / "run").resolve(), self.log, timeout=90)
        self.url = f"http://127.0.0.1:{self.port}"
        self.watch: Path | None = None  # a copy the pages build on first use: whether a visit built it

    def timed(self, visit) -> dict:
        """A visit, with the page script's own run time from app.py's log line ("page X ran in N ms"):
        the first run the visit caused, without session start, sending or the browser; and the CPU
        seconds the server and the browser used during the visit (both share the machine's cores)."""
        self.log.flush()
        start = Path(self.log.name).stat().st_size
        cpu0 = cpu_seconds(self.proc.pid)
        absent = self.watch is not None and not self.watch.exists()
        res = visit()
        cpu1 = cpu_seconds(self.proc.pid)
        if absent and self.watch is not None and self.watch.exists():
            res["built_copy"] = self.watch.name
        res["server_cpu_s"] = round(cpu1[0] - cpu0[0], 2)
        res["browser_cpu_s"] = round(cpu1[1] - cpu0[1], 2)
        time.sleep(0.05)
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            runs = list(re.finditer(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*? ran in (\d+) ms", f.read(), re.M))
        if runs:
            res["script_s"] = int(runs[0].group(2)) / 1000
            # the server's clock when the script ended (the log line is written in app.py's finally, just
            # before Streamlit sends script_finished), from the visit's start on the same machine's clock
            ended = dt.datetime.strptime(runs[0].group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            if res.get("start_wall"):
                res["script_end_s"] = round(ended - res["start_wall"], 3)
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
        self.page.add_init_script(CLICK_STAMP)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.events: list[tuple[float, str, str, int]] = []  # (cdp timestamp, dir, message type, bytes)
        self.wall_offset: float | None = None  # epoch seconds minus CDP timestamp, from the last handshake
        self.cdp.on("Network.webSocketFrameSent", lambda p: self._frame(p, "sent"))
        self.cdp.on("Network.webSocketFrameReceived", lambda p: self._frame(p, "recv"))
        self.cdp.on("Network.webSocketWillSendHandshakeRequest", self._handshake)

    def sign_in(self, base: str, name: str, password: str, timeout: float = 60) -> None:
        """Sign in in this page's browser context with the real form (its CSRF cookie, then the post): the
        HttpOnly session cookie stays in the context for every later visit. `next` is the health check, so
        the sign-in runs no page."""
        self.page.goto(f"{base}/signin?next=/_stcore/health", timeout=timeout * 1000)
        if not any(c["name"] == "ioc_csrf" for c in self.page.context.cookies()):
            raise RuntimeError("GET /signin set no ioc_csrf cookie")
        self.page.fill("#name", name)
        self.page.fill("#password", password)
        with self.page.expect_navigation(timeout=timeout * 1000):
            self.page.click("button[type=submit]")
        if not any(c["name"] == "ioc_session" for c in self.page.context.cookies()):
            raise RuntimeError(f"sign-in as {name} refused: {self.page.inner_text('body')[:300]}")
        self.page.goto("about:blank")

    def _handshake(self, p: dict) -> None:
        self.wall_offset = p["wallTime"] - p["timestamp"]

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

    def _settled(self, t0: float, settle: float, timeout: float) -> tuple[dict, list]:
        """Wait for script_finished, then for the app to show a settled page; the browser-visible time
        from t0, and the frames up to `settle` seconds later (a rerun the page asks for itself)."""
        deadline = time.monotonic() + timeout
        while not any(k == "script_finished" for _, _, k, _ in self.events) and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        self.page.wait_for_function(READY, timeout=timeout * 1000, polling=25)
        ready = time.perf_counter() - t0
        self.page.wait_for_timeout(settle * 1000)
        body = self.page.inner_text("body")
        out = {
            "ready_s": round(ready, 3),
            "runs": sum(1 for e in self.events if e[1] == "recv" and e[2] == "script_finished"),
            "errors": list(self.errors),
            "exception": "Traceback" in body
            or "Something went wrong while drawing this page" in body  # server.py's on_script_error
            or self.page.locator('[data-testid="stException"]').count() > 0,
            # app.py's gate (ioc.ui.signin.refused): the role may not open it, or nobody is signed in
            "refused": any(s in body for s in REFUSED),
        }
        return out, list(self.events)

    def _server(self, out: dict, ev: list, start: float | None = None) -> dict:
        """Server time from the first rerun_script (or from `start`, a CDP timestamp) to the first
        script_finished after it, and the bytes received in between; that start on the wall clock."""
        sent = [e for e in ev if e[1] == "sent" and e[2] == "rerun_script"]
        done = [e for e in ev if e[1] == "recv" and e[2] == "script_finished"]
        if sent and done:
            first_done = next((e for e in done if e[0] >= sent[0][0]), None)
            if first_done is None:
                return out
            t0 = sent[0][0] if start is None else start
            out["server_s"] = round(first_done[0] - t0, 4)
            out["all_runs_s"] = round(done[-1][0] - t0, 4)
            out["bytes"] = sum(e[3] for e in ev if e[1] == "recv" and sent[0][0] <= e[0] <= first_done[0])
            if start is not None:
                out["request_s"] = round(sent[0][0] - start, 4)
            if self.wall_offset is not None:
                out["start_wall"] = t0 + self.wall_offset
        return out

    def visit(self, url: str, settle: float = 0.3, timeout: float = 600) -> dict:
        """A direct load of url in a new session."""
        self.events.clear()
        self.errors.clear()
        t0 = time.perf_counter()
        self.page.goto(url, timeout=timeout * 1000)
        out, ev = self._settled(t0, settle, timeout)
        # leave the page, so the browser's drawing of it does not compete with the next visit's server time
        self.page.goto("about:blank")
        self.page.wait_for_timeout(200)
        return self._server(out, ev)

    def open(self, url: str, timeout: float = 600) -> list[str]:
        """Load url (a new session) and wait for it to settle; the paths of the navigation's links."""
        self.events.clear()
        self.page.goto(url, timeout=timeout * 1000)
        self._settled(time.perf_counter(), 0.3, timeout)
        return self.page.eval_on_selector_all(NAV_LINK, "els => els.map(e => new URL(e.href).pathname)")

    def navigate(self, path: str, settle: float = 0.3, timeout: float = 600) -> dict:
        """Click the sidebar navigation's link to path in the open session: from the click to the server's
        script_finished (`server_s`, CDP clock) and to a settled page (`ready_s`, wall clock)."""
        paths = self.page.eval_on_selector_all(NAV_LINK, "els => els.map(e => new URL(e.href).pathname)")
        if paths.count(path) != 1:
            raise RuntimeError(f"{paths.count(path)} navigation links to {path}: {paths}")
        link = self.page.locator(NAV_LINK).nth(paths.index(path))
        link.scroll_into_view_if_needed()
        self.page.wait_for_timeout(200)  # let the previous page's drawing finish before the clock starts
        self.page.evaluate("window.__navClick = null")
        self.events.clear()
        self.errors.clear()
        t0 = time.perf_counter()
        link.click()
        out, ev = self._settled(t0, settle, timeout)
        clicked = self.page.evaluate("window.__navClick")
        start = clicked / 1000 - self.wall_offset if clicked and self.wall_offset is not None else None
        out["url"] = self.page.url
        return self._server(out, ev, start)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def line(kind: str, label: str, res: dict) -> str:
    nan = float("nan")
    return (
        f"{kind:11s} {label:45s} server {res.get('server_s', nan):7.3f} s  ready {res['ready_s']:7.3f} s  "
        f"runs {res['runs']}  {res.get('bytes', 0) / 1e3:8.0f} kB"
        + ("  EXCEPTION" if res["exception"] else "")
        + ("  REFUSED" if res.get("refused") else "")
        + ("  BUILT THE SCOPED COPY" if res.get("built_copy") else "")
    )


def nav_pass(v: Visitor, server: Server, pages: list[tuple[str, str]], settle: float) -> list[tuple[str, dict]]:
    """Open the overview page, then click each page's navigation link in turn, the overview's last."""
    links = v.open(server.url + "/")
    untimed = sorted(set(links) - {"/" if label == HOME else path for label, path in URLS[:NAV_PAGES]})
    if untimed and not getattr(nav_pass, "warned", False):
        nav_pass.warned = True  # type: ignore[attr-defined]
        print(f"navigation links not in the list, not timed: {', '.join(untimed)}", flush=True)
    order = [pg for pg in pages if pg[0] != HOME] + [pg for pg in pages if pg[0] == HOME]
    return [(label, server.timed(functools.partial(v.navigate, href, settle=settle))) for label, href in order]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=["sample", "scale"], default="sample")
    ap.add_argument("--warm", type=int, default=10, help="warm visits of every URL (and rounds of navigation)")
    ap.add_argument(
        "--cold",
        type=int,
        default=3,
        help="server starts, each with one cold visit of every URL, and as many for one round of navigation",
    )
    ap.add_argument("--only", default="", help="labels to visit, separated by ';' (default: all)")
    ap.add_argument(
        "--as",
        dest="role",
        choices=["leader", "ward_official", "analyst", "operator", "admin"],
        default=None,
        help="sign in with an account of this role (made for the run); default: nobody, the open cockpit",
    )
    ap.add_argument("--ward", default="25747", help="the wards of --as ward_official, separated by ','")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `kill` still stops the server it started
    OUT.mkdir(parents=True, exist_ok=True)
    cfg = prepare(a.data)
    wards = [w.strip() for w in a.ward.split(",") if w.strip()] if a.role == "ward_official" else []
    acct = account(cfg, a.role, wards)
    try:
        return run(a, cfg, acct)
    finally:
        if acct is not None:
            from ioc.config import load_config

            drop_accounts(load_config(cfg).data_path / "ops.sqlite")


def run(a, cfg: Path, acct) -> int:
    person = acct[2] if acct else None
    copy_times = copies(cfg, person)
    tag = a.data + (f"_{a.role}" if a.role else "")  # the results' and logs' names; without --as as before
    visible = allowed_urls(cfg, person) if person else URLS
    urls = [(label, path) for label, path in visible if not a.only or label in a.only.split(";")]
    if person:
        left = [label for label, _ in URLS if (label, _) not in visible]
        print(f"as {person.name} ({person.role}{': ' + ', '.join(person.wards) if person.wards else ''}): "
              f"{len(urls)} URLs; not the role's: {', '.join(left) or 'none'}", flush=True)  # fmt: skip
    # the navigation's pages, by the path of their link
    nav_pages = [(label, "/" if label == HOME else path) for label, path in URLS[:NAV_PAGES] if (label, path) in urls]
    results: dict[str, dict[str, Any]] = {label: {"path": path, "cold": [], "warm": []} for label, path in urls}
    for label, _ in nav_pages:
        results[label].update(nav_cold=[], nav_warm=[])
    memory: list[dict] = []
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for r in range(a.cold):
            server = Server(cfg, OUT / f"streamlit_{tag}.log")
            try:
                v = Visitor(browser)
                if acct:
                    v.sign_in(server.url, acct[0], acct[1])
                if isinstance(copy_times.get("person"), dict) and copy_times["person"]["wards"]:
                    server.watch = cfg_data(cfg) / "scoped" / copy_times["person"]["file"]
                memory.append({"when": f"server {r + 1} started", **rss(server.proc.pid)})
                for label, path in urls:
                    res = server.timed(functools.partial(v.visit, server.url + path))
                    results[label]["cold"].append(res)
                    print(line(f"cold {r + 1}", label, res), flush=True)
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
            if not nav_pages:
                continue
            server = Server(cfg, OUT / f"streamlit_{tag}_nav.log")
            try:
                v = Visitor(browser)
                if acct:
                    v.sign_in(server.url, acct[0], acct[1])
                memory.append({"when": f"nav server {r + 1} started", **rss(server.proc.pid)})
                for label, res in nav_pass(v, server, nav_pages, settle=0.3):
                    results[label]["nav_cold"].append(res)
                    print(line(f"nav cold {r + 1}", label, res), flush=True)
                memory.append({"when": f"nav server {r + 1} after one round of navigation", **rss(server.proc.pid)})
                if r == a.cold - 1:
                    for i in range(a.warm):
                        for label, res in nav_pass(v, server, nav_pages, settle=0.1):
                            results[label]["nav_warm"].append(res)
                        memory.append({"when": f"nav server {r + 1} after warm round {i + 1}", **rss(server.proc.pid)})
                        print(f"nav warm round {i + 1}: {memory[-1]}", flush=True)
                v.page.close()
            finally:
                server.stop()
        browser.close()

    summary = []
    for label, res in results.items():
        row = {"page": label, "path": res["path"]}
        for kind in ("cold", "warm", "nav_cold", "nav_warm"):
            if kind not in res:
                continue
            xs = [x["server_s"] for x in res[kind] if "server_s" in x]
            rd = [x["ready_s"] for x in res[kind]]
            sc = [x["script_s"] for x in res[kind] if "script_s" in x]
            rq = [x["request_s"] for x in res[kind] if "request_s" in x]
            se = [x["script_end_s"] for x in res[kind] if "script_end_s" in x]
            if se:
                row[f"{kind}_script_end_median_s"] = round(statistics.median(se), 3)
            if sc:
                row[f"{kind}_script_median_s"] = round(statistics.median(sc), 3)
            if xs:
                row[f"{kind}_median_s"] = round(statistics.median(xs), 3)
                row[f"{kind}_p95_s"] = round(pct(xs, 0.95), 3)
                row[f"{kind}_ready_median_s"] = round(statistics.median(rd), 3)
                row[f"{kind}_ready_p95_s"] = round(pct(rd, 0.95), 3)
                row[f"{kind}_kb"] = round(statistics.median(x.get("bytes", 0) for x in res[kind]) / 1e3)
            if rq:
                row[f"{kind}_request_median_s"] = round(statistics.median(rq), 3)
            for who in ("server", "browser"):
                cpu = [x[f"{who}_cpu_s"] for x in res[kind] if f"{who}_cpu_s" in x]
                if cpu:
                    row[f"{kind}_{who}_cpu_median_s"] = round(statistics.median(cpu), 2)
            row[f"{kind}_exceptions"] = sum(1 for x in res[kind] if x["exception"])
            row[f"{kind}_refused"] = sum(1 for x in res[kind] if x.get("refused"))
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
        "as": {"name": person.name, "role": person.role, "wards": list(person.wards)} if person else None,
        "copies": copy_times,
        "summary": summary,
        "memory": memory,
        "runs": results,
    }
    out = OUT / f"pages_{tag}.json"
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    # direct: server time (cold median, p95, warm median, p95) and script time; then both kinds of visit as
    # server time / browser-visible ready time, direct and from the navigation
    cols = [
        ("cold med", "cold_median_s"),
        ("cold p95", "cold_p95_s"),
        ("warm med", "warm_median_s"),
        ("warm p95", "warm_p95_s"),
        ("script c", "cold_script_median_s"),
        ("script w", "warm_script_median_s"),
        ("ready c", "cold_ready_median_s"),
        ("ready w", "warm_ready_median_s"),
        ("nav c", "nav_cold_median_s"),
        ("nav w", "nav_warm_median_s"),
        ("nav w95", "nav_warm_p95_s"),
        ("nend c", "nav_cold_script_end_median_s"),
        ("nend w", "nav_warm_script_end_median_s"),
        ("nrdy c", "nav_cold_ready_median_s"),
        ("nrdy w", "nav_warm_ready_median_s"),
        ("nrdy w95", "nav_warm_ready_p95_s"),
    ]
    print(f"\n{'page':45s} " + " ".join(f"{h:>8s}" for h, _ in cols) + "    kB")
    nan = float("nan")
    for row in summary:
        print(
            f"{row['page']:45s} "
            + " ".join(f"{row.get(k, nan):8.3f}" for _, k in cols)
            + f"  {row.get('cold_kb', 0):4}"
        )
    nav_labels = {label for label, _ in nav_pages}
    nav = [row for row in summary if row["page"] in nav_labels]
    for kind in (
        "cold",
        "warm",
        "cold_script",
        "warm_script",
        "nav_cold",
        "nav_warm",
        "nav_cold_script",
        "nav_warm_script",
        "nav_cold_ready",
        "nav_warm_ready",
    ):
        meds = [r[f"{kind}_median_s"] for r in nav if f"{kind}_median_s" in r]
        if meds:
            print(
                f"{kind}: median over the navigation's pages {statistics.median(meds):.3f} s, slowest {max(meds):.3f} s"
            )
    ready = ("nav_cold_ready_median_s", "nav_warm_ready_median_s")
    slow = [
        f"{r['page']} ({', '.join(f'{k[:8]} {r[k]:.2f} s' for k in ready if r.get(k, 0) > 2)})"
        for r in nav
        if any(r.get(k, 0) > 2 for k in ready)
    ]
    print("over 2 s from the navigation (ready time): " + ("; ".join(slow) if slow else "none"))
    refused = [
        r["page"] for r in summary if any(r.get(f"{k}_refused") for k in ("cold", "warm", "nav_cold", "nav_warm"))
    ]
    print("refused by the gate: " + (", ".join(refused) if refused else "none"))
    built = [(label, kind, i) for label, res in results.items() for kind in ("cold", "warm", "nav_cold", "nav_warm")
             for i, x in enumerate(res.get(kind, [])) if x.get("built_copy")]  # fmt: skip
    for label, kind, i in built:
        x = results[label][kind][i]
        nan = float("nan")
        print(f"built the scoped copy: {kind} visit {i + 1} of {label}: server {x.get('server_s', nan):.3f} s, "
              f"script {x.get('script_s', nan):.3f} s, ready {x['ready_s']:.3f} s")  # fmt: skip
    print(f"memory: {memory[-1]}\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
