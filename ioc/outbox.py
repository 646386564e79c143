"""The transactional outbox: messages to webhooks and e-mail, written with the change that causes them and
delivered at least once, in order per receiver, by one worker."""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import json
import logging
import os
import random
import smtplib
import socket
import sqlite3
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Literal

import requests
from pydantic import Field, model_validator

from connectors.base import retry_after
from ioc.errors import IOCError
from ioc.model import Model

log = logging.getLogger("ioc.outbox")

# No semicolon inside a statement or a comment: init() runs the statements one by one.
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,      -- the order of delivery, per receiver
    receiver TEXT NOT NULL,                    -- a name under `receivers:` of the config
    key TEXT NOT NULL,                         -- idempotency key, sent along so the receiver can deduplicate
    kind TEXT,                                 -- webhook | email: the receiver's kind when it was last tried
    subject TEXT NOT NULL,
    body TEXT NOT NULL,                        -- the payload, JSON
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',    -- pending | sent | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,                     -- not tried before this time
    last_error TEXT,
    last_status INTEGER,                       -- HTTP status or SMTP reply code of the last try
    sent_at REAL,
    dead_at REAL,
    retried_at REAL,                           -- an operator put it back from dead: its age counts from here
    claimed_by TEXT,                           -- the worker sending it now, until claimed_at + the lease
    claimed_at REAL,
    UNIQUE (receiver, key)
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox(receiver, status, id);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, id);
"""

Status = Literal["pending", "sent", "dead"]


# ---------------------------------------------------------------- receivers and the policy (config types)
class WebhookReceiver(Model):
    """A URL that gets each message's body as a JSON POST."""

    kind: Literal["webhook"] = Field(description="`webhook`")
    url: str = Field(description="Where the JSON is POSTed (http or https).")
    token_env: str | None = Field(
        None, description="Environment variable holding a bearer token, sent as `Authorization: Bearer ...`."
    )
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for an answer; no answer is retried later.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers (no secrets here).")

    @model_validator(mode="after")
    def _http(self) -> WebhookReceiver:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        return self


class EmailReceiver(Model):
    """Addresses that get each message as a plain-text e-mail over SMTP."""

    kind: Literal["email"] = Field(description="`email`")
    host: str = Field(description="SMTP server.")
    port: int = Field(587, gt=0, lt=65536, description="SMTP port: 587 for STARTTLS, 465 for SSL, 25 for neither.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before logging in.")
    ssl: bool = Field(False, description="Connect over SSL from the start (port 465); excludes `starttls`.")
    user_env: str | None = Field(
        None, description="Environment variable holding the SMTP user name (no login without)."
    )
    password_env: str | None = Field(None, description="Environment variable holding the SMTP password.")
    sender: str = Field(description="The From address.")
    to: list[str] = Field(min_length=1, description="The recipients' addresses.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for the SMTP server at each step.")

    @model_validator(mode="after")
    def _consistent(self) -> EmailReceiver:
        if self.ssl and self.starttls:
            raise ValueError("give either ssl (port 465) or starttls, not both")
        if bool(self.user_env) != bool(self.password_env):
            raise ValueError("give user_env and password_env together")
        return self


Receiver = Annotated[WebhookReceiver | EmailReceiver, Field(discriminator="kind")]


class Policy(Model):
    """How long and how often the worker tries a message."""

    max_age: float = Field(
        2 * 86400.0, gt=0, description="Seconds after which a message that still fails is dead (default 2 days)."
    )
    backoff: float = Field(
        30.0, gt=0, description="Seconds of the first wait; each failure doubles it, and a random part of it is waited."
    )
    max_backoff: float = Field(3600.0, gt=0, description="The longest wait between two tries, seconds.")
    lease: float = Field(
        600.0,
        gt=0,
        description="Seconds a message stays claimed by the worker sending it; a worker killed mid-send leaves it "
        "to be sent again after that. Longer than any receiver's timeout.",
    )


# ---------------------------------------------------------------- writing, inside the caller's transaction
def init(con: sqlite3.Connection) -> None:
    """Create the outbox table; safe inside an open transaction (no executescript, so no implicit COMMIT)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)


def enqueue(
    con: sqlite3.Connection,
    receiver: str,
    key: str,
    subject: str,
    body: dict[str, Any] | list[Any],
    now: float | None = None,
    *,
    kind: str | None = None,
) -> int:
    """Add a message on the caller's connection and transaction (neither begun nor committed here); return its id.
    The same (receiver, key) again is a no-op returning the first one's id."""
    if not key:
        raise ValueError("an outbox message needs an idempotency key")
    at = time.time() if now is None else now
    cur = con.execute(
        "INSERT INTO outbox(receiver, key, kind, subject, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(receiver, key) DO NOTHING",
        (receiver, key, kind, subject, json.dumps(body, ensure_ascii=False), at, at),
    )
    if cur.rowcount:
        return int(cur.lastrowid or 0)
    row = con.execute("SELECT id FROM outbox WHERE receiver = ? AND key = ?", (receiver, key)).fetchone()
    return int(row[0])


