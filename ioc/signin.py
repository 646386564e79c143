"""The built-in sign-in form, served by server.py at `/signin` (only the server can set an HttpOnly cookie):
the page, the checks of a posted form, and the session cookie's attributes. No web framework here: server.py
turns these answers into responses."""

from __future__ import annotations

import datetime as dt
import hmac
import html
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ioc import auth, i18n
from ioc.config import Config

CSRF_COOKIE = "ioc_csrf"  # double submit: the form's hidden field must equal this cookie


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path of this site only (never `//host`, a scheme or a backslash)."""
    v = (value or "/").strip()
    parts = urlsplit(v)
    if not v.startswith("/") or v.startswith("//") or "\\" in v or parts.scheme or parts.netloc:
        return "/"
    return v


@dataclass
class Answer:
    status: int
    body: str = ""
    location: str | None = None
    cookies: dict[str, tuple[str, float | None]] = field(default_factory=dict)  # name → (value, max_age; 0 clears)


def page(lang: str, next_path: str, csrf: str, message: str = "", name: str = "") -> str:
    """The form, in the cockpit's language; every value that came from the request escaped."""
    t = lambda k, **kw: i18n.t(k, lang, **kw)  # noqa: E731
    esc = html.escape
    alert = f'<p class="msg" role="alert">{esc(message)}</p>' if message else ""
    other = "en" if lang == "vi" else "vi"
    other_name = "English" if other == "en" else "Tiếng Việt"
    return f"""<!doctype html>
<html lang="{esc(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(t("access.form_title"))}</title>
<style>
body {{ font-family: "Source Sans Pro", system-ui, sans-serif; background: #f4f6f9; margin: 0; color: #1b2a3a; }}
main {{ max-width: 380px; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 2px 10px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
input {{ width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #b8c2cc;
        border-radius: 4px; }}
button {{ margin-top: 1.4rem; width: 100%; padding: .7rem; font-size: 1rem; background: #0b4f8a; color: #fff;
         border: 0; border-radius: 4px; cursor: pointer; }}
.msg {{ background: #fdecea; color: #8a1c12; padding: .6rem; border-radius: 4px; }}
nav {{ margin-top: 1.2rem; display: flex; justify-content: space-between; font-size: .9rem; }}
</style></head>
<body><main>
<h1>{esc(t("access.form_title"))}</h1>
{alert}
<form method="post" action="/signin">
<input type="hidden" name="csrf" value="{esc(csrf)}">
<input type="hidden" name="next" value="{esc(next_path)}">
<input type="hidden" name="lang" value="{esc(lang)}">
<label for="name">{esc(t("access.form_name"))}</label>
<input id="name" name="name" autocomplete="username" required value="{esc(name)}">
<label for="password">{esc(t("access.form_password"))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{esc(t("access.form_submit"))}</button>
</form>
<nav><a href="/">{esc(t("access.form_back"))}</a>
<a href="/signin?lang={other}&amp;next={esc(next_path)}">{other_name}</a></nav>
</main></body></html>"""


def show(lang: str | None, next_path: str | None) -> Answer:
    """GET /signin: the form, with a fresh CSRF value in its cookie."""
    csrf = secrets.token_urlsafe(24)
    lang = i18n.lang_or_default(lang)
    return Answer(200, page(lang, safe_next(next_path), csrf), cookies={CSRF_COOKIE: (csrf, 3600)})


def submit(cfg: Config, form: dict[str, str], cookies: dict[str, str], origin: str, same_origin: bool) -> Answer:
    """POST /signin: the CSRF check, then the password; a session cookie and a redirect when right, the form
    again with the reason when not (the same words for a wrong name and a wrong password)."""
    lang = i18n.lang_or_default(form.get("lang"))
    next_path = safe_next(form.get("next"))
    csrf = cookies.get(CSRF_COOKIE, "")
    fresh = secrets.token_urlsafe(24)
    if not same_origin or not csrf or not hmac.compare_digest(csrf, form.get("csrf", "")):
        return Answer(
            403,
            page(lang, next_path, fresh, i18n.t("access.form_forbidden", lang)),
            cookies={CSRF_COOKIE: (fresh, 3600)},
        )
    path = cfg.data_path / "ops.sqlite"
    name = form.get("name", "").strip()
    try:
        limit = (cfg.sign_in.address_failures, cfg.sign_in.address_minutes * 60)
        user = auth.sign_in(path, name, form.get("password", ""), where=origin, address_limit=limit)
    except auth.AuthError as exc:
        if exc.throttled and exc.until:
            when = i18n.datetime(dt.datetime.fromtimestamp(exc.until, ZoneInfo(cfg.city.timezone)))
            message = i18n.t("access.form_throttled", lang, until=when)
        elif exc.until:
            when = i18n.datetime(dt.datetime.fromtimestamp(exc.until, ZoneInfo(cfg.city.timezone)))
            message = i18n.t("access.form_locked", lang, n=auth.MAX_FAILURES, until=when)
        elif "disabled" in str(exc):
            message = i18n.t("access.form_disabled", lang)
        else:
            message = i18n.t("access.form_wrong", lang)
        return Answer(401, page(lang, next_path, fresh, message, name), cookies={CSRF_COOKIE: (fresh, 3600)})
    token = auth.start_session(path, user.name, user.role, user.wards, "account", origin)
    if lang != i18n.DEFAULT and "lang=" not in next_path:  # the cockpit opens in the language the form was in
        next_path += ("&" if "?" in next_path else "?") + f"lang={lang}"
    return Answer(
        303,
        location=next_path,
        cookies={auth.COOKIE: (auth.sign(token), cfg.sign_in.max_hours * 3600), CSRF_COOKIE: ("", 0)},
    )
