"""A real SMTP server of a test's own (aiosmtpd on loopback): what the app's mail jobs send arrives here, as
a mail client would receive it, and a test reads it and follows its links."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .ports import free_port
from .processes import wait_until

_LINK = re.compile(r"https?://[^\s<>\"']+")


class _Collect:
    def __init__(self, server: OwnSmtp) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.server.lock:
            self.server.messages.append((list(envelope.rcpt_tos), message, getattr(session, "auth_data", None)))
        return "250 Message accepted for delivery"


class OwnSmtp:
    """An SMTP server on a free loopback port; with ``username``, it requires that login (over plain SMTP)."""

    def __init__(self, *, username: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.username, self.password = username, password
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage, Any]] = []
        self.controller: Controller | None = None
        self.start()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            self.username,
            self.password,
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.username:
            options = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> dict[str, Any]:
        """The ``Settings`` overrides of an app that sends its mail here."""
        from pydantic import SecretStr

        out: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_tls": "none"}
        if self.username:
            out.update(smtp_username=self.username, smtp_password=SecretStr(self.password or ""))
        return out

    def received(self, to: str) -> list[EmailMessage]:
        """The messages that arrived for ``to``, oldest first."""
        with self.lock:
            return [m for rcpt, m, _ in self.messages if to.lower() in (r.lower() for r in rcpt)]

    def wait_for(self, to: str, count: int = 1, timeout: float = 30) -> list[EmailMessage]:
        wait_until(lambda: len(self.received(to)) >= count, timeout, f"{count} message(s) for {to}")
        return self.received(to)

    def close(self) -> None:
        self.stop()


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "a message without both a text and an HTML body"
    return str(text.get_content()), str(html.get_content())


def link_in(message: EmailMessage) -> str:
    """The (first) link of the plain-text body, as a reader would click it."""
    found = _LINK.search(bodies(message)[0])
    assert found is not None, f"no link in {bodies(message)[0]!r}"
    return found.group(0)