# ---------------------------------------------------------------- one try, as a tagged result
@dataclass(frozen=True)
class Attempt:
    """What one try of a message came to: sent, retry later, or dead (permanently refused)."""

    outcome: Literal["sent", "retry", "dead"]
    code: int | None = None  # HTTP status or SMTP reply code
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait


@dataclass
class Delivery:
    """What one `deliver` call did, by message id."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)


PERMANENT_BUT = {408, 425, 429}  # 4xx that mean "later", not "never"


def _secret(env: Mapping[str, str], receiver: str, var: str, what: str) -> str:
    value = env.get(var)
    if not value:
        raise _MissingSecret(f"receiver {receiver!r}: environment variable {var} ({what}) is not set")
    return value


class _MissingSecret(Exception):
    """A secret's variable is not set: the message waits for an operator to set it."""


def _post(name: str, rcv: WebhookReceiver, msg: sqlite3.Row, env: Mapping[str, str], now: float) -> Attempt:
    headers = {
        "Content-Type": "application/json; charset=utf-8",  # a receiver's own (application/ld+json) wins
        **rcv.headers,
        "Idempotency-Key": msg["key"],
    }
    token = ""
    if rcv.token_env:
        token = _secret(env, name, rcv.token_env, "token_env")
        headers["Authorization"] = f"Bearer {token}"
    try:
        resp = requests.post(
            rcv.url, data=msg["body"].encode("utf-8"), headers=headers, timeout=rcv.timeout, allow_redirects=False
        )
    except requests.Timeout:
        return Attempt("retry", error=f"{rcv.url}: no answer within {rcv.timeout:g} s")
    except requests.RequestException as exc:
        return Attempt("retry", error=f"{rcv.url}: {exc.__class__.__name__}: {exc}")
    code = resp.status_code
    if 200 <= code < 300:
        return Attempt("sent", code)
    said = f"{rcv.url}: HTTP {code} {resp.reason or ''}".strip()
    text = resp.text[:300].strip()
    if token:
        text = text.replace(token, "***")
    error = f"{said}: {text}" if text else said
    if 400 <= code < 500 and code not in PERMANENT_BUT:
        return Attempt("dead", code, error)
    wait = retry_after(resp.headers.get("Retry-After"), now) if code in (429, 503) else None
    return Attempt("retry", code, error, wait)


def message_id(receiver: str, key: str, sender: str) -> str:
    """The e-mail Message-ID of a message: the same for every try, so mail systems can drop duplicates."""
    digest = hashlib.sha256(f"{receiver}\0{key}".encode()).hexdigest()[:40]
    domain = sender.rpartition("@")[2] or "ioc.invalid"
    return f"<{digest}.outbox@{domain}>"


def email_text(body: dict[str, Any]) -> str:
    """The plain text of a message: its `text` field, else the payload as indented JSON."""
    text = body.get("text")
    return text if isinstance(text, str) else json.dumps(body, ensure_ascii=False, indent=2)


