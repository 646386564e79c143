"""ASGI entry (`streamlit run server.py`): the app, JSON routes, the embedded scheduler, a calm error boundary."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
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
    body = {
        "ok": st_["snapshot"]["id"] is not None,
        "snapshot": st_["snapshot"],
        "late_sources": late,
        "to_act": {s["source"]: s["state"] for s in st_["sources"] if s["state"] not in GOOD_STATES},
        "scheduler": st_["scheduler"],
        "sources": st_["sources"],
    }
    return JSONResponse(body, status_code=200 if body["ok"] else 503)


async def indicators(request: Request) -> JSONResponse:
    """The city's indicators, latest value against target: what the provincial IOC pulls."""
    from ioc.queries.indicators import summary
    from ioc.warehouse import Warehouse

    try:
        cfg = load_config()
        wh = Warehouse(cfg.data_path / "warehouse")
        with wh.connect() as con:
            df = summary(con, ward=request.query_params.get("ward"), today=cfg.city.today())
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
            who = api.client(cfg, request.headers.get("authorization"))
        except api.Unauthorized as exc:
            return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        except IOCError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        try:
            body = answer(cfg, dict(request.query_params))
        except IOCError as exc:
            status = 503 if "no snapshot" in str(exc) else 400
            return JSONResponse({"error": str(exc)}, status_code=status)
        log.info("api %s for %s", request.url.path, who)
        return JSONResponse(body)

    return route


def on_script_error(exc: Exception) -> bool:
    """Any uncaught error in a page: a calm message instead of a traceback; the detail goes to the log."""
    log.exception("page error", exc_info=exc)
    st.error(
        "Đã xảy ra lỗi khi hiển thị trang. Vui lòng tải lại trang sau ít phút. / "
        "Something went wrong while drawing this page. Please reload in a moment."
    )
    return True


app = st.App(
    "app.py",
    routes=[
        Route("/api/health", health),
        Route("/api/indicators", indicators),
        Route("/api/v1/indicators", _api(api.indicators)),
        Route("/api/v1/alerts", _api(api.alert_list)),
    ],
    lifespan=lifespan,
    on_script_error=on_script_error,
)
