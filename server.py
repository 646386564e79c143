"""ASGI entry (`streamlit run server.py`): the app, JSON routes, the embedded scheduler, a calm error boundary."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ioc import api
from ioc.config import load_config
from ioc.errors import IOCError

log = logging.getLogger("ioc.server")

# Streamlit decides "pages/ folder app (v1) or st.navigation app (v2)" at the first session: a first
# visit to a deep link such as /environment would run that page alone, without app.py's navigation,
# page config and language. This app is v2 from the start.
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402

PagesManager.uses_pages_directory = False


@asynccontextmanager
async def lifespan(app):
    """Start the embedded scheduler once per process; load the sample data when no snapshot exists."""
    scheduler = None
    try:
        cfg = load_config()
    except IOCError as exc:
        log.error("config not valid, no scheduler: %s", exc)
        cfg = None
    if cfg is not None and cfg.scheduler.embedded:
        from ioc.scheduler import Scheduler
        from ioc.warehouse import Warehouse

        scheduler = Scheduler(cfg).start()
        if cfg.scheduler.ingest_on_start and Warehouse(cfg.data_path / "warehouse").current_id() is None:
            for name, src in cfg.sources.items():
                if src.enabled:
                    scheduler.enqueue(name)
    try:
        yield {"scheduler": scheduler}
    finally:
        if scheduler is not None:
            scheduler.stop()


async def health(request: Request) -> JSONResponse:
    """Liveness plus data health: the current snapshot, each source's state (ioc.status), the scheduler."""
    from ioc.status import GOOD_STATES, source_status

    try:
        st_ = source_status(load_config())
    except IOCError as exc:
        return JSONResponse({"ok": False, "error": str(exc)}, status_code=503)
    late = [s["source"] for s in st_["sources"] if s["state"] in ("late", "never")]
    # open to any monitor, so no data and nothing about the server: states, not rows, errors or paths
    body = {
        "ok": st_["snapshot"]["id"] is not None,
        "snapshot": {k: st_["snapshot"].get(k) for k in ("id", "created")},
        "late_sources": late,
        "to_act": {s["source"]: s["state"] for s in st_["sources"] if s["state"] not in GOOD_STATES},
        "scheduler": {"running": bool((st_["scheduler"] or {}).get("running"))},
        "sources": [{"source": s["source"], "state": s["state"]} for s in st_["sources"]],
    }
    return JSONResponse(body, status_code=200 if body["ok"] else 503)


def _asker(request: Request, cfg):
    from ioc import auth

    return api.asker(cfg, request.headers.get("authorization"), request.cookies.get(auth.COOKIE))


async def indicators(request: Request) -> JSONResponse:
    """The city's indicators, latest value against target, for a client's token or a signed-in session; a
    person bound to wards gets their wards' (ward=) and the city's where their role may read it."""
    import duckdb

    from ioc import access
    from ioc.queries.indicators import summary
    from ioc.warehouse import Warehouse

    try:
        cfg = load_config()
        who = _asker(request, cfg)
    except api.Unauthorized as exc:
        return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    except IOCError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    ward = request.query_params.get("ward")
    if not api.sees(cfg, who, ward):
        return JSONResponse({"error": f"not yours to read: {'the city' if ward is None else ward}"}, 403)
    try:
        wh = Warehouse(cfg.data_path / "warehouse")
        path = wh.current_path()
        sc = access.scope(cfg, who) if who.how != "token" else None
        with duckdb.connect(str(access.scoped_path(path, sc) if sc else path), read_only=True) as con:
            df = summary(con, ward=ward, today=cfg.city.today())
    except IOCError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    cols = [
        "code",
        "sector",
        "name_vi",
        "name_en",
        "unit",
        "direction",
        "grain",
        "period",
        "value",
        "prev_value",
        "target_year",
        "status",
        "change_pct",
        "yoy_pct",
    ]
    records = df[cols].astype(object).where(df[cols].notna(), None).to_dict("records")
    for r in records:
        r["period"] = r["period"].isoformat()[:10] if r["period"] is not None else None
    return JSONResponse({"snapshot": wh.current_id(), "indicators": records})


