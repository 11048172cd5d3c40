"""The messages identity mails: plain text and HTML, the link first, the token also shown on its own (a
client that handles the link can take it from there; a person can paste it)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from hearth_platform.mail import MailMessage
from hearth_platform.settings import Settings


def _link(settings: Settings, path: str, token: str) -> str:
    base = (settings.mail_link_base_url or settings.public_base_url).rstrip("/")
    return f"{base}{path}?{urlencode({'token': token})}"


def _message(to: str, subject: str, intro: str, link: str, token: str, outro: str) -> MailMessage:
    text = f"{intro}\n\n{link}\n\nOr use this token: {token}\n\n{outro}\n"
    html = (
        f"<p>{escape(intro)}</p>\n"
        f'<p><a href="{escape(link, quote=True)}">{escape(link)}</a></p>\n'
        f"<p>Or use this token: <code>{escape(token)}</code></p>\n"
        f"<p>{escape(outro)}</p>\n"
    )
    return MailMessage(to=to, subject=subject, text=text, html=html)


def password_reset(settings: Settings, to: str, username: str, token: str) -> MailMessage:
    return _message(
        to,
        "Reset your Hearth password",
        f"Someone asked to reset the password of the Hearth account {username}. To choose a new password, "
        "open this link within the hour (it works once):",
        _link(settings, "/reset-password", token),
        token,
        "If it was not you, ignore this message: your password stays as it is.",
    )


def verify_email(settings: Settings, to: str, username: str, token: str) -> MailMessage:
    return _message(
        to,
        "Confirm your email address for Hearth",
        f"To confirm that {to} is the address of the Hearth account {username}, open this link:",
        _link(settings, "/verify-email", token),
        token,
        "If you did not make this account, ignore this message.",
    )
