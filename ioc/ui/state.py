"""Per-session context for pages: config, language, the current snapshot and cached queries."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from ioc import access, auth, i18n
from ioc.config import Config, config_path, load_config
from ioc.warehouse import Warehouse

LANG_KEY = "lang"


@st.cache_resource(show_spinner=False, max_entries=4)
def _config(path: str, mtime: float) -> Config:
    return load_config(path)


@st.cache_resource(show_spinner=False, max_entries=64)
def _scoped_config(path: str, mtime: float, wards: tuple[str, ...]) -> Config:
    cfg = _config(path, mtime)
    return cfg.model_copy(update={"wards": [w for w in cfg.wards if w.code in wards]})


def config() -> Config:
    """The config, re-read when the file changes; ConfigError propagates to the page boundary. For a person
    bound to wards, its `wards` are theirs alone, so every ward list, filter and map of the pages offers only
    those (the rows themselves come from their scoped snapshot: snapshot_path)."""
    path = config_path()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    who = st.session_state.get(PERSON_KEY)
    if isinstance(who, access.Person) and who.wards:
        return _scoped_config(str(path), mtime, who.wards)
    return _config(str(path), mtime)


def lang() -> str:
    value = st.session_state.get(LANG_KEY) or st.query_params.get(LANG_KEY)
    return i18n.lang_or_default(value)


def t(key: str, **kw: Any) -> str:
    return i18n.t(key, lang(), **kw)


def warehouse(cfg: Config | None = None) -> Warehouse:
    cfg = cfg or config()
    return Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)


def snapshot_path(cfg: Config | None = None) -> Path | None:
    """The file this person reads of the current snapshot (its name carries the snapshot id), or None before
    the first load: for a person bound to wards, its ward-scoped copy (ioc.access), so every query, export and
    SQL run of theirs holds only their rows."""
    cfg = cfg or config()
    wh = warehouse(cfg)
    sid = wh.current_id()
    if not sid:
        return None
    p = wh.path_of(sid)
    if not p.exists():
        return None
    sc = access.scope(cfg, person(), adhoc=bool(st.session_state.get(ADHOC_KEY)))
    return access.scoped_path(p, sc) if sc else p


ADHOC_KEY = "_ioc_adhoc"  # this run is an analysts' tool's: it reads the copy with small counts "<5"


def analyst_tools() -> None:
    """Called first by the catalog, the explorer and the SQL console: the rest of this run reads the snapshot
    as the analysts' tools do, with counts of people from 1 to 4 read "<5" (ioc.access.scope(adhoc=True))."""
    st.session_state[ADHOC_KEY] = True


# --------------------------------------------------------------------------- who is asking

PERSON_KEY = "_ioc_person"  # set once per run by resolve_person() (app.py); no widget has this key


def ops_path() -> Path:
    return config().data_path / "ops.sqlite"


def _cookie(name: str) -> str | None:
    try:
        return st.context.cookies.get(name)
    except Exception:  # no browser behind the run
        return None


def resolve_person() -> access.Person:
    """Who is asking in this run: the session of the signed cookie the server set at sign-in (ioc.auth), else
    the OpenID Connect identity (st.user) when a provider is configured, else the public; while no account
    exists at all, everybody (`open`). A session that ran out of time or was ended is the public again."""
    cfg, path = config(), ops_path()
    s = auth.session(
        path, auth.unsign(_cookie(auth.COOKIE)), cfg.sign_in.idle_minutes * 60, cfg.sign_in.max_hours * 3600
    )
    if s is not None:
        who = access.Person(s.name, s.role, s.wards, s.how, session=s.token)
    elif (oidc := _oidc_person(cfg)) is not None:
        who = oidc
    elif not auth.any_account(path) and cfg.sign_in.oidc is None:
        who = access.OPEN
    else:
        who = access.PUBLIC
    st.session_state[PERSON_KEY] = who
    st.session_state[ADHOC_KEY] = False  # until an analysts' tool says otherwise in this run
    return who


def _oidc_person(cfg: Config) -> access.Person | None:
    """The person of the st.login identity, while its session here is live (idle and age as an account's);
    once it is over, Streamlit's identity cookie is cleared (st.logout) so the person signs in again."""
    if cfg.sign_in.oidc is None:
        return None
    try:
        claims = st.user.to_dict()
    except Exception:  # auth not configured on this server
        return None
    if not claims.get("is_logged_in"):
        return None
    who = access.oidc_person(cfg.sign_in.oidc, claims)
    if who is None:
        return None
    key = oidc_key(claims)
    live = auth.oidc_session(
        ops_path(), key, who.name, who.role, who.wards,
        cfg.sign_in.idle_minutes * 60, cfg.sign_in.max_hours * 3600, origin(),
    )  # fmt: skip
    if not live:
        st.logout()
        return None
    return access.Person(who.name, who.role, who.wards, "oidc", session=key)


def oidc_key(claims: dict) -> str:
    """One sign-in at the provider: who, where and when (the identity cookie keeps these for 30 days)."""
    return f"{claims.get('iss')}|{claims.get('sub')}|{claims.get('iat')}"


def person() -> access.Person:
    who = st.session_state.get(PERSON_KEY)
    return who if isinstance(who, access.Person) else resolve_person()


def wards() -> tuple[str, ...] | None:
    """The wards the person asking is bound to; None when they read every ward (pass to ioc.alerts' reads)."""
    return person().wards or None


def may(action: str) -> bool:
    """Whether the person asking may do one of ioc.config.ACTIONS; check it where the action happens."""
    return access.may(config(), person(), action)


