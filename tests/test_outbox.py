"""The outbox against a real HTTP server and a real SMTP server on 127.0.0.1, over an SQLite file in tmp_path."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from ioc import outbox
from ioc.errors import IOCError
from ioc.outbox import EmailReceiver, Policy, Receiver, WebhookReceiver, deliver, enqueue
from tests.helpers import ROOT, Reply, Request, ScriptedServer

T0 = 1_750_000_000.0  # the injected clock's start
HOUR, DAY = 3600.0, 86400.0
POLICY = Policy(max_age=2 * DAY, backoff=30, max_backoff=HOUR, lease=300)
SUBJECT = "Cảnh báo: PM2.5 vượt ngưỡng ở phường Phú Lợi"
TEXT = "Chỉ số PM2.5 trung bình ngày đạt 82 µg/m³, vượt ngưỡng 50 µg/m³."


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ops.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """A connection as the ops store opens one."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.row_factory = sqlite3.Row
    return con


def put(path: Path, receiver: str, key: str, body: dict[str, Any] | None = None, now: float = T0) -> int:
    """Enqueue one message in its own transaction, as an alert change would."""
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        outbox.init(con)
        mid = enqueue(con, receiver, key, SUBJECT, body if body is not None else {"text": TEXT, "key": key}, now=now)
        con.execute("COMMIT")
    finally:
        con.close()
    return mid


def row(path: Path, mid: int) -> dict[str, Any]:
    return next(m for m in outbox.messages(path, limit=10_000) if m["id"] == mid)


def hook(server: ScriptedServer, path: str = "/hook", **kw: Any) -> WebhookReceiver:
    return WebhookReceiver(kind="webhook", url=server.url(path), **kw)


def keys(server: ScriptedServer, path: str = "/hook") -> list[str]:
    """The idempotency keys the server got at a path, in order."""
    return [r.headers["Idempotency-Key"] for r in server.requests if r.path == path]


def run(path: Path, receivers: dict[str, Any], now: float, **kw: Any) -> outbox.Delivery:
    kw.setdefault("env", {})
    kw.setdefault("rng", random.Random(7))
    return deliver(path, receivers, kw.pop("policy", POLICY), now=now, **kw)


# ---------------------------------------------------------------- enqueue
def test_enqueue_is_idempotent_per_receiver_and_key(db):
    first = put(db, "hook", "alert-1:raised")
    assert put(db, "hook", "alert-1:raised", {"text": "changed"}) == first
    other = put(db, "mail", "alert-1:raised")
    assert other != first
    assert [(m["receiver"], m["body"]["text"]) for m in outbox.pending(db)] == [("hook", TEXT), ("mail", TEXT)]


def test_enqueue_writes_in_the_callers_transaction(db):
    con = connect(db)
    outbox.init(con)
    con.execute("BEGIN")
    enqueue(con, "hook", "k", SUBJECT, {"text": TEXT}, now=T0)
    con.execute("ROLLBACK")  # the alert change failed: its message goes too
    con.close()
    assert outbox.pending(db) == []


# ---------------------------------------------------------------- webhooks
def test_webhook_gets_json_bearer_token_and_idempotency_key(db, http_server):
    http_server.script("/hook", Reply({"ok": True}))
    mid = put(db, "hook", "alert-7:raised", {"text": TEXT, "ward": "Phú Lợi", "value": 82})
    done = run(db, {"hook": hook(http_server, token_env="HOOK_TOKEN")}, T0, env={"HOOK_TOKEN": "s3cret"})
    assert done.sent == [mid]
    [req] = http_server.requests
    assert req.method == "POST"
    assert req.headers["Authorization"] == "Bearer s3cret"
    assert req.headers["Idempotency-Key"] == "alert-7:raised"
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(req.body.decode("utf-8")) == {"text": TEXT, "ward": "Phú Lợi", "value": 82}
    m = row(db, mid)
    assert (m["status"], m["last_status"], m["kind"], m["attempts"], m["sent_at"]) == ("sent", 200, "webhook", 1, T0)
    assert m["claimed_by"] is None


def test_a_message_answered_2xx_is_never_sent_again(db, http_server):
    http_server.script("/hook", Reply(status=204))
    put(db, "hook", "once")
    for step in range(20):  # past leases, backoffs and max_age
        run(db, {"hook": hook(http_server)}, T0 + step * HOUR * 4)
    assert keys(http_server) == ["once"]