def _api(answer):
    """A /api/v1 route: the client's token checked first (401), a bad parameter a 400, no data yet a 503."""

    async def route(request: Request) -> JSONResponse:
        try:
            cfg = load_config()
            who = _asker(request, cfg)
        except api.Unauthorized as exc:
            return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        except IOCError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        try:
            body = answer(cfg, dict(request.query_params), who)
        except IOCError as exc:
            status = 503 if "no snapshot" in str(exc) else 400
            return JSONResponse({"error": str(exc)}, status_code=status)
        log.info("api %s for %s", request.url.path, who.name)
        return JSONResponse(body)

    return route


def _respond(request: Request, answer) -> Response:
    if answer.location:
        resp: Response = RedirectResponse(answer.location, status_code=answer.status)
    else:
        resp = HTMLResponse(answer.body, status_code=answer.status)
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    for name, (value, max_age) in answer.cookies.items():
        if max_age == 0:
            resp.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")
        else:
            resp.set_cookie(
                name, value, max_age=int(max_age) if max_age else None, path="/", secure=secure, httponly=True,
                samesite="strict",
            )  # fmt: skip
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return resp


def _same_origin(request: Request) -> bool:
    """A posted form came from this site: its Origin (or Referer) names this host."""
    from urllib.parse import urlsplit

    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return False
    return urlsplit(claimed).netloc == request.headers.get("host", "")


async def signin_form(request: Request) -> Response:
    """The built-in accounts' sign-in (ioc.signin): GET shows the form, POST checks it and sets the session."""
    from ioc import signin

    if request.method == "GET":
        return _respond(request, signin.show(request.query_params.get("lang"), request.query_params.get("next")))
    try:
        cfg = load_config()
    except IOCError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    # behind a reverse proxy, uvicorn has already put the client's address here from X-Forwarded-For when the
    # proxy is one it trusts (127.0.0.1 and ::1, or FORWARDED_ALLOW_IPS): docs/access.md, "Behind a proxy"
    origin = request.client.host.removeprefix("::ffff:") if request.client else ""
    return _respond(request, signin.submit(cfg, form, dict(request.cookies), origin, _same_origin(request)))


def on_script_error(exc: Exception) -> bool:
    """Any uncaught error in a page: a calm message instead of a traceback; the detail goes to the log."""
    log.exception("page error", exc_info=exc)
    st.error(
        "Đã xảy ra lỗi khi hiển thị trang. Vui lòng tải lại trang sau ít phút. / "
        "Something went wrong while drawing this page. Please reload in a moment."
    )
    return True


def auth_secrets() -> dict:
    """Streamlit's `[auth]` for st.login when config.yaml names an OpenID Connect provider (`sign_in.oidc`): its
    addresses from the config, the client secret and the cookie key from the environment (never a file)."""
    import os

    from ioc import auth

    try:
        oidc = load_config().sign_in.oidc
    except IOCError:
        return {}
    if oidc is None:
        return {}
    secret = os.environ.get(oidc.client_secret_env)
    if not secret:
        log.error("sign_in.oidc is set but %s is empty: single sign-on is off", oidc.client_secret_env)
        return {}
    return {
        "auth": {
            "redirect_uri": oidc.redirect_uri,
            "cookie_secret": auth.secret_text(),
            "client_id": oidc.client_id,
            "client_secret": secret,
            "server_metadata_url": oidc.server_metadata_url,
        }
    }


app = st.App(
    "app.py",
    secrets=auth_secrets(),
    routes=[
        Route("/signin", signin_form, methods=["GET", "POST"]),
        Route("/api/health", health),
        Route("/api/indicators", indicators),
        Route("/api/v1/indicators", _api(api.indicators)),
        Route("/api/v1/alerts", _api(api.alert_list)),
    ],
    lifespan=lifespan,
    on_script_error=on_script_error,
)
