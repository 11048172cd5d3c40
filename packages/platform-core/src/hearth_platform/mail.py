"""Mail: a small port, an SMTP implementation, and a file outbox when SMTP is not configured.

A service never talks SMTP during a request: it hands a :class:`MailMessage` to :class:`Mail` (``mail: Mail``
in its constructor), which enqueues the ``mail.send`` job on the unit of work. A worker sends it through the
app's :class:`Mailer`, retrying while the server refuses or is away, so mail never blocks a request and a
request that fails sends nothing.

- :class:`SmtpMailer` (``HEARTH_SMTP_HOST`` set): STARTTLS, implicit TLS or plain, optional login, the
  sender ``HEARTH_MAIL_FROM``.
- :class:`OutboxMailer` (otherwise): each message is a ``.eml`` file under ``<HEARTH_DATA_DIR>/outbox`` and a
  log line says where, so the two-command start works with no mail server.

Every message has a plain-text body and an HTML one (``multipart/alternative``).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from .jobs import Job, JobQueue
from .settings import Settings
from .uow import UnitOfWorkContext

log = logging.getLogger("hearth.mail")

MAIL_QUEUE = "mail"
SMTP_TIMEOUT_S = 20


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    """Delivers one message now (raising when it cannot: the job is retried)."""

    def send(self, message: MailMessage) -> None: ...


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "hearth.invalid")
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.tls = settings.smtp_tls
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        self.sender = settings.mail_from

    def send(self, message: MailMessage) -> None:
        email = build_email(message, self.sender)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_S, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


class OutboxMailer:
    """Messages as ``.eml`` files in a directory (written whole, then renamed into place)."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, message: MailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".mail-")
        with os.fdopen(fd, "wb") as out:
            out.write(bytes(build_email(message, self.sender)))
        path = self.directory / name
        os.replace(temporary, path)
        log.info("mail kept in the outbox (no SMTP server configured)", extra={"path": str(path)})


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return OutboxMailer(settings.mail_outbox_dir, settings.mail_from)


def send_mail(uow: UnitOfWorkContext, to: str, subject: str, text: str, html: str) -> None:
    uow.resolve(Mailer).send(MailMessage(to=to, subject=subject, text=text, html=html))  # type: ignore[type-abstract]


SEND_MAIL = Job(name="mail.send", run=send_mail, queue=MAIL_QUEUE, attempts=8)
"""Sends one message; a refusal or an unreachable server raises, and the job is tried again later."""


class Mail:
    """What a service sends mail with: the message leaves once the unit of work commits, from a worker."""

    def __init__(self, session: Session, jobs: JobQueue) -> None:
        self._jobs = jobs

    def send(self, message: MailMessage) -> None:
        self._jobs.enqueue(SEND_MAIL, to=message.to, subject=message.subject, text=message.text, html=message.html)