def test_a_receiver_down_for_a_day_gets_every_message_once_in_order(db, http_server):
    state = {"down": True}
    http_server.script("/hook", lambda req: Reply(status=503) if state["down"] else Reply(status=200))
    receivers, rng = {"hook": hook(http_server)}, random.Random(7)
    now, calls = T0, 0
    sent = []
    order = [put(db, "hook", f"m{i}", now=T0 + i) for i in range(5)]
    while now < T0 + DAY:
        sent += run(db, receivers, now, rng=rng).sent
        calls += 1
        if now < T0 + 10 * HOUR:  # more alerts while it is down
            order.append(put(db, "hook", f"m{len(order)}", now=now))
        now += 600
    assert sent == []
    assert set(keys(http_server)) == {"m0"}  # only the first was tried: the rest wait behind it
    assert len(keys(http_server)) < calls * 2 / 3  # backoff: not a try at every call
    assert outbox.counts(db) == {"hook": {"pending": len(order)}}
    state["down"] = False
    for _ in range(3):
        now += HOUR
        sent += run(db, receivers, now, rng=rng).sent
    assert sent == order
    assert keys(http_server)[-len(order) :] == [f"m{i}" for i in range(len(order))]
    assert keys(http_server).count("m1") == 1
    assert outbox.counts(db) == {"hook": {"sent": len(order)}}


def test_a_receiver_down_does_not_block_another(db, http_server):
    http_server.script("/down", Reply(status=500))
    http_server.script("/up", Reply(status=200))
    for i in range(3):
        put(db, "down", f"d{i}")
        put(db, "up", f"u{i}")
    done = run(db, {"down": hook(http_server, "/down"), "up": hook(http_server, "/up")}, T0)
    assert len(done.sent) == 3 and len(done.retried) == 1
    assert keys(http_server, "/up") == ["u0", "u1", "u2"]
    assert keys(http_server, "/down") == ["d0"]
    assert outbox.counts(db) == {"down": {"pending": 3}, "up": {"sent": 3}}


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, "120"), (503, email.utils.formatdate(T0 + 120, usegmt=True))],
    ids=["429-seconds", "503-http-date"],
)
def test_retry_after_is_honoured(db, http_server, status, retry_after):
    http_server.script("/hook", Reply(status=status, headers={"Retry-After": retry_after}), Reply(status=200))
    mid = put(db, "hook", "k")
    assert run(db, {"hook": hook(http_server)}, T0).retried == [mid]
    m = row(db, mid)
    assert (m["next_at"], m["last_status"], m["status"]) == (T0 + 120, status, "pending")
    assert run(db, {"hook": hook(http_server)}, T0 + 119).sent == []
    assert run(db, {"hook": hook(http_server)}, T0 + 120).sent == [mid]
    assert len(http_server.requests) == 2


def test_backoff_doubles_with_full_jitter_up_to_the_cap(db, http_server):
    http_server.script("/hook", Reply(status=500))
    mid = put(db, "hook", "k")
    now, waits, rng = T0, [], random.Random(7)
    for _ in range(10):
        run(db, {"hook": hook(http_server)}, now, rng=rng)
        wait = row(db, mid)["next_at"] - now
        waits.append(wait)
        now += wait
    ceilings = [min(HOUR, 30 * 2**n) for n in range(10)]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings)), list(zip(waits, ceilings))
    assert len(set(waits)) == len(waits)  # jittered
    assert max(waits[6:]) > 30 * 2**5  # and growing towards the cap


def test_a_400_is_dead_at_once_with_its_reason_and_the_next_message_goes(db, http_server):
    http_server.script(
        "/hook",
        lambda req: Reply({"error": "field 'ward' unknown"}, 400) if b'"bad"' in req.body else Reply(status=200),
    )
    bad = put(db, "hook", "bad", {"text": "bad"})
    good = put(db, "hook", "good")
    done = run(db, {"hook": hook(http_server)}, T0)
    assert (done.dead, done.sent) == ([bad], [good])
    m = row(db, bad)
    assert (m["status"], m["last_status"], m["dead_at"], m["attempts"]) == ("dead", 400, T0, 1)
    assert "HTTP 400" in m["last_error"] and "field 'ward' unknown" in m["last_error"]
    for step in range(1, 5):
        run(db, {"hook": hook(http_server)}, T0 + step * DAY)
    assert keys(http_server) == ["bad", "good"]
    assert outbox.messages(db, status="dead")[0]["id"] == bad


