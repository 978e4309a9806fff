"""The mail outbox: messages are written with what caused them (in the caller's transaction) and sent later
by the `mail_send` job, with retries and backoff, each at most once (app/core/models/mail.py)."""

from __future__ import annotations

import logging
from typing import Protocol

from app.core.clock import utcnow
from app.core.errors import NotFound
from app.core.models import mail as rules
from app.core.models.user import normalize_email
from app.core.repositories.mail import MailOutboxRepository

log = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, message: dict) -> None:
        """Hand the message to the mail server; raises app.core.mail.MailRefused when it is not taken."""


class MailService:
    def __init__(
        self,
        outbox: MailOutboxRepository,
        *,
        sender: Sender | None,
        domain: str,
        send_every_seconds: int = 10,
        clock=utcnow,
    ):
        """`sender` None: no mail server (development), messages are kept for a developer to read."""
        self.outbox = outbox
        self.send_every_seconds = send_every_seconds
        self.sender = sender
        self.domain = domain
        self.clock = clock

    def enqueue(
        self, *, to: str, subject: str, text: str, html: str, key: str, user_id: str | None = None, session=None
    ) -> bool:
        doc = rules.new_message(
            to=to, subject=subject, text=text, html=html, key=key, user_id=user_id, domain=self.domain, now=self.clock()
        )
        return self.outbox.insert(doc, session=session)

    def send_due(self, limit: int = 100) -> dict:
        """Send up to `limit` due messages; {sent, retrying, failed, kept, interrupted}."""
        counts = dict.fromkeys(("sent", "retrying", "failed", "kept", "interrupted"), 0)
        if self.sender is None:
            counts["kept"] = self.outbox.keep_pending()
            return counts
        now = self.clock()
        counts["interrupted"] = self.outbox.fail_interrupted(now)
        for _ in range(limit):
            message = self.outbox.claim_due(now, now + rules.LEASE)
            if message is None:
                break
            try:
                self.sender.send(message)
            except Exception as exc:  # noqa: BLE001 - a refusal of any kind is recorded, never raised
                permanent = getattr(exc, "permanent", False)
                fields = rules.after_refusal(message["attempts"], permanent=permanent, now=self.clock())
                self.outbox.mark_refused(message["_id"], fields, str(exc)[:500])
                counts["failed" if fields["status"] == rules.FAILED else "retrying"] += 1
                log.warning(
                    "mail %s to %s refused (attempt %d): %s", message["_id"], message["to"], message["attempts"], exc
                )
                continue
            self.outbox.mark_sent(message["_id"], self.clock())
            counts["sent"] += 1
        return counts

    def page(self, *, to: str | None = None, status: str | None = None, skip: int = 0, limit: int = 20):
        return self.outbox.page(to=normalize_email(to) if to else None, status=status, skip=skip, limit=limit)

    def get(self, message_id: str) -> dict:
        message = self.outbox.get(message_id)
        if message is None:
            raise NotFound("MAIL_NOT_FOUND")
        return message

    def depth(self) -> dict:
        return self.outbox.depth()
