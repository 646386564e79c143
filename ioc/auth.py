"""Built-in accounts in the ops store: passwords hashed with scrypt (the standard library's slow KDF), a role and
the wards a person is bound to, lock-out after repeated failures. Sign-in pages and sessions build on this;
every change and every attempt goes to the audit log (ioc.audit)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ioc import audit
from ioc.errors import IOCError

ROLES = ("leader", "ward_official", "analyst", "operator", "admin")  # `public` needs no account
MIN_PASSWORD = 10
MAX_FAILURES, LOCK_SECONDS = 5, 15 * 60  # five wrong passwords in a row lock the account for 15 minutes
# scrypt's cost: n=2**15, r=8 takes ~60 ms and 32 MB here; the parameters are stored with each hash
N, R, P = 2**15, 8, 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    wards TEXT NOT NULL DEFAULT '[]',            -- JSON list of ward codes (ward officials)
    password TEXT NOT NULL,                      -- scrypt$n$r$p$salt$hash (hex)
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,         -- wrong passwords in a row
    locked_until REAL,
    created_at REAL NOT NULL,
    changed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,                         -- sha256 of the session token (the token is only in the cookie)
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    wards TEXT NOT NULL DEFAULT '[]',
    how TEXT NOT NULL DEFAULT 'account',         -- account | oidc
    origin TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    seen_at REAL NOT NULL,
    ended_at REAL,
    end_reason TEXT
);
CREATE TABLE IF NOT EXISTS wall_tokens (
    wall TEXT PRIMARY KEY,
    hash TEXT NOT NULL,                          -- sha256 of the token; the token itself is shown once
    issued_at REAL NOT NULL,
    issued_by TEXT NOT NULL
);
"""
COOKIE = "ioc_session"
SECRET_ENV = "IOC_SESSION_SECRET"


class AuthError(IOCError):
    """A sign-in refused: wrong name or password (never which), locked (`until`, a timestamp), disabled, or
    too many failures from the address (`throttled`, with `until`)."""

    def __init__(self, message: str, until: float | None = None, throttled: bool = False):
        super().__init__(message)
        self.until = until
        self.throttled = throttled


_PROCESS_SECRET = secrets.token_bytes(32)


def _secret() -> bytes:
    """The key that signs session cookies: IOC_SESSION_SECRET, else one made for this process (sessions then
    end when the server restarts, and several server processes do not share them)."""
    env = os.environ.get(SECRET_ENV, "")
    return env.encode() if env else _PROCESS_SECRET


def secret_text() -> str:
    """The signing key as text (Streamlit's identity cookie of st.login is signed with it too)."""
    return _secret().hex()


def sign(token: str) -> str:
    mac = hmac.new(_secret(), token.encode(), hashlib.sha256).hexdigest()
    return f"{token}.{mac}"


def unsign(value: str | None) -> str | None:
    """The token of a signed cookie value; None when it is missing or its signature is wrong."""
    if not isinstance(value, str):
        return None
    token, _, mac = value.rpartition(".")
    if not token or not hmac.compare_digest(sign(token).rpartition(".")[2], mac):
        return None
    return token


@dataclass(frozen=True)
class Session:
    token: str
    name: str
    role: str
    wards: tuple[str, ...]
    how: str
    started_at: float


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    path: Path, name: str, role: str, wards: Sequence[str] = (), how: str = "account", origin: str = ""
) -> str:
    """A new session for someone signed in; the token to put (signed) in their cookie."""
    token, now = secrets.token_urlsafe(32), time.time()
    with _db(path) as con:
        con.execute(
            "INSERT INTO sessions(id, name, role, wards, how, origin, started_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_sid(token), name, role, json.dumps(list(wards)), how, origin, now, now),
        )
    return token


def session(path: Path, token: str | None, idle: float, max_age: float, now: float | None = None) -> Session | None:
    """The live session of a token, its last use set to now; None when unknown, ended, idle for more than `idle`
    seconds or older than `max_age` (which ends it, reason in the row). An account disabled or changed to
    another role since sign-in ends its sessions too."""
    if not token:
        return None
    now = time.time() if now is None else now
    with _db(path) as con:
        r = con.execute("SELECT * FROM sessions WHERE id = ? AND ended_at IS NULL", (_sid(token),)).fetchone()
        if r is None:
            return None
        reason = None
        if now - r["seen_at"] > idle:
            reason = "idle"
        elif now - r["started_at"] > max_age:
            reason = "expired"
        elif r["how"] == "account":
            u = con.execute("SELECT role, wards, disabled FROM users WHERE name = ?", (r["name"],)).fetchone()
            if u is None or u["disabled"] or u["role"] != r["role"] or u["wards"] != r["wards"]:
                reason = "account changed"
        if reason:
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?", (now, reason, r["id"]))
            return None
        con.execute("UPDATE sessions SET seen_at = ? WHERE id = ?", (now, r["id"]))
    return Session(token, r["name"], r["role"], tuple(json.loads(r["wards"])), r["how"], r["started_at"])


