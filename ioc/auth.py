"""Built-in accounts in the ops store: passwords hashed with scrypt (the standard library's slow KDF), a role and
the wards a person is bound to, lock-out after repeated failures. Sign-in pages and sessions build on this;
every change and every attempt goes to the audit log (ioc.audit)."""

from __future__ import annotations

import hashlib
import hmac
import json
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
"""


class AuthError(IOCError):
    """A sign-in refused: wrong name or password (never which), locked (`until`, a timestamp), disabled."""

    def __init__(self, message: str, until: float | None = None):
        super().__init__(message)
        self.until = until


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
    audit.record(path, by, "user_passwd", name)


def disable(path: Path, name: str, by: str = "cli") -> None:
    get(path, name)
    with _db(path) as con:
        con.execute("UPDATE users SET disabled = 1, changed_at = ? WHERE name = ?", (time.time(), name))
    audit.record(path, by, "user_disable", name)


def sign_in(path: Path, name: str, password: str, where: str = "", now: float | None = None) -> User:
    """The account when the password is right; AuthError otherwise. Five wrong passwords in a row lock it for
    15 minutes (the message says until when); every attempt is in the audit log, a failed one too."""
    now = time.time() if now is None else now
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
