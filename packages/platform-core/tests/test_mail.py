"""Mail leaves through jobs: a real SMTP server started by the test (aiosmtpd) receives what the worker
sends, with a plain-text and an HTML body; a server that is away is retried; without SMTP, each message is
a file in the outbox."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_platform.app import build_app
from hearth_platform.mail import SEND_MAIL, Mail, MailMessage, SmtpMailer
from hearth_platform.settings import Settings
from hearth_platform.uow import unit_of_work
from hearth_testing import OwnSmtp, bodies, jobs_in_queue, run_jobs, wait_until


def _address() -> str:
    return f"reader-{uuid.uuid4().hex[:10]}@example.com"


def _message(to: str) -> MailMessage:
    return MailMessage(
        to=to,
        subject="Reset your password",
        text="Open https://hearth.example/reset?token=abc within the hour.",
        html='<p>Open <a href="https://hearth.example/reset?token=abc">this link</a> within the hour.</p>',
    )


def _send(app: FastAPI, message: MailMessage, *, fail_after: bool = False) -> None:
    state = app.state
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        uow.resolve(Mail).send(message)
        if fail_after:
            raise RuntimeError("the request failed after asking for the mail")


@pytest.fixture
def started(base_settings: Settings) -> Iterator[Any]:
    apps: list[TestClient] = []

    def start(**overrides: Any) -> FastAPI:
        app = build_app(base_settings.model_copy(update=overrides), [], configure_logs=False)
        client = TestClient(app)
        client.__enter__()
        apps.append(client)
        return app

    yield start
    for client in apps:
        client.__exit__(None, None, None)


def test_mail_is_sent_by_a_job_through_smtp(started: Any, smtp_server: OwnSmtp) -> None:
    app = started(**smtp_server.settings(), mail_from="Hearth <noreply@hearth.example>")
    to = _address()
    _send(app, _message(to))
    assert smtp_server.received(to) == []  # the request only enqueued it
    run_jobs(app)
    [message] = smtp_server.wait_for(to)
    assert message["From"] == "Hearth <noreply@hearth.example>"
    assert message["To"] == to
    assert message["Subject"] == "Reset your password"
    text, html = bodies(message)
    assert "https://hearth.example/reset?token=abc" in text
    assert '<a href="https://hearth.example/reset?token=abc">' in html


def test_a_unit_of_work_that_rolls_back_sends_nothing(started: Any, smtp_server: OwnSmtp) -> None:
    app = started(**smtp_server.settings())
    to = _address()
    with pytest.raises(RuntimeError):
        _send(app, _message(to), fail_after=True)
    run_jobs(app)
    assert jobs_in_queue(app, SEND_MAIL.name, to=to) == []
    assert smtp_server.received(to) == []


def test_smtp_login_is_used_when_configured() -> None:
    smtp = OwnSmtp(username="hearth", password="s3cret-pass")
    try:
        settings = Settings(_env_file=None, data_dir=Path("/nonexistent"), secret_key="x" * 40, **smtp.settings())
        to = _address()
        SmtpMailer(settings).send(_message(to))
        assert len(smtp.received(to)) == 1
        wrong = settings.model_copy(update={"smtp_password": None})
        with pytest.raises(Exception, match=r"(?i)auth"):
            SmtpMailer(wrong).send(_message(_address()))
    finally:
        smtp.close()


def test_a_server_that_is_away_is_retried_until_the_mail_arrives(started: Any) -> None:
    smtp = OwnSmtp()
    try:
        app = started(**smtp.settings(), job_retry_base_seconds=1)  # retries after 1 s
        smtp.stop()
        to = _address()
        _send(app, _message(to))
        run_jobs(app)  # the first try fails: the job waits for its retry
        [waiting] = jobs_in_queue(app, SEND_MAIL.name, to=to)
        assert waiting["status"] == "todo"
        assert waiting["attempts"] == 1
        smtp.start()

        def delivered() -> bool:
            run_jobs(app)
            return len(smtp.received(to)) == 1

        wait_until(delivered, 30, "the retried mail arrived")
        assert jobs_in_queue(app, SEND_MAIL.name, to=to) == []
    finally:
        smtp.close()


def test_without_smtp_mail_is_kept_in_the_outbox_and_logged(
    started: Any, base_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = started(data_dir=tmp_path)
    to = _address()
    _send(app, _message(to))
    with caplog.at_level(logging.INFO, logger="hearth.mail"):
        run_jobs(app)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    mine = [m for m in (_read(f) for f in files) if m["To"] == to]
    assert len(mine) == 1
    text, html = bodies(mine[0])
    assert "token=abc" in text and "<a href=" in html
    logged = [r for r in caplog.records if r.getMessage().startswith("mail kept in the outbox")]
    assert any(str(tmp_path / "outbox") in str(getattr(r, "path", "")) for r in logged)
    assert not any(f.name.startswith(".") for f in (tmp_path / "outbox").iterdir())  # no half-written file left


def _read(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