def test_a_message_older_than_max_age_that_still_fails_is_dead(db, http_server):
    http_server.script("/hook", Reply("upstream down", 502))
    mid = put(db, "hook", "k")
    policy = Policy(max_age=HOUR, backoff=30, max_backoff=60, lease=300)
    assert run(db, {"hook": hook(http_server)}, T0, policy=policy).retried == [mid]
    assert run(db, {"hook": hook(http_server)}, T0 + HOUR, policy=policy).dead == [mid]
    m = row(db, mid)
    assert m["status"] == "dead"
    assert "gave up after 2 tries over 1.0 h" in m["last_error"] and "HTTP 502" in m["last_error"]


def test_a_missing_token_variable_names_the_receiver_and_the_variable(db, http_server):
    http_server.script("/hook", Reply(status=200))
    mid = put(db, "hook", "k")
    receivers = {"ops_hook": hook(http_server, token_env="IOC_OPS_HOOK_TOKEN")}
    con = connect(db)
    con.execute("UPDATE outbox SET receiver = 'ops_hook'")
    con.close()
    assert run(db, receivers, T0).retried == [mid]
    m = row(db, mid)
    assert m["status"] == "pending"
    assert m["last_error"] == "receiver 'ops_hook': environment variable IOC_OPS_HOOK_TOKEN (token_env) is not set"
    assert http_server.requests == []
    assert run(db, receivers, T0 + HOUR, env={"IOC_OPS_HOOK_TOKEN": "t"}).sent == [mid]


def test_a_message_to_a_receiver_not_in_the_config_waits_with_the_reason(db):
    mid = put(db, "gone", "k")
    assert run(db, {}, T0).retried == [mid]
    assert row(db, mid)["last_error"] == "no receiver named 'gone' in the config"


CRASHING_WORKER = """
import sys
from pydantic import TypeAdapter
from ioc.outbox import Policy, Receiver, deliver
db, url, now = sys.argv[1:]
receiver = TypeAdapter(Receiver).validate_python({"kind": "webhook", "url": url})
deliver(db, {"hook": receiver}, Policy(lease=300), now=float(now), worker_id="doomed", env={})
"""


def test_a_worker_killed_mid_send_leaves_the_message_to_be_sent_after_the_lease(db, http_server):
    arrived = threading.Event()

    def answer(req: Request) -> Reply:
        if not arrived.is_set():
            arrived.set()
            return Reply(status=200, delay=3)  # the worker is killed before this answer comes
        return Reply(status=200)

    http_server.script("/hook", answer)
    mid = put(db, "hook", "k")
    later = put(db, "hook", "k2")
    argv = [sys.executable, "-c", CRASHING_WORKER, str(db), http_server.url("/hook"), str(T0)]
    worker = subprocess.Popen(argv, cwd=ROOT)
    try:
        assert arrived.wait(20), "the worker never sent"
    finally:
        worker.kill()
        worker.wait()
    m = row(db, mid)
    assert (m["status"], m["claimed_by"], m["claimed_at"]) == ("pending", "doomed", T0)
    receivers = {"hook": hook(http_server)}
    assert run(db, receivers, T0 + 299).sent == []  # the lease holds, and the next message waits behind it
    assert run(db, receivers, T0 + 300).sent == [mid, later]
    assert keys(http_server) == ["k", "k", "k2"]  # at least once: the receiver deduplicates by the key
    assert row(db, mid)["attempts"] == 2


# ---------------------------------------------------------------- for operators
def test_retry_revives_a_dead_message(db, http_server):
    http_server.script("/hook", Reply(status=422), Reply(status=200))
    mid = put(db, "hook", "k")
    assert run(db, {"hook": hook(http_server)}, T0).dead == [mid]
    outbox.retry(db, mid, now=T0 + DAY)
    m = row(db, mid)
    assert (m["status"], m["attempts"], m["dead_at"], m["next_at"]) == ("pending", 0, None, T0 + DAY)
    assert run(db, {"hook": hook(http_server)}, T0 + DAY).sent == [mid]
    with pytest.raises(IOCError, match="is sent: only a dead message"):
        outbox.retry(db, mid)
    with pytest.raises(IOCError, match="no outbox message 999"):
        outbox.retry(db, 999)


