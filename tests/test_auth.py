"""Built-in accounts and the audit log in the ops store (SQLite), and their command line in real processes."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ioc import audit, auth
from ioc.errors import IOCError
from tests.helpers import cli, write_config


@pytest.fixture
def ops(tmp_path):
    return tmp_path / "ops.sqlite"


def test_a_password_is_stored_only_as_a_slow_hash(ops):
    auth.add(ops, "lan", "leader", "mật khẩu dài 2026")
    stored = sqlite3.connect(ops).execute("SELECT password FROM users").fetchone()[0]
    assert stored.startswith("scrypt$32768$8$1$") and "mật khẩu" not in stored
    assert auth.sign_in(ops, "lan", "mật khẩu dài 2026").role == "leader"
    assert auth.hash_password("x" * 10) != auth.hash_password("x" * 10)  # salted


def test_accounts_are_checked(ops):
    with pytest.raises(IOCError, match="unknown role"):
        auth.add(ops, "a", "king", "0123456789")
    with pytest.raises(IOCError, match="at least one ward"):
        auth.add(ops, "a", "ward_official", "0123456789")
    with pytest.raises(IOCError, match="at least 10"):
        auth.add(ops, "a", "analyst", "short")
    auth.add(ops, "hoa", "ward_official", "0123456789", ["25747"])
    with pytest.raises(IOCError, match="exists already"):
        auth.add(ops, "hoa", "analyst", "0123456789")
    assert auth.get(ops, "hoa").wards == ("25747",)


def test_wrong_passwords_lock_the_account_and_say_until_when(ops):
    auth.add(ops, "minh", "analyst", "0123456789")
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.AuthError, match="wrong name or password"):
            auth.sign_in(ops, "minh", "sai mật khẩu", now=1000.0)
    with pytest.raises(auth.AuthError, match="locked after 5 wrong passwords until") as err:
        auth.sign_in(ops, "minh", "0123456789", now=1001.0)  # the right one, but locked
    assert err.value.until == 1000.0 + auth.LOCK_SECONDS
    assert auth.sign_in(ops, "minh", "0123456789", now=1000.0 + auth.LOCK_SECONDS + 1).name == "minh"
    with pytest.raises(auth.AuthError, match="wrong name or password"):  # no account: the same words
        auth.sign_in(ops, "nobody", "0123456789")
    auth.disable(ops, "minh")
    with pytest.raises(auth.AuthError, match="disabled"):
        auth.sign_in(ops, "minh", "0123456789")


def test_many_failures_from_one_address_refuse_it_whatever_the_account(ops):
    """Password spraying: wrong passwords for many accounts from one address, none locked on its own, refuse
    that address (even with a right password) until the oldest that counts is out of the window; another
    address signs in meanwhile, and the refusals themselves do not keep the address out longer."""
    for name in ("a1", "a2", "a3", "a4"):
        auth.add(ops, name, "analyst", "0123456789")
    limit = (3, 900.0)
    for i, name in enumerate(("a1", "a2", "a3")):
        with pytest.raises(auth.AuthError, match="wrong name or password"):
            auth.sign_in(ops, name, "sai mật khẩu", where="203.0.113.9", now=1000.0 + i, address_limit=limit)
    with pytest.raises(auth.AuthError, match=r"too many failed sign-ins from 203\.0\.113\.9") as err:
        auth.sign_in(ops, "a4", "0123456789", where="203.0.113.9", now=1010.0, address_limit=limit)
    assert err.value.throttled and err.value.until == 1000.0 + 900
    for at in (1100.0, 1500.0, 1899.0):  # refused again and again: the time does not move
        with pytest.raises(auth.AuthError) as again:
            auth.sign_in(ops, "a4", "0123456789", where="203.0.113.9", now=at, address_limit=limit)
        assert again.value.until == 1900.0
    assert auth.sign_in(ops, "a4", "0123456789", where="198.51.100.4", now=1011.0, address_limit=limit).name == "a4"
    assert auth.sign_in(ops, "a4", "0123456789", where="203.0.113.9", now=1901.0, address_limit=limit).name == "a4"
    assert auth.get(ops, "a1").locked_until is None  # no account was locked by it
    refused = [e for e in audit.entries(ops, action="sign_in_failed") if e["detail"] == audit.THROTTLED]
    assert len(refused) == 4 and {e["origin"] for e in refused} == {"203.0.113.9"}


def test_every_attempt_and_change_is_in_an_append_only_audit_log(ops):
    auth.add(ops, "tuan", "operator", "0123456789", by="admin")
    with pytest.raises(auth.AuthError):
        auth.sign_in(ops, "tuan", "nope nope nope", where="10.0.0.7")
    auth.sign_in(ops, "tuan", "0123456789", where="10.0.0.7")
    got = [(e["who"], e["action"], e["origin"]) for e in audit.entries(ops)]
    assert got == [("tuan", "sign_in", "10.0.0.7"), ("tuan", "sign_in_failed", "10.0.0.7"), ("admin", "user_add", "")]
    con = sqlite3.connect(ops)
    for statement in ("UPDATE audit SET who = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(statement)


def test_the_command_line_reads_the_password_from_stdin_never_an_argument(tmp_path):
    import subprocess
    import sys

    from tests.helpers import ROOT, ioc_env

    path = write_config(tmp_path)

    def run(*args: str, stdin: str = ""):
        return subprocess.run([sys.executable, "-m", "ioc", *args, "--config", str(path)], input=stdin,
                              capture_output=True, text=True, cwd=ROOT, env=ioc_env(), timeout=120)  # fmt: skip

    added = run("users", "add", "hoa", "--role", "ward_official", "--ward", "25747", stdin="mật khẩu 0123\n")
    assert added.returncode == 0, added.stderr
    assert run("users", "add", "x", "--role", "ward_official", "--ward", "99999", stdin="0123456789\n").returncode
    [u] = json.loads(run("users", "--json").stdout)
    assert u == {"name": "hoa", "role": "ward_official", "wards": ["25747"], "disabled": False, "locked_until": None}
    assert run("users", "passwd", "hoa", stdin="mật khẩu mới 2027\n").returncode == 0
    assert run("users", "disable", "hoa").returncode == 0
    assert "disabled" in run("users").stdout
    log = cli("audit", "--json", "--config", str(path))
    assert [e["action"] for e in json.loads(log.stdout)] == ["user_disable", "user_passwd", "user_add"]
    assert "mật khẩu" not in log.stdout