def _mail(name: str, rcv: EmailReceiver, msg: sqlite3.Row, env: Mapping[str, str], now: float) -> Attempt:
    user = _secret(env, name, rcv.user_env, "user_env") if rcv.user_env else None
    password = _secret(env, name, rcv.password_env, "password_env") if rcv.password_env else None
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["Subject"] = msg["subject"]
    mail["From"] = rcv.sender
    mail["To"] = ", ".join(rcv.to)
    mail["Date"] = email.utils.formatdate(now, usegmt=True)
    mail["Message-ID"] = message_id(name, msg["key"], rcv.sender)
    # quoted-printable: the Vietnamese text passes servers without 8BITMIME too
    mail.set_content(email_text(json.loads(msg["body"])), charset="utf-8", cte="quoted-printable")
    where = f"{rcv.host}:{rcv.port}"
    try:
        smtp_class = smtplib.SMTP_SSL if rcv.ssl else smtplib.SMTP
        with smtp_class(rcv.host, rcv.port, timeout=rcv.timeout) as smtp:
            if rcv.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if user is not None and password is not None:
                smtp.login(user, password)
            refused = smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        error = f"{where}: every recipient refused: " + "; ".join(
            f"{to} {code} {reply.decode(errors='replace')}" for to, (code, reply) in exc.recipients.items()
        )
        return Attempt("dead" if all(c >= 500 for c in codes) else "retry", max(codes), error)
    except smtplib.SMTPAuthenticationError as exc:  # the receiver's credentials, not the message: fixable, so wait
        return Attempt("retry", exc.smtp_code, f"{where}: login refused: {exc.smtp_code} {_reply(exc)}")
    except smtplib.SMTPResponseException as exc:
        outcome: Literal["dead", "retry"] = "dead" if exc.smtp_code >= 500 else "retry"
        return Attempt(outcome, exc.smtp_code, f"{where}: {exc.smtp_code} {_reply(exc)}")
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections, TLS
        return Attempt("retry", error=f"{where}: {exc.__class__.__name__}: {exc}")
    if refused:
        return Attempt("sent", 250, f"{where}: some recipients refused: {sorted(refused)}")
    return Attempt("sent", 250)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    err = exc.smtp_error
    return err.decode(errors="replace") if isinstance(err, bytes) else str(err)


def send(
    name: str, rcv: WebhookReceiver | EmailReceiver, msg: sqlite3.Row, env: Mapping[str, str], now: float
) -> Attempt:
    """Try one message once, holding no transaction; never raises for what a receiver or the network does."""
    try:
        if isinstance(rcv, WebhookReceiver):
            return _post(name, rcv, msg, env, now)
        return _mail(name, rcv, msg, env, now)
    except _MissingSecret as exc:
        return Attempt("retry", error=str(exc))
    except Exception as exc:  # a bug or a bad message must not stop the worker: the message waits, logged
        log.exception("outbox message %s to %s", msg["id"], name)
        return Attempt("retry", error=f"{exc.__class__.__name__}: {exc}")


# ---------------------------------------------------------------- the worker
@contextmanager
def _connect(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.row_factory = sqlite3.Row
        init(con)
        yield con
    finally:
        con.close()


def _claim(con: sqlite3.Connection, receiver: str, worker: str, now: float, lease: float) -> sqlite3.Row | None:
    """The receiver's first pending message, leased to `worker`, when it is due and nobody holds it; else None
    (its later messages wait behind it)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        head = con.execute(
            "SELECT * FROM outbox WHERE receiver = ? AND status = 'pending' ORDER BY id LIMIT 1", (receiver,)
        ).fetchone()
        if head is None or head["next_at"] > now:
            return None
        if head["claimed_by"] is not None and head["claimed_at"] > now - lease:
            return None
        con.execute(
            "UPDATE outbox SET claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ?",
            (worker, now, head["id"]),
        )
        return con.execute("SELECT * FROM outbox WHERE id = ?", (head["id"],)).fetchone()
    finally:
        con.execute("COMMIT")


def _backoff(policy: Policy, attempts: int, rng: random.Random) -> float:
    """Full jitter: a random wait up to base × 2^(failures - 1), capped."""
    ceiling = min(policy.max_backoff, policy.backoff * 2 ** min(attempts - 1, 60))
    return rng.uniform(0, ceiling)


def _record(
    con: sqlite3.Connection, msg: sqlite3.Row, kind: str, res: Attempt, policy: Policy, now: float, rng: random.Random
) -> str:
    """Store what a try came to; return the message's new status (sent, pending or dead)."""
    if res.outcome == "sent":
        # whoever holds the lease now, a receiver's 2xx is the truth: never sent again
        con.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, kind = ?, last_status = ?, last_error = ?, "
            "claimed_by = NULL, claimed_at = NULL WHERE id = ?",
            (now, kind, res.code, res.error, msg["id"]),
        )
        return "sent"
    age = now - (msg["retried_at"] or msg["created_at"])
    error = res.error or "failed"
    if res.outcome == "retry" and age >= policy.max_age:
        error = f"gave up after {msg['attempts']} tries over {age / 3600:.1f} h: {error}"
    if res.outcome == "dead" or age >= policy.max_age:
        status = "dead"
        extra, params = ", dead_at = ?", [now]
    else:
        status = "pending"
        wait = res.retry_after if res.retry_after is not None else _backoff(policy, msg["attempts"], rng)
        extra, params = ", next_at = ?", [now + wait]
    # only while it still holds the lease: another worker may have taken over a slow send
    con.execute(
        f"UPDATE outbox SET status = ?, kind = ?, last_status = ?, last_error = ?{extra}, "
        "claimed_by = NULL, claimed_at = NULL "
        "WHERE id = ? AND claimed_by = ? AND claimed_at = ? AND status = 'pending'",
        (status, kind, res.code, error, *params, msg["id"], msg["claimed_by"], msg["claimed_at"]),
    )
    return status