def test_listings_and_counts(db, http_server):
    http_server.script("/hook", Reply(status=200))
    a, b, c = (put(db, r, k) for r, k in [("hook", "a"), ("mail", "b"), ("hook", "c")])
    run(db, {"hook": hook(http_server)}, T0)
    assert outbox.counts(db) == {"hook": {"sent": 2}, "mail": {"pending": 1}}
    assert [m["id"] for m in outbox.pending(db)] == [b]
    assert [m["id"] for m in outbox.messages(db)] == [c, b, a]
    assert [m["id"] for m in outbox.messages(db, status="sent", receiver="hook", limit=1)] == [c]


def test_receivers_validate_as_config():
    adapter = TypeAdapter(Receiver)
    assert isinstance(adapter.validate_python({"kind": "webhook", "url": "https://x.vn/h"}), WebhookReceiver)
    mail = {"kind": "email", "host": "smtp.x.vn", "sender": "ioc@x.vn", "to": ["a@x.vn"]}
    assert isinstance(adapter.validate_python(mail), EmailReceiver)
    for bad, words in [
        ({"kind": "webhook", "url": "ftp://x"}, "http"),
        ({"kind": "webhook", "url": "https://x", "token": "s3cret"}, "token"),
        ({**mail, "ssl": True}, "not both"),
        ({**mail, "user_env": "U"}, "together"),
        ({**mail, "to": []}, "to"),
        ({"kind": "sms"}, "kind"),
    ]:
        with pytest.raises(ValidationError, match=words):
            adapter.validate_python(bad)


# ---------------------------------------------------------------- e-mail
def mail_receiver(port: int, **kw: Any) -> EmailReceiver:
    return EmailReceiver(
        kind="email",
        host="127.0.0.1",
        port=port,
        starttls=False,
        sender="ioc@tdm.gov.vn",
        to=["trucban@tdm.gov.vn"],
        **kw,
    )


def test_email_has_the_vietnamese_subject_and_text_a_message_id_and_logs_in(db, smtp):
    box, port = smtp
    mid = put(db, "mail", "alert-7:raised")
    receivers = {"mail": mail_receiver(port, user_env="SMTP_USER", password_env="SMTP_PASSWORD")}
    done = run(db, receivers, T0, env={"SMTP_USER": "ioc", "SMTP_PASSWORD": "m4tkh4u"})
    assert done.sent == [mid]
    [msg] = box.messages
    assert msg["Subject"] == SUBJECT
    assert msg.get_content().strip() == TEXT
    assert msg["Message-ID"] == outbox.message_id("mail", "alert-7:raised", "ioc@tdm.gov.vn")
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@tdm.gov.vn>")
    assert box.envelopes == [("ioc@tdm.gov.vn", ["trucban@tdm.gov.vn"])]
    assert box.logins == [("ioc", "m4tkh4u")]
    assert (row(db, mid)["last_status"], row(db, mid)["kind"]) == (250, "email")


def test_email_without_text_shows_the_payload_readably(db, smtp):
    box, port = smtp
    put(db, "mail", "k", {"indicator": "Chất lượng không khí", "value": 82})
    run(db, {"mail": mail_receiver(port)}, T0)
    body = box.messages[0].get_content()
    assert '"indicator": "Chất lượng không khí"' in body and '"value": 82' in body


@pytest.mark.parametrize(
    ("reply", "status"),
    [("550 5.1.1 no such mailbox", "dead"), ("451 4.3.0 try again later", "pending")],
    ids=["550-dead", "451-retry"],
)
def test_a_refused_recipient_is_dead_when_permanent_and_retried_when_not(db, smtp, reply, status):
    box, port = smtp
    box.refuse["trucban@tdm.gov.vn"] = reply
    mid = put(db, "mail", "k")
    run(db, {"mail": mail_receiver(port)}, T0)
    m = row(db, mid)
    assert (m["status"], m["last_status"]) == (status, int(reply[:3]))
    assert reply[4:] in m["last_error"]
    assert box.messages == []


def test_a_wrong_smtp_password_waits(db, smtp):
    _, port = smtp
    mid = put(db, "mail", "k")
    receivers = {"mail": mail_receiver(port, user_env="U", password_env="P")}
    assert run(db, receivers, T0, env={"U": "ioc", "P": "wrong"}).retried == [mid]
    assert "login refused: 535" in row(db, mid)["last_error"]
