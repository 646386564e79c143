"""`python -m ioc`: validate, ingest, accept, status, runs, sql, snapshots, scheduler, docs."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import io
import json
import sys
import time
from collections.abc import Sequence

from ioc.config import Config, config_reference, load_config
from ioc.errors import ConfigError, IOCError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    config_help = "config file (default: $IOC_CONFIG, else ./config.yaml)"
    p = argparse.ArgumentParser(prog="python -m ioc", description="IOC Cockpit data spine")
    p.add_argument("--config", metavar="PATH", help=config_help)
    # after the command too; SUPPRESS: a command without it keeps the one given before the command
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help=config_help, default=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", parents=[common], help="check config.yaml; exit 2 listing every problem")
    ing = sub.add_parser("ingest", parents=[common], help="fetch, check and load sources into a new snapshot")
    ing.add_argument("sources", nargs="*", metavar="SOURCE")
    ing.add_argument("--all", action="store_true", help="every enabled source")
    ac = sub.add_parser("accept", parents=[common], help="load the payload a source's last run held")
    ac.add_argument("source", metavar="SOURCE")
    st = sub.add_parser("status", parents=[common], help="each source's state, last good load and next run")
    st.add_argument("--json", action="store_true")
    rn = sub.add_parser("runs", parents=[common], help="the run history, newest first")
    rn.add_argument("source", nargs="?", metavar="SOURCE")
    rn.add_argument("--failed", action="store_true", help="only runs that failed, were held or interrupted")
    rn.add_argument("--limit", type=int, default=50)
    rn.add_argument("--json", action="store_true")
    sq = sub.add_parser("sql", parents=[common], help="a read-only query on the current snapshot")
    sq.add_argument("query")
    sq.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sn = sub.add_parser("snapshots", parents=[common], help="list snapshots, or roll back to one")
    sn.add_argument("--rollback", metavar="ID")
    sub.add_parser("scheduler", parents=[common], help="run every enabled source on its schedule (foreground)")
    sm = sub.add_parser("sample", parents=[common], help="make the sample data current (as of today) and load it")
    sm.add_argument("--today", type=dt.date.fromisoformat, help="as of this date, YYYY-MM-DD (default: today)")
    sm.add_argument("--committed", action="store_true", help="read the committed files as they are instead")
    al = sub.add_parser("alerts", parents=[common], help="open alerts; evaluate the rules, acknowledge, close")
    al.add_argument("action", nargs="?", choices=["list", "evaluate", "ack", "close", "show"], default="list")
    al.add_argument("id", nargs="?", type=int, help="the alert (ack, close, show)")
    al.add_argument("--note", default="", help="ack: a note; close: the reason (required)")
    al.add_argument("--all", action="store_true", help="list: resolved and closed ones too")
    al.add_argument("--json", action="store_true")
    ob = sub.add_parser("outbox", parents=[common], help="messages to receivers: list, deliver now, retry a dead one")
    ob.add_argument("action", nargs="?", choices=["list", "run", "retry"], default="list")
    ob.add_argument("id", nargs="?", type=int, help="retry: the message")
    ob.add_argument("--status", choices=["pending", "sent", "dead"])
    ob.add_argument("--json", action="store_true")
    us = sub.add_parser("users", parents=[common], help="built-in accounts: list, add, passwd, disable")
    us.add_argument("action", nargs="?", choices=["list", "add", "passwd", "disable"], default="list")
    us.add_argument("name", nargs="?")
    us.add_argument("--role", help="add: leader | ward_official | analyst | operator | admin")
    us.add_argument("--ward", action="append", default=[], help="add: a ward the person is bound to (repeat)")
    us.add_argument("--json", action="store_true")
    kt = sub.add_parser("kiosk", parents=[common], help="video walls: issue (or rotate) a wall's token")
    kt.add_argument("action", choices=["token"])
    kt.add_argument("wall")
    au = sub.add_parser("audit", parents=[common], help="the audit log, newest first")
    au.add_argument("--since", help="from this date or time (ISO, city time)")
    au.add_argument("--who")
    au.add_argument("--action")
    au.add_argument("--limit", type=int, default=200)
    au.add_argument("--json", action="store_true")
    dc = sub.add_parser("docs", parents=[common], help="print the config reference (Markdown)")
    dc.add_argument("--output", metavar="FILE")
    dc.add_argument(
        "--readme",
        metavar="FILE",
        nargs="?",
        const="README.md",
        help="rewrite the reference between the markers of README.md",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "docs":
            return cmd_docs(args)
        cfg = load_config(args.config)
        if args.command == "validate":
            print(
                f"{cfg.path}: OK ({len(cfg.sources)} sources, {len(cfg.indicators)} indicators, {len(cfg.wards)} wards)"
            )
            return EXIT_OK
        return {
            "ingest": cmd_ingest,
            "accept": cmd_accept,
            "status": cmd_status,
            "runs": cmd_runs,
            "sql": cmd_sql,
            "snapshots": cmd_snapshots,
            "scheduler": cmd_scheduler,
            "sample": cmd_sample,
            "alerts": cmd_alerts,
            "outbox": cmd_outbox,
            "users": cmd_users,
            "kiosk": cmd_kiosk,
            "audit": cmd_audit,
        }[args.command](cfg, args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{exc.where}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except IOCError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


# --------------------------------------------------------------------------- ingest


class _Progress:
    """One line per source; a bar on a terminal."""

    def __init__(self, total: int):
        self.tty = sys.stdout.isatty()
        self.total = total

    def __call__(self, res, done: int, total: int) -> None:
        if self.tty:
            sys.stdout.write("\r\033[K")
        mark = {"ok": "✓", "unchanged": "=", "failed": "✗", "held": "⏸"}[res.status]
        line = (
            f"{mark} {res.source:<24} {res.status:<9} rows {res.rows_loaded:>9,}  rejects {res.rejects:>6,}  "
            f"{res.seconds:>7.2f} s"
        )
        if res.error:
            line += f"  {res.error}"
        print(line, flush=True)
        if self.tty and done < total:
            width = 30
            filled = int(width * done / total)
            sys.stdout.write(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stdout.flush()


def cmd_ingest(cfg: Config, args) -> int:
    from ioc.ingest import ingest

    if args.all and args.sources:
        raise IOCError("give --all or source names, not both")
    if not args.all and not args.sources:
        raise IOCError("name the sources to ingest, or --all")
    names = None if args.all else args.sources
    total = len(names) if names else sum(1 for s in cfg.sources.values() if s.enabled)
    return _outcome(_published(cfg, ingest(cfg, names, progress=_Progress(total))))


def _published(cfg: Config, result):
    """After a run that published a snapshot: its alerts evaluated, the province's push prepared."""
    from ioc.alerts import follow

    return follow(cfg, result)