def _default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(
    db_path: Path | str,
    receivers: Mapping[str, WebhookReceiver | EmailReceiver],
    policy: Policy | None = None,
    *,
    now: float | None = None,
    worker_id: str | None = None,
    limit: int = 100,
    env: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> Delivery:
    """Try every receiver's due messages, in order per receiver, taking turns between receivers, at most `limit`
    tries in all. A receiver whose first message fails waits; the others go on. Secrets come from `env` (default:
    the process environment); `now` and `rng` (the backoff's jitter) are for tests. Never raises for a receiver's
    failure: it is stored on the message."""
    policy = policy or Policy()
    worker = worker_id or _default_worker()
    env = os.environ if env is None else env
    rng = rng or random.Random()

    def clock() -> float:
        return time.time() if now is None else now

    done = Delivery()
    with _connect(db_path) as con:
        active = [r[0] for r in con.execute("SELECT DISTINCT receiver FROM outbox WHERE status = 'pending' ORDER BY 1")]
        tries = 0
        while active and tries < limit:
            for name in list(active):
                if tries >= limit:
                    break
                msg = _claim(con, name, worker, clock(), policy.lease)
                if msg is None:
                    active.remove(name)
                    continue
                tries += 1
                rcv = receivers.get(name)
                if rcv is None:
                    res, kind = Attempt("retry", error=f"no receiver named {name!r} in the config"), msg["kind"]
                else:
                    res, kind = send(name, rcv, msg, env, clock()), rcv.kind
                status = _record(con, msg, kind, res, policy, clock(), rng)
                if status == "sent":
                    done.sent.append(msg["id"])
                elif status == "dead":
                    done.dead.append(msg["id"])
                    log.warning("outbox message %s to %s is dead: %s", msg["id"], name, res.error)
                else:
                    done.retried.append(msg["id"])
                    active.remove(name)  # its next message waits behind this one
                    log.info("outbox message %s to %s failed, will retry: %s", msg["id"], name, res.error)
    return done


# ---------------------------------------------------------------- for operators
def _row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["body"] = json.loads(d["body"])
    return d


def messages(
    db_path: Path | str, status: Status | None = None, receiver: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest messages, newest first (of one status, to one receiver, when given), body parsed."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if status is not None:
        where.append("status = ?")
        params.append(status)
    if receiver is not None:
        where.append("receiver = ?")
        params.append(receiver)
    with _connect(db_path) as con:
        rows = con.execute(
            f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", (*params, limit)
        ).fetchall()
    return [_row(r) for r in rows]


def pending(db_path: Path | str, limit: int = 1000) -> list[dict[str, Any]]:
    """The messages still to send, in the order they will go."""
    with _connect(db_path) as con:
        rows = con.execute("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)).fetchall()
    return [_row(r) for r in rows]


def counts(db_path: Path | str) -> dict[str, dict[str, int]]:
    """How many messages each receiver has, by status: {receiver: {status: n}}."""
    with _connect(db_path) as con:
        rows = con.execute("SELECT receiver, status, count(*) FROM outbox GROUP BY receiver, status").fetchall()
    out: dict[str, dict[str, int]] = {}
    for receiver, status, n in rows:
        out.setdefault(receiver, {})[status] = n
    return out


def retry(db_path: Path | str, message: int, now: float | None = None) -> None:
    """Put a dead message back in its receiver's queue, to be tried now, with a fresh max_age; IOCError when there
    is no such message or it is not dead. Being the oldest, it goes before the receiver's other pending messages
    (those sent while it was dead stay sent)."""
    at = time.time() if now is None else now
    with _connect(db_path) as con:
        cur = con.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, retried_at = ?, dead_at = NULL "
            "WHERE id = ? AND status = 'dead'",
            (at, at, message),
        )
        if cur.rowcount:
            return
        row = con.execute("SELECT status FROM outbox WHERE id = ?", (message,)).fetchone()
    if row is None:
        raise IOCError(f"there is no outbox message {message}")
    raise IOCError(f"outbox message {message} is {row[0]}: only a dead message can be retried")
