"""The read API (`/api/v1/indicators`, `/api/v1/alerts`) without the web server: who is asking (a bearer token
per client of `api.clients`, from the environment) and the pages of JSON it answers, in the push's schema
(docs/province-api.md)."""

from __future__ import annotations

import datetime as dt
import hmac
import os
from collections.abc import Mapping
from typing import Any

from ioc import access, alerts, auth, province
from ioc.config import Config
from ioc.errors import IOCError


class Unauthorized(IOCError):
    """No token, or not one of a configured client's."""


def asker(
    cfg: Config, authorization: str | None, cookie: str | None, env: Mapping[str, str] | None = None
) -> access.Person:
    """Who asks the API: a client by its bearer token (bound to the wards of its `wards`, else the whole city),
    else a person by the session cookie the sign-in set (with their wards); Unauthorized otherwise."""
    if authorization:
        name = client(cfg, authorization, env)
        return access.Person(name, "api", tuple(cfg.api.clients[name].wards), how="token")
    s = auth.session(
        cfg.data_path / "ops.sqlite",
        auth.unsign(cookie),
        cfg.sign_in.idle_minutes * 60,
        cfg.sign_in.max_hours * 3600,
    )
    if s is None:
        raise Unauthorized("send `Authorization: Bearer <token>`, or sign in at /signin")
    return access.Person(s.name, s.role, s.wards, s.how)


def sees(cfg: Config, who: access.Person | None, ward: str | None) -> bool:
    """Whether an API answer for `who` holds a row of `ward` (None: a city-wide row)."""
    if who is None or not who.wards:
        return True
    if ward is not None:
        return ward in who.wards
    if who.how == "token":
        return True  # a client bound to wards reads the city's own figures beside theirs
    sc = access.scope(cfg, who)
    return sc is not None and ("all" in sc.city_wide or "indicator_value" in sc.city_wide)


def client(cfg: Config, authorization: str | None, env: Mapping[str, str] | None = None) -> str:
    """The name of the client whose bearer token this is; Unauthorized otherwise (compared in constant time)."""
    env = os.environ if env is None else env
    if not cfg.api.clients:
        raise Unauthorized("no API clients are configured (api.clients in config.yaml)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send `Authorization: Bearer <token>`")
    for name, c in cfg.api.clients.items():
        expected = env.get(c.token_env)
        if expected and hmac.compare_digest(expected.encode(), token.strip().encode()):
            return name
    raise Unauthorized("the token is not one of a configured client's")


def _page(params: Mapping[str, str], cfg: Config) -> tuple[int, int]:
    try:
        limit = min(int(params.get("limit", cfg.api.page_size)), cfg.api.page_size)
        offset = int(params.get("offset", 0))
    except ValueError as exc:
        raise IOCError(f"limit and offset are whole numbers: {exc}") from None
    if limit < 1 or offset < 0:
        raise IOCError("limit is 1 or more, offset 0 or more")
    return limit, offset


def _next(path: str, params: Mapping[str, str], offset: int, limit: int, total: int) -> str | None:
    if offset + limit >= total:
        return None
    from urllib.parse import urlencode

    return f"{path}?{urlencode({**params, 'offset': offset + limit, 'limit': limit})}"


def indicators(
    cfg: Config, params: Mapping[str, str], who: access.Person | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """The city's indicator values as the push's document (schema ioc-city-indicators), a page of them:
    `since=YYYY-MM-DD` keeps the periods ending on or after it, `ward=CODE` one ward (`city` the city's own),
    `indicator=CODE` one indicator; `limit`, `offset` page through, `next` gives the following page."""
    from ioc.warehouse import Warehouse

    limit, offset = _page(params, cfg)
    since = params.get("since")
    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise IOCError(f"since: expected a date YYYY-MM-DD, got {since!r}") from None
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    sid = wh.current_id()
    if sid is None:
        raise IOCError("no snapshot yet")
    with wh.connect(sid) as con:
        rows = province.value_rows(province.current_values(con, cfg, today or cfg.city.today()), cfg)
    rows = [r for r in rows if sees(cfg, who, r["ward"])]
    if start:
        rows = [r for r in rows if r["period_end"] >= start.isoformat()]
    if "ward" in params:
        ward = None if params["ward"] == "city" else params["ward"]
        rows = [r for r in rows if r["ward"] == ward]
    if "indicator" in params:
        rows = [r for r in rows if r["indicator"] == params["indicator"]]
    doc = province.document(rows[offset : offset + limit], cfg, city_code=cfg.province.city_code, snapshot=sid)
    return {**doc, "total": len(rows), "offset": offset, "limit": limit,
            "next": _next("/api/v1/indicators", params, offset, limit, len(rows))}  # fmt: skip


ALERT_FIELDS = ("id", "rule", "severity", "state", "sector", "ward_code", "value", "peak", "threshold", "period",
                "message_vi", "message_en", "ack_by", "close_reason")  # fmt: skip


def alert_list(cfg: Config, params: Mapping[str, str], who: access.Person | None = None) -> dict[str, Any]:
    """Alerts as JSON: open and acknowledged ones (`state=all` adds resolved and closed), those changed since
    `since=` (an ISO date or time, city time when it has no zone), oldest change first, a page at a time."""
    limit, offset = _page(params, cfg)
    states = ("open", "acknowledged", "resolved", "closed") if params.get("state") == "all" else alerts.SHOWN
    since = params.get("since")
    cutoff = None
    if since:
        try:
            when = dt.datetime.fromisoformat(since)
        except ValueError:
            raise IOCError(f"since: expected an ISO date or time, got {since!r}") from None
        if when.tzinfo is None:
            from zoneinfo import ZoneInfo

            when = when.replace(tzinfo=ZoneInfo(cfg.city.timezone))
        cutoff = when.timestamp()
    rows = [
        r
        for r in alerts.alerts(alerts.ops_path(cfg), states, limit=100000)
        if r["ward_code"] is None or sees(cfg, who, r["ward_code"])
    ]
    if cutoff is not None:
        rows = [r for r in rows if r["updated_at"] >= cutoff]
    rows.sort(key=lambda r: (r["updated_at"], r["id"]))
    iso = lambda ts: dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds") if ts else None  # noqa: E731
    out = [
        {**{k: r[k] for k in ALERT_FIELDS}, "opened_at": iso(r["opened_at"]), "updated_at": iso(r["updated_at"]),
         "resolved_at": iso(r["resolved_at"]), "link": f"{cfg.notifications.link.rstrip('/')}/alerts?id={r['id']}"}
        for r in rows[offset : offset + limit]
    ]  # fmt: skip
    return {"schema": "ioc-alerts", "version": "1.0", "city": cfg.province.city_code, "alerts": out,
            "total": len(rows), "offset": offset, "limit": limit,
            "next": _next("/api/v1/alerts", params, offset, limit, len(rows))}  # fmt: skip