def cmd_sample(cfg: Config, args) -> int:
    from ioc import sample
    from ioc.ingest import ingest

    if args.committed and args.today:
        raise IOCError("give --today or --committed, not both")
    if args.committed:
        sample.pin_committed(cfg)
        print("the committed sample files are read as they are")
    else:
        day = args.today or cfg.city.today()
        print(f"sample data as of {day:%d/%m/%Y} (to the day before) in {sample.generate(cfg, day)}")
    names = [n for n, s in cfg.sources.items() if s.sample and s.enabled]
    return _outcome(_published(cfg, ingest(cfg, names, progress=_Progress(len(names)))))


def _outcome(result) -> int:
    """Say what a run published and which sources failed or were held: exit 1 when any did."""
    if result.snapshot_id:
        print(f"snapshot {result.snapshot_id} published")
    else:
        print("nothing changed: no new snapshot")
    for r in result.failed:
        print(f"{'HELD' if r.status == 'held' else 'FAILED'} {r.source}: {r.error}", file=sys.stderr)
    return EXIT_FAILED if result.failed else EXIT_OK


def cmd_accept(cfg: Config, args) -> int:
    from ioc.ingest import accept

    return _outcome(_published(cfg, accept(cfg, args.source, getpass.getuser())))


# --------------------------------------------------------------------------- status