def oidc_session(
    path: Path,
    key: str,
    name: str,
    role: str,
    wards: Sequence[str],
    idle: float,
    max_age: float,
    origin: str = "",
    now: float | None = None,
) -> bool:
    """Whether a single sign-on identity (one sign-in at the provider: its issuer, subject and time, `key`) is
    still a live session here; the first time it is seen it starts one (and the audit log has the sign-in).
    The same rules as an account's: idle for more than `idle` seconds or older than `max_age`, it is over."""
    now = time.time() if now is None else now
    sid = _sid("oidc:" + key)
    with _db(path) as con:
        r = con.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
        if r is None:
            con.execute(
                "INSERT INTO sessions(id, name, role, wards, how, origin, started_at, seen_at) "
                "VALUES (?, ?, ?, ?, 'oidc', ?, ?, ?)",
                (sid, name, role, json.dumps(list(wards)), origin, now, now),
            )
            audit.record(path, name, "sign_in", f"oidc ({role})", origin, now)
            return True
        if r["ended_at"] is not None:
            return False
        reason = "idle" if now - r["seen_at"] > idle else "expired" if now - r["started_at"] > max_age else None
        if reason:
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?", (now, reason, sid))
            return False
        con.execute("UPDATE sessions SET seen_at = ? WHERE id = ?", (now, sid))
    return True


def end_oidc_session(path: Path, key: str, reason: str = "signed out") -> None:
    with _db(path) as con:
        con.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
            (time.time(), reason, _sid("oidc:" + key)),
        )


def end_session(path: Path, token: str | None, reason: str = "signed out") -> str | None:
    """End a session (sign-out); the name it was for, None when there was none live."""
    if not token:
        return None
    with _db(path) as con:
        r = con.execute("SELECT name FROM sessions WHERE id = ? AND ended_at IS NULL", (_sid(token),)).fetchone()
        con.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
            (time.time(), reason, _sid(token)),
        )
    return r["name"] if r else None


def issue_wall_token(path: Path, wall: str, by: str = "cli") -> str:
    """A new token for a video wall (its URL carries `&token=`); the wall's earlier token stops working."""
    token = secrets.token_urlsafe(24)
    with _db(path) as con:
        con.execute(
            "INSERT INTO wall_tokens(wall, hash, issued_at, issued_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(wall) DO UPDATE SET hash = excluded.hash, issued_at = excluded.issued_at, "
            "issued_by = excluded.issued_by",
            (wall, _sid(token), time.time(), by),
        )
    audit.record(path, by, "wall_token", wall)
    return token


def wall_token(path: Path, wall: str, token: str | None) -> bool | None:
    """Whether a token opens this wall (and only this wall); None when no token was ever issued for it."""
    with _db(path) as con:
        r = con.execute("SELECT hash FROM wall_tokens WHERE wall = ?", (wall,)).fetchone()
    if r is None:
        return None
    return bool(token) and hmac.compare_digest(r["hash"], _sid(token or ""))


def any_account(path: Path) -> bool:
    """Whether any account exists (until the first one, the cockpit is open to everyone and says so)."""
    with _db(path) as con:
        return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


@dataclass(frozen=True)
class User:
    name: str
    role: str
    wards: tuple[str, ...]
    disabled: bool
    locked_until: float | None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=64 * 2**20)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 2**20)
    return hmac.compare_digest(got.hex(), digest)


@contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.row_factory = sqlite3.Row
        con.executescript(SCHEMA)
        yield con
    finally:
        con.close()


def _user(r: sqlite3.Row) -> User:
    return User(r["name"], r["role"], tuple(json.loads(r["wards"])), bool(r["disabled"]), r["locked_until"])


