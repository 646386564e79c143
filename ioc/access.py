"""Who may open what and read which rows: roles (config `roles:`), the person asking, and the ward-scoped copy of
a snapshot that every page, query, export and SQL run of a person bound to wards reads instead of the whole one.

One mechanism for row-level access: a person bound to wards never gets a connection to the city's snapshot.
They read a DuckDB file made from it that holds their wards' rows and the city-wide figures their role may see
(`city_wide`), and nothing else, so no query, however written (fully qualified names, catalog functions), can
reach another ward's rows: they are not in the file (docs/access.md)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ioc.config import ACTIONS
from ioc.warehouse import ident

if TYPE_CHECKING:
    from ioc.config import Config

log = logging.getLogger("ioc.access")

# the app's own pages by address (app.py's PAGES; a test keeps the two the same); sector pages go by their code
APP_PAGES = ("overview", "alerts", "ward", "phan-anh", "catalog", "explorer", "sql", "operations", "audit")
WARD_COLUMN = "ward_code"
# bookkeeping a scoped copy keeps whole (definitions, runs), and what a ward's copy keeps empty (rejected rows of
# any ward; a whole-city copy keeps them, with the values of masked columns hidden)
KEEP_WHOLE = ("_meta", "_lineage", "_runs", "indicator")
KEEP_EMPTY = ("_rejects", "_dropped")
SCOPED_DIR = "scoped"


@dataclass(frozen=True)
class Person:
    """Who is asking: a signed-in account or OIDC identity, the public (nobody signed in), or everybody while
    the cockpit has no account yet (`open`: every page, the whole city)."""

    name: str
    role: str
    wards: tuple[str, ...] = ()
    how: str = "account"  # account | oidc | public | open
    session: str | None = field(default=None, compare=False)

    @property
    def signed_in(self) -> bool:
        return self.how in ("account", "oidc")


PUBLIC = Person("anonymous", "public", how="public")
OPEN = Person("anonymous", "admin", how="open")


def oidc_person(oidc, claims: dict) -> Person | None:
    """The person an OpenID Connect identity is, by the config's claim mapping (`sign_in.oidc`): the first value
    of the role claim that `roles` maps; None (the public) when none maps. Wards from the ward claim."""
    values = claims.get(oidc.role_claim)
    values = [values] if isinstance(values, str) else list(values or [])
    role = next((oidc.roles[v] for v in values if v in oidc.roles), None)
    if role is None or role == "public":
        return None
    wards = claims.get(oidc.ward_claim) or []
    wards = (wards,) if isinstance(wards, str) else tuple(str(w) for w in wards)
    if role == "ward_official" and not wards:
        return None  # a ward official bound to no ward would read the whole city
    name = str(claims.get(oidc.name_claim) or claims.get("sub") or "oidc")
    return Person(name, role, wards, how="oidc")


def _role(cfg: Config, person: Person):
    from ioc.config import Role

    if person.how == "open":
        return Role(pages=["all"], actions=["all"], city_wide=["all"])
    return cfg.roles.get(person.role)  # type: ignore[call-overload]


def _public_pages(cfg: Config) -> set[str]:
    role = cfg.roles.get("public")
    return _expand(cfg, role.pages) if role else set()


def _expand(cfg: Config, pages: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in pages:
        if p == "all":
            out |= {*APP_PAGES, *(s.code for s in cfg.sectors)}
        elif p == "sectors":
            out |= {s.code for s in cfg.sectors}
        else:
            out.add(p)
    return out


def pages(cfg: Config, person: Person) -> set[str]:
    """The pages a person may open: their role's and the public ones (a sector page by its code)."""
    role = _role(cfg, person)
    return _public_pages(cfg) | (_expand(cfg, role.pages) if role else set())


def may_open(cfg: Config, person: Person, page: str) -> bool:
    return page in pages(cfg, person)


