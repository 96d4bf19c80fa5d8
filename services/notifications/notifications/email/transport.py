"""Handing a message over: SMTP (smtplib) in production, a Maildir under var_dir when no SMTP host is set.

An SMTP answer in the 5xx range is permanent (retrying cannot help: an unknown mailbox, a refused
message) unless it is about the hub's own session (authentication or TLS required: its settings); a
4xx answer, a refused or broken connection, a timeout or a TLS failure is temporary
and retried on the schedule. Errors are recorded without the recipient's address: servers often
echo it back ("550 <a@b.fi>: no such user"), so anything shaped like an address is redacted.
"""
from __future__ import annotations

import mailbox
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from notifications.settings import NotificationsSettings

#: 5xx answers about the hub's own session, not the message (authentication or TLS required, login
#: refused): an operator fixes the settings, so these are retried like 4xx.
SETTINGS_CODES = frozenset({530, 534, 535, 538})
ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def redact(message: str) -> str:
    return ADDRESS.sub("<address>", message)[:500]


@dataclass
class SendFailure(Exception):
    error: str
    smtp_code: int | None = None
    permanent: bool = False


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` over, or raise SendFailure."""


class SmtpTransport:
    def __init__(self, settings: NotificationsSettings):
        self.host, self.port = settings.smtp_host, settings.smtp_port_or_default
        self.security, self.timeout = settings.smtp_security, settings.smtp_timeout_seconds
        self.username, self.ca_file = settings.smtp_username, settings.smtp_ca_file
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused (here: the one)
            code, answer = next(iter(exc.recipients.values()))
            raise _answered("recipient refused", code, answer) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, HELO/auth failed...
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                # The hub's own credentials: an operator can fix them, so keep retrying meanwhile.
                raise SendFailure(redact(f"authentication failed: {exc.smtp_code}"), exc.smtp_code) from None
            raise _answered(type(exc).__name__, exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:  # connection refused/lost, timeout, TLS, no STARTTLS
            raise SendFailure(redact(f"{type(exc).__name__}: {exc}")) from None
        except UnicodeEncodeError:  # smtplib sends the login as ASCII only: the hub's settings, not the message
            raise SendFailure("authentication failed: the SMTP username and password must be ASCII") from None

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def _answered(what: str, code: int, answer: bytes | str) -> SendFailure:
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return SendFailure(redact(f"{what}: {code} {answer}"), code,
                       permanent=500 <= code < 600 and code not in SETTINGS_CODES)


class MaildirTransport:
    """The embedded default (`make run` needs no mail server): each message becomes a file in a
    Maildir, readable with any mail client (`mutt -f var/mail`) or Python's `mailbox`. Development
    only: the files hold the recipients' addresses."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, message: EmailMessage) -> None:
        try:
            mailbox.Maildir(self.path, create=True).add(message)
        except OSError as exc:
            raise SendFailure(f"Maildir: {type(exc).__name__}") from None


def transport_for(settings: NotificationsSettings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return MaildirTransport(settings.var_dir / "mail")