def _checked(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise IOCError(f"a password has at least {MIN_PASSWORD} characters")
    return password


def add(path: Path, name: str, role: str, password: str, wards: Sequence[str] = (), by: str = "cli") -> User:
    """A new account; a ward official is bound to at least one ward."""
    if role not in ROLES:
        raise IOCError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "ward_official" and not wards:
        raise IOCError("a ward official is bound to at least one ward (--ward CODE)")
    if not name.strip():
        raise IOCError("an account needs a name")
    now = time.time()
    with _db(path) as con:
        try:
            con.execute(
                "INSERT INTO users(name, role, wards, password, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, json.dumps(list(wards)), hash_password(_checked(password)), now, now),
            )
        except sqlite3.IntegrityError:
            raise IOCError(f"an account named {name!r} exists already") from None
    audit.record(path, by, "user_add", f"{name} ({role}{': ' + ', '.join(wards) if wards else ''})")
    return get(path, name)


def get(path: Path, name: str) -> User:
    with _db(path) as con:
        r = con.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    if r is None:
        raise IOCError(f"no account named {name!r}")
    return _user(r)


def users(path: Path) -> list[User]:
    with _db(path) as con:
        return [_user(r) for r in con.execute("SELECT * FROM users ORDER BY name")]


def passwd(path: Path, name: str, password: str, by: str = "cli") -> None:
    """A new password; it also lifts a lock-out."""
    get(path, name)
    with _db(path) as con:
        con.execute(
            "UPDATE users SET password = ?, failures = 0, locked_until = NULL, changed_at = ? WHERE name = ?",
            (hash_password(_checked(password)), time.time(), name),
        )
        con.execute(  # a new password ends the sessions the old one opened
            "UPDATE sessions SET ended_at = ?, end_reason = 'password changed' WHERE name = ? AND how = 'account' "
            "AND ended_at IS NULL",
            (time.time(), name),
        )
    audit.record(path, by, "user_passwd", name)


def disable(path: Path, name: str, by: str = "cli") -> None:
    """Disable an account; its sessions end at once."""
    get(path, name)
    now = time.time()
    with _db(path) as con:
        con.execute("UPDATE users SET disabled = 1, changed_at = ? WHERE name = ?", (now, name))
        con.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = 'disabled' WHERE name = ? AND how = 'account' "
            "AND ended_at IS NULL",
            (now, name),
        )
    audit.record(path, by, "user_disable", name)


def sign_in(
    path: Path,
    name: str,
    password: str,
    where: str = "",
    now: float | None = None,
    address_limit: tuple[int, float] | None = None,
) -> User:
    """The account when the password is right; AuthError otherwise. Five wrong passwords in a row lock it for
    15 minutes (the message says until when); every attempt is in the audit log, a failed one too.
    `address_limit` (failures, seconds): an address with that many failed sign-ins, to any accounts, within
    that time is refused before any password is checked, until the oldest that counts is that old."""
    now = time.time() if now is None else now
    if where and address_limit:
        most, window = address_limit
        failed = audit.failures_from(path, where, now - window)
        if len(failed) >= most:
            free_at = failed[len(failed) - most] + window
            audit.record(path, name, "sign_in_failed", audit.THROTTLED, where, now)
            raise AuthError(f"too many failed sign-ins from {where}", free_at, throttled=True)
    with _db(path) as con:
        r = con.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if r is None:
            check_password(password, hash_password("x" * MIN_PASSWORD))  # the same time as a real check
            audit.record(path, name, "sign_in_failed", "no such account", where, now)
            raise AuthError("wrong name or password")
        if r["disabled"]:
            audit.record(path, name, "sign_in_failed", "disabled", where, now)
            raise AuthError("this account is disabled")
        if r["locked_until"] and r["locked_until"] > now:
            audit.record(path, name, "sign_in_failed", "locked", where, now)
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r["locked_until"]))
            raise AuthError(f"locked after {MAX_FAILURES} wrong passwords until {when}", r["locked_until"])
        if not check_password(password, r["password"]):
            failures = r["failures"] + 1
            until = now + LOCK_SECONDS if failures >= MAX_FAILURES else None
            con.execute(
                "UPDATE users SET failures = ?, locked_until = ? WHERE name = ?",
                (0 if until else failures, until, name),
            )
            audit.record(path, name, "sign_in_failed", "wrong password" + (", locked" if until else ""), where, now)
            raise AuthError("wrong name or password")
        con.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?", (name,))
    audit.record(path, name, "sign_in", "", where, now)
    return _user(r)
