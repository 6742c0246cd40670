"""Outgoing e-mail through the installation's SMTP server (docs/programs.md, "E-mail"). Settings:
``SPARRING_SMTP_HOST``, ``_PORT`` (25), ``_FROM``, and optionally ``_USER`` + ``_PASSWORD`` (login) and
``_STARTTLS`` (upgrade the connection). No host or no From address: e-mail is off (``SmtpConfig.from_settings``
returns None) and callers send nothing.

Plain-text messages only, one connection per batch (``Mailer.send_all``); a failure of one message is reported for
that message and the others are still tried. Uses the standard library's ``smtplib``: nothing extra at run time.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sparring.settings import Settings

log = logging.getLogger(__name__)


class MailError(Exception):
    """A message could not be handed to the SMTP server (the text says why)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The SMTP server configured in ``settings``, or None when e-mail is not configured."""
        if not settings.smtp_host or not settings.smtp_from:
            return None
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user or None,
                   settings.smtp_password or None, settings.smtp_starttls, settings.smtp_timeout)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def _message(config: SmtpConfig, mail: Mail) -> EmailMessage:
    for part in (mail.to, mail.subject):
        if "\n" in part or "\r" in part:
            raise MailError("a recipient or subject holds a line break")
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    msg.set_content(mail.body)
    return msg


class Mailer:
    """Sends plain-text mail through one SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if c.user and c.password:
                smtp.login(c.user, c.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP server {c.host}:{c.port}: {exc}") from exc
        return smtp

    def send_all(self, mails: Sequence[Mail]) -> list[str | None]:
        """Send each mail over one connection; per mail None when it was accepted, else why it was not. MailError
        when the server cannot be reached at all."""
        if not mails:
            return []
        results: list[str | None] = []
        smtp = self._connect()
        try:
            for mail in mails:
                try:
                    smtp.send_message(_message(self.config, mail))
                    results.append(None)
                except (MailError, smtplib.SMTPException) as exc:
                    results.append(str(exc)[:300])
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        return results

    def send(self, mail: Mail) -> None:
        problem = self.send_all([mail])[0]
        if problem is not None:
            raise MailError(problem)


def send_counted(config: SmtpConfig | None, mails: Sequence[Mail], what: str) -> dict[str, int]:
    """Send ``mails`` (nothing when e-mail is off) and count them: ``{"emailed": n, "email_failed": m}``, for a
    job's result. A server that cannot be reached fails them all; each failure is logged, naming ``what`` was sent
    (e.g. "program reminder") and to whom."""
    counts = {"emailed": 0, "email_failed": 0}
    if config is None or not mails:
        return counts
    try:
        results = Mailer(config).send_all(mails)
    except MailError as exc:
        log.warning("%ss: no e-mail sent: %s", what, exc)
        counts["email_failed"] = len(mails)
        return counts
    for mail, problem in zip(mails, results, strict=True):
        if problem is None:
            counts["emailed"] += 1
        else:
            counts["email_failed"] += 1
            log.warning("%s to %s not e-mailed: %s", what, mail.to, problem)
    return counts