def may(cfg: Config, person: Person, action: str) -> bool:
    """Whether a person may do one of ACTIONS (export, sql, acknowledge, accept, rollback)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    role = _role(cfg, person)
    return bool(role) and ("all" in role.actions or action in role.actions) and person.how != "public"


def sees_ward(person: Person, ward: str | None) -> bool:
    """Whether a person reads a ward's rows (None: the city's own): a person bound to no ward reads every ward."""
    return not person.wards or (ward is not None and ward in person.wards)


# --------------------------------------------------------------------------- the ward-scoped copy of a snapshot


@dataclass(frozen=True)
class Scope:
    """What one person's copy of a snapshot holds: their wards' rows (None: every ward) with the city-wide
    tables of their role, the personal columns it shows masked, and in the analysts' tools small counts of
    people as "<5" and registers of people with no rows."""

    wards: tuple[str, ...] | None
    city_wide: tuple[str, ...]  # tables, or ("all",); only with wards
    masked: tuple[tuple[str, str], ...] = ()  # (table, column)
    # the analysts' tools only: counts of people from 1 to 4 (or below an indicator's mask_below) read "<5"
    small: tuple[tuple[str, str], ...] = ()  # (table, column) declared `sensitive`
    small_indicators: tuple[tuple[str, int], ...] = ()  # (indicator code, mask_below)
    registers: tuple[str, ...] = ()  # tables of one row per person (`sensitive`): held with no rows

    @property
    def key(self) -> str:
        text = repr(
            (self.wards, sorted(self.city_wide), sorted(self.masked), self.small, self.small_indicators, self.registers)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


SMALL = 5  # a count of people below this reads "<5" in the analysts' tools
WITHHELD_COLUMN = "withheld"  # the analysts' indicator_value: "<5" where a small count of people is withheld


def scope(cfg: Config, person: Person, adhoc: bool = False) -> Scope | None:
    """What a person reads of a snapshot; None when it is the whole snapshot as it is (a person bound to no
    ward whose role reads every personal column in clear). `adhoc`: what the analysts' tools read (catalog,
    explorer, SQL console, their exports), where small counts of people read "<5" too, for everyone."""
    role = _role(cfg, person) if person.how != "open" else None  # open: everything but personal data
    clear = set(role.personal) if role else set()
    masked = tuple(
        sorted(
            (table, col)
            for table, cols in cfg.personal_columns().items()
            if "all" not in clear and table not in clear
            for col in cols
        )
    )
    small: tuple[tuple[str, str], ...] = ()
    small_indicators: tuple[tuple[str, int], ...] = ()
    registers: tuple[str, ...] = ()
    if adhoc:
        small = tuple(sorted((t, c) for t, cols in cfg.sensitive_columns().items() for c in cols))
        small_indicators = tuple(sorted((i.code, i.mask_below) for i in cfg.indicators if i.mask_below))
        registers = tuple(cfg.sensitive_tables())
    if not person.wards and not masked and not small and not small_indicators and not registers:
        return None
    city_wide = tuple(sorted(role.city_wide)) if role and person.wards else ()
    wards = tuple(sorted(person.wards)) if person.wards else None
    return Scope(wards, city_wide, masked, small, small_indicators, registers)


def small_sql(column: str, below: int = SMALL) -> str:
    """A count of people as the analysts' tools read it: text, "<5" from 1 to below − 1 and the number itself
    otherwise (0 and larger counts stay), so the explorer, the SQL console and every export show "<5" and no
    sum over a withheld cell can pass for the true total."""
    c = ident(column)
    return f"CASE WHEN {c} >= 1 AND {c} < {int(below)} THEN '<{int(below)}' ELSE CAST({c} AS VARCHAR) END AS {c}"


def mask_sql(column: str) -> str:
    """A personal value masked: its first character, then stars, and for a long value its last two (a phone
    0932322695 reads 0*******95, a name Phạm Quốc Bình P************nh); empty stays empty."""
    c = ident(column)
    return (
        f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} WHEN length({c}) >= 8 "
        f"THEN left({c}, 1) || repeat('*', length({c}) - 3) || right({c}, 2) "
        f"ELSE left({c}, 1) || '***' END AS {c}"
    )


_BUILD_LOCK = threading.Lock()


def scoped_target(snapshot: Path, sc: Scope) -> Path:
    """Where the copy of a snapshot for a scope is (made or not)."""
    st = snapshot.stat()  # a published snapshot never changes; a file changed in place gets a new copy all the same
    made_of = hashlib.sha256(f"{st.st_mtime_ns}:{st.st_size}".encode()).hexdigest()[:8]
    return snapshot.parent.parent / SCOPED_DIR / f"{snapshot.stem}-{sc.key}-{made_of}.duckdb"


def scoped_path(snapshot: Path, sc: Scope) -> Path:
    """The ward-scoped copy of a snapshot file, made once (atomically) and kept beside the warehouse; copies of
    snapshots that are gone are removed when a new one is made."""
    target = scoped_target(snapshot, sc)
    folder = target.parent
    if target.exists():
        return target
    with _BUILD_LOCK:
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        _build(snapshot, tmp, sc)
        os.replace(tmp, target)
        _prune(folder, snapshot.parent)
    log.info("made the scoped copy %s (wards %s)", target.name, ", ".join(sc.wards or ("all",)))
    return target


_SOURCES_OF = "SELECT source FROM src.main._lineage WHERE list_contains(?, table_name)"  # the sources of tables ?


def _build(snapshot: Path, out: Path, sc: Scope) -> None:
    from ioc.search import build_search_index

    con = duckdb.connect(str(out))
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(snapshot)])
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'main' "
            "ORDER BY table_name"
        ).fetchall()
        everything = sc.wards is None or "all" in sc.city_wide
        masked: dict[str, set[str]] = {}
        for table, column in sc.masked:
            masked.setdefault(table, set()).add(column)
        small: dict[str, set[str]] = {}
        for table, column in sc.small:
            small.setdefault(table, set()).add(column)
        for (name,) in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = 'src' AND table_name = ? "
                    "ORDER BY column_index",
                    [name],
                ).fetchall()
            ]
            src = f"src.main.{ident(name)}"
            city = everything or name in sc.city_wide
            if name in KEEP_WHOLE or (sc.wards is None and (not name.startswith("_") or name in KEEP_EMPTY)):
                where, params = "", []
            elif WARD_COLUMN in cols:
                where = f" WHERE list_contains(?, {WARD_COLUMN})" + (f" OR {WARD_COLUMN} IS NULL" if city else "")
                params = [list(sc.wards or ())]
            elif city and name not in KEEP_EMPTY and not name.startswith("_"):
                where, params = "", []
            else:  # not theirs to read: the table is there (pages and queries name it), with no rows
                where, params = " WHERE false", []
            if name in sc.registers:  # one row per person: never row by row in the analysts' tools
                where, params = " WHERE false", []
            hide, few = masked.get(name, set()), small.get(name, set())
            exprs = [mask_sql(c) if c in hide else small_sql(c) if c in few else ident(c) for c in cols]
            first: list = []  # parameters of the select list, before the WHERE's
            if name == "indicator_value" and sc.small_indicators:  # each indicator's own mask_below
                # the value stays a number (every other indicator's is one), empty where withheld, and a
                # column of its own says so: "<5"
                below = "coalesce(list_extract(?::INTEGER[], list_position(?::VARCHAR[], code)), 0)"
                withheld = f"value >= 1 AND value < {below}"
                first = [[n for _, n in sc.small_indicators], [c for c, _ in sc.small_indicators]] * 3  # 3 belows
                exprs = [
                    f"CASE WHEN {withheld} THEN NULL ELSE value END AS value" if c == "value" else e
                    for c, e in zip(cols, exprs)
                ]
                exprs.append(f"CASE WHEN {withheld} THEN '<' || {below} END AS {WITHHELD_COLUMN}")
            hidden = sorted({c for _, c in (*sc.masked, *sc.small)})
            if name == "_rejects" and hidden:  # the offending value of a column read masked or withheld
                exprs = [
                    "CASE WHEN list_contains(?, column_name) THEN '***' ELSE value END AS value" if c == "value" else e
                    for c, e in zip(cols, exprs)
                ]
                first = [hidden]
            if name == "_rejects" and sc.registers:  # a register's rejected rows are rows of people too
                where += (" AND " if where else " WHERE ") + f"source NOT IN ({_SOURCES_OF})"
                params = [*params, list(sc.registers)]
            if name == "_dropped" and (hidden or sc.registers):  # a whole raw row of a table with such columns
                holding = sorted({t for t, _ in (*sc.masked, *sc.small)} | set(sc.registers))
                exprs = [
                    f"CASE WHEN source IN ({_SOURCES_OF}) THEN NULL ELSE text END AS text" if c == "text" else e
                    for c, e in zip(cols, exprs)
                ]
                first = [holding]
            select = ", ".join(exprs) if (hide or few or first) else "*"
            con.execute(f"CREATE TABLE main.{ident(name)} AS SELECT {select} FROM {src}{where}", [*first, *params])
        con.execute("DETACH src")
        build_search_index(con)  # the catalog's search lists only values of the rows kept
        con.execute("CHECKPOINT")
    finally:
        con.close()


ANALYST_TOOLS = ("catalog", "explorer", "sql")  # the pages that read the analysts' copy (scope(adhoc=True))


def prepare(cfg: Config) -> list[Path]:
    """Make, for the current snapshot, the copies that the roles bound to no ward read (one per distinct scope:
    the pages' with personal data masked, and the analysts' tools' for the roles that open them), so no page
    waits for one (at scale each takes 2 s or more to make)."""
    from ioc.warehouse import Warehouse

    path = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep).current_path()
    people = [PUBLIC, OPEN, *(Person("-", r) for r in cfg.roles if r != "public")]
    scopes = {sc for sc in (scope(cfg, p) for p in people) if sc is not None}
    tools = [p for p in people if set(ANALYST_TOOLS) & pages(cfg, p)]
    scopes |= {sc for sc in (scope(cfg, p, adhoc=True) for p in tools) if sc is not None}
    return [scoped_path(path, sc) for sc in sorted(scopes, key=lambda sc: sc.key)]


def _prune(folder: Path, warehouse: Path) -> None:
    live = {p.stem for p in warehouse.glob("*.duckdb")}
    for p in folder.glob("*.duckdb"):
        if p.stem.split("-", 1)[0] not in live:
            p.unlink(missing_ok=True)