@st.cache_resource(show_spinner=False, max_entries=2, on_release=lambda con: con.close())
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    # one read-only connection per snapshot; a new snapshot's path is a new key and releases the old one
    return duckdb.connect(path, read_only=True)


@st.cache_data(show_spinner=False, max_entries=2000, ttl=6 * 3600)
def _run(fn_ref: str, path: str, args: tuple, kwargs: tuple) -> Any:
    module, name = fn_ref.split(":")
    fn = getattr(importlib.import_module(module), name)
    cur = _connection(path).cursor()
    try:
        return fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()


def query(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a query function of ioc.queries on the current snapshot, cached per snapshot and arguments."""
    path = snapshot_path()
    if path is None:
        from ioc.errors import NoSnapshotError

        raise NoSnapshotError(t("app.no_snapshot"))
    return _run(f"{fn.__module__}:{fn.__qualname__}", str(path), args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, ttl=30)
def _status(path: str, mtime: float) -> dict:
    from ioc.status import source_status

    return source_status(config())


def source_status() -> dict:
    """Freshness of every source (from the operational store), refreshed at most every 30 s."""
    cfg = config()
    return _status(str(cfg.path), cfg.path.stat().st_mtime if cfg.path else 0.0)


def refresh_status() -> None:
    """Forget the cached status (after an action changed it: an accepted run)."""
    _status.clear()


def city_time(iso: str | None) -> str:
    """An ISO instant (status's UTC times) as HH:MM dd/mm/yyyy in city time; – for none."""
    if not iso:
        return "–"
    return i18n.datetime(pd.Timestamp(iso).tz_convert(config().city.timezone))


def snapshot_time() -> pd.Timestamp | None:
    st_ = source_status()["snapshot"]
    return pd.Timestamp(st_["created"]) if st_["created"] else None


def now():
    """Now in the city's time zone, naive (as the warehouse stores city time)."""
    return config().city.now()


def today():
    """Today in the city's time zone."""
    return now().date()


def url_key(key: str, default: Any, parse: Callable[[str], Any] = str) -> str:
    """Seed widget `key` from the URL's ?key= the first time it is drawn (else `default`); returns the key.

    Pass the key to the widget and no default of its own. A value the page cannot use falls back to the
    default, so a stale bookmark still opens. Pair with to_url() after the widget; bound() does both.
    """
    if key not in st.session_state:
        # the URL wins; else the value this session last had on any page (the sidebar's links drop
        # the query string), read through the same parser so a page checks what it is given
        raw = st.query_params.get(key) or _remembered().get(key)
        value = default
        if raw not in (None, ""):
            try:
                parsed = parse(raw)
                value = default if parsed is None else parsed
            except (ValueError, TypeError, KeyError):
                value = default
        st.session_state[key] = value
    return key


def _remembered() -> dict:
    """Filters of this session by URL key, as their URL text."""
    return st.session_state.setdefault("_url_filters", {})


def to_url(key: str, value: Any, default: Any, dump: Callable[[Any], str] = str) -> None:
    """Write a filter into the URL (and drop it when it is the default), so the view can be bookmarked;
    remember it for the session, so it survives a visit to another page."""
    if value == default or value in (None, "", [], ()):
        _remembered().pop(key, None)
        if key in st.query_params:
            del st.query_params[key]
    else:
        text = dump(value)
        _remembered()[key] = text
        if st.query_params.get(key) != text:
            st.query_params[key] = text


def bound(
    widget: Callable[..., Any],
    label: str,
    key: str,
    default: Any,
    options: Sequence[Any] | None = None,
    *,
    parse: Callable[[str], Any] | None = None,
    dump: Callable[[Any], str] = str,
    clean: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Draw `widget(label, [options,] ...)` with its value bound to the URL's ?key=, so the view can be
    bookmarked and survives a visit to another page; returns the value.

    The widget is seeded from the URL (else the session's last value on any page, else `default`); a value the
    page cannot use falls back to the default, so a stale bookmark still opens. `parse` reads the URL's text
    (default: one of `options`, or the text itself); `clean` turns what the widget gives into the value kept
    (a half-picked date range into two dates); `dump` writes it back."""
    if parse is None:
        parse = (lambda v: v if v in options else None) if options is not None else str
    args = (label,) if options is None else (label, options)
    value = widget(*args, key=url_key(key, default, parse), **kwargs)
    if value is None:  # a required segmented control briefly has no value
        value = default
    if clean is not None:
        value = clean(value)
    to_url(key, value, default, dump)
    return value


def fresh_pick(key: str, value: str | None) -> str | None:
    """A chart's click selection, once: the value when it differs from the last one seen for chart `key`,
    else None. A selection stays in its chart after the rerun it caused; acting on it again would undo
    what the user did since (another ward chosen in the box, the filter cleared)."""
    seen = f"_pick_seen_{key}"
    if value is None:
        st.session_state.pop(seen, None)
        return None
    if st.session_state.get(seen) == value:
        return None
    st.session_state[seen] = value
    return value


def audit(action: str, detail: str = "") -> None:
    """An entry in the audit log for this session: who (the signed-in person, else 'anonymous') and from where
    (the browser's address)."""
    from ioc import audit as log

    log.record(ops_path(), person().name, action, detail, origin())


def origin() -> str:
    """The browser's address ('' when there is none: a script, AppTest); through a trusted proxy, the one it
    forwarded (as the sign-in form's: uvicorn reads X-Forwarded-For, see docs/access.md)."""
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    if not isinstance(ip, str):
        return ""
    return ip.removeprefix("::ffff:")  # an IPv4 address as the dual-stack server reports it
