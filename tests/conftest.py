"""Fixtures shared by the test suite."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.helpers import ScriptedServer, Sleeps


@pytest.fixture(autouse=True)
def _no_page_test_env(request, monkeypatch) -> None:
    """The page tests (tests/ui) point IOC_DATA_DIR and IOC_CONFIG at their sample data for the whole
    session; every other test reads the config it names, whatever ran before it."""
    if "/tests/ui/" not in str(request.node.fspath):
        monkeypatch.delenv("IOC_DATA_DIR", raising=False)
        monkeypatch.delenv("IOC_CONFIG", raising=False)


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on 127.0.0.1 at an ephemeral port, stopped after the test."""
    server = ScriptedServer().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    """A fake sleep for FetchContext that records the backoff waits."""
    return Sleeps()


@pytest.fixture(scope="session")
def sample_snapshot(tmp_path_factory: pytest.TempPathFactory):
    """Two sample sources (admin dossiers, daily air) ingested into a fresh data dir: (config, data dir).

    IOC_DATA_DIR points there only while the fixture is set up; tests that read through the config's
    data_path (sandbox, exports) set it again with monkeypatch."""
    from ioc.config import load_config
    from ioc.ingest import ingest
    from tests.helpers import ROOT

    data = tmp_path_factory.mktemp("sample-snapshot")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IOC_DATA_DIR", str(data))
        cfg = load_config(ROOT / "config.yaml")
        result = ingest(cfg, ["admin_dossiers", "env_air_daily"])
        assert not result.failed, [r.error for r in result.failed]
    return cfg, data


class Mailbox:
    """An aiosmtpd handler that keeps what it gets; `refuse` maps an address to the reply its RCPT gets."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = auth_data.password == b"m4tkh4u"
        return AuthResult(success=ok, handled=ok)  # not handled: the server answers 535 itself


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (no TLS; AUTH allowed in the clear), and its port."""
    with socket.socket() as s:  # aiosmtpd's Controller checks its port by connecting: it needs a real one
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate, auth_require_tls=False)
    ctl.start()
    yield box, port
    ctl.stop()