def cmd_status(cfg: Config, args) -> int:
    from ioc.status import source_status

    st = source_status(cfg)
    if args.json:
        print(json.dumps(st, ensure_ascii=False, indent=2))
        return EXIT_OK
    snap, sched, back = st["snapshot"], st["scheduler"], st["last_rollback"]
    print(f"snapshot: {snap['id'] or 'none yet'}" + (f" ({snap['created']})" if snap["created"] else ""))
    if sched["running"]:
        print(f"scheduler: running (pid {sched['pid']} on {sched['host']}, since {sched['since']})")
    else:
        print("scheduler: not running" + (f" (last heartbeat {sched['heartbeat']})" if sched["heartbeat"] else ""))
    if sched["config_error"]:
        print(f"scheduler: kept the config it runs; the changed one is invalid: {sched['config_error']}")
    if back:
        print(f"last rollback: to {back['to']} by {back['by']} at {back['at']}")
    rows = [["source", "state", "rows", "rejects", "last good", "next run", "reason"]]
    for s in st["sources"]:
        rows.append(
            [
                s["source"],
                s["state"],
                _n(s["rows"]),
                _n(s["rejects"]),
                s["last_good"] or "-",
                s["next_run"] or "-",
                (s["reason"] or "")[:100],
            ]
        )
    print(_table(rows))
    return EXIT_OK


