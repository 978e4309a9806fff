"""Sending one message over SMTP with Flask-Mailman (configured by MAIL_*). The outbox decides what is sent
and when (app/core/services/mail_service.py); this only speaks SMTP, inside an app context."""

from __future__ import annotations

import smtplib

from flask import Flask
from flask_mailman import EmailMultiAlternatives, Mail


class MailRefused(Exception):
    """The server did not take the message; `permanent` when trying again cannot help (5xx)."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


def init_mail(app: Flask) -> Mail:
    return Mail(app)


def mail_sender(config) -> SmtpSender | None:
    """None without a mail server, or with MAIL_SUPPRESS_SEND: messages are kept in the outbox, unsent."""
    if not config.get("MAIL_SERVER") or config.get("MAIL_SUPPRESS_SEND"):
        return None
    return SmtpSender(config["MAIL_DEFAULT_SENDER"])


def mail_domain(config) -> str:
    """The domain of the sender's address (Message-IDs are made under it)."""
    return config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ") or "goodplay.local"


class SmtpSender:
    def __init__(self, default_sender: str):
        self.default_sender = default_sender

    def send(self, message: dict) -> None:
        email = EmailMultiAlternatives(
            subject=message["subject"],
            body=message["text"],
            from_email=self.default_sender,
            to=[message["to"]],
            headers={"Message-ID": message["message_id"]},
        )
        email.attach_alternative(message["html"], "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailRefused(f"recipient refused: {codes}", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:  # unreachable, disconnected, timed out
            raise MailRefused(f"{type(exc).__name__}: {exc}", permanent=False) from exc