def cmd_runs(cfg: Config, args) -> int:
    from ioc import status

    if args.source and args.source not in cfg.sources:
        raise IOCError(f"unknown source {args.source}; known: {', '.join(cfg.sources)}")
    runs = status.runs(cfg, args.limit, args.source, problems=args.failed)
    if args.json:
        print(json.dumps(runs, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    if not runs:
        print("no runs")
        return EXIT_OK
    rows = [["run", "source", "status", "started (UTC)", "seconds", "rows", "rejects", "snapshot", "error"]]
    for r in runs:
        took = f"{r['finished_at'] - r['started_at']:.1f}" if r["finished_at"] else "-"
        rows.append(
            [
                str(r["id"]),
                r["source"],
                r["status"],
                dt.datetime.fromtimestamp(r["started_at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                took,
                _n(r["rows_held"] if r["status"] == "held" else r["rows_loaded"]),
                _n(r["rejects"]),
                r["snapshot_id"] or "-",
                (r["error"] or "")[:100],
            ]
        )
    print(_table(rows))
    return EXIT_OK


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- alerts and the outbox


def cmd_alerts(cfg: Config, args) -> int:
    import getpass

    from ioc import alerts, audit

    path = alerts.ops_path(cfg)
    if args.action == "evaluate":
        res = alerts.evaluate(cfg)
        print(
            f"snapshot {res.snapshot or '-'}: {res.rules} rules, {res.hits} hits, {len(res.opened)} opened, "
            f"{len(res.resolved)} resolved in {res.seconds:.2f} s"
        )
        for rule, error in res.errors.items():
            print(f"rule {rule}: {error}", file=sys.stderr)
        return EXIT_FAILED if res.errors else EXIT_OK
    if args.action in ("ack", "close", "show") and args.id is None:
        raise IOCError(f"alerts {args.action} needs the alert's id")
    if args.action == "ack":
        alerts.acknowledge(path, args.id, getpass.getuser(), args.note)
        audit.record(path, f"cli:{getpass.getuser()}", "alert", f"#{args.id} acknowledged", "cli")
        print(f"alert {args.id} acknowledged")
        return EXIT_OK
    if args.action == "close":
        alerts.close(path, args.id, getpass.getuser(), args.note)
        audit.record(path, f"cli:{getpass.getuser()}", "alert", f"#{args.id} closed: {args.note}", "cli")
        print(f"alert {args.id} closed")
        return EXIT_OK
    if args.action == "show":
        found = alerts.alerts(path, alert_id=args.id)
        if not found:
            raise IOCError(f"no alert {args.id}")
        shown = {**found[0], "steps": alerts.steps(path, cfg, found[0]), "history": alerts.history(path, args.id)}
        print(json.dumps(shown, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    states = ("open", "acknowledged", "resolved", "closed") if args.all else alerts.SHOWN
    rows = alerts.alerts(path, states)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    if not rows:
        print("no open alerts")
        return EXIT_OK
    table = [["id", "severity", "state", "since (UTC)", "rule", "message"]]
    for r in rows:
        since = r["opened_at"] or r["first_seen"]
        table.append(
            [
                str(r["id"]),
                r["severity"],
                r["state"],
                dt.datetime.fromtimestamp(since, dt.UTC).strftime("%Y-%m-%d %H:%M"),
                r["rule"],
                (r["message_vi"] or "")[:110],
            ]
        )
    print(_table(table))
    return EXIT_OK


def cmd_outbox(cfg: Config, args) -> int:
    from ioc import alerts, outbox

    path = alerts.ops_path(cfg)
    alerts.init(path)
    if args.action == "run":
        done = alerts.run_outbox(cfg)
        print(f"sent {len(done.sent)}, to retry {len(done.retried)}, dead {len(done.dead)}")
        return EXIT_OK
    if args.action == "retry":
        if args.id is None:
            raise IOCError("outbox retry needs the message's id")
        outbox.retry(path, args.id)
        print(f"message {args.id} is pending again")
        return EXIT_OK
    rows = outbox.messages(path, status=args.status, limit=200)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    for receiver, by in outbox.counts(path).items():
        print(f"{receiver}: " + ", ".join(f"{n} {s}" for s, n in sorted(by.items())))
    if not rows:
        print("no messages")
        return EXIT_OK
    table = [["id", "receiver", "status", "tries", "created (UTC)", "subject", "last error"]]
    for r in rows:
        table.append(
            [
                str(r["id"]),
                r["receiver"],
                r["status"],
                str(r["attempts"]),
                dt.datetime.fromtimestamp(r["created_at"], dt.UTC).strftime("%Y-%m-%d %H:%M"),
                r["subject"][:60],
                (r["last_error"] or "")[:80],
            ]
        )
    print(_table(table))
    return EXIT_OK


# --------------------------------------------------------------------------- accounts and the audit log


def _password() -> str:
    """The password from standard input (a pipe) or asked twice at the terminal: never an argument."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mật khẩu / Password: ")
    if getpass.getpass("Nhập lại / Again: ") != first:
        raise IOCError("the two passwords differ")
    return first


def cmd_kiosk(cfg: Config, args) -> int:
    """`kiosk token WALL`: a new token for the wall, printed once; the one before stops working."""
    import getpass

    from ioc import auth

    if args.wall not in cfg.kiosk.walls:
        raise IOCError(f"unknown wall {args.wall!r}; walls: {', '.join(cfg.kiosk.walls) or 'none'}")
    token = auth.issue_wall_token(cfg.data_path / "ops.sqlite", args.wall, by=f"cli:{getpass.getuser()}")
    print(f"/?kiosk={args.wall}&token={token}")
    print("(shown once; issuing another one stops this one)", file=sys.stderr)
    return EXIT_OK


def cmd_users(cfg: Config, args) -> int:
    import getpass

    from ioc import auth

    path = cfg.data_path / "ops.sqlite"
    by = f"cli:{getpass.getuser()}"
    if args.action != "list" and not args.name:
        raise IOCError(f"users {args.action} needs the account's name")
    if args.action == "add":
        wards = {w.code for w in cfg.wards}
        unknown = [w for w in args.ward if w not in wards]
        if unknown:
            raise IOCError(f"unknown ward(s) {', '.join(unknown)}; known: {', '.join(sorted(wards))}")
        user = auth.add(path, args.name, args.role or "", _password(), args.ward, by=by)
        print(f"account {user.name} added ({user.role})")
        return EXIT_OK
    if args.action == "passwd":
        auth.passwd(path, args.name, _password(), by=by)
        print(f"password of {args.name} changed")
        return EXIT_OK
    if args.action == "disable":
        auth.disable(path, args.name, by=by)
        print(f"account {args.name} disabled")
        return EXIT_OK
    accounts = auth.users(path)
    rows = [
        {"name": u.name, "role": u.role, "wards": list(u.wards), "disabled": u.disabled, "locked_until": u.locked_until}
        for u in accounts
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print("no accounts")
        return EXIT_OK
    table = [["name", "role", "wards", "state"]]
    for u in accounts:
        state = "disabled" if u.disabled else "locked" if u.locked_until and u.locked_until > time.time() else "active"
        table.append([u.name, u.role, ", ".join(u.wards) or "-", state])
    print(_table(table))
    return EXIT_OK


def cmd_audit(cfg: Config, args) -> int:
    from zoneinfo import ZoneInfo

    from ioc import audit

    since = None
    if args.since:
        try:
            when = dt.datetime.fromisoformat(args.since)
        except ValueError:
            raise IOCError(f"--since: expected an ISO date or time, got {args.since!r}") from None
        since = (when if when.tzinfo else when.replace(tzinfo=ZoneInfo(cfg.city.timezone))).timestamp()
    rows = audit.entries(cfg.data_path / "ops.sqlite", since, args.who, args.action, args.limit)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print("no entries")
        return EXIT_OK
    tz = ZoneInfo(cfg.city.timezone)
    table = [["when (city time)", "who", "action", "detail", "from"]]
    for r in rows:
        shown = dt.datetime.fromtimestamp(r["at"], tz).strftime("%Y-%m-%d %H:%M:%S")
        table.append([shown, r["who"], r["action"], r["detail"][:80], r["origin"]])
    print(_table(table))
    return EXIT_OK


# --------------------------------------------------------------------------- sql


def cmd_sql(cfg: Config, args) -> int:
    from ioc.sandbox import run_readonly

    names, rows = run_readonly(cfg, args.query)
    if args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(names)
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    elif args.format == "json":
        print(json.dumps([dict(zip(names, r)) for r in rows], ensure_ascii=False, default=str, indent=1))
    else:
        print(_table([names] + [["" if v is None else str(v) for v in r] for r in rows]))
        print(f"({len(rows)} rows)")
    return EXIT_OK


# --------------------------------------------------------------------------- snapshots, scheduler, docs


def cmd_snapshots(cfg: Config, args) -> int:
    from ioc.status import rollback
    from ioc.warehouse import Warehouse

    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    if args.rollback:
        rollback(cfg, args.rollback, getpass.getuser())
        print(f"current snapshot is now {args.rollback}")
        return EXIT_OK
    snaps = wh.snapshots()
    if not snaps:
        print("no snapshots yet")
        return EXIT_OK
    rows = [["", "id", "created (UTC)", "size"]]
    for s in snaps:
        rows.append(["*" if s.current else "", s.id, s.created.strftime("%Y-%m-%d %H:%M:%S"), f"{s.size / 1e6:.1f} MB"])
    print(_table(rows))
    return EXIT_OK


def cmd_scheduler(cfg: Config, args) -> int:
    from ioc.scheduler import run_forever

    run_forever(cfg)
    return EXIT_OK


README_START, README_END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def readme_with_reference(readme: str) -> str:
    """README text with the generated config reference between its markers."""
    head, rest = readme.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    body = "Generated by `python -m ioc docs --readme` from the config model's help texts.\n\n" + config_reference()
    return f"{head}{README_START}\n{body}\n{README_END}{tail}"


def cmd_docs(args) -> int:
    if args.readme:
        with open(args.readme, encoding="utf-8") as fh:
            text = readme_with_reference(fh.read())
        with open(args.readme, "w", encoding="utf-8") as fh:
            fh.write(text)
        return EXIT_OK
    text = (
        "# Config reference\n\nGenerated by `python -m ioc docs` from the config model's help texts.\n\n"
        + config_reference()
        + "\n"
    )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK
